#include "reconcile/reconciler.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/logging.h"
#include "common/memory.h"

namespace nkd::reconcile {

Reconciler::Reconciler(ReconcilerStores stores, providers::InfrastructureProvider& bare_metal,
                       providers::InfrastructureProvider* openstack, metrics::Metrics& metrics,
                       const Clock& clock, ReconcilerOptions options)
    : records_(stores.records),
      nodes_(stores.nodes),
      bare_metal_(bare_metal),
      openstack_(openstack),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      apply_step_(
          stores.records, stores.nodes, stores.pki, bare_metal, openstack, metrics, clock, options_,
          wiring_, waves_,
          ApplyStep::Callbacks{
              .render = [this](const DesiredCluster& desired) { return render_for(desired); },
              .newest_commit_with =
                  [this](const DesiredCluster& desired, const std::string& digest) {
                    return newest_commit_with(desired.cluster.name, desired, digest);
                  },
              .export_metrics =
                  [this](const state::ClusterRecord& record,
                         const std::vector<state::NodeRecord>& nodes) {
                    export_cluster_metrics(record, nodes);
                  }}) {}

Reconciler::~Reconciler() { stop(); }

void Reconciler::start() {
  for (int i = 0; i < options_.workers; ++i) {
    std::optional<ProgressMonitor::Loop> heartbeat;
    if (progress_ != nullptr)
      heartbeat = progress_->add("reconcile worker " + std::to_string(i + 1));
    workers_.emplace_back([this, heartbeat] { worker_loop(heartbeat); });
  }
}

void Reconciler::stop() {
  queue_.shutdown();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

void Reconciler::submit(DesiredCluster desired) {
  std::vector<DesiredCluster> batch;
  batch.push_back(std::move(desired));
  submit_all(std::move(batch));
}

void Reconciler::submit_all(std::vector<DesiredCluster> batch) {
  std::vector<std::string> names;
  note_changed(batch);
  {
    std::lock_guard lock(mutex_);
    for (DesiredCluster& desired : batch) {
      const std::string name = desired.cluster.name;
      desired.submission = ++submissions_;
      desired.render_digest.clear();
      desired.submitted_commit = desired.commit.id;
      desired_[name] = std::move(desired);
      deleting_.erase(name);  // back in Git before its deletion finished
      failures_.erase(name);
      names.push_back(name);
    }
  }
  for (const std::string& name : names) queue_.add(name);
}

void Reconciler::observe_revisions(const std::vector<std::string>& clusters,
                                   const source::CommitInfo& commit) {
  std::vector<state::ClusterRecordStore::RevisionNote> notes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& cluster : clusters) {
      state::ClusterRecordStore::RevisionNote note{.cluster = cluster};
      if (auto found = desired_.find(cluster); found != desired_.end()) {
        found->second.commit = commit;  // a reconcile still under way records the newer commit
        // Applied moves only if what is stored is this target's render ("" while unrendered).
        note.expected_digest = found->second.render_digest;
      }
      if (owned(cluster)) notes.push_back(std::move(note));
    }
  }
  if (notes.empty()) return;
  if (auto status = records_.note_revision(notes, commit.id, clock_.now_unix_ms()); !status) {
    spdlog::error("recording observed revision {} of {} cluster(s): {}", commit.id.substr(0, 12),
                  notes.size(), status.error().message);
  }
}

// The source's columns of the records are written here, on the source thread, before any worker
// sees the commit: a worker's own write never touches them (cluster_records.h).
void Reconciler::note_changed(const std::vector<DesiredCluster>& batch) {
  std::map<std::string, std::vector<std::string>> by_commit;
  for (const DesiredCluster& desired : batch) {
    by_commit[desired.commit.id].push_back(desired.cluster.name);
  }
  for (const auto& [revision, clusters] : by_commit) note_observed(clusters, revision);
}

