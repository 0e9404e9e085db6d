// WaveCoordinator: holds back a cluster whose newest render must wait for an earlier rollout
// wave (phase WaitingForWave), and wakes the clusters it holds whenever something they may wait
// on moves. The gate itself is pure (wave_gate.h); this class gathers its inputs, the stored
// cluster records and the earlier clusters' newest targets, which it reads through a callback
// so that it never sees the reconciler's maps, and it keeps the set of clusters waiting.
//
// Judged each time from the stored records and the newest accepted renders, never from what this
// process remembers of a rollout, so a restart in the middle of one holds the same clusters.
//
// Thread-safe. Its mutex guards only the waiters and the wake-up count, and it holds it while
// calling nothing else (neither the callback, nor the store, nor the queue), so it sits at the
// bottom of every lock order.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "metrics/metrics.h"
#include "reconcile/attempt.h"
#include "reconcile/desired_cluster.h"
#include "reconcile/reconcile_settings.h"
#include "reconcile/wave_gate.h"
#include "reconcile/work_queue.h"
#include "state/cluster_records.h"

namespace nkd::reconcile {

// A cluster of an earlier wave, as the reconciler knows it in memory.
struct EarlierWaveCluster {
  std::string name;
  int wave = 0;
  std::string render_digest;  // of its newest render; "" while not rendered
  bool suspended = false;
  std::string suspend_reason;
};

class WaveCoordinator {
 public:
  // The clusters the reconciler holds a target for whose wave is lower than `wave`.
  using EarlierClusters = std::function<std::vector<EarlierWaveCluster>(int wave)>;

  WaveCoordinator(state::ClusterRecordStore& records, WorkQueue& queue, metrics::Metrics& metrics,
                  const Clock& clock, std::int64_t recheck_ms, EarlierClusters earlier_clusters);

  // Whether `desired`, whose newest render differs from the one in place, must wait for an
  // earlier wave; judged from the stored records, so a restart keeps the gate.
  // `wave_events_seen` is set to the count of wake-ups the judgement saw. `already_recorded` is
  // set when the stored record already shows this very hold (a recheck that found nothing new),
  // read from the same list of records the judgement used.
  [[nodiscard]] std::optional<WaveHold> hold_for(const DesiredCluster& desired,
                                                 ClusterAccess access,
                                                 std::uint64_t& wave_events_seen,
                                                 bool& already_recorded);
  // Keeps the cluster's render unapplied with phase WaitingForWave and a pending history row
  // (written only when the hold is not `already_recorded`). A wake-up after `wave_events_seen`
  // (one the judgement may have missed) makes it look again at once.
  Attempt wait(const DesiredCluster& desired, state::ClusterRecord& record,
               const std::string& render_digest, const WaveHold& hold,
               std::uint64_t wave_events_seen, bool already_recorded);
  // The cluster no longer waits for a wave (it applies, is suspended or goes).
  void stop_waiting(const std::string& cluster);
  // Queues every cluster waiting for a wave: something they may wait on has moved.
  void wake_waiters();

 private:
  state::ClusterRecordStore& records_;
  WorkQueue& queue_;
  metrics::Metrics& metrics_;
  const Clock& clock_;
  const std::int64_t recheck_ms_;
  const EarlierClusters earlier_clusters_;

  std::mutex mutex_;               // guards the two below
  std::set<std::string> waiting_;  // clusters held by an earlier wave
  std::uint64_t wave_events_ = 0;  // wake-ups so far (wake_waiters)
};

}  // namespace nkd::reconcile
