// ShardStore: what several `nkd syncd` replicas sharing one store keep there to split the
// clusters between them (DESIGN.md §8): each replica's lease and registration, and each
// cluster's ownership key on its owner's lease. Only the etcd store has it; a single replica
// (SQLite) has none and owns every cluster.
//
// The store keeps the fences (ownership_fences.h) in step with the keys, so that its writes for
// a cluster succeed only for the replica holding it: a claim holds the cluster's fence, a
// hand-over or a lost lease drops it, a renewal extends the lease's deadline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "state/ownership_fences.h"

namespace nkd::state {

struct ReplicaInfo {
  std::string id;
  std::string url;  // where its API answers ("" when not advertised)
  std::int64_t since_ms = 0;
  std::int64_t lease = 0;  // the lease it registered on (read(); 0 when unknown)
};

struct ClusterOwner {
  std::string replica;
  std::int64_t revision = 0;  // the store revision the ownership key was claimed at
  std::int64_t lease = 0;     // the lease the ownership key is on
};

// One read of the sharding keys.
struct ShardView {
  std::vector<ReplicaInfo> replicas;           // the live ones (their leases hold), by id
  std::map<std::string, ClusterOwner> owners;  // by cluster
  std::int64_t fetch_signal_revision = 0;      // changes whenever any replica signals a fetch
};

class ShardStore {
 public:
  virtual ~ShardStore() = default;

  // Takes a lease of `ttl_seconds` and registers `self` on it. An earlier process registered
  // under the same id (a restart within its TTL) has its lease revoked first, so its ownership
  // keys go at once instead of at their expiry.
  [[nodiscard]] virtual Status join(const ReplicaInfo& self, std::int64_t ttl_seconds) = 0;
  // Renews the lease: the TTL left in seconds, or 0 when it had already expired (the store
  // then holds nothing for this replica any more: join again).
  [[nodiscard]] virtual Result<std::int64_t> renew() = 0;
  [[nodiscard]] virtual Result<ShardView> read() = 0;
  // Makes each of `clusters` this replica's that no replica holds: the ones claimed, with the
  // revision of each claim. Claims go many to a transaction, so a replica taking a thousand
  // clusters does so in a few requests, well within its lease.
  [[nodiscard]] virtual Result<std::map<std::string, std::int64_t>> claim(
      const std::vector<std::string>& clusters) = 0;
  // Gives `cluster` (held since `revision`) to the live replica `to`: its ownership key is moved
  // onto `to`'s lease in one write, so the cluster is never without an owner (a key another
  // replica holds now is left alone). Without `to`'s lease the key is deleted instead, for `to`
  // to claim.
  [[nodiscard]] virtual Status hand_over(const std::string& cluster, std::int64_t revision,
                                         const ReplicaInfo& to) = 0;
  // Takes up a cluster handed to this replica: holds its fence at the key's revision. False
  // when nothing changed: the fence was held at that revision already, or the key is not on
  // this replica's current lease.
  [[nodiscard]] virtual bool adopt(const std::string& cluster, const ClusterOwner& owner) = 0;
  // Tells every replica to fetch Git now (a webhook reached this one).
  [[nodiscard]] virtual Status signal_fetch() = 0;
  // Revokes the lease: this replica's registration and clusters go at once (a clean stop).
  [[nodiscard]] virtual Status leave() = 0;
  [[nodiscard]] virtual OwnershipFences& fences() = 0;
};

}  // namespace nkd::state
