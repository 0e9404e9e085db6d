// EtcdShardStore: the ShardStore of an etcd state store (shard_store.h). Keys under the prefix:
// replicas/<id> (ReplicaInfo as JSON, with its lease) and owners/<cluster> (the owner's id),
// both on the owner's lease, and signals/fetch. Leases are etcd's: a replica that stops renewing
// (killed, stopped, cut off) loses them after the TTL, and etcd deletes its keys with them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "state/etcd_connection.h"
#include "state/shard_store.h"

namespace nkd::state {

class EtcdShardStore final : public ShardStore {
 public:
  // A compare and a put a claim, each list within etcd's default --max-txn-ops of 128.
  static constexpr std::size_t kClaimsPerTransaction = 100;

  explicit EtcdShardStore(EtcdConnection& connection) : connection_(connection) {}

  [[nodiscard]] Status join(const ReplicaInfo& self, std::int64_t ttl_seconds) override;
  [[nodiscard]] Result<std::int64_t> renew() override;
  [[nodiscard]] Result<ShardView> read() override;
  [[nodiscard]] Result<std::map<std::string, std::int64_t>> claim(
      const std::vector<std::string>& clusters) override;
  [[nodiscard]] Status hand_over(const std::string& cluster, std::int64_t revision,
                                 const ReplicaInfo& to) override;
  [[nodiscard]] bool adopt(const std::string& cluster, const ClusterOwner& owner) override;
  [[nodiscard]] Status signal_fetch() override;
  [[nodiscard]] Status leave() override;
  [[nodiscard]] OwnershipFences& fences() override { return connection_.fences(); }

 private:
  EtcdConnection& connection_;  // also keeps this replica's id (set by join)
  std::atomic<std::int64_t> lease_{0};
};

}  // namespace nkd::state