void Reconciler::note_observed(const std::vector<std::string>& clusters,
                               const std::string& revision) {
  std::vector<state::ClusterRecordStore::RevisionNote> notes;
  for (const std::string& cluster : clusters) {
    // Another replica's cluster is its owner's to note (the source columns are written by one).
    if (owned(cluster)) notes.push_back({.cluster = cluster, .unchanged = false});
  }
  if (notes.empty()) return;
  if (auto status = records_.note_revision(notes, revision, clock_.now_unix_ms()); !status) {
    spdlog::error("recording observed revision {} of {} cluster(s): {}", revision.substr(0, 12),
                  notes.size(), status.error().message);
  }
}

void Reconciler::orphan(const std::string& cluster, const std::string& revision) {
  {
    std::lock_guard lock(mutex_);
    desired_.erase(cluster);
  }
  if (!owned(cluster)) return;  // its owner records it
  note_observed({cluster}, revision);
  state::ClusterRecord record = load_record(cluster);
  if (record.phase == state::ClusterPhase::kOrphaned) return;
  record.phase = state::ClusterPhase::kOrphaned;
  record.phase_message.clear();
  record.last_error = "";
  record.updated_at_ms = clock_.now_unix_ms();
  spdlog::warn("cluster {} left the repository at {}: orphaned, its machines are kept "
               "(set prune: true to delete them)", cluster, revision.substr(0, 12));
  if (auto status = records_.save_status(record); !status) {
    spdlog::error("recording orphaned cluster {}: {}", cluster, status.error().message);
  }
  // An orphan takes part in no rollout: the waves after it may go on.
  waves_.stop_waiting(cluster);
  waves_.wake_waiters();
}

void Reconciler::prune(const std::string& cluster, const std::string& revision) {
  note_observed({cluster}, revision);
  {
    std::lock_guard lock(mutex_);
    desired_.erase(cluster);
    deleting_[cluster] = revision;
  }
  queue_.add(cluster);
  waves_.wake_waiters();  // a cluster on its way out holds no later wave
}

void Reconciler::delete_cluster(const std::string& name) {
  std::string revision;
  {
    std::lock_guard lock(mutex_);
    revision = deleting_[name];
  }
  state::ClusterRecord record = load_record(name);
  record.phase = state::ClusterPhase::kDeleting;
  record.phase_message.clear();
  record.ready = false;
  record.updated_at_ms = clock_.now_unix_ms();
  if (auto status = records_.save_status(record); !status) {
    spdlog::error("recording deletion of {}: {}", name, status.error().message);
  }
  spdlog::warn("cluster {} left the repository at {} and prune is on: deleting its machines", name,
               revision.substr(0, 12));
  // The platform is not known once the definition is gone: each provider removes what it holds.
  Status removed = bare_metal_.remove(name);
  if (removed && openstack_ != nullptr) removed = openstack_->remove(name);
  if (removed && wiring_.libvirt != nullptr) removed = wiring_.libvirt->remove(name);
  if (!removed) {
    record.last_error = "deleting " + name + ": " + removed.error().message;
    record.phase_message = retry_message(removed.error().retry(), options_);
    (void)records_.save_status(record);
    spdlog::error("{} (retrying)", record.last_error);
    queue_.add(name, retry_delay(name, removed.error().retry()));
    return;
  }
  if (auto status = records_.delete_cluster(name); !status) {
    spdlog::error("removing the record of deleted cluster {}: {}", name, status.error().message);
    queue_.add(name, retry_delay(name, Retry::transient()));
    return;
  }
  if (wiring_.cluster_sync != nullptr) wiring_.cluster_sync->forget(name);
  {
    std::lock_guard lock(mutex_);
    deleting_.erase(name);
    failures_.erase(name);
  }
  waves_.stop_waiting(name);
  waves_.wake_waiters();
  spdlog::info("cluster {} deleted: its machines are gone and its record removed (history kept)", name);
}

state::ClusterRecord Reconciler::load_record(const std::string& name) {
  auto found = records_.get_cluster(name);
  if (found && found->has_value()) return **found;
  state::ClusterRecord record;
  record.name = name;
  return record;
}

