#include "syncd/reconcile/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/logging.h"
#include "common/memory.h"

namespace nkd::syncd {

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

}  // namespace

Reconciler::Reconciler(state::StateStore& store, providers::InfrastructureProvider& bare_metal,
                       providers::InfrastructureProvider* openstack, metrics::Metrics& metrics,
                       const Clock& clock, ReconcilerOptions options)
    : store_(store),
      bare_metal_(bare_metal),
      openstack_(openstack),
      metrics_(metrics),
      clock_(clock),
      options_(options) {}

Reconciler::~Reconciler() { stop(); }

void Reconciler::start() {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void Reconciler::stop() {
  queue_.shutdown();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

void Reconciler::submit(DesiredCluster desired) {
  const std::string name = desired.cluster.name;
  {
    std::lock_guard lock(mutex_);
    desired.submission = ++submissions_;
    desired.render_digest.clear();
    desired.submitted_commit = desired.commit.id;
    desired_[name] = std::move(desired);
    failures_.erase(name);
  }
  queue_.add(name);
}

void Reconciler::observe_revisions(const std::vector<std::string>& clusters,
                                   const git::CommitInfo& commit) {
  if (clusters.empty()) return;
  std::vector<state::StateStore::RevisionNote> notes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& cluster : clusters) {
      state::StateStore::RevisionNote note{.cluster = cluster};
      if (auto found = desired_.find(cluster); found != desired_.end()) {
        found->second.commit = commit;  // a reconcile still under way records the newer commit
        // Applied moves only if what is stored is this target's render ("" while unrendered).
        note.expected_digest = found->second.render_digest;
      }
      notes.push_back(std::move(note));
    }
  }
  if (auto status = store_.note_revision(notes, commit.id, clock_.now_unix_ms()); !status) {
    spdlog::error("recording observed revision {} of {} cluster(s): {}", commit.id.substr(0, 12),
                  notes.size(), status.error().message);
  }
}

void Reconciler::orphan(const std::string& cluster, const std::string& revision) {
  {
    std::lock_guard lock(mutex_);
    desired_.erase(cluster);
  }
  state::ClusterRecord record = load_record(cluster);
  if (record.phase == "Orphaned") return;
  record.phase = "Orphaned";
  record.observed_revision = revision;
  record.last_error = "";
  record.updated_at_ms = clock_.now_unix_ms();
  spdlog::warn("cluster {} left the repository at {}: orphaned, its machines are kept "
               "(set prune: true to delete them)", cluster, revision.substr(0, 12));
  if (auto status = store_.put_cluster(record); !status) {
    spdlog::error("recording orphaned cluster {}: {}", cluster, status.error().message);
  }
}

state::ClusterRecord Reconciler::load_record(const std::string& name) {
  auto found = store_.get_cluster(name);
  if (found && found->has_value()) return **found;
  state::ClusterRecord record;
  record.name = name;
  return record;
}

providers::InfrastructureProvider* Reconciler::provider_for(const model::Cluster& cluster) {
  return cluster.is_openstack() ? openstack_ : &bare_metal_;
}

std::chrono::milliseconds Reconciler::backoff(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  const int failures = ++failures_[cluster];
  const std::int64_t ceiling = std::min<std::int64_t>(
      options_.retry_cap_ms, options_.retry_base_ms << std::min(failures - 1, 20));
  // Full jitter: spreads retries of many clusters failing together.
  std::uniform_int_distribution<std::int64_t> jitter(ceiling / 2, ceiling);
  return std::chrono::milliseconds(jitter(random_));
}

void Reconciler::worker_loop() {
  while (auto name = queue_.get()) {
    reconcile(*name);
    queue_.done(*name);
    // The end of a burst (a commit touching many clusters, a resync): give back what its
    // renders used.
    if (queue_.quiet(std::chrono::seconds(1))) release_free_memory();
  }
}

