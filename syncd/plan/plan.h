// The Planner (DESIGN.md §1): compares what a cluster is (its base render, or what a running
// daemon reports) with what a commit would make it (the head render) and yields the ordered
// actions a merge would cause: nodes to create, replace (with the first-boot inputs that force
// it) and delete, in-place upgrades housekeeper rolls out, and housekeeper manifest changes. On
// OpenStack each node comes and goes with its Neutron port (named after the node), and a virtual
// IP is reserved with a port of its own (<cluster>-vip), so both show too.
//
// Pure: renders in, plan out. Both renders must come from the same cluster PKI, so that only real
// changes show. Ignition runs only at first boot, so a node whose config changed is replaced,
// unless the change is one housekeeper applies in place (OS version or image, Kubernetes
// version): the caller passes the head rendered once more with the base's versions, and a node
// is replaced only when that render still differs from the base.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "render/model/cluster.h"
#include "render/render.h"
#include "syncd/plan/ignition_review.h"

namespace nkd::plan {

enum class ClusterChange { kAdded, kRemoved, kChanged, kUnchanged };
enum class NodeAction { kCreate, kReplace, kDelete };

[[nodiscard]] const char* to_string(ClusterChange change);
[[nodiscard]] const char* to_string(NodeAction action);

struct NodeStep {
  NodeAction action = NodeAction::kCreate;
  std::string name;
  std::string pool;
  std::string role;                  // "control-plane" | "worker" ("" when only the daemon knows it)
  std::vector<std::string> reasons;  // kReplace: the first-boot inputs that changed
  // OpenStack: the Neutron port made before the node's server (create, replace) or deleted after
  // it (delete, replace); named after the node. "" on other platforms.
  std::string port;
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
  std::string diff;       // unified diff of the review form (ignition_review.h)
};

struct ClusterPlan {
  std::string name;
  ClusterChange change = ClusterChange::kUnchanged;
  std::string base_digest;
  std::string head_digest;
  std::vector<NodeStep> nodes;  // in the order they would run: replace, create, delete
  std::vector<VersionChange> upgrades;
  std::optional<Rollout> rollout;
  std::vector<ManifestChange> manifests;
  std::vector<NodeDiff> node_diffs;
  std::optional<VirtualIpChange> virtual_ip;
  std::vector<std::string> notes;
  // The head's spec.maintenance windows are closed at the plan's time and the plan replaces,
  // deletes or upgrades nodes: the daemon holds those (phase WaitingForWindow).
  bool waits_for_window = false;

  [[nodiscard]] std::size_t count(NodeAction action) const;
};

struct Plan {
  std::string base_revision;
  std::string head_revision;
  std::vector<ClusterPlan> clusters;  // by name
  [[nodiscard]] bool has_changes() const;
};

// One cluster's inputs. A side that is absent (cluster added or removed) has no model or render.
struct ClusterInputs {
  std::string name;
  const model::Cluster* base = nullptr;
  const render::ClusterRender* base_render = nullptr;
  const model::Cluster* head = nullptr;
  const render::ClusterRender* head_render = nullptr;
  // The head rendered with the base's OS and Kubernetes versions (see above); null when the
  // versions did not change or a side is absent.
  const render::ClusterRender* head_at_base_versions = nullptr;
  // Nodes that exist now, as a running daemon reports them; unset: those of the base render.
  std::optional<std::set<std::string>> actual_nodes;
  const SecretRedactor* redactor = nullptr;  // required when both sides are present
  // When the plan is made (Unix ms), to say whether the head's maintenance windows are open;
  // 0: unknown, the windows are named but not judged.
  std::int64_t now_unix_ms = 0;
};

[[nodiscard]] ClusterPlan plan_cluster(const ClusterInputs& inputs);

// The head cluster with the base's OS and Kubernetes versions: what to render for
// ClusterInputs::head_at_base_versions. nullopt when the versions are equal.
[[nodiscard]] std::optional<model::Cluster> with_base_versions(const model::Cluster& base,
                                                               const model::Cluster& head);

}  // namespace nkd::plan