std::chrono::milliseconds Reconciler::retry_delay(const std::string& cluster, const Retry& retry) {
  std::lock_guard lock(mutex_);
  const int failures = retry.kind == RetryKind::kTransient ? ++failures_[cluster] : 0;
  const double jitter_unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  return std::chrono::milliseconds(retry_delay_ms(retry, failures, options_, jitter_unit));
}

void Reconciler::worker_loop(std::optional<ProgressMonitor::Loop> heartbeat) {
  while (auto name = queue_.get()) {
    {
      std::optional<ProgressMonitor::Step> step;
      if (heartbeat) step.emplace(*progress_, *heartbeat, step_bound_);
      reconcile(*name);
    }
    queue_.done(*name);
    // The end of a burst (a commit touching many clusters, a resync): give back what its
    // renders used.
    if (queue_.quiet(std::chrono::seconds(1))) release_free_memory();
  }
}

void Reconciler::reconcile(const std::string& name) {
  // Another replica's cluster: its owner reconciles it; take_over() queues it if it moves here.
  if (!owned(name)) return;
  DesiredCluster desired;
  bool deleting = false;
  {
    std::lock_guard lock(mutex_);
    deleting = deleting_.contains(name);
    auto found = desired_.find(name);
    if (!deleting && found == desired_.end()) return;
    if (!deleting) desired = found->second;
  }
  const std::optional<state::Suspension> suspension = suspensions_.suspension_of(name);
  if (deleting) {
    // Deleting machines is reconciling too: it waits for `nkd resume`, which queues it again.
    if (suspension) {
      spdlog::warn("cluster {} left the repository but is suspended: its deletion waits for "
                   "nkd resume {}", name, name);
      return;
    }
    delete_cluster(name);
    return;
  }
  const LogContext log_context(name, desired.commit.id.substr(0, 12));
  const auto started = clock_.steady_now();
  PhaseTimer phases(clock_);
  state::ClusterRecord record = load_record(name);
  phases.lap("record read");
  record.wave = desired.cluster.wave;
  record.phase_message.clear();  // the steps below say again what they wait for
  if (desired.cluster.suspend || suspension) {
    suspensions_.record_suspended(desired, record, suspension, [&] { return render_for(desired); });
    if (wiring_.outcome_listener) {
      wiring_.outcome_listener(name, desired.submitted_commit, true,
                               "suspended: recorded, not reconciled");
    }
    return;
  }
  metrics_.cluster_suspended.Add({{"cluster", name}}).Set(0);
  const state::ClusterPhase phase_before = record.phase;
  const Attempt attempt = apply_step_.apply(desired, record, phases);
  phases.lap("recorded");
  spdlog::debug("cluster {} at {}: {}", name, desired.commit.id.substr(0, 12), phases.text());
  // Clusters of later waves name this one's phase while they wait for it; one that starts to
  // wait itself changes nothing for them (the 30 s recheck refreshes their message).
  if (record.phase != phase_before && record.phase != state::ClusterPhase::kWaitingForWave)
    waves_.wake_waiters();
  const double seconds = std::chrono::duration<double>(clock_.steady_now() - started).count();
  metrics_.reconcile_duration_seconds.Add({{"cluster", name}}, metrics::Metrics::slow_buckets())
      .Observe(seconds);
  metrics_.reconcile_total.Add({{"cluster", name}, {"result", attempt.succeeded ? "success" : "failure"}})
      .Increment();
  if (!attempt.succeeded) {
    queue_.add(name, retry_delay(name, attempt.retry));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    failures_.erase(name);
  }
  const std::int64_t next_ms = attempt.requeue_ms > 0 ? attempt.requeue_ms
                               : attempt.complete      ? options_.resync_interval_ms
                                                       : options_.incomplete_requeue_ms;
  queue_.add(name, std::chrono::milliseconds(next_ms));
}

