#include "state/etcd_shard_store.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <span>

#include "common/json_fields.h"
#include "state/etcd_records.h"

namespace nkd::state {
namespace {

using nlohmann::json;
namespace keys = etcd_records;

std::string replica_key(const std::string& id) { return std::string(keys::kReplicasPrefix) + id; }

std::string replica_json(const ReplicaInfo& replica, std::int64_t lease) {
  return json{{"id", replica.id},
              {"url", replica.url},
              {"since", replica.since_ms},
              {"lease", std::to_string(lease)}}
      .dump();
}

// The lease an earlier registration names (0 when it names none or cannot be read).
std::int64_t registered_lease(const std::string& text) {
  const json stored = json::parse(text, nullptr, /*allow_exceptions=*/false);
  try {
    return std::stoll(json_string(stored, "lease"));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

Status EtcdShardStore::join(const ReplicaInfo& self, std::int64_t ttl_seconds) {
  EtcdClient& client = connection_.client();
  connection_.set_replica_id(self.id);
  const std::string key = replica_key(self.id);
  NKD_ASSIGN_OR_RETURN(auto earlier, client.get(key));
  if (earlier) {
    const std::int64_t earlier_lease = registered_lease(earlier->value);
    if (earlier_lease != 0 && earlier_lease != lease_.load()) {
      NKD_RETURN_IF_ERROR(client.revoke_lease(earlier_lease));
    }
  }
  const auto sent = connection_.clock().steady_now();
  NKD_ASSIGN_OR_RETURN(const std::int64_t lease, client.grant_lease(ttl_seconds));
  EtcdTxn txn;
  txn.put_on_lease(key, replica_json(self, lease), lease);
  NKD_ASSIGN_OR_RETURN_WRAP(auto written, client.commit(txn), "registering replica " + self.id);
  (void)written;  // no compares: it always holds
  lease_.store(lease);
  OwnershipFences& fences = connection_.fences();
  fences.enable();
  fences.extend_lease(sent + std::chrono::seconds(ttl_seconds));
  return ok_status();
}

Result<std::int64_t> EtcdShardStore::renew() {
  const std::int64_t lease = lease_.load();
  if (lease == 0) return std::int64_t{0};
  const auto sent = connection_.clock().steady_now();
  NKD_ASSIGN_OR_RETURN(const std::int64_t ttl, connection_.client().renew_lease(lease));
  if (ttl == 0) {
    connection_.fences().drop_all();
    lease_.store(0);
    return std::int64_t{0};
  }
  connection_.fences().extend_lease(sent + std::chrono::seconds(ttl));
  return ttl;
}

Result<ShardView> EtcdShardStore::read() {
  EtcdClient& client = connection_.client();
  ShardView view;
  NKD_ASSIGN_OR_RETURN(auto replicas, client.list(keys::kReplicasPrefix));
  for (const EtcdKeyValue& entry : replicas.values) {
    const json stored = json::parse(entry.value, nullptr, /*allow_exceptions=*/false);
    view.replicas.push_back(ReplicaInfo{
        .id = entry.key.substr(keys::kReplicasPrefix.size()),
        .url = json_string(stored, "url"),
        .since_ms = json_member(stored, "since").is_number_integer()
                        ? json_member(stored, "since").get<std::int64_t>()
                        : 0,
        .lease = registered_lease(entry.value),
    });
  }
  NKD_ASSIGN_OR_RETURN(auto owners, client.list(keys::kOwnersPrefix));
  for (const EtcdKeyValue& entry : owners.values) {
    view.owners[entry.key.substr(keys::kOwnersPrefix.size())] =
        ClusterOwner{.replica = entry.value, .revision = entry.mod_revision, .lease = entry.lease};
  }
  NKD_ASSIGN_OR_RETURN(auto signal, client.get(keys::kFetchSignal));
  view.fetch_signal_revision = signal ? signal->mod_revision : 0;
  return view;
}

Result<std::map<std::string, std::int64_t>> EtcdShardStore::claim(
    const std::vector<std::string>& clusters) {
  const std::int64_t lease = lease_.load();
  std::map<std::string, std::int64_t> claimed;
  if (clusters.empty()) return claimed;
  if (lease == 0) {
    return Error{ErrorCode::kUnavailable, "state store (etcd): replica " +
                                              connection_.replica_id() +
                                              " holds no lease to claim clusters with"};
  }
  const std::string self = connection_.replica_id();
  // Each batch is one transaction: every key still absent, then all put on the lease. A batch
  // that lost a compare (another replica claimed one meanwhile) is claimed key by key instead.
  auto claim_batch = [&](std::span<const std::string> batch) -> Result<bool> {
    EtcdTxn txn;
    for (const std::string& cluster : batch) {
      const std::string key = keys::owner_key(cluster);
      txn.expect(key, 0).put_on_lease(key, self, lease);
    }
    NKD_ASSIGN_OR_RETURN_WRAP(auto revision, connection_.client().commit_at(txn),
                              "claiming " + std::to_string(batch.size()) + " cluster(s)");
    if (!revision) return false;
    for (const std::string& cluster : batch) {
      connection_.fences().hold(cluster, *revision);
      claimed[cluster] = *revision;
    }
    return true;
  };
  // What was claimed before an error is this replica's all the same: the caller must hear of it
  // (the rest is claimed at its next refresh).
  auto stopped = [&](const Error& error) -> Result<std::map<std::string, std::int64_t>> {
    if (claimed.empty()) return error;
    return claimed;
  };
  const std::span<const std::string> all(clusters);
  for (std::size_t first = 0; first < all.size(); first += kClaimsPerTransaction) {
    const auto batch = all.subspan(first, std::min(kClaimsPerTransaction, all.size() - first));
    auto whole = claim_batch(batch);
    if (!whole) return stopped(whole.error());
    if (*whole || batch.size() == 1) continue;
    for (std::size_t one = 0; one < batch.size(); ++one) {
      if (auto single = claim_batch(batch.subspan(one, 1)); !single) return stopped(single.error());
    }
  }
  return claimed;
}

Status EtcdShardStore::hand_over(const std::string& cluster, std::int64_t revision,
                                 const ReplicaInfo& to) {
  connection_.fences().drop(cluster);  // first: nothing is written for it from here on
  const std::string key = keys::owner_key(cluster);
  EtcdTxn txn;
  txn.expect(key, revision);
  if (to.lease != 0) {
    txn.put_on_lease(key, to.id, to.lease);
  } else {
    txn.remove(key);
  }
  // An error (e.g. `to` restarted and its lease is gone) leaves the key on this replica's
  // lease: the next refresh hands it over again, or adopts it back.
  NKD_ASSIGN_OR_RETURN_WRAP(auto written, connection_.client().commit(txn),
                            "handing cluster " + cluster + " over to replica " + to.id);
  (void)written;  // false: the key is another replica's now, which is what a hand-over wants
  return ok_status();
}

bool EtcdShardStore::adopt(const std::string& cluster, const ClusterOwner& owner) {
  const std::int64_t lease = lease_.load();
  if (lease == 0 || owner.lease != lease || owner.replica != connection_.replica_id()) return false;
  OwnershipFences& fences = connection_.fences();
  if (fences.held_at(cluster, owner.revision)) return false;
  fences.hold(cluster, owner.revision);
  return true;
}

Status EtcdShardStore::signal_fetch() {
  EtcdTxn txn;
  txn.put(std::string(keys::kFetchSignal), connection_.replica_id());
  NKD_ASSIGN_OR_RETURN_WRAP(auto written, connection_.client().commit(txn), "signalling a fetch");
  (void)written;
  return ok_status();
}

Status EtcdShardStore::leave() {
  connection_.fences().drop_all();
  const std::int64_t lease = lease_.exchange(0);
  if (lease == 0) return ok_status();
  return connection_.client().revoke_lease(lease);
}

}  // namespace nkd::state
