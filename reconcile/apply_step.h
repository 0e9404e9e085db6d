// ApplyStep: the apply step of one reconcile attempt of a cluster whose target is not suspended:
// render → the wave gate → a fresh join token when nodes still join → open the history row →
// provider → (with cluster access) the cluster's own state → close the row, or keep it open while
// the cluster comes up, upgrades or waits for a maintenance window. It reports the Attempt back;
// the reconciler queues the next look from it.
//
// It holds no state of its own between attempts, so any number of workers may run it at once
// (on different clusters). It reads the reconciler's targets only through `Callbacks`, and takes
// no lock of its own: what it calls locks (the reconciler's mutex inside the callbacks, the wave
// coordinator's inside WaveCoordinator), one at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/phase_timer.h"
#include "metrics/metrics.h"
#include "providers/provider.h"
#include "reconcile/attempt.h"
#include "reconcile/desired_cluster.h"
#include "reconcile/reconcile_wiring.h"
#include "reconcile/reconciler_options.h"
#include "reconcile/wave_coordinator.h"
#include "render/render.h"
#include "state/cluster_records.h"
#include "state/node_store.h"
#include "state/pki_store.h"

namespace nkd::reconcile {

class ApplyStep {
 public:
  // What the step asks of the reconciler that owns the targets.
  struct Callbacks {
    // Renders `desired` and notes the digest on the cluster's current target if it is still it.
    std::function<Result<std::shared_ptr<const render::ClusterRender>>(const DesiredCluster&)>
        render;
    // The newest commit whose render is `digest` (commits may pass while a reconcile runs).
    std::function<std::string(const DesiredCluster&, const std::string& digest)> newest_commit_with;
    // Exports the cluster's applied revision, readiness and node states.
    std::function<void(const state::ClusterRecord&, const std::vector<state::NodeRecord>&)>
        export_metrics;
  };

  ApplyStep(state::ClusterRecordStore& records, state::NodeStore& nodes, state::PkiStore& pki,
            providers::InfrastructureProvider& bare_metal,
            providers::InfrastructureProvider* openstack, metrics::Metrics& metrics,
            const Clock& clock, const ReconcilerOptions& options, const ReconcileWiring& wiring,
            WaveCoordinator& waves, Callbacks callbacks);

  // Brings the cluster toward `desired`, recording into `record`. Times its steps into `phases`
  // (render, join token, history row, provider).
  Attempt apply(const DesiredCluster& desired, state::ClusterRecord& record, PhaseTimer& phases);

 private:
  // After the infrastructure is complete: one ClusterSync step, and its outcome recorded.
  Attempt sync_cluster(const DesiredCluster& desired, const render::ClusterRender& render,
                       state::ClusterRecord& record, const state::HistoryRow& row,
                       std::vector<state::NodeRecord> nodes, const std::string& infra_message);
  // Closes `row` applied (phase as `record` says) and tells the listener.
  Attempt finish_applied(const DesiredCluster& desired, state::ClusterRecord& record,
                         const state::HistoryRow& row, const std::vector<state::NodeRecord>& nodes,
                         const std::string& message, bool complete);
  // Closes `row` failed with `error`'s message; a stalled or waiting error also says so in the
  // phase message. The node records become `nodes` when given (what the failing step observed);
  // without them, the stored ones are kept.
  Attempt finish_failed(const DesiredCluster& desired, state::ClusterRecord& record,
                        std::int64_t row_id, const Error& error,
                        const std::vector<state::NodeRecord>* nodes = nullptr);
  // Stores the cluster's progress while its row stays open (waiting, upgrading).
  Attempt save_progress(const DesiredCluster& desired, state::ClusterRecord& record,
                        const std::vector<state::NodeRecord>& nodes, const std::string& message);
  void record_render_failure(const DesiredCluster& desired, state::ClusterRecord& record,
                             const Error& error);
  // `rendered`, or a new render after a fresh bootstrap token was made in the cluster and stored
  // (join_token.h); an error when a node must join and no token can be had.
  Result<std::shared_ptr<const render::ClusterRender>> with_fresh_join_token(
      const DesiredCluster& desired, const state::ClusterRecord& record,
      std::shared_ptr<const render::ClusterRender> rendered);
  Status publish_pointer_targets(const model::Cluster& cluster,
                                 const render::ClusterRender& render);
  providers::ApplyHooks hooks_for(const model::Cluster& cluster);
  providers::InfrastructureProvider* provider_for(const model::Cluster& cluster);
  // The windows that hold `cluster`'s disturbing changes: its own, else the global ones.
  [[nodiscard]] const std::vector<MaintenanceWindow>& windows_for(
      const model::Cluster& cluster) const;
  [[nodiscard]] bool may_disturb(const model::Cluster& cluster) const;
  // Keeps `row` open with phase WaitingForWindow; the cluster looks again when a window opens.
  Attempt wait_for_window(const DesiredCluster& desired, state::ClusterRecord& record,
                          const std::vector<state::NodeRecord>& nodes, const std::string& what);
  void export_window_metric(const std::string& cluster, bool waiting);

  state::ClusterRecordStore& records_;
  state::NodeStore& nodes_;
  state::PkiStore& pki_;
  providers::InfrastructureProvider& bare_metal_;
  providers::InfrastructureProvider* openstack_;
  metrics::Metrics& metrics_;
  const Clock& clock_;
  const ReconcilerOptions& options_;
  const ReconcileWiring& wiring_;
  WaveCoordinator& waves_;
  const Callbacks callbacks_;
};

}  // namespace nkd::reconcile
