// Suspensions: what operators decide beside Git to stop a cluster's reconciles (`nkd
// suspend|resume`). Keeps the stored suspensions and a copy in memory that every reconcile
// reads, writes each change with its history row in one transaction, exports
// nkd_cluster_suspended, and records a suspended cluster's reconcile (phase Suspended, its
// newest render pending).
//
// Thread-safe. Its mutex guards only the map in memory and it holds it while calling nothing
// else; the reconciler never calls it while holding its own mutex.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "metrics/metrics.h"
#include "reconcile/desired_cluster.h"
#include "reconcile/wave_coordinator.h"
#include "render/render.h"
#include "state/cluster_records.h"

namespace nkd::reconcile {

class Suspensions {
 public:
  using Render = std::function<Result<std::shared_ptr<const render::ClusterRender>>()>;

  Suspensions(state::ClusterRecordStore& records, metrics::Metrics& metrics, const Clock& clock,
              WaveCoordinator& waves);

  // Reads the stored suspensions (before the workers start).
  void restore();
  // Reads again the suspensions of `clusters` (another replica may have changed them while it
  // owned them).
  void reload(const std::vector<std::string>& clusters);
  [[nodiscard]] std::optional<state::Suspension> suspension_of(const std::string& cluster);
  // Suspends `cluster` (whose stored record is `record`), stored with a history row: true, or
  // false when it already was; an error from the state store.
  [[nodiscard]] Result<bool> suspend(const std::string& cluster, const std::string& reason,
                                     const state::ClusterRecord& record);
  // Lifts the suspension of `cluster`, likewise: true, or false when it was not suspended.
  [[nodiscard]] Result<bool> resume(const std::string& cluster, const state::ClusterRecord& record);
  // A suspended cluster's reconcile: phase Suspended, and a render (made by `render`) that
  // differs from the applied one recorded as a pending history row (resume applies it).
  void record_suspended(const DesiredCluster& desired, state::ClusterRecord& record,
                        const std::optional<state::Suspension>& suspension, const Render& render);

 private:
  // The stored suspensions by cluster; nullopt (logged, saying what holds `meanwhile`) when
  // the store cannot be read.
  std::optional<std::map<std::string, state::Suspension>> read_stored(const char* meanwhile);

  state::ClusterRecordStore& records_;
  metrics::Metrics& metrics_;
  const Clock& clock_;
  WaveCoordinator& waves_;

  std::mutex mutex_;                                      // guards suspensions_
  std::map<std::string, state::Suspension> suspensions_;  // operator suspensions, by cluster
};

}  // namespace nkd::reconcile
