// Join tokens that expire (DESIGN.md §3): the first control-plane node creates the cluster's
// bootstrap token with spec.kubernetes.bootstrapTokenTTL, and every joining node's config carries
// it. A node that must join after the token has lapsed (scale-up, replacement, a machine that
// boots late) needs a fresh one: with cluster access nkd makes it through the API and renders the
// joins with it; without, it says so instead of letting the node fail at kubeadm join.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/cluster.h"
#include "render/pki/cluster_pki.h"
#include "render/render.h"
#include "state/node_store.h"

namespace nkd::reconcile {

// A token this close to its expiry is renewed: a node must still boot, pull images and run
// kubeadm join with it.
inline constexpr std::int64_t kJoinTokenMarginSeconds = 60 * 60;

struct JoinTokenDecision {
  enum class Action { kKeep, kRenew, kRefuse };
  Action action = Action::kKeep;
  std::vector<std::string> joining_nodes;  // nodes of the render that have not joined yet
  std::string message;                     // for kRefuse: what lapsed and what to do
};

// What to do with the token of `pki` before `render` is applied. The token is renewed when it
// lapses within kJoinTokenMarginSeconds and either a node still joins or the render changes
// (`applied_render_digest` is the one in place), which may replace machines; only with
// `cluster_access`. Without it, a node that still joins after the token lapsed is a refusal
// naming it. Pure.
[[nodiscard]] JoinTokenDecision decide_join_token(const model::Cluster& cluster,
                                                  const pki::ClusterPki& pki,
                                                  const render::ClusterRender& render,
                                                  const std::vector<state::NodeRecord>& nodes,
                                                  const std::string& applied_render_digest,
                                                  std::int64_t now_unix, bool cluster_access);

}  // namespace nkd::reconcile
