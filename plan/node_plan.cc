#include "plan/node_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace nkd::plan {

namespace {

constexpr int kLargestIndex = 1'000'000;

bool is_control_plane(const std::optional<model::PoolRole>& role) {
  // Unknown counts as control plane: of the two guesses, it is the one that deletes it last and
  // never replaces it.
  return !role || *role == model::PoolRole::kControlPlane;
}

NodeDecision decide_for(NodeAction action, const DesiredNode& node, const ObservedMachine* machine) {
  return NodeDecision{.action = action,
                      .name = node.name,
                      .pool = node.pool,
                      .role = node.role,
                      .machine_id = machine != nullptr ? machine->id : ""};
}

std::string refusal_reason(const DesiredNode& node, const NodePolicy& policy) {
  if (!policy.machines_replaceable) {
    return "its first-boot config changed and nkd does not reinstall machines it does not own: "
           "the new config is published, and the machine boots it only when it is reinstalled "
           "(Ignition runs at first boot only)";
  }
  return "control-plane node " + node.name +
         " was built from an earlier first-boot config and nkd does not replace control-plane "
         "machines itself: a new one would re-initialise or split the cluster's etcd. Revert the "
         "first-boot change for its pool, or replace it by hand (remove its etcd member, then "
         "delete its machine; nkd makes it anew)";
}

// Scale-down order (see the header): workers first, highest index first, names in reverse.
bool deletes_before(const NodeDecision& left, const NodeDecision& right) {
  const bool left_control = is_control_plane(left.role);
  const bool right_control = is_control_plane(right.role);
  if (left_control != right_control) return !left_control;
  const int left_index = node_index(left.name);
  const int right_index = node_index(right.name);
  if (left_index != right_index) return left_index > right_index;
  if (left.name != right.name) return left.name > right.name;
  return left.machine_id > right.machine_id;
}

}  // namespace

const char* to_string(NodeAction action) {
  switch (action) {
    case NodeAction::kCreate: return "create";
    case NodeAction::kReplace: return "replace";
    case NodeAction::kDelete: return "delete";
    case NodeAction::kKeep: return "keep";
    case NodeAction::kRefuse: return "refuse";
  }
  return "keep";
}

int node_index(std::string_view name) {
  const std::size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == name.size()) return -1;
  int index = 0;
  for (std::size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || index > kLargestIndex) return -1;
    index = index * 10 + (name[i] - '0');
  }
  return index;
}

DesiredNode desired_node(const render::NodeRender& node) {
  return DesiredNode{.name = node.node.name,
                     .pool = node.node.pool,
                     .role = node.node.role,
                     .config_digest = node.ignition_sha256,
                     .boot_digest = node.boot_digest};
}

std::vector<DesiredNode> desired_nodes(const render::ClusterRender& render) {
  std::vector<DesiredNode> nodes;
  nodes.reserve(render.nodes.size());
  for (const render::NodeRender& node : render.nodes) nodes.push_back(desired_node(node));
  return nodes;
}

NodePolicy policy_for(const model::Cluster& cluster, bool drain_before_delete) {
  return NodePolicy{.max_unavailable = cluster.upgrade.max_unavailable,
                    .machines_replaceable = cluster.makes_machines(),
                    .drain_before_delete = drain_before_delete};
}

bool boots_as_rendered(const RecordedBoot& machine, const DesiredNode& node, std::string* why) {
  // The same full config boots the same; only a differing one costs the boot digest's render.
  if (machine.config_digest == node.config_digest) return true;
  if (machine.from_earlier_render_epoch) {
    if (why != nullptr) {
      *why = "made by an earlier nkd release whose own first-boot content differs; kept";
    }
    return true;
  }
  if (machine.boot_digest.empty() || node.boot_digest.empty()) return false;
  if (machine.boot_digest.get() != node.boot_digest.get()) return false;
  if (why != nullptr) *why = "only versions housekeeper upgrades in place changed";
  return true;
}

std::vector<const NodeDecision*> NodePlan::of(NodeAction action) const {
  std::vector<const NodeDecision*> found;
  for (const NodeDecision& decision : decisions) {
    if (decision.action == action) found.push_back(&decision);
  }
  return found;
}

