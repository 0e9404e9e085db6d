// The node planner (DESIGN.md §1, "Planner"): the one place that decides which machines to
// create, replace, delete, keep or refuse to touch, for `nkd plan` and for every provider.
//
// Pure: rendered nodes, observed machines and a policy in, ordered decisions out. No I/O, no
// clock; the only cost is a node's boot digest (a second render of its config), asked for only
// when its full config digest differs from the one its machine was built from.
//
// The rules, each chosen once here:
// - Create: a desired node with no healthy machine (a failed one is made again by the create).
// - First boot: Ignition runs only at a machine's first boot, so a machine whose recorded boot
//   digest (its config with the versions housekeeper upgrades in place pinned, render.h) differs
//   from the render's must be replaced to take the change; one whose boot digest matches keeps
//   its machine even when the full config differs (an OS or Kubernetes version change, which
//   housekeeper applies in place). A machine made before boot digests existed is compared by its
//   full config digest; one made by an earlier render epoch (nkd's own first-boot content changed,
//   not the definition) is kept; one with nothing recorded is kept (nothing says it is stale).
// - Replace: only workers, in render order, in batches of maxUnavailable (at least 1); a batch
//   starts when the one before has finished; each machine is drained before it goes.
// - Refuse: a stale control-plane machine is never replaced (a new first control-plane node
//   would run `kubeadm init` and start an empty cluster; any other would join an etcd that still
//   counts the old member, so a second replacement loses quorum). A platform whose machines nkd
//   does not own (bare metal) refuses every replacement: the new config is published and the
//   machine boots it only when reinstalled.
// - Delete (scale-down, prune): machines no desired node names, workers before control-plane
//   machines (a machine of unknown role counts as control plane, so it goes last), within each
//   the highest index first, then names in reverse order; each drained first when the policy
//   says so. The control plane keeps its quorum as long as possible and the lowest indexes, which
//   include the node that ran `kubeadm init`, stay longest.
//
// Decisions come in the order a provider carries them out: creates (render order), replaces
// (batch by batch), deletes (scale-down order), then refusals and keeps (render order).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"
#include "render/render.h"

namespace nkd::plan {

enum class NodeAction { kCreate, kReplace, kDelete, kKeep, kRefuse };

[[nodiscard]] const char* to_string(NodeAction action);

// The index in a node name "<cluster>-<pool>-<index>" (its trailing "-<digits>"); -1 when the
// name has none or the number is implausibly large.
[[nodiscard]] int node_index(std::string_view name);

// A node the render wants.
struct DesiredNode {
  std::string name;
  std::string pool;
  model::PoolRole role = model::PoolRole::kWorker;
  std::string config_digest;      // SHA-256 of the full config
  render::LazyString boot_digest;  // the config with in-place versions pinned; empty: none
};

[[nodiscard]] DesiredNode desired_node(const render::NodeRender& node);
// Every node of a render, in render order.
[[nodiscard]] std::vector<DesiredNode> desired_nodes(const render::ClusterRender& render);

// What a machine was built from, as its provider recorded it.
struct RecordedBoot {
  std::string config_digest;
  render::LazyString boot_digest;  // empty: made before boot digests (compared by config_digest)
  bool from_earlier_render_epoch = false;
};

// A machine a provider found (or, for `nkd plan`, one the base revision or a daemon says exists).
struct ObservedMachine {
  std::string name;
  std::string id;  // the provider's (a server ID); "" when it has none
  std::string pool;
  std::optional<model::PoolRole> role;  // nullopt: unknown
  bool failed = false;                  // in ERROR: a wanted name is created again
  std::optional<RecordedBoot> recorded;  // nullopt: nothing recorded, never stale
};

struct NodePolicy {
  int max_unavailable = 1;          // upgrade.maxUnavailable; below 1 counts as 1
  bool machines_replaceable = true;  // false: nkd does not own the machines (bare metal)
  bool drain_before_delete = true;   // false: the daemon does not reach the cluster
};

[[nodiscard]] NodePolicy policy_for(const model::Cluster& cluster, bool drain_before_delete);

struct NodeDecision {
  NodeAction action = NodeAction::kKeep;
  std::string name;
  std::string pool;
  std::optional<model::PoolRole> role;
  std::string machine_id;  // the observed machine's id (replace, delete, keep, refuse)
  int batch = -1;          // kReplace: 0, 1, ... in the order batches run; else -1
  bool drain = false;      // kReplace, kDelete: drained before the machine goes
  std::string reason;      // kRefuse: why not; kKeep: why a changed config keeps its machine
};

struct NodePlan {
  std::vector<NodeDecision> decisions;

  [[nodiscard]] std::vector<const NodeDecision*> of(NodeAction action) const;
  // kReplace decisions grouped by batch, in order.
  [[nodiscard]] std::vector<std::vector<const NodeDecision*>> replace_batches() const;
};

// The render of the node a decision names; the planner names only rendered nodes, so a name it
// does not know is a programming error (std::logic_error).
[[nodiscard]] const render::NodeRender& rendered_node(const render::ClusterRender& render,
                                                      const std::string& name);

// The error an apply ends with when the plan refused control-plane nodes (kRefuse): it names
// them and the way out. `machine` is the platform's word for one ("server", "domain"). Stalled:
// only a change in Git lifts the refusal, so retrying sooner would refuse the same again.
[[nodiscard]] Error control_plane_refusal(const std::string& cluster,
                                          const std::vector<const NodeDecision*>& refused,
                                          std::string_view machine);

[[nodiscard]] NodePlan plan_nodes(const std::vector<DesiredNode>& desired,
                                  const std::vector<ObservedMachine>& observed,
                                  const NodePolicy& policy);

// True when `machine` can keep serving `node` (see "First boot" above); `why` gets the reason
// when the full configs differ but the machine is kept.
[[nodiscard]] bool boots_as_rendered(const RecordedBoot& machine, const DesiredNode& node,
                                     std::string* why = nullptr);

}  // namespace nkd::plan
