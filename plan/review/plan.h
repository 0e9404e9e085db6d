// `nkd plan`'s view of one cluster (DESIGN.md §1): compares what a cluster is (its base render,
// or what a running daemon reports) with what a commit would make it (the head render) and
// yields what a merge would cause: the node decisions of plan/node_plan.h (the same planner the
// providers carry out: create, replace with the first-boot inputs that force it, delete, and
// refuse with the reason), in-place upgrades housekeeper rolls out, and housekeeper manifest
// changes. On OpenStack each node comes and goes with its Neutron port (named after the node),
// and a virtual IP is reserved with a port of its own (<cluster>-vip), so both show too; on
// libvirt each node comes and goes with its disk and Ignition volumes.
//
// Pure: renders in, plan out. Both renders must come from the same cluster PKI, so that only real
// changes show. The base's nodes count as built from the base's configs; which config changes
// need a new machine is the planner's call (boot digests, render.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/cluster.h"
#include "plan/node_plan.h"
#include "plan/review/ignition_review.h"
#include "render/render.h"

namespace nkd::plan {

enum class ClusterChange { kAdded, kRemoved, kChanged, kUnchanged };

[[nodiscard]] const char* to_string(ClusterChange change);

// One node decision that changes something (kCreate, kReplace, kDelete, kRefuse; kept nodes are
// not listed).
struct NodeStep {
  NodeAction action = NodeAction::kCreate;
  std::string name;
  std::string pool;
  std::string role;                  // "control-plane" | "worker" ("" when only the daemon knows it)
  std::vector<std::string> reasons;  // kReplace, kRefuse: the first-boot inputs that changed
  int batch = -1;                    // kReplace: the maxUnavailable batch, from 0
  std::string refusal;               // kRefuse: why the daemon will not do it
  // OpenStack: the Neutron port made before the node's server (create, replace) or deleted after
  // it (delete, replace); named after the node. "" on other platforms.
  std::string port;
  // libvirt: the node's own volumes (its disk and its Ignition), made before its domain (create,
  // replace) and deleted with it (delete, replace). Empty on other platforms.
  std::vector<std::string> volumes;
};

// What reserves an OpenStack cluster's virtual IP: the port's address, and whether a floating IP
// from the external network is bound to it.
struct VirtualIpPort {
  std::string address;
  bool floating_ip = false;
};

// The virtual IP's port appears, goes, or changes its address or floating IP (OpenStack only:
// elsewhere nothing but the node configs hold a virtual IP, and their diffs show it).
struct VirtualIpChange {
  std::string change;  // "added", "removed", "changed"
  std::string port;    // "<cluster>-vip"
  std::optional<VirtualIpPort> from;  // absent when added
  std::optional<VirtualIpPort> to;    // absent when removed
};

struct VersionChange {
  std::string field;  // "os.version", "os.imageURL", "kubernetes.version"
  std::string from;
  std::string to;
};

// How housekeeper's operator rolls an in-place upgrade (housekeeper-operator's reconcile): each
// pass labels the next control-plane node (by node-role.kubernetes.io/master, which nkd sets)
// and, in the same pass, up to maxUnavailable workers; a pass that has more nodes waiting ends
// after its 3-minute wait, whether or not the nodes it started have finished, and the next
// pass starts. So control-plane nodes start one per pass, alongside workers, not before them.
struct Rollout {
  std::vector<std::string> order;                // the passes, flattened
  std::vector<std::vector<std::string>> passes;  // nodes started together
  int max_unavailable = 1;
  int steps = 0;  // passes.size()
  // The Update nkd applies for it (housekeeper-upgrade), assuming the cluster runs the base's
  // versions: kubeVersion set only when kubernetes.version changes.
  std::string update_yaml;
};

struct ManifestChange {
  std::string path;    // "housekeeper/07-update.yaml"
  std::string change;  // "added", "removed", "changed"
  std::string diff;    // unified diff (changed only)
};

struct NodeDiff {
  std::string name;
  bool replaced = false;  // false: the config changed but housekeeper applies the change in place
  bool refused = false;   // the change needs a new machine the daemon will not make (see nodes)
  std::string diff;       // unified diff of the review form (ignition_review.h)
};

struct ClusterPlan {
  std::string name;
  ClusterChange change = ClusterChange::kUnchanged;
  std::string base_digest;
  std::string head_digest;
  // In the order the daemon carries them out: create, replace (batch by batch), delete; then
  // what it refuses.
  std::vector<NodeStep> nodes;
  std::vector<VersionChange> upgrades;
  std::optional<Rollout> rollout;
  std::vector<ManifestChange> manifests;
  std::vector<NodeDiff> node_diffs;
  std::optional<VirtualIpChange> virtual_ip;
  std::vector<std::string> notes;
  // The head's spec.maintenance windows are closed at the plan's time and the plan replaces,
  // deletes or upgrades nodes: the daemon holds those (phase WaitingForWindow).
  bool waits_for_window = false;
  // The head's rollout wave (metadata.labels.wave; 0 unlabelled, and for a removed cluster).
  int wave = 0;

  [[nodiscard]] std::size_t count(NodeAction action) const;
};

struct Plan {
  std::string base_revision;
  std::string head_revision;
  std::vector<ClusterPlan> clusters;  // by name
  [[nodiscard]] bool has_changes() const;
};

// A node as a running daemon reports it.
struct ActualNode {
  std::string pool;
  std::string role;  // "control-plane" | "worker" | "" (unknown)
};

// One cluster's inputs. A side that is absent (cluster added or removed) has no model or render.
struct ClusterInputs {
  std::string name;
  const model::Cluster* base = nullptr;
  const render::ClusterRender* base_render = nullptr;
  const model::Cluster* head = nullptr;
  const render::ClusterRender* head_render = nullptr;
  // Nodes that exist now, by name, as a running daemon reports them; unset: those of the base
  // render.
  std::optional<std::map<std::string, ActualNode>> actual_nodes;
  const SecretRedactor* redactor = nullptr;  // required when both sides are present
  // When the plan is made (Unix ms), to say whether the head's maintenance windows are open;
  // 0: unknown, the windows are named but not judged.
  std::int64_t now_unix_ms = 0;
};

[[nodiscard]] ClusterPlan plan_cluster(const ClusterInputs& inputs);

// One rollout wave of a plan: the clusters the head adds or changes that carry that wave (the
// daemon's gate, kWaveRule, also counts earlier clusters the head leaves alone); removed
// clusters take part in no wave.
// How the daemon gates the waves, as nkd plan explains it.
inline constexpr std::string_view kWaveRule =
    "each wave starts once every cluster of the earlier waves is done with its newest render "
    "(Ready, or applied where clusterAccess is none); a failed, suspended or unready one stops "
    "the rollout";
struct PlannedWave {
  int wave = 0;
  std::vector<std::string> clusters;  // by name
};
// The plan's waves, lowest first; empty when nothing changes.
[[nodiscard]] std::vector<PlannedWave> rollout_waves(const Plan& plan);

}  // namespace nkd::plan
