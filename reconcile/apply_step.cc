#include "reconcile/apply_step.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility>

#include "reconcile/join_token.h"
#include "state/cluster_pki_store.h"

namespace nkd::reconcile {
namespace {

std::vector<state::NodeRecord> node_records(const std::string& cluster,
                                            const std::vector<providers::ObservedNode>& observed,
                                            const render::ClusterRender& render,
                                            std::int64_t now_ms) {
  std::map<std::string, std::string> desired_digest;
  for (const auto& node : render.nodes) desired_digest[node.node.name] = node.ignition_sha256;
  std::vector<state::NodeRecord> records;
  for (const auto& node : observed) {
    records.push_back(state::NodeRecord{.cluster = cluster,
                                        .name = node.name,
                                        .pool = node.pool,
                                        .role = node.role,
                                        .provider_id = node.provider_id,
                                        .config_digest = desired_digest[node.name],
                                        .fetched_digest = node.config_digest,
                                        .state = node.state,
                                        .updated_at_ms = now_ms});
  }
  return records;
}

// The machines as the cluster sees them: a node known there takes its state and versions.
void overlay_cluster_view(std::vector<state::NodeRecord>& nodes, const ClusterSyncReport& report) {
  for (state::NodeRecord& node : nodes) {
    auto found = report.nodes.find(node.name);
    if (found == report.nodes.end() || found->second.state == state::NodeState::kRegistering)
      continue;
    node.state = found->second.state;
    node.kubelet_version = found->second.kubelet_version;
    node.os_image = found->second.os_image;
  }
}

}  // namespace

ApplyStep::ApplyStep(state::ClusterRecordStore& records, state::NodeStore& nodes,
                     state::PkiStore& pki, providers::InfrastructureProvider& bare_metal,
                     providers::InfrastructureProvider* openstack, metrics::Metrics& metrics,
                     const Clock& clock, const ReconcilerOptions& options,
                     const ReconcileWiring& wiring, WaveCoordinator& waves, Callbacks callbacks)
    : records_(records),
      nodes_(nodes),
      pki_(pki),
      bare_metal_(bare_metal),
      openstack_(openstack),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      wiring_(wiring),
      waves_(waves),
      callbacks_(std::move(callbacks)) {}

Result<std::shared_ptr<const render::ClusterRender>> ApplyStep::with_fresh_join_token(
    const DesiredCluster& desired, const state::ClusterRecord& record,
    std::shared_ptr<const render::ClusterRender> rendered) {
  const std::string& name = desired.cluster.name;
  NKD_ASSIGN_OR_RETURN(auto pki, state::load_stored_pki(pki_, name));
  if (!pki.has_value()) return rendered;  // nothing stored: the render made a fresh token
  NKD_ASSIGN_OR_RETURN(auto nodes, nodes_.nodes(name));
  const std::int64_t now = clock_.now_unix_ms() / 1000;
  const JoinTokenDecision decision =
      decide_join_token(desired.cluster, *pki, *rendered, nodes, record.render_digest, now,
                        wiring_.cluster_sync != nullptr);
  switch (decision.action) {
    case JoinTokenDecision::Action::kKeep:
      return rendered;
    case JoinTokenDecision::Action::kRefuse:
      return Error{ErrorCode::kConflict, decision.message};
    case JoinTokenDecision::Action::kRenew:
      break;
  }
  const pki::ClusterPki renewed = pki::with_new_bootstrap_token(*pki, now);
  const std::optional<std::int64_t> expiry =
      pki::bootstrap_token_expiry_unix(renewed, desired.cluster);
  // The cluster learns the token before any config carries it.
  if (Status published =
          wiring_.cluster_sync->publish_join_token(desired.cluster, renewed, expiry.value_or(0));
      !published) {
    return published.error();
  }
  // Only the token goes onto the stored PKI: a node token rotation may have landed meanwhile.
  auto saved = state::update_stored_pki(
      pki_, name, [&](const std::optional<pki::ClusterPki>& stored) -> Result<pki::ClusterPki> {
        if (!stored) return Error{ErrorCode::kNotFound, "the PKI of " + name + " disappeared"};
        pki::ClusterPki updated = *stored;
        updated.bootstrap_token_id = renewed.bootstrap_token_id;
        updated.bootstrap_token_secret = renewed.bootstrap_token_secret;
        updated.bootstrap_token_issued_unix = renewed.bootstrap_token_issued_unix;
        return updated;
      });
  if (!saved) return saved.error().wrap("storing the renewed bootstrap token of " + name);
  spdlog::info("cluster {}: bootstrap token renewed for {} node(s) that still join", name,
               decision.joining_nodes.size());
  return callbacks_.render(desired);
}

providers::ApplyHooks ApplyStep::hooks_for(const model::Cluster& cluster) {
  providers::ApplyHooks hooks;
  hooks.may_disturb = [this, &cluster] { return may_disturb(cluster); };
  if (wiring_.cluster_sync != nullptr) {
    hooks.before_delete = [this, &cluster](const std::string& node) {
      return wiring_.cluster_sync->drain(cluster, node);
    };
  }
  return hooks;
}

Status ApplyStep::publish_pointer_targets(const model::Cluster& cluster,
                                          const render::ClusterRender& render) {
  if (!cluster.is_openstack()) return ok_status();  // bare metal publishes every config itself
  const bool any_pointer =
      std::any_of(render.nodes.begin(), render.nodes.end(),
                  [](const render::NodeRender& node) { return node.needs_pointer; });
  if (!any_pointer) return ok_status();
  if (!wiring_.pointer_publisher) {
    return Error{ErrorCode::kUnavailable,
                 "node configs of " + cluster.name +
                     " are too large for user_data and nothing serves them here"};
  }
  if (Status served = wiring_.pointer_publisher(cluster, render); !served) {
    return served.error().wrap("publishing the configs that " + cluster.name +
                               "'s pointer configs fetch");
  }
  return ok_status();
}

Attempt ApplyStep::apply(const DesiredCluster& desired, state::ClusterRecord& record,
                         PhaseTimer& phases) {
  const std::string& name = desired.cluster.name;
  auto rendered = callbacks_.render(desired);
  phases.lap("render");
  // Only a change waits for the earlier waves; a render already in place goes on being looked
  // after (resync, drift, readiness) whatever they do.
  if (rendered && (*rendered)->digest != record.render_digest) {
    std::uint64_t wave_events_seen = 0;
    bool already_recorded = false;
    const ClusterAccess access =
        wiring_.cluster_sync != nullptr ? ClusterAccess::kDirect : ClusterAccess::kNone;
    if (const std::optional<WaveHold> hold =
            waves_.hold_for(desired, access, wave_events_seen, already_recorded)) {
      return waves_.wait(desired, record, (*rendered)->digest, *hold, wave_events_seen,
                         already_recorded);
    }
  }
  waves_.stop_waiting(name);
  if (rendered) rendered = with_fresh_join_token(desired, record, std::move(*rendered));
  phases.lap("join token");
  if (!rendered) {
    record_render_failure(desired, record, rendered.error());
    return Attempt{.retry = rendered.error().retry()};
  }
  const render::ClusterRender& render = **rendered;
  state::HistoryRow attempt;
  attempt.cluster = name;
  attempt.revision = desired.commit.id;
  attempt.author = desired.commit.author;
  attempt.committed_at_ms = desired.commit.committed_at_unix * 1000;
  attempt.render_digest = render.digest;
  attempt.started_at_ms = clock_.now_unix_ms();
  auto row = records_.begin_attempt(attempt);
  if (!row) {
    spdlog::error("opening history row for {}: {}", name, row.error().message);
    return {};
  }
  phases.lap("history row");
  if (Status served = publish_pointer_targets(desired.cluster, render); !served) {
    return finish_failed(desired, record, row->id, served.error());
  }
  providers::InfrastructureProvider* provider = provider_for(desired.cluster);
  Result<providers::ApplyOutcome> outcome =
      provider != nullptr
          ? provider->apply(desired.cluster, render, hooks_for(desired.cluster))
          : Result<providers::ApplyOutcome>(Error{
                ErrorCode::kUnavailable,
                desired.cluster.is_libvirt()
                    ? "no libvirt provider is configured; set libvirt.connections in syncd.yaml"
                    : "no OpenStack provider is configured; set clouds: in syncd.yaml"});
  phases.lap("provider");
  if (!outcome) return finish_failed(desired, record, row->id, outcome.error());
  if (!outcome->held.empty()) {
    // Part of the render is not in place: the applied revision stays the previous one.
    std::string held;
    for (const std::string& change : outcome->held) held += (held.empty() ? "" : ", ") + change;
    return wait_for_window(desired, record,
                           node_records(name, outcome->nodes, render, clock_.now_unix_ms()),
                           "held: " + held);
  }
  export_window_metric(name, false);
  const std::int64_t now_ms = clock_.now_unix_ms();
  record.last_error = "";
  record.ready = false;
  record.applied_revision = callbacks_.newest_commit_with(desired, render.digest);
  record.render_digest = render.digest;
  record.applied_at_ms = now_ms;
  record.phase = !outcome->complete ? state::ClusterPhase::kProvisioning
                                    : state::ClusterPhase::kWaitingForCluster;
  auto nodes = node_records(name, outcome->nodes, render, now_ms);
  if (wiring_.cluster_sync == nullptr) {
    // Infrastructure only (clusterAccess: none): what the provider applied is the outcome.
    return finish_applied(desired, record, *row, nodes, outcome->message, outcome->complete);
  }
  if (!outcome->complete) return save_progress(desired, record, nodes, outcome->message);
  return sync_cluster(desired, render, record, *row, std::move(nodes), outcome->message);
}

Attempt ApplyStep::sync_cluster(const DesiredCluster& desired, const render::ClusterRender& render,
                                state::ClusterRecord& record, const state::HistoryRow& row,
                                std::vector<state::NodeRecord> nodes,
                                const std::string& infra_message) {
  auto step = wiring_.cluster_sync->step(desired.cluster, render, may_disturb(desired.cluster));
  if (!step) return finish_failed(desired, record, row.id, step.error(), &nodes);
  metrics_.cluster_drift.Add({{"cluster", desired.cluster.name}}).Set(step->drifted_objects);
  if (wiring_.drift_listener) {
    wiring_.drift_listener(desired.cluster.name, desired.submitted_commit, step->drifted_objects,
                           step->message);
  }
  overlay_cluster_view(nodes, *step);
  record.phase = phase_of(step->stage);
  const std::string message = step->message.empty() ? infra_message : step->message;
  switch (step->stage) {
    case ClusterStage::kFailed:
      // A cluster never ready or a rollout that stopped moving may still move: back off.
      return finish_failed(desired, record, row.id, Error{ErrorCode::kTimeout, message}, &nodes);
    case ClusterStage::kWaitingForWindow:
      return wait_for_window(desired, record, nodes, message);
    case ClusterStage::kWaitingForCluster:
    case ClusterStage::kUpgrading:
      return save_progress(desired, record, nodes, message);
    case ClusterStage::kReady:
      record.ready = true;
      record.cluster_revision = record.applied_revision;
      return finish_applied(
          desired, record, row, nodes,
          infra_message + "; cluster ready" + (step->message.empty() ? "" : ": " + step->message),
          true);
  }
  return {};
}

Attempt ApplyStep::finish_applied(const DesiredCluster& desired, state::ClusterRecord& record,
                                  const state::HistoryRow& row,
                                  const std::vector<state::NodeRecord>& nodes,
                                  const std::string& message, bool complete) {
  const std::string& name = desired.cluster.name;
  const std::int64_t now_ms = clock_.now_unix_ms();
  record.updated_at_ms = now_ms;
  if (auto status =
          records_.finish_attempt(row.id, state::Outcome::kApplied, message, now_ms, record, nodes);
      !status) {
    spdlog::error("recording applied revision of {}: {}", name, status.error().message);
    return {};
  }
  if (desired.fetched_at_ms > 0 && row.started_at_ms >= desired.fetched_at_ms) {
    metrics_.commit_to_applied_seconds.Add({}, metrics::Metrics::slow_buckets())
        .Observe(static_cast<double>(now_ms - desired.fetched_at_ms) / 1000.0);
  }
  callbacks_.export_metrics(record, nodes);
  spdlog::info("cluster {} at {}: {}", name, desired.commit.id.substr(0, 12), message);
  if (wiring_.outcome_listener)
    wiring_.outcome_listener(name, desired.submitted_commit, true, message);
  waves_.wake_waiters();  // this cluster may be the last one a later wave waits for
  return Attempt{.succeeded = true, .complete = complete};
}

Attempt ApplyStep::finish_failed(const DesiredCluster& desired, state::ClusterRecord& record,
                                 std::int64_t row_id, const Error& error,
                                 const std::vector<state::NodeRecord>* nodes) {
  const std::string& name = desired.cluster.name;
  const std::string& message = error.message;
  const std::int64_t now_ms = clock_.now_unix_ms();
  record.phase = state::ClusterPhase::kFailed;
  record.phase_message = retry_message(error.retry(), options_);
  record.ready = false;
  record.last_error = message;
  record.updated_at_ms = now_ms;
  // finish_attempt replaces the cluster's node records: a failure that observed nothing keeps
  // the ones stored, so `nkd status` still lists the machines.
  std::vector<state::NodeRecord> kept;
  if (nodes == nullptr) {
    if (auto stored = nodes_.nodes(name); stored) kept = std::move(*stored);
    nodes = &kept;
  }
  if (auto status =
          records_.finish_attempt(row_id, state::Outcome::kFailed, message, now_ms, record, *nodes);
      !status) {
    spdlog::error("recording failure of {}: {}", name, status.error().message);
  }
  metrics_.cluster_ready.Add({{"cluster", name}}).Set(0);
  spdlog::warn("cluster {} at {}: apply failed: {}", name, desired.commit.id.substr(0, 12),
               message);
  if (wiring_.outcome_listener)
    wiring_.outcome_listener(name, desired.submitted_commit, false, message);
  waves_.wake_waiters();  // later waves now say that the rollout stopped here
  return Attempt{.retry = error.retry()};
}

Attempt ApplyStep::save_progress(const DesiredCluster& desired, state::ClusterRecord& record,
                                 const std::vector<state::NodeRecord>& nodes,
                                 const std::string& message) {
  const std::string& name = desired.cluster.name;
  record.updated_at_ms = clock_.now_unix_ms();
  Status saved = records_.save_status(record);
  for (const state::NodeRecord& node : nodes) {
    if (saved) saved = nodes_.put_node(node);
  }
  if (!saved) {
    spdlog::error("recording progress of {}: {}", name, saved.error().message);
    return {};
  }
  callbacks_.export_metrics(record, nodes);
  spdlog::info("cluster {} at {}: {}: {}", name, desired.commit.id.substr(0, 12),
               state::to_string(record.phase), message);
  return Attempt{.succeeded = true, .complete = false};
}

void ApplyStep::record_render_failure(const DesiredCluster& desired, state::ClusterRecord& record,
                                      const Error& error) {
  record.phase = state::ClusterPhase::kFailed;
  record.phase_message = retry_message(error.retry(), options_);
  record.last_error = "rendering " + desired.cluster.name + " at " +
                      desired.commit.id.substr(0, 12) + ": " + error.message;
  record.updated_at_ms = clock_.now_unix_ms();
  if (auto status = records_.save_status(record); !status) {
    spdlog::error("recording render failure of {}: {}", desired.cluster.name,
                  status.error().message);
  }
  spdlog::error("{}", record.last_error);
  if (wiring_.outcome_listener) {
    wiring_.outcome_listener(desired.cluster.name, desired.submitted_commit, false,
                             record.last_error);
  }
}

providers::InfrastructureProvider* ApplyStep::provider_for(const model::Cluster& cluster) {
  if (cluster.is_libvirt()) return wiring_.libvirt;
  return cluster.is_openstack() ? openstack_ : &bare_metal_;
}

const std::vector<MaintenanceWindow>& ApplyStep::windows_for(const model::Cluster& cluster) const {
  return cluster.maintenance_windows ? *cluster.maintenance_windows : options_.maintenance_windows;
}

bool ApplyStep::may_disturb(const model::Cluster& cluster) const {
  return any_window_open(windows_for(cluster), clock_.now_unix_ms());
}

void ApplyStep::export_window_metric(const std::string& cluster, bool waiting) {
  metrics_.cluster_waiting_for_window.Add({{"cluster", cluster}}).Set(waiting ? 1 : 0);
}

Attempt ApplyStep::wait_for_window(const DesiredCluster& desired, state::ClusterRecord& record,
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
  if (wiring_.window_listener) {
    wiring_.window_listener(desired.cluster.name, desired.submitted_commit, record.phase_message);
  }
  // Wake at the opening, but look at least every window_recheck_ms: the clock may jump.
  std::int64_t wait_ms = options_.window_recheck_ms;
  if (opens) wait_ms = std::clamp<std::int64_t>(*opens - now_ms, 1, wait_ms);
  attempt.requeue_ms = wait_ms;
  return attempt;
}

}  // namespace nkd::reconcile