void Reconciler::reconcile(const std::string& name) {
  DesiredCluster desired;
  {
    std::lock_guard lock(mutex_);
    auto found = desired_.find(name);
    if (found == desired_.end()) return;
    desired = found->second;
  }
  const LogContext log_context(name, desired.commit.id.substr(0, 12));
  const auto started = clock_.steady_now();
  state::ClusterRecord record = load_record(name);
  record.observed_revision = desired.commit.id;
  if (desired.cluster.suspend) {
    record_suspended(desired, record);
    return;
  }
  const Attempt attempt = apply_desired(desired, record);
  const double seconds = std::chrono::duration<double>(clock_.steady_now() - started).count();
  metrics_.reconcile_duration_seconds.Add({{"cluster", name}}, metrics::Metrics::slow_buckets())
      .Observe(seconds);
  metrics_.reconcile_total.Add({{"cluster", name}, {"result", attempt.succeeded ? "success" : "failure"}})
      .Increment();
  if (!attempt.succeeded) {
    queue_.add(name, backoff(name));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    failures_.erase(name);
  }
  queue_.add(name, std::chrono::milliseconds(attempt.complete ? options_.resync_interval_ms
                                                              : options_.incomplete_requeue_ms));
}

void Reconciler::record_suspended(const DesiredCluster& desired, state::ClusterRecord& record) {
  record.phase = "Suspended";
  record.updated_at_ms = clock_.now_unix_ms();
  if (auto status = store_.put_cluster(record); !status) {
    spdlog::error("recording suspended cluster {}: {}", desired.cluster.name, status.error().message);
  }
  spdlog::info("cluster {} is suspended (spec.suspend: true): not reconciled", desired.cluster.name);
  if (outcome_listener_) {
    outcome_listener_(desired.cluster.name, desired.submitted_commit, true,
                      "suspended: recorded, not reconciled");
  }
}

Reconciler::Attempt Reconciler::apply_desired(const DesiredCluster& desired,
                                              state::ClusterRecord& record) {
  const std::string& name = desired.cluster.name;
  auto rendered = render_for(desired);
  if (!rendered) {
    record_render_failure(desired, record, rendered.error());
    return {};
  }
  const render::ClusterRender& render = **rendered;
  state::HistoryRow attempt;
  attempt.cluster = name;
  attempt.revision = desired.commit.id;
  attempt.author = desired.commit.author;
  attempt.committed_at_ms = desired.commit.committed_at_unix * 1000;
  attempt.render_digest = render.digest;
  attempt.started_at_ms = clock_.now_unix_ms();
  auto row = store_.begin_attempt(attempt);
  if (!row) {
    spdlog::error("opening history row for {}: {}", name, row.error().message);
    return {};
  }
  providers::InfrastructureProvider* provider = provider_for(desired.cluster);
  Result<providers::ApplyOutcome> outcome =
      provider != nullptr
          ? provider->apply(desired.cluster, render, {})
          : Result<providers::ApplyOutcome>(Error{ErrorCode::kUnavailable,
                "no OpenStack provider is configured; set clouds: in syncd.yaml"});
  const std::int64_t now_ms = clock_.now_unix_ms();
  record.updated_at_ms = now_ms;
  if (!outcome) {
    record.phase = "Failed";
    record.last_error = outcome.error().message;
    if (auto status = store_.finish_attempt(row->id, state::Outcome::kFailed,
                                            outcome.error().message, now_ms, record, {});
        !status) {
      spdlog::error("recording failure of {}: {}", name, status.error().message);
    }
    spdlog::warn("cluster {} at {}: apply failed: {}", name, desired.commit.id.substr(0, 12),
                 outcome.error().message);
    if (outcome_listener_) outcome_listener_(name, desired.submitted_commit, false, outcome.error().message);
    return {};
  }
  const std::string applied_revision = newest_commit_with(name, desired, render.digest);
  record.phase = !outcome->complete ? "Provisioning" : "WaitingForCluster";
  record.last_error = "";
  record.ready = false;
  record.applied_revision = applied_revision;
  record.render_digest = render.digest;
  record.applied_at_ms = now_ms;
  const auto nodes = node_records(name, outcome->nodes, render, now_ms);
  if (auto status = store_.finish_attempt(row->id, state::Outcome::kApplied, outcome->message,
                                          now_ms, record, nodes);
      !status) {
    spdlog::error("recording applied revision of {}: {}", name, status.error().message);
    return {};
  }
  if (desired.fetched_at_ms > 0 && row->started_at_ms >= desired.fetched_at_ms) {
    metrics_.commit_to_applied_seconds.Add({}, metrics::Metrics::slow_buckets())
        .Observe(static_cast<double>(now_ms - desired.fetched_at_ms) / 1000.0);
  }
  export_cluster_metrics(record, outcome->nodes);
  spdlog::info("cluster {} at {}: {}", name, desired.commit.id.substr(0, 12), outcome->message);
  if (outcome_listener_) outcome_listener_(name, desired.submitted_commit, true, outcome->message);
  return Attempt{.succeeded = true, .complete = outcome->complete};
}

