// Reconciler: brings each cluster's infrastructure to its newest accepted render and records the
// outcome. A bounded pool of workers takes clusters from a WorkQueue, so one cluster never runs
// twice at once; a failure is tried again as its error's retry kind says (retry_kind.h): a
// transient one with capped exponential backoff and jitter, a waiting one after its delay, a
// stalled one only at the next commit or resync; every cluster is re-applied each resync
// interval. The history row is opened before the provider is called, so a crash at any point
// resumes the same row on restart instead of adding one.
//
// It owns the work queue, the workers and each cluster's target, and composes the steps of an
// attempt, each a class of its own: ApplyStep (render, provider, cluster access, the history
// row), WaveCoordinator (rollout waves) and Suspensions (`nkd suspend|resume`). They see the
// targets only through the callbacks it gives them.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/maintenance_window.h"
#include "common/phase_timer.h"
#include "common/progress_monitor.h"
#include "metrics/metrics.h"
#include "providers/provider.h"
#include "reconcile/apply_step.h"
#include "reconcile/attempt.h"
#include "reconcile/cluster_sync.h"
#include "reconcile/desired_cluster.h"
#include "reconcile/reconcile_settings.h"
#include "reconcile/reconcile_wiring.h"
#include "reconcile/reconciler_options.h"
#include "reconcile/suspensions.h"
#include "reconcile/wave_coordinator.h"
#include "reconcile/work_queue.h"
#include "render/render.h"
#include "source/commit_info.h"
#include "state/state_store.h"

namespace nkd::reconcile {

// The parts of the state store the reconciler reads and writes. A whole StateStore converts, for
// the daemon and tests that hold one.
struct ReconcilerStores {
  ReconcilerStores(state::ClusterRecordStore& records, state::NodeStore& nodes,
                   state::PkiStore& pki)
      : records(records), nodes(nodes), pki(pki) {}
  ReconcilerStores(state::StateStore& store)  // NOLINT(google-explicit-constructor)
      : ReconcilerStores(store, store, store) {}
  state::ClusterRecordStore& records;
  state::NodeStore& nodes;
  state::PkiStore& pki;
};

class Reconciler {
 public:
  Reconciler(ReconcilerStores stores, providers::InfrastructureProvider& bare_metal,
             providers::InfrastructureProvider* openstack, metrics::Metrics& metrics,
             const Clock& clock, ReconcilerOptions options);
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Told the end of every reconcile attempt (from a worker thread): the cluster, the commit that
  // submitted its target, applied or not, and the one-line outcome. Set before start().
  using OutcomeListener = reconcile::OutcomeListener;
  void set_outcome_listener(OutcomeListener listener) {
    wiring_.outcome_listener = std::move(listener);
  }
  // Told after every look at a running cluster (clusterAccess: direct) how many housekeeper
  // objects it found changed by hand (0: none), with the step's one-line message; from a worker
  // thread. Set before start().
  using DriftListener = reconcile::DriftListener;
  void set_drift_listener(DriftListener listener) { wiring_.drift_listener = std::move(listener); }
  // Told when a cluster's apply waits for its maintenance window (phase WaitingForWindow), with
  // the commit it waits to apply; again at each look while it waits (the notifier passes on
  // changes only). Set before start().
  using WindowListener = reconcile::WindowListener;
  void set_window_listener(WindowListener listener) {
    wiring_.window_listener = std::move(listener);
  }
  // With a ClusterSync (clusterAccess: direct), a cluster whose infrastructure is complete is
  // followed into the running cluster: its history row is finished `applied` only once every
  // node is Ready, the housekeeper manifests are in and the rollout is complete; machines are
  // drained before they are deleted. Without one, the infrastructure applied is the outcome and
  // the phase stops at WaitingForCluster. Set before start().
  void set_cluster_sync(ClusterSync* cluster_sync) { wiring_.cluster_sync = cluster_sync; }
  // Each worker reports its reconciles to `progress` as steps that may take `step_bound` (the
  // daemon's watchdog). Set before start().
  void set_progress_monitor(ProgressMonitor* progress, std::chrono::milliseconds step_bound) {
    progress_ = progress;
    step_bound_ = step_bound;
  }
  // Publishes the full configs of an OpenStack cluster whose nodes boot pointer configs (their
  // configs are larger than Nova's user_data allows), before its servers are made. Set before
  // start(); without one such a cluster is refused (its nodes could not boot).
  using PointerPublisher = reconcile::PointerPublisher;
  // The provider of libvirt clusters (spec.platform.libvirt); unset: such clusters fail.
  void set_libvirt_provider(providers::InfrastructureProvider* libvirt) { wiring_.libvirt = libvirt; }
  // Several replicas on one etcd store: only the clusters `ownership` says are this replica's
  // are reconciled, and only their observed revisions recorded. Set before start().
  void set_ownership(const ClusterOwnership* ownership) { wiring_.ownership = ownership; }
  void set_pointer_publisher(PointerPublisher publisher) {
    wiring_.pointer_publisher = std::move(publisher);
  }

