// ShardCoordinator: this replica's part when several `nkd syncd` replicas share one etcd store
// (DESIGN.md §8). It holds the replica's lease and registration, and splits the clusters between
// the live replicas by rendezvous hashing: each cluster goes to the replica whose hash of (cluster,
// replica) is highest, so a replica that dies moves only its own clusters, and one that joins
// takes only its share, about 1/N of them, each from the replica that had it.
//
// Every refresh (a third of the lease TTL, at least 0.5 s) it renews the lease, reads the live
// replicas and the owners, claims the clusters it should own that nobody holds, takes up the
// ones handed to it, and hands the ones that belong to another live replica now to that
// replica: their ownership keys move onto its lease in one write, so a cluster changing hands
// is never without an owner. The state store fences every write the reconcile
// makes for a cluster on the claim (state/ownership_fences.h), so a replica that lost a cluster
// cannot write for it, and owns() is false for it before etcd is even asked.
//
// Also: a webhook on any replica reaches the others (signals/fetch; each fetches Git itself);
// GET /api/v1/replicas and each cluster's "owner" come from the last refresh.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "metrics/metrics.h"
#include "reconcile/cluster_ownership.h"
#include "state/shard_store.h"

namespace nkd::syncd {

// The replica among `replicas` that owns `cluster`: the highest hash of (cluster, replica),
// ties (never seen in practice) to the smaller id. "" when there is no replica.
[[nodiscard]] std::string rendezvous_owner(const std::string& cluster,
                                           const std::vector<std::string>& replicas);

struct ShardSettings {
  std::string replica_id;
  std::string advertise_url;
  std::int64_t lease_ttl_seconds = 10;
  // False: only refresh() refreshes (tests that stand in for a stopped replica).
  bool refresh_in_background = true;
};

class ShardCoordinator final : public reconcile::ClusterOwnership {
 public:
  struct Listeners {
    // Clusters this replica now owns (from the refresh thread).
    std::function<void(const std::vector<std::string>&)> took_over;
    // Another replica was sent a webhook: fetch Git now.
    std::function<void()> fetch_signalled;
    // The clusters there are (the reconciler's targets), asked at each refresh.
    std::function<std::vector<std::string>()> clusters;
  };

  // `store` and `clock` must outlive the coordinator.
  ShardCoordinator(state::ShardStore& store, ShardSettings settings, metrics::Metrics& metrics,
                   const Clock& clock);
  ~ShardCoordinator() override;
  ShardCoordinator(const ShardCoordinator&) = delete;
  ShardCoordinator& operator=(const ShardCoordinator&) = delete;

  // Joins (takes the lease, registers) and starts refreshing. The first split waits for the
  // first refresh the listeners can answer, so call after the reconciler has its targets.
  [[nodiscard]] Status start(Listeners listeners);
  // Stops refreshing and leaves: the lease is revoked, so the others take the clusters at once.
  void stop();
  // One refresh, as the thread makes it (tests drive it directly).
  void refresh();

  [[nodiscard]] bool owns(const std::string& cluster) const override;
  // The owner the last refresh saw ("" when none).
  [[nodiscard]] std::string owner_of(const std::string& cluster) const;
  // GET /api/v1/replicas: this replica, the TTL, and each live replica with its cluster count.
  [[nodiscard]] nlohmann::json replicas_document() const;
  // A webhook reached this replica: the others fetch too.
  void signal_fetch();
  // The clusters there are changed (a commit was accepted): refresh now, not at the next period.
  void clusters_changed();
  // Owners of clusters, by the owner's replica id and its URL, for the operator endpoints' 409.
  [[nodiscard]] std::string owner_hint(const std::string& cluster) const;
  [[nodiscard]] const std::string& replica_id() const { return settings_.replica_id; }

 private:
  void loop();
  void renew_lease();
  // Claims, takes up and hands over toward the rendezvous split of `clusters` over `view`'s
  // replicas; the clusters claimed.
  std::vector<std::string> rebalance(state::ShardView& view,
                                     const std::vector<std::string>& clusters);

  state::ShardStore& store_;
  const ShardSettings settings_;
  metrics::Metrics& metrics_;
  const Clock& clock_;
  Listeners listeners_;

  mutable std::mutex mutex_;  // guards the members below
  std::condition_variable wake_;
  bool refresh_requested_ = false;
  bool stopping_ = false;
  bool joined_ = false;
  state::ShardView view_;
  bool seen_signal_ = false;
  std::int64_t last_signal_ = 0;

  std::thread thread_;
};

}  // namespace nkd::syncd
