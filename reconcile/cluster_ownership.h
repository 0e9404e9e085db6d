// ClusterOwnership: whether this replica may reconcile a cluster now. Several `nkd syncd`
// replicas on one etcd store split the clusters between them (syncd/shard_coordinator.h); each
// reconciles only the clusters it holds. Without one (a single replica) every cluster is its own.
#pragma once

#include <string>

namespace nkd::reconcile {

class ClusterOwnership {
 public:
  virtual ~ClusterOwnership() = default;
  // True while this replica holds `cluster` under a lease that is surely alive. Thread-safe.
  [[nodiscard]] virtual bool owns(const std::string& cluster) const = 0;
};

}  // namespace nkd::reconcile
