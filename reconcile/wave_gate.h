// Rollout waves across clusters (metadata.labels.wave, README "Waves across clusters"): a
// cluster whose newest render is not yet in place starts applying it only once every cluster of
// an earlier wave is settled, that is done with its own newest render. A failure in an earlier
// wave stops the rollout there; a suspended cluster holds it too. Clusters whose render did not
// change are settled as long as they are healthy, so they hold nothing.
//
// Pure: the reconciler gathers where each cluster stands (from the state store's records and
// its newest accepted renders, so a restart finds the same gate) and asks wave_hold. No locks,
// no I/O.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "reconcile/reconcile_settings.h"
#include "state/cluster_records.h"

namespace nkd::reconcile {

// Where a cluster stands against its newest accepted render, as far as later waves care.
enum class WaveStanding {
  kSettled,     // the render is in place and done: Ready (clusterAccess: none: applied in full)
  kUnrendered,  // not looked at since its newest commit came: whether it changed is not known yet
  kInProgress,  // applying, coming up, upgrading, or waiting (for a window, or a wave of its own)
  kFailed,      // its last attempt failed
  kSuspended,   // an operator or spec.suspend holds it
};

// One cluster another cluster's gate looks at.
struct WaveMember {
  std::string name;
  int wave = 0;
  WaveStanding standing = WaveStanding::kSettled;
  state::ClusterPhase phase = state::ClusterPhase::kPending;  // as recorded, for the message
  std::string detail;  // the error (kFailed), the reason (kSuspended); may be empty
};

// Why a cluster may not start its change yet.
struct WaveHold {
  int wave = 0;          // the wave it waits on
  std::string cluster;   // the cluster of that wave it names
  bool stopped = false;  // that cluster failed: the rollout stops until it recovers
  std::string message;   // phaseMessage of the cluster held
};

// nullopt when a cluster of `wave` may start applying its change: every member of an earlier
// wave is settled. Otherwise the hold names one cluster: a failed one first (the lowest wave,
// then by name), else one of the lowest wave that is not settled (suspended before merely busy).
// Members of `wave` and later are ignored, so the list may hold every cluster.
[[nodiscard]] std::optional<WaveHold> wave_hold(int wave, std::span<const WaveMember> members);

// Where a cluster stands, from the digest of its newest render ("" while not rendered yet), its
// stored record and whether it is suspended. With clusterAccess: direct a cluster is done when
// Ready; with none there is no readiness to wait for, and done is its render applied in full
// (phase WaitingForCluster).
[[nodiscard]] WaveStanding wave_standing(const std::string& newest_render_digest,
                                         const state::ClusterRecord& record, bool suspended,
                                         ClusterAccess access);

}  // namespace nkd::reconcile