  // Exports the stored clusters' metrics (applied revision and time, readiness, node states), so
  // that a restart does not blank them until each cluster's next reconcile. Before start().
  void restore_metrics();
  void start();
  // Stops taking work, waits for running reconciles to finish their current step, joins.
  void stop();
  // Makes `desired` the cluster's target and queues it at once (replacing an older target).
  void submit(DesiredCluster desired);
  // Makes every cluster of `batch` (the clusters one commit changed) its target, all under one
  // lock, then queues them: no worker judges a later wave against an earlier wave's previous
  // target, or without it.
  void submit_all(std::vector<DesiredCluster> batch);
  // Marks a cluster whose directory left Git: its machines are kept, phase Orphaned.
  void orphan(const std::string& cluster, const std::string& revision);
  // Tears down a cluster whose directory left Git (prune: true): phase Deleting while its
  // provider removes its machines (retried with backoff), then its record goes; history stays.
  void prune(const std::string& cluster, const std::string& revision);
  // Notes a commit that left these clusters' renders unchanged, in one transaction: a healthy
  // cluster's applied revision moves to it (its render is already in place) without a history row.
  void observe_revisions(const std::vector<std::string>& clusters, const source::CommitInfo& commit);
  [[nodiscard]] bool idle() const { return queue_.idle(); }
  // The clusters this reconciler has a target for (in Git, or on their way out).
  [[nodiscard]] std::vector<std::string> cluster_names();
  // This replica now owns `clusters` (another's died, or the split changed): reads their
  // suspensions again, records the revision it sees for them and reconciles them at once.
  void take_over(const std::vector<std::string>& clusters);

  // Operator actions (`nkd suspend|resume|sync`, POST /api/v1/clusters/<name>/...). Each
  // returns a one-line answer, or an error: kNotFound for a cluster nkd does not know,
  // kConflict for a sync of a suspended cluster, others from the state store.
  // Suspends `cluster`: from its next reconcile on (one under way finishes its step) it is not
  // applied; new commits are still validated and recorded as pending. Stored, so it survives a
  // restart, and recorded in the cluster's history.
  [[nodiscard]] Result<std::string> suspend(const std::string& cluster, const std::string& reason);
  // Lifts a suspension and applies the newest accepted render at once.
  [[nodiscard]] Result<std::string> resume(const std::string& cluster);
  // Reconciles `cluster` now instead of at its next resync.
  [[nodiscard]] Result<std::string> sync_now(const std::string& cluster);
  // Reads the stored suspensions (before start()).
  void restore_suspensions();

 private:
  void worker_loop(std::optional<ProgressMonitor::Loop> heartbeat);
  void reconcile(const std::string& name);
  void delete_cluster(const std::string& name);
  // What the wave gate reads of the clusters of waves before `wave` (WaveCoordinator).
  [[nodiscard]] std::vector<EarlierWaveCluster> earlier_clusters(int wave);
  // The newest commit whose render is `digest` (commits may pass while a reconcile runs).
  std::string newest_commit_with(const std::string& name, const DesiredCluster& desired,
                                 const std::string& digest);
  // Renders `desired` and notes the digest on the cluster's current target if it is still it.
  Result<std::shared_ptr<const render::ClusterRender>> render_for(const DesiredCluster& desired);
  [[nodiscard]] bool known_cluster(const std::string& cluster);
  // True when this replica may reconcile `cluster` (always, without a ClusterOwnership).
  [[nodiscard]] bool owned(const std::string& cluster) const {
    return wiring_.ownership == nullptr || wiring_.ownership->owns(cluster);
  }
  void export_cluster_metrics(const state::ClusterRecord& record,
                              const std::vector<state::NodeRecord>& nodes);
  // When to try `cluster` again after a failure whose error asked for `retry`; only a transient
  // one lengthens the cluster's failure streak.
  std::chrono::milliseconds retry_delay(const std::string& cluster, const Retry& retry);
  state::ClusterRecord load_record(const std::string& name);
  void note_changed(const std::vector<DesiredCluster>& batch);
  // The source's columns: `revision` is the newest commit seen for `clusters` (changed ones, or
  // ones that left Git), noted on the source thread before a worker sees them.
  void note_observed(const std::vector<std::string>& clusters, const std::string& revision);

  state::ClusterRecordStore& records_;
  state::NodeStore& nodes_;
  providers::InfrastructureProvider& bare_metal_;
  providers::InfrastructureProvider* openstack_;
  metrics::Metrics& metrics_;
  const Clock& clock_;
  ReconcilerOptions options_;
  WorkQueue queue_{clock_};
  std::vector<std::thread> workers_;
  WaveCoordinator waves_{
      records_, queue_, metrics_, clock_, options_.wave_recheck_ms, [this](int wave) {
        return earlier_clusters(wave);
      }};
  Suspensions suspensions_{records_, metrics_, clock_, waves_};
  ReconcileWiring wiring_;
  ApplyStep apply_step_;

  // Guards the maps below. Lock order: one lock at a time. The reconciler calls nothing while it
  // holds mutex_ (not the wave coordinator, the suspensions, the store or the queue, whose
  // mutexes are their own), and they hold theirs while calling nothing of the reconciler's; only
  // the metrics library's internal locks are taken beneath any of them.
  std::mutex mutex_;
  std::map<std::string, DesiredCluster> desired_;
  std::map<std::string, std::string> deleting_;  // cluster -> the commit it left Git at
  std::map<std::string, int> failures_;
  std::map<std::string, std::string> exported_revision_;
  std::map<std::string, std::vector<std::string>> exported_node_states_;
  std::mt19937_64 random_{std::random_device{}()};
  ProgressMonitor* progress_ = nullptr;
  std::chrono::milliseconds step_bound_{0};
  std::uint64_t submissions_ = 0;
};

}  // namespace nkd::reconcile
