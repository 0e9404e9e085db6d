#include "reconcile/suspensions.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace nkd::reconcile {

Suspensions::Suspensions(state::ClusterRecordStore& records, metrics::Metrics& metrics,
                         const Clock& clock, WaveCoordinator& waves)
    : records_(records), metrics_(metrics), clock_(clock), waves_(waves) {}

std::optional<std::map<std::string, state::Suspension>> Suspensions::read_stored(
    const char* meanwhile) {
  auto stored = records_.suspensions();
  if (!stored) {
    spdlog::error("reading suspensions from the state store: {} ({})", stored.error().message,
                  meanwhile);
    return std::nullopt;
  }
  std::map<std::string, state::Suspension> by_cluster;
  for (state::Suspension& suspension : *stored) {
    by_cluster[suspension.cluster] = std::move(suspension);
  }
  return by_cluster;
}

void Suspensions::restore() {
  auto stored =
      read_stored("clusters suspended before the restart are reconciled until it is readable");
  if (!stored) return;
  std::lock_guard lock(mutex_);
  for (auto& [cluster, suspension] : *stored) {
    metrics_.cluster_suspended.Add({{"cluster", cluster}}).Set(1);
    suspensions_[cluster] = std::move(suspension);
  }
}

void Suspensions::reload(const std::vector<std::string>& clusters) {
  const auto stored =
      read_stored("the clusters this replica took over keep the suspensions it knew of");
  if (!stored) return;
  std::lock_guard lock(mutex_);
  for (const std::string& cluster : clusters) {
    const auto found = stored->find(cluster);
    metrics_.cluster_suspended.Add({{"cluster", cluster}}).Set(found != stored->end() ? 1 : 0);
    if (found != stored->end()) {
      suspensions_[cluster] = found->second;
    } else {
      suspensions_.erase(cluster);
    }
  }
}

std::optional<state::Suspension> Suspensions::suspension_of(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto found = suspensions_.find(cluster);
  if (found == suspensions_.end()) return std::nullopt;
  return found->second;
}

Result<bool> Suspensions::suspend(const std::string& cluster, const std::string& reason,
                                  const state::ClusterRecord& record) {
  const std::int64_t now_ms = clock_.now_unix_ms();
  const state::Suspension suspension{.cluster = cluster, .reason = reason, .since_ms = now_ms};
  const state::HistoryRow row{
      .cluster = cluster,
      .revision = record.applied_revision,
      .render_digest = record.render_digest,
      .outcome = state::Outcome::kSuspended,
      .message = "suspended by an operator" + (reason.empty() ? std::string() : ": " + reason),
      .started_at_ms = now_ms,
      .finished_at_ms = now_ms};
  NKD_ASSIGN_OR_RETURN_WRAP(auto changed, records_.set_suspension(cluster, suspension, row),
                            "suspending " + cluster);
  if (!changed) return false;
  {
    std::lock_guard lock(mutex_);
    suspensions_[cluster] = suspension;
  }
  metrics_.cluster_suspended.Add({{"cluster", cluster}}).Set(1);
  spdlog::warn("cluster {} suspended by an operator{}: not reconciled until nkd resume {}", cluster,
               reason.empty() ? "" : " (" + reason + ")", cluster);
  return true;
}

Result<bool> Suspensions::resume(const std::string& cluster, const state::ClusterRecord& record) {
  const std::int64_t now_ms = clock_.now_unix_ms();
  const state::HistoryRow row{.cluster = cluster,
                              .revision = record.applied_revision,
                              .render_digest = record.render_digest,
                              .outcome = state::Outcome::kResumed,
                              .message = "resumed by an operator",
                              .started_at_ms = now_ms,
                              .finished_at_ms = now_ms};
  NKD_ASSIGN_OR_RETURN_WRAP(auto changed, records_.set_suspension(cluster, std::nullopt, row),
                            "resuming " + cluster);
  if (!changed) return false;
  {
    std::lock_guard lock(mutex_);
    suspensions_.erase(cluster);
  }
  metrics_.cluster_suspended.Add({{"cluster", cluster}}).Set(0);
  spdlog::info("cluster {} resumed by an operator: applying its newest accepted render", cluster);
  return true;
}

void Suspensions::record_suspended(const DesiredCluster& desired, state::ClusterRecord& record,
                                   const std::optional<state::Suspension>& suspension,
                                   const Render& render) {
  const std::string& name = desired.cluster.name;
  const std::string why = suspension ? "suspended by an operator" : "spec.suspend: true";
  record.phase = state::ClusterPhase::kSuspended;
  record.phase_message =
      why +
      (suspension && !suspension->reason.empty() ? " (" + suspension->reason + ")" : std::string());
  record.updated_at_ms = clock_.now_unix_ms();
  // A commit that changes the render while suspended waits as a pending row: resume opens the
  // same row (same digest) and finishes it.
  if (auto rendered = render(); rendered && (*rendered)->digest != record.render_digest) {
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
  metrics_.cluster_waiting_for_window.Add({{"cluster", name}}).Set(0);
  waves_.stop_waiting(name);
  waves_.wake_waiters();  // later waves now say that this cluster holds them
  spdlog::info("cluster {} is suspended ({}): not reconciled", name, why);
}

}  // namespace nkd::reconcile
