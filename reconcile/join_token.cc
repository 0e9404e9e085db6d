#include "reconcile/join_token.h"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include "common/clock.h"

namespace nkd::reconcile {
namespace {

// Node states (providers and the cluster view) of a machine that has booted its config and so has
// run, or is running, kubeadm with the token it carried.
bool has_joined(state::NodeState state) {
  using state::NodeState;
  constexpr std::array kJoined = {NodeState::kProvisioned, NodeState::kOutdated, NodeState::kReady,
                                  NodeState::kNotReady, NodeState::kUpgrading};
  return std::find(kJoined.begin(), kJoined.end(), state) != kJoined.end();
}

std::string listed(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

JoinTokenDecision decide_join_token(const model::Cluster& cluster, const pki::ClusterPki& pki,
                                    const render::ClusterRender& render,
                                    const std::vector<state::NodeRecord>& nodes,
                                    const std::string& applied_render_digest,
                                    std::int64_t now_unix, bool cluster_access) {
  JoinTokenDecision decision;
  const std::optional<std::int64_t> expiry = pki::bootstrap_token_expiry_unix(pki, cluster);
  if (!expiry || *expiry - now_unix > kJoinTokenMarginSeconds) return decision;
  std::map<std::string, state::NodeState> state_of;
  for (const state::NodeRecord& node : nodes) state_of[node.name] = node.state;
  for (const render::NodeRender& node : render.nodes) {
    const auto found = state_of.find(node.node.name);
    if (found == state_of.end() || !has_joined(found->second)) {
      decision.joining_nodes.push_back(node.node.name);
    }
  }
  const bool render_changes = render.digest != applied_render_digest;
  if (cluster_access) {
    if (!decision.joining_nodes.empty() || render_changes) {
      decision.action = JoinTokenDecision::Action::kRenew;
    }
    return decision;
  }
  // Without access the token is used while it lasts; past it, a join would only fail on the node.
  if (decision.joining_nodes.empty() || *expiry > now_unix) return decision;
  decision.action = JoinTokenDecision::Action::kRefuse;
  decision.message =
      "the bootstrap token of cluster " + cluster.name + " lapsed at " +
      format_rfc3339_ms(*expiry * 1000) + " and " + listed(decision.joining_nodes) +
      " must still join with it; nkd makes a fresh token only through the cluster's API: set "
      "clusterAccess: direct in syncd.yaml, or make the token in the nodes' configs valid again "
      "on a control-plane node (kubeadm token create <token> --ttl 2h); new clusters can use a "
      "longer spec.kubernetes.bootstrapTokenTTL";
  return decision;
}

}  // namespace nkd::reconcile
