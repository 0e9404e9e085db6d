// DesiredCluster: what a cluster should become, as the reconciler and its steps pass it around
// (a plain value; the reconciler keeps the newest one per cluster).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "model/cluster.h"
#include "render/render.h"
#include "source/commit_info.h"

namespace nkd::reconcile {

// Makes a cluster's render when a worker needs it (its PKI from the state store, then the pure
// renderer). Renders are made per attempt and dropped after it, so the daemon holds at most one
// render per worker, not one per cluster.
using RenderFunction = std::function<Result<std::shared_ptr<const render::ClusterRender>>()>;

// What a cluster should become: its model at a commit, and how to render it.
struct DesiredCluster {
  model::Cluster cluster;
  RenderFunction render;
  // The newest commit this render stands for: later commits that leave the cluster unchanged
  // move it forward (observe_revisions).
  source::CommitInfo commit;
  std::int64_t fetched_at_ms = 0;  // when the commit arrived (for commit-to-applied latency)
  std::string render_digest;       // known once a worker rendered it; "" before
  std::string submitted_commit;    // the commit that submitted it (what outcomes are reported for)
  std::uint64_t submission = 0;    // set by submit(), to tell a newer target from this one
};

}  // namespace nkd::reconcile
