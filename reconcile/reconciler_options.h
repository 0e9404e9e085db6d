// ReconcilerOptions: how the reconciler runs (workers, retries, resync, windows, waves), and the
// retry arithmetic every step of it shares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/maintenance_window.h"
#include "common/result.h"
#include "reconcile/reconcile_settings.h"

namespace nkd::reconcile {

struct ReconcilerOptions {
  int workers = 4;
  std::int64_t retry_base_ms = 1'000;
  std::int64_t retry_cap_ms = 300'000;
  std::int64_t resync_interval_ms = 600'000;
  std::int64_t incomplete_requeue_ms = 2'000;  // provider still building machines
  ClusterAccess cluster_access = ClusterAccess::kNone;
  // Windows for clusters without spec.maintenance (syncd.yaml maintenance:); empty: any time.
  std::vector<MaintenanceWindow> maintenance_windows;
  // How long a cluster whose changes wait for a window sleeps at most before it looks again
  // (it wakes at the window's opening when that comes sooner).
  std::int64_t window_recheck_ms = 60'000;
  // How long a cluster held by an earlier wave sleeps at most before it looks again; it is
  // woken at once whenever another cluster finishes an attempt or leaves.
  std::int64_t wave_recheck_ms = 30'000;
};

// How long after a failed attempt a cluster is tried again. `transient_failures` is the streak of
// transient failures, this one included (1 for the first); `jitter_unit` is uniform in [0, 1).
// Transient: base * 2^(streak-1), capped, jittered into its upper half. Waiting: its delay (at
// least the base, at most the resync interval). Stalled: the resync interval (a new commit or
// `nkd sync` queues the cluster sooner).
[[nodiscard]] std::int64_t retry_delay_ms(const Retry& retry, int transient_failures,
                                          const ReconcilerOptions& options, double jitter_unit);

// What `nkd status` shows while a failed cluster waits for its next try ("" for backoff).
[[nodiscard]] std::string retry_message(const Retry& retry, const ReconcilerOptions& options);

}  // namespace nkd::reconcile
