// StateStore: everything the daemon must not lose (DESIGN.md §8), one interface a concern so that
// each component is given only what it uses: PKI (pki_store.h), cluster records and history
// (cluster_records.h), nodes (node_store.h), published configs (published_config_store.h) and
// the intent log (intent_log.h); and, for the owner, its sealed values (sealed_values.h). Every
// method is atomic (one transaction) and safe to call from several threads. Implementations:
// SQLite (sqlite_state_store.h, the embedded default) and etcd (etcd_state_store.h);
// tests/integration/state_contract_test.cc runs the same cases on both.
#pragma once

#include "common/result.h"
#include "state/cluster_records.h"
#include "state/intent_log.h"
#include "state/node_store.h"
#include "state/pki_store.h"
#include "state/published_config_store.h"
#include "state/sealed_values.h"
#include "state/shard_store.h"

namespace nkd::state {

// The store's health, for /readyz.
class StoreHealth {
 public:
  virtual ~StoreHealth() = default;
  [[nodiscard]] virtual Status ping() = 0;
};

// The whole store, which only its owner (the daemon, a CLI command) holds.
// The interfaces are virtual bases so an implementation may be assembled from one part a
// concern (sqlite_state_store.h).
class StateStore : public virtual StoreHealth,
                   public virtual PkiStore,
                   public virtual ClusterRecordStore,
                   public virtual NodeStore,
                   public virtual PublishedConfigStore,
                   public virtual IntentLog,
                   public virtual SealedValues {
 public:
  // How replicas sharing the store split the clusters (shard_store.h); null when the store
  // serves one replica (SQLite), which owns every cluster.
  [[nodiscard]] virtual ShardStore* shards() { return nullptr; }
};

}  // namespace nkd::state