std::string Reconciler::newest_commit_with(const std::string& name, const DesiredCluster& desired,
                                           const std::string& digest) {
  std::lock_guard lock(mutex_);
  auto found = desired_.find(name);
  if (found != desired_.end() && found->second.render_digest == digest) return found->second.commit.id;
  return desired.commit.id;
}

Result<std::shared_ptr<const render::ClusterRender>> Reconciler::render_for(const DesiredCluster& desired) {
  if (!desired.render) {
    return Error{ErrorCode::kInternal, "no renderer for cluster " + desired.cluster.name};
  }
  Result<std::shared_ptr<const render::ClusterRender>> rendered =
      Error{ErrorCode::kInternal, "render of " + desired.cluster.name + " did not run"};
  try {
    rendered = desired.render();
  } catch (const std::exception& error) {
    // The renderer is pure, but user files reach it (bytes that are not UTF-8 make the JSON
    // library throw): a worker thread must not take the daemon down. The cluster fails, retries.
    return Error{ErrorCode::kInvalidArgument, std::string("cannot render: ") + error.what()};
  }
  if (!rendered) return rendered.error();
  std::lock_guard lock(mutex_);
  auto found = desired_.find(desired.cluster.name);
  if (found != desired_.end() && found->second.submission == desired.submission) {
    found->second.render_digest = (*rendered)->digest;
  }
  return rendered;
}

void Reconciler::record_render_failure(const DesiredCluster& desired, state::ClusterRecord& record,
                                       const Error& error) {
  record.phase = "Failed";
  record.last_error = "rendering " + desired.cluster.name + " at " + desired.commit.id.substr(0, 12) +
                      ": " + error.message;
  record.updated_at_ms = clock_.now_unix_ms();
  if (auto status = store_.put_cluster(record); !status) {
    spdlog::error("recording render failure of {}: {}", desired.cluster.name, status.error().message);
  }
  spdlog::error("{}", record.last_error);
  if (outcome_listener_) {
    outcome_listener_(desired.cluster.name, desired.submitted_commit, false, record.last_error);
  }
}

void Reconciler::export_cluster_metrics(const state::ClusterRecord& record,
                                        const std::vector<providers::ObservedNode>& nodes) {
  std::lock_guard lock(mutex_);
  auto& previous = exported_revision_[record.name];
  if (previous != record.applied_revision) {
    if (!previous.empty()) {
      metrics_.cluster_applied_revision_info.Remove(&metrics_.cluster_applied_revision_info.Add(
          {{"cluster", record.name}, {"revision", previous}}));
    }
    metrics_.cluster_applied_revision_info
        .Add({{"cluster", record.name}, {"revision", record.applied_revision}})
        .Set(1);
    previous = record.applied_revision;
  }
  metrics_.cluster_applied_timestamp_seconds.Add({{"cluster", record.name}})
      .Set(static_cast<double>(record.applied_at_ms) / 1000.0);
  metrics_.cluster_ready.Add({{"cluster", record.name}}).Set(record.ready ? 1 : 0);
  std::map<std::string, int> counts;
  for (const auto& state : exported_node_states_[record.name]) counts[state] = 0;
  for (const auto& node : nodes) ++counts[node.state];
  exported_node_states_[record.name].clear();
  for (const auto& [state, count] : counts) {
    metrics_.cluster_nodes.Add({{"cluster", record.name}, {"state", state}}).Set(count);
    exported_node_states_[record.name].push_back(state);
  }
}

}  // namespace nkd::syncd
