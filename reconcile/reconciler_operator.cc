// Reconciler, what operators decide beside Git: suspensions (`nkd suspend|resume`), a sync on
// demand (`nkd sync`), and the maintenance windows that hold changes which disturb nodes.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "reconcile/reconciler.h"

namespace nkd::reconcile {
void Reconciler::restore_suspensions() { suspensions_.restore(); }

bool Reconciler::known_cluster(const std::string& cluster) {
  {
    std::lock_guard lock(mutex_);
    if (desired_.contains(cluster) || deleting_.contains(cluster)) return true;
  }
  auto record = records_.get_cluster(cluster);
  return record && record->has_value();
}

Result<std::string> Reconciler::suspend(const std::string& cluster, const std::string& reason) {
  if (!known_cluster(cluster)) {
    return Error{ErrorCode::kNotFound, "no cluster named " + cluster};
  }
  auto changed = suspensions_.suspend(cluster, reason, load_record(cluster));
  if (!changed) return changed.error();
  if (!*changed) return "cluster " + cluster + " is already suspended";
  queue_.add(cluster);  // records phase Suspended at once
  return "cluster " + cluster + " suspended: not reconciled until nkd resume " + cluster;
}

Result<std::string> Reconciler::resume(const std::string& cluster) {
  if (!known_cluster(cluster)) {
    return Error{ErrorCode::kNotFound, "no cluster named " + cluster};
  }
  auto changed = suspensions_.resume(cluster, load_record(cluster));
  if (!changed) return changed.error();
  if (!*changed) return "cluster " + cluster + " is not suspended";
  {
    std::lock_guard lock(mutex_);
    failures_.erase(cluster);
  }
  queue_.add(cluster);
  return "cluster " + cluster + " resumed: applying its newest accepted render";
}

Result<std::string> Reconciler::sync_now(const std::string& cluster) {
  if (!known_cluster(cluster)) {
    return Error{ErrorCode::kNotFound, "no cluster named " + cluster};
  }
  if (suspensions_.suspension_of(cluster)) {
    return Error{ErrorCode::kConflict,
                 "cluster " + cluster + " is suspended; run nkd resume " + cluster + " first"};
  }
  {
    std::lock_guard lock(mutex_);
    failures_.erase(cluster);
  }
  queue_.add(cluster);
  return "cluster " + cluster + " queued to reconcile now";
}

const std::vector<MaintenanceWindow>& Reconciler::windows_for(const model::Cluster& cluster) const {
  return cluster.maintenance_windows ? *cluster.maintenance_windows : options_.maintenance_windows;
}

bool Reconciler::may_disturb(const model::Cluster& cluster) const {
  return any_window_open(windows_for(cluster), clock_.now_unix_ms());
}

void Reconciler::export_window_metric(const std::string& cluster, bool waiting) {
  metrics_.cluster_waiting_for_window.Add({{"cluster", cluster}}).Set(waiting ? 1 : 0);
}

Attempt Reconciler::wait_for_window(const DesiredCluster& desired,
                                                state::ClusterRecord& record,
                                                const std::vector<state::NodeRecord>& nodes,
                                                const std::string& what) {
  const std::vector<MaintenanceWindow>& windows = windows_for(desired.cluster);
  const std::int64_t now_ms = clock_.now_unix_ms();
  const std::optional<std::int64_t> opens = next_window_opening(windows, now_ms);
  record.phase = state::ClusterPhase::kWaitingForWindow;
  record.last_error = "";
  record.phase_message = what + "; waiting for a maintenance window (" + describe(windows) + ")" +
                         (opens ? ", next at " + format_rfc3339_ms(*opens) : std::string());
  // The metric first: whoever sees the phase stored also sees the metric say so.
  export_window_metric(desired.cluster.name, true);
  Attempt attempt = save_progress(desired, record, nodes, record.phase_message);
  if (window_listener_) {
    window_listener_(desired.cluster.name, desired.submitted_commit, record.phase_message);
  }
  // Wake at the opening, but look at least every window_recheck_ms: the clock may jump.
  std::int64_t wait_ms = options_.window_recheck_ms;
  if (opens) wait_ms = std::clamp<std::int64_t>(*opens - now_ms, 1, wait_ms);
  attempt.requeue_ms = wait_ms;
  return attempt;
}

}  // namespace nkd::reconcile
