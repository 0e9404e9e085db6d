// Reconciler, what operators decide beside Git: suspensions (`nkd suspend|resume`), a sync on
// demand (`nkd sync`), and the maintenance windows that hold changes which disturb nodes.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "reconcile/reconciler.h"

namespace nkd::reconcile {
void Reconciler::restore_suspensions() {
  auto stored = records_.suspensions();
  if (!stored) {
    spdlog::error("reading suspensions from the state store: {} (clusters suspended before the "
                  "restart are reconciled until it is readable)", stored.error().message);
    return;
  }
  std::lock_guard lock(mutex_);
  for (state::Suspension& suspension : *stored) {
    metrics_.cluster_suspended.Add({{"cluster", suspension.cluster}}).Set(1);
    suspensions_[suspension.cluster] = std::move(suspension);
  }
}

std::optional<state::Suspension> Reconciler::suspension_of(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto found = suspensions_.find(cluster);
  if (found == suspensions_.end()) return std::nullopt;
  return found->second;
}

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
  const state::ClusterRecord record = load_record(cluster);
  const std::int64_t now_ms = clock_.now_unix_ms();
  const state::Suspension suspension{.cluster = cluster, .reason = reason, .since_ms = now_ms};
  const state::HistoryRow row{.cluster = cluster,
                              .revision = record.applied_revision,
                              .render_digest = record.render_digest,
                              .outcome = state::Outcome::kSuspended,
                              .message = "suspended by an operator" +
                                         (reason.empty() ? std::string() : ": " + reason),
                              .started_at_ms = now_ms,
                              .finished_at_ms = now_ms};
  auto changed = records_.set_suspension(cluster, suspension, row);
  if (!changed) return changed.error().wrap("suspending " + cluster);
  if (!*changed) return "cluster " + cluster + " is already suspended";
  {
    std::lock_guard lock(mutex_);
    suspensions_[cluster] = suspension;
  }
  metrics_.cluster_suspended.Add({{"cluster", cluster}}).Set(1);
  spdlog::warn("cluster {} suspended by an operator{}: not reconciled until nkd resume {}", cluster,
               reason.empty() ? "" : " (" + reason + ")", cluster);
  queue_.add(cluster);  // records phase Suspended at once
  return "cluster " + cluster + " suspended: not reconciled until nkd resume " + cluster;
}

Result<std::string> Reconciler::resume(const std::string& cluster) {
  if (!known_cluster(cluster)) {
    return Error{ErrorCode::kNotFound, "no cluster named " + cluster};
  }
  const state::ClusterRecord record = load_record(cluster);
  const std::int64_t now_ms = clock_.now_unix_ms();
  const state::HistoryRow row{.cluster = cluster,
                              .revision = record.applied_revision,
                              .render_digest = record.render_digest,
                              .outcome = state::Outcome::kResumed,
                              .message = "resumed by an operator",
                              .started_at_ms = now_ms,
                              .finished_at_ms = now_ms};
  auto changed = records_.set_suspension(cluster, std::nullopt, row);
  if (!changed) return changed.error().wrap("resuming " + cluster);
  if (!*changed) return "cluster " + cluster + " is not suspended";
  {
    std::lock_guard lock(mutex_);
    suspensions_.erase(cluster);
    failures_.erase(cluster);
  }
  metrics_.cluster_suspended.Add({{"cluster", cluster}}).Set(0);
  spdlog::info("cluster {} resumed by an operator: applying its newest accepted render", cluster);
  queue_.add(cluster);
  return "cluster " + cluster + " resumed: applying its newest accepted render";
}

Result<std::string> Reconciler::sync_now(const std::string& cluster) {
  if (!known_cluster(cluster)) {
    return Error{ErrorCode::kNotFound, "no cluster named " + cluster};
  }
  if (suspension_of(cluster)) {
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

void Reconciler::record_suspended(const DesiredCluster& desired, state::ClusterRecord& record,
                                  const std::optional<state::Suspension>& suspension) {
  const std::string& name = desired.cluster.name;
  const std::string why = suspension ? "suspended by an operator" : "spec.suspend: true";
  record.phase = state::ClusterPhase::kSuspended;
  record.phase_message = why + (suspension && !suspension->reason.empty()
                                    ? " (" + suspension->reason + ")" : std::string());
  record.updated_at_ms = clock_.now_unix_ms();
  // A commit that changes the render while suspended waits as a pending row: resume opens the
  // same row (same digest) and finishes it.
  if (auto rendered = render_for(desired);
      rendered && (*rendered)->digest != record.render_digest) {
    const state::HistoryRow pending{.cluster = name,
                                    .revision = desired.commit.id,
                                    .author = desired.commit.author,
                                    .committed_at_ms = desired.commit.committed_at_unix * 1000,
                                    .render_digest = (*rendered)->digest,
                                    .message = "waiting: the cluster is suspended (" + why + ")",
                                    .started_at_ms = record.updated_at_ms};
    if (auto row = records_.begin_attempt(pending); !row) {
      spdlog::error("recording the pending render of suspended cluster {}: {}", name,
                    row.error().message);
    }
  } else if (!rendered) {
    spdlog::warn("rendering suspended cluster {}: {}", name, rendered.error().message);
  }
  if (auto status = records_.save_status(record); !status) {
    spdlog::error("recording suspended cluster {}: {}", name, status.error().message);
  }
  metrics_.cluster_suspended.Add({{"cluster", name}}).Set(1);
  export_window_metric(name, false);
  waves_.stop_waiting(name);
  waves_.wake_waiters();  // later waves now say that this cluster holds them
  spdlog::info("cluster {} is suspended ({}): not reconciled", name, why);
  if (outcome_listener_) {
    outcome_listener_(name, desired.submitted_commit, true, "suspended: recorded, not reconciled");
  }
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
