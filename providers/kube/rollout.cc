// The housekeeper rollout as nkd follows it: per node, from the Node objects (DESIGN.md §3).
#include <algorithm>
#include <map>

#include "providers/kube/cluster_state.h"

namespace nkd::kube {
namespace {

bool is_control_plane(const NodeInfo& node) {
  return node.labels.contains(kControlPlaneLabel) || node.labels.contains(kMasterLabel);
}

bool kubelet_at(const NodeInfo& node, const DesiredVersions& desired) {
  return desired.kubelet_version.empty() || node.kubelet_version == desired.kubelet_version;
}

bool os_at(const NodeInfo& node, const DesiredVersions& desired) {
  return desired.os_version.empty() || node.os_image.find(desired.os_version) != std::string::npos;
}

NodeUpgradeState state_of(const NodeInfo& node, const DesiredVersions& desired) {
  // The upgrading label wins: the controller removes it only after the node is back, so a node
  // at the new versions but still labelled is not done.
  if (node.labels.contains(kUpgradingLabel)) return NodeUpgradeState::kUpgrading;
  const bool at_desired = kubelet_at(node, desired) && os_at(node, desired);
  if (at_desired) return NodeUpgradeState::kUpgraded;
  if (node.labels.contains(kUpgradeCompletedLabel)) return NodeUpgradeState::kSkipped;
  return NodeUpgradeState::kPending;
}

}  // namespace

const char* to_string(NodeUpgradeState state) {
  switch (state) {
    case NodeUpgradeState::kPending: return "pending";
    case NodeUpgradeState::kUpgrading: return "upgrading";
    case NodeUpgradeState::kUpgraded: return "upgraded";
    case NodeUpgradeState::kSkipped: return "skipped";
  }
  return "unknown";
}

int RolloutStatus::count(NodeUpgradeState state) const {
  return static_cast<int>(std::count_if(nodes.begin(), nodes.end(),
                                        [&](const NodeRollout& node) { return node.state == state; }));
}

RolloutStatus rollout_status(const std::vector<NodeInfo>& nodes, const DesiredVersions& desired) {
  RolloutStatus status;
  for (const NodeInfo& node : nodes) {
    status.needs_os |= !os_at(node, desired);
    status.needs_kubernetes |= !kubelet_at(node, desired);
    status.nodes.push_back(NodeRollout{.name = node.name,
                                       .control_plane = is_control_plane(node),
                                       .state = state_of(node, desired),
                                       .kubelet_version = node.kubelet_version,
                                       .os_image = node.os_image});
  }
  std::sort(status.nodes.begin(), status.nodes.end(), [](const NodeRollout& a, const NodeRollout& b) {
    if (a.control_plane != b.control_plane) return a.control_plane;
    return a.name < b.name;
  });
  status.complete = status.count(NodeUpgradeState::kUpgraded) ==
                    static_cast<int>(status.nodes.size());
  return status;
}

Result<RolloutStatus> ClusterState::observe_rollout(const DesiredVersions& desired) {
  NKD_ASSIGN_OR_RETURN(auto nodes, client_.list_nodes());
  return rollout_status(nodes, desired);
}

Result<RolloutStatus> ClusterState::wait_rollout(const DesiredVersions& desired,
                                                 std::chrono::milliseconds per_node_timeout,
                                                 SteadyTime deadline) {
  std::map<std::string, SteadyTime> upgrading_since;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto status, observe_rollout(desired));
    if (status.complete) return status;
    const SteadyTime now = client_.clock().steady_now();
    for (const NodeRollout& node : status.nodes) {
      if (node.state != NodeUpgradeState::kUpgrading) {
        upgrading_since.erase(node.name);
        continue;
      }
      const SteadyTime since = upgrading_since.try_emplace(node.name, now).first->second;
      if (now - since > per_node_timeout) {
        return Error{ErrorCode::kTimeout,
                     "upgrade of node " + node.name + " is stuck: upgrading for longer than " +
                         std::to_string(per_node_timeout.count()) + " ms (kubelet " +
                         node.kubelet_version + ", os " + node.os_image +
                         "); check housekeeper-daemon on that node"};
      }
    }
    if (now >= deadline) {
      std::string left;
      for (const NodeRollout& node : status.nodes) {
        if (node.state == NodeUpgradeState::kUpgraded) continue;
        left += (left.empty() ? "" : ", ") + node.name + " (" + to_string(node.state) + ")";
      }
      return Error{ErrorCode::kTimeout, "rollout did not finish before its deadline; stuck: " +
                                            left + "; check housekeeper-operator-manager"};
    }
    pause();
  }
}

}  // namespace nkd::kube