std::vector<EarlierWaveCluster> Reconciler::earlier_clusters(int wave) {
  std::vector<EarlierWaveCluster> earlier;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, other] : desired_) {
      if (other.cluster.wave >= wave) continue;
      earlier.push_back(EarlierWaveCluster{.name = name,
                                           .wave = other.cluster.wave,
                                           .render_digest = other.render_digest,
                                           .suspended = other.cluster.suspend});
    }
  }
  // Asked after mutex_ is released: the lock order (reconciler.h) holds one lock at a time.
  for (EarlierWaveCluster& cluster : earlier) {
    if (auto suspension = suspensions_.suspension_of(cluster.name)) {
      cluster.suspended = true;
      cluster.suspend_reason =
          "by an operator" +
          (suspension->reason.empty() ? std::string() : ": " + suspension->reason);
    } else if (cluster.suspended) {
      cluster.suspend_reason = "spec.suspend: true";
    }
  }
  return earlier;
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
  bool first_render = false;
  {
    std::lock_guard lock(mutex_);
    auto found = desired_.find(desired.cluster.name);
    if (found != desired_.end() && found->second.submission == desired.submission) {
      first_render = found->second.render_digest.empty();
      found->second.render_digest = (*rendered)->digest;
    }
  }
  // Later waves waiting to learn whether this cluster changed can tell now.
  if (first_render) waves_.wake_waiters();
  return rendered;
}

void Reconciler::restore_metrics() {
  const Result<std::vector<state::ClusterRecord>> records = records_.list_clusters();
  if (!records) {
    spdlog::warn("restoring cluster metrics from the state store: {}", records.error().message);
    return;
  }
  for (const state::ClusterRecord& record : *records) {
    if (record.applied_revision.empty()) continue;
    const Result<std::vector<state::NodeRecord>> nodes = nodes_.nodes(record.name);
    export_cluster_metrics(record, nodes ? *nodes : std::vector<state::NodeRecord>{});
  }
}

void Reconciler::export_cluster_metrics(const state::ClusterRecord& record,
                                        const std::vector<state::NodeRecord>& nodes) {
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
  for (const auto& node : nodes) ++counts[state::to_string(node.state)];
  exported_node_states_[record.name].clear();
  for (const auto& [state, count] : counts) {
    metrics_.cluster_nodes.Add({{"cluster", record.name}, {"state", state}}).Set(count);
    exported_node_states_[record.name].push_back(state);
  }
}

void Reconciler::restore_suspensions() { suspensions_.restore(); }

std::vector<std::string> Reconciler::cluster_names() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  names.reserve(desired_.size() + deleting_.size());
  for (const auto& [name, desired] : desired_) names.push_back(name);
  for (const auto& [name, revision] : deleting_) names.push_back(name);
  return names;
}

void Reconciler::take_over(const std::vector<std::string>& clusters) {
  if (clusters.empty()) return;
  suspensions_.reload(clusters);
  std::map<std::string, std::vector<std::string>> by_commit;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& name : clusters) {
      if (auto found = desired_.find(name); found != desired_.end()) {
        by_commit[found->second.commit.id].push_back(name);
        failures_.erase(name);
      } else if (auto leaving = deleting_.find(name); leaving != deleting_.end()) {
        by_commit[leaving->second].push_back(name);
      }
    }
  }
  for (const auto& [revision, names] : by_commit) note_observed(names, revision);
  for (const std::string& name : clusters) queue_.add(name);
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
  NKD_ASSIGN_OR_RETURN(auto changed, suspensions_.suspend(cluster, reason, load_record(cluster)));
  if (!changed) return "cluster " + cluster + " is already suspended";
  queue_.add(cluster);  // records phase Suspended at once
  return "cluster " + cluster + " suspended: not reconciled until nkd resume " + cluster;
}

Result<std::string> Reconciler::resume(const std::string& cluster) {
  if (!known_cluster(cluster)) {
    return Error{ErrorCode::kNotFound, "no cluster named " + cluster};
  }
  NKD_ASSIGN_OR_RETURN(auto changed, suspensions_.resume(cluster, load_record(cluster)));
  if (!changed) return "cluster " + cluster + " is not suspended";
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

}  // namespace nkd::reconcile
