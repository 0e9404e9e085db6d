// ClusterState: what nkd needs to know about and do to a running cluster, as short steps over a
// KubeClient (DESIGN.md §1 kube, §3 housekeeper): wait until the API and every expected node are
// Ready, apply the housekeeper manifests (CRD first, then the rest once it is Established), follow
// a housekeeper rollout node by node, drain a node before its machine goes, and find housekeeper
// objects someone changed by hand. Every wait is bounded by a deadline and polls at
// options.poll_interval_ms. Not thread-safe: one reconcile per cluster uses one instance.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "providers/kube/kube_client.h"
#include "render/render.h"

namespace nkd::kube {

using SteadyTime = Clock::TimePoint;

struct ReadinessReport {
  bool api_ready = false;
  bool ready = false;  // API ready and every expected node registered and Ready
  std::vector<NodeInfo> nodes;
  std::vector<std::string> missing;    // expected, not registered
  std::vector<std::string> not_ready;  // registered, not Ready
  bool access_refused = false;  // set by the caller: the API answered 403 (before bring-up)
  // For nkd_cluster_nodes{state}: "ready", "not_ready", "missing".
  [[nodiscard]] std::map<std::string, int> counts_by_state() const;
};

// The versions the definition asks for. A node is at them when its kubeletVersion equals
// kubelet_version (when set) and its osImage (the image's PRETTY_NAME) contains os_version
// (when set).
struct DesiredVersions {
  std::string kubelet_version;  // spec.kubernetes.version, e.g. "v1.29.1"
  std::string os_version;       // spec.os.version
};

// Where a node is in housekeeper's rollout, read from the signals housekeeper itself produces
// (DESIGN.md §3): its operator labels a node upgrade.housekeeper.io/upgrading when it starts it;
// its controller swaps that for upgrade.housekeeper.io/upgradeCompleted when the daemon's stamp
// for the request exists; the operator removes every upgradeCompleted label once all nodes carry
// one. kSkipped: housekeeper finished the node (upgradeCompleted) but it does not run the
// desired versions (its stamp already existed, or the daemon returned early).
enum class NodeUpgradeState { kPending, kUpgrading, kUpgraded, kSkipped };
[[nodiscard]] const char* to_string(NodeUpgradeState state);

struct NodeRollout {
  std::string name;
  bool control_plane = false;
  NodeUpgradeState state = NodeUpgradeState::kPending;
  std::string kubelet_version;
  std::string os_image;
};

struct RolloutStatus {
  std::vector<NodeRollout> nodes;  // control-plane nodes first, then workers, each by name
  bool complete = false;           // every node at the desired versions, none upgrading
  bool needs_os = false;           // some node's osImage lacks the desired OS version
  bool needs_kubernetes = false;   // some node's kubelet is not at the desired version
  [[nodiscard]] int count(NodeUpgradeState state) const;
};

// Pure: the rollout as the node list shows it.
[[nodiscard]] RolloutStatus rollout_status(const std::vector<NodeInfo>& nodes,
                                           const DesiredVersions& desired);

struct DriftItem {
  ObjectRef object;
  std::string field;  // "spec.osVersion"; "" when the object is missing
  std::string reason;
};

struct ClusterStateOptions {
  std::int64_t poll_interval_ms = 5'000;
};

class ClusterState {
 public:
  explicit ClusterState(KubeClient& client, ClusterStateOptions options = {});

  // Polls /readyz, then the node list, until every node in `expected` is registered and Ready or
  // `deadline` passes. Returns the last report either way (ready says which); errors only for
  // failures that waiting cannot cure (refused TLS, forbidden).
  [[nodiscard]] Result<ReadinessReport> wait_ready(const std::vector<std::string>& expected,
                                                   SteadyTime deadline);
  // Applies the artifacts in `folder` (render::kNetworkManifests, kHousekeeperManifests): every
  // CRD first, waits until each is Established, then the rest in path order.
  [[nodiscard]] Status apply_manifests(const std::vector<render::Artifact>& artifacts,
                                       std::string_view folder, SteadyTime deadline);
  [[nodiscard]] Result<RolloutStatus> observe_rollout(const DesiredVersions& desired);
  // Polls the rollout until every node is upgraded. Fails with kTimeout naming the node when one
  // stays upgrading longer than `per_node_timeout`, or naming the nodes left when `deadline`
  // passes.
  [[nodiscard]] Result<RolloutStatus> wait_rollout(const DesiredVersions& desired,
                                                   std::chrono::milliseconds per_node_timeout,
                                                   SteadyTime deadline);
  // Cordon, evict every pod but DaemonSet and mirror pods (PodDisruptionBudget refusals wait),
  // wait until they are gone, then delete the Node object; all within `drain_timeout`.
  [[nodiscard]] Status drain(const std::string& node, std::chrono::milliseconds drain_timeout);
  // Network plugin and housekeeper objects whose applied fields differ from the artifacts (server-added fields are
  // ignored), or that are missing.
  [[nodiscard]] Result<std::vector<DriftItem>> detect_drift(
      const std::vector<render::Artifact>& artifacts);
  // detect_drift, then re-applies each drifted object; returns what was drifted.
  [[nodiscard]] Result<std::vector<DriftItem>> correct_drift(
      const std::vector<render::Artifact>& artifacts);

 private:
  [[nodiscard]] Status wait_established(const std::string& crd_name, SteadyTime deadline);
  [[nodiscard]] Status wait_pods_gone(const std::string& node, SteadyTime deadline);
  void pause();

  KubeClient& client_;
  ClusterStateOptions options_;
};

// The artifacts in `folder`, in path order.
[[nodiscard]] std::vector<const render::Artifact*> manifests_in(
    const std::vector<render::Artifact>& artifacts, std::string_view folder);
// Every object nkd applies to a running cluster, in the order it applies them: the network
// plugin's, then housekeeper's.
[[nodiscard]] std::vector<const render::Artifact*> cluster_manifests(
    const std::vector<render::Artifact>& artifacts);

// The first field of `desired` whose value `live` lacks or differs in ("" when none): maps
// compare key by key, lists element by element (same length), scalars by value.
[[nodiscard]] std::string first_difference(const nlohmann::json& desired,
                                           const nlohmann::json& live, const std::string& at = "");

}  // namespace nkd::kube