std::vector<std::vector<const NodeDecision*>> NodePlan::replace_batches() const {
  std::vector<std::vector<const NodeDecision*>> batches;
  for (const NodeDecision* decision : of(NodeAction::kReplace)) {
    if (static_cast<std::size_t>(decision->batch) >= batches.size()) batches.resize(decision->batch + 1);
    batches[decision->batch].push_back(decision);
  }
  return batches;
}

NodePlan plan_nodes(const std::vector<DesiredNode>& desired,
                    const std::vector<ObservedMachine>& observed, const NodePolicy& policy) {
  std::set<std::string> wanted;
  for (const DesiredNode& node : desired) wanted.insert(node.name);
  std::map<std::string, std::vector<const ObservedMachine*>> healthy;  // by name
  for (const ObservedMachine& machine : observed) {
    if (!machine.failed) healthy[machine.name].push_back(&machine);
  }
  std::vector<NodeDecision> creates, replaces, deletes, refusals, keeps;
  const int batch_size = std::max(1, policy.max_unavailable);
  for (const DesiredNode& node : desired) {
    const auto found = healthy.find(node.name);
    if (found == healthy.end()) {
      creates.push_back(decide_for(NodeAction::kCreate, node, nullptr));
      continue;
    }
    for (const ObservedMachine* machine : found->second) {
      std::string why;
      if (!machine->recorded || boots_as_rendered(*machine->recorded, node, &why)) {
        NodeDecision keep = decide_for(NodeAction::kKeep, node, machine);
        keep.reason = std::move(why);
        keeps.push_back(std::move(keep));
      } else if (node.role == model::PoolRole::kControlPlane || !policy.machines_replaceable) {
        NodeDecision refuse = decide_for(NodeAction::kRefuse, node, machine);
        refuse.reason = refusal_reason(node, policy);
        refusals.push_back(std::move(refuse));
      } else {
        NodeDecision replace = decide_for(NodeAction::kReplace, node, machine);
        replace.batch = static_cast<int>(replaces.size()) / batch_size;
        replace.drain = policy.drain_before_delete;
        replaces.push_back(std::move(replace));
      }
    }
  }
  for (const ObservedMachine& machine : observed) {
    if (wanted.contains(machine.name)) continue;
    deletes.push_back(NodeDecision{.action = NodeAction::kDelete,
                                   .name = machine.name,
                                   .pool = machine.pool,
                                   .role = machine.role,
                                   .machine_id = machine.id,
                                   .drain = policy.drain_before_delete});
  }
  std::stable_sort(deletes.begin(), deletes.end(), deletes_before);
  NodePlan plan;
  for (auto* group : {&creates, &replaces, &deletes, &refusals, &keeps}) {
    plan.decisions.insert(plan.decisions.end(), std::make_move_iterator(group->begin()),
                          std::make_move_iterator(group->end()));
  }
  return plan;
}

const render::NodeRender& rendered_node(const render::ClusterRender& render,
                                        const std::string& name) {
  const auto found =
      std::find_if(render.nodes.begin(), render.nodes.end(),
                   [&](const render::NodeRender& node) { return node.node.name == name; });
  if (found == render.nodes.end()) throw std::logic_error("planner named an unknown node " + name);
  return *found;
}

Error control_plane_refusal(const std::string& cluster,
                            const std::vector<const NodeDecision*>& refused,
                            std::string_view machine) {
  std::string names;
  for (const NodeDecision* decision : refused) {
    names += (names.empty() ? "" : ", ") + decision->name;
  }
  const std::string word(machine);
  return Error{ErrorCode::kConflict,
               "cluster " + cluster + ": control-plane node(s) " + names +
                   " were built from an earlier first-boot config (Ignition runs only at first "
                   "boot) and nkd does not replace control-plane " +
                   word +
                   "s itself, since a new one would re-initialise or split the cluster's etcd; "
                   "workers were replaced. Revert the first-boot change for the control-plane "
                   "pool, or replace the node by hand (remove its etcd member, then delete its " +
                   word + "; nkd makes it anew)"}
      .with_retry(Retry::stalled());
}

}  // namespace nkd::plan
