// EtcdStateStore: the StateStore kept in an etcd v3 cluster (DESIGN.md §8), for daemons that
// must not lose their state with one machine. Assembled like SqliteStateStore: one part a
// concern, each in its own file, all on one EtcdConnection (the client and the clock).
//
// Contract beyond StateStore's:
// - Every method that writes is one etcd transaction that compares on the mod_revision of each
//   key it read; a lost compare (another writer came first) is read again and retried, up to
//   EtcdConnection::kMaxAttempts times, then kConflict. Where SQLite differs, the parts' headers
//   say so (etcd_cluster_records.h: the size of one transaction).
// - The same semantics as SqliteStateStore's contract (sqlite_state_store.h) for finish_attempt's
//   errors, history limits, pending_intents(""), delete_cluster and complete_intent; the contract
//   suite (tests/integration/state_contract_test.cc) runs both against the same cases.
// - Members are tried in the order of the settings, and another when one cannot be reached
//   (etcd_client.h); each request is bounded by the settings' timeout.
// - Private keys (the PKI, published Ignition configs) pass through one stored_value /
//   plain_value pair in their part, where they are sealed before etcd sees them.
#pragma once

#include <memory>

#include "common/clock.h"
#include "common/http_client.h"
#include "state/etcd_cluster_records.h"
#include "state/etcd_connection.h"
#include "state/etcd_intent_log.h"
#include "state/etcd_node_store.h"
#include "state/etcd_pki_store.h"
#include "state/etcd_published_config_store.h"
#include "state/etcd_sealed_values.h"
#include "state/etcd_shard_store.h"
#include "state/secret_sealer.h"
#include "state/state_settings.h"
#include "state/state_store.h"

namespace nkd::state {

class EtcdStateStore final : public StateStore,
                             public EtcdPkiStore,
                             public EtcdClusterRecords,
                             public EtcdNodeStore,
                             public EtcdPublishedConfigStore,
                             public EtcdIntentLog,
                             public EtcdSealedValues {
 public:
  // Checks the settings and reads the TLS files; does not contact etcd (ping() does). `http`
  // defaults to a CurlHttpClient; tests pass one that interferes. `clock` must outlive the store.
  // `sealer` seals the PKIs and published configs (secret_sealer.h).
  [[nodiscard]] static Result<std::unique_ptr<EtcdStateStore>> open(
      const EtcdSettings& settings, const Clock& clock = real_clock(),
      std::unique_ptr<HttpClient> http = nullptr, SecretSealer sealer = {});

  [[nodiscard]] Status ping() override;

  // Only open() can make a key; public for std::make_unique.
  class ConstructionKey {
    friend class EtcdStateStore;
    ConstructionKey() = default;
  };
  // The parts are given the connection before `connection_` takes it over; it does not move.
  EtcdStateStore(ConstructionKey, std::unique_ptr<EtcdConnection> connection)
      : EtcdPkiStore(*connection),
        EtcdClusterRecords(*connection),
        EtcdNodeStore(*connection),
        EtcdPublishedConfigStore(*connection),
        EtcdIntentLog(*connection),
        EtcdSealedValues(*connection),
        shards_(*connection),
        connection_(std::move(connection)) {}

  [[nodiscard]] ShardStore* shards() override { return &shards_; }

 private:
  EtcdShardStore shards_;
  std::unique_ptr<EtcdConnection> connection_;
};

// The factory the daemon uses when syncd.yaml has state.etcd: opens the store and checks that
// a member answers, so a wrong endpoint or certificate fails the start, not the first reconcile.
[[nodiscard]] Result<std::unique_ptr<StateStore>> open_etcd_state_store(
    const EtcdSettings& settings, const Clock& clock = real_clock(), SecretSealer sealer = {});

// The daemon's choice: etcd when the settings name it, else the SQLite file.
[[nodiscard]] Result<std::unique_ptr<StateStore>> open_state_store(
    const StateSettings& settings, const Clock& clock = real_clock(), SecretSealer sealer = {});

}  // namespace nkd::state
