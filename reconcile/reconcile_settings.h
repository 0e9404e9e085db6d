// The reconcile stage's settings from syncd.yaml (DESIGN.md §4 and §10): how many workers, how
// often clusters are looked at again, whether and how the daemon reaches the clusters' API
// servers, and the default maintenance windows. Parsed by syncd/config.cc; the daemon turns them
// into ReconcilerOptions and ClusterSyncOptions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/maintenance_window.h"

namespace nkd::reconcile {

enum class ClusterAccess { kDirect, kNone };

struct ReconcileSettings {
  int workers = 4;
  std::int64_t resync_interval_ms = 600'000;
  std::int64_t retry_base_ms = 1'000;
  std::int64_t retry_cap_ms = 300'000;
  ClusterAccess cluster_access = ClusterAccess::kDirect;
  // apiServers: the API server address per cluster where it differs from the definition's.
  std::map<std::string, std::string> api_servers;
  // clusterAccess: direct — how long a cluster may take to have every node Ready, and how long
  // a rollout may go without a node moving, before the cluster is failed.
  std::int64_t ready_timeout_ms = 30 * 60'000;
  std::int64_t rollout_stall_ms = 15 * 60'000;
  // maintenance.windows: when changes that disturb nodes may run, for clusters without
  // spec.maintenance of their own; empty: any time.
  std::vector<MaintenanceWindow> maintenance_windows;
};

}  // namespace nkd::reconcile
