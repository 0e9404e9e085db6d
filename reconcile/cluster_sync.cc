#include "reconcile/cluster_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "common/crypto.h"
#include "providers/kube/bootstrap_token.h"
#include "render/housekeeper/housekeeper.h"
#include "render/housekeeper/nkd_access.h"
#include "state/cluster_pki_store.h"

namespace nkd::reconcile {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

std::string minutes(std::int64_t ms) {
  return ms % 60'000 == 0 ? std::to_string(ms / 60'000) + "m" : std::to_string(ms / 1000) + "s";
}

// Changes whenever any manifest in `folder` does, and only then.
std::string manifests_digest(const render::ClusterRender& render, std::string_view folder) {
  std::string listing;
  for (const render::Artifact* artifact : kube::manifests_in(render.artifacts, folder)) {
    listing += artifact->path + " " + artifact->sha256 + "\n";
  }
  return sha256_hex(listing);
}

std::map<std::string, ClusterNodeStatus> node_statuses(const render::ClusterRender& render,
                                                       const kube::ReadinessReport& readiness) {
  std::map<std::string, ClusterNodeStatus> statuses;
  for (const render::NodeRender& node : render.nodes)
    statuses[node.node.name].state = state::NodeState::kRegistering;
  for (const kube::NodeInfo& node : readiness.nodes) {
    auto found = statuses.find(node.name);
    if (found == statuses.end()) continue;  // in the cluster, not nkd's (or already leaving)
    found->second = ClusterNodeStatus{
        .state = node.ready ? state::NodeState::kReady : state::NodeState::kNotReady,
        .kubelet_version = node.kubelet_version,
        .os_image = node.os_image};
  }
  return statuses;
}

std::string readiness_message(const kube::ReadinessReport& readiness, std::size_t expected) {
  if (readiness.access_refused) {
    return "the API refuses nkd: waiting for the first control-plane node's bring-up unit to "
           "install nkd's access (nkd-bring-up.service; ClusterRole nkd:controller)";
  }
  if (!readiness.api_ready) return "waiting for the API server to answer /readyz";
  std::string message = "waiting for nodes: " +
                        std::to_string(expected - readiness.missing.size() - readiness.not_ready.size()) +
                        "/" + std::to_string(expected) + " Ready";
  if (!readiness.missing.empty()) message += "; not registered: " + join(readiness.missing);
  if (!readiness.not_ready.empty()) message += "; not Ready: " + join(readiness.not_ready);
  return message;
}

}  // namespace

state::ClusterPhase phase_of(ClusterStage stage) {
  using state::ClusterPhase;
  switch (stage) {
    case ClusterStage::kWaitingForCluster:
      return ClusterPhase::kWaitingForCluster;
    case ClusterStage::kUpgrading:
      return ClusterPhase::kUpgrading;
    case ClusterStage::kReady:
      return ClusterPhase::kReady;
    case ClusterStage::kFailed:
      return ClusterPhase::kFailed;
    case ClusterStage::kWaitingForWindow:
      return ClusterPhase::kWaitingForWindow;
  }
  return ClusterPhase::kFailed;
}

ClusterSync::ClusterSync(ClusterSyncStores stores, HttpClient& http, const Clock& clock,
                         metrics::Metrics* metrics, ClusterSyncOptions options)
    : pki_(stores.pki),
      records_(stores.records),
      http_(http),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      identities_(clock) {}

Result<kube::KubeEndpoint> ClusterSync::endpoint(const model::Cluster& cluster, bool as_admin) {
  NKD_ASSIGN_OR_RETURN(auto pki, state::load_stored_pki(pki_, cluster.name));
  if (!pki.has_value()) {
    return Error{ErrorCode::kNotFound, "no PKI is stored for cluster " + cluster.name +
                                           "; it is made at its first render"};
  }
  NKD_ASSIGN_OR_RETURN_WRAP(
      auto identity,
      as_admin ? pki::issue_client_cert(*pki, kAccessInstallerName, "system:masters",
                                        kAccessInstallerSeconds, clock_.now_unix_ms() / 1000)
               : identities_.identity_for(cluster.name, *pki),
      "minting nkd's client certificate for " + cluster.name);
  const auto api_server = options_.api_servers.find(cluster.name);
  return kube::endpoint_for(cluster, *pki, identity,
                            api_server == options_.api_servers.end() ? "" : api_server->second);
}

kube::ClusterState ClusterSync::cluster_state(kube::KubeClient& client) const {
  return kube::ClusterState(client, kube::ClusterStateOptions{.poll_interval_ms = options_.poll_interval_ms});
}

ClusterSync::Memory ClusterSync::memory_for(const std::string& cluster,
                                            const std::string& render_digest) {
  std::lock_guard lock(mutex_);
  Memory& memory = memory_[cluster];
  if (memory.render_digest != render_digest) {
    // A new render restarts the clocks; what the cluster holds stays known.
    memory = Memory{.render_digest = render_digest,
                    .housekeeper_digest = memory.housekeeper_digest,
                    .network_digest = memory.network_digest,
                    .access_digest = memory.access_digest,
                    .was_ready = memory.was_ready};
  }
  return memory;
}

void ClusterSync::remember(const std::string& cluster, const Memory& memory) {
  std::lock_guard lock(mutex_);
  memory_[cluster] = memory;
}

void ClusterSync::forget(const std::string& cluster) {
  {
    std::lock_guard lock(mutex_);
    memory_.erase(cluster);
  }
  identities_.forget(cluster);
}

Result<ClusterSyncReport> ClusterSync::step(const model::Cluster& cluster,
                                            const render::ClusterRender& render,
                                            bool may_disturb) {
  NKD_ASSIGN_OR_RETURN(auto address, endpoint(cluster));
  kube::KubeClient client(http_, std::move(address), clock_, metrics_, options_.client);
  kube::ClusterState state = cluster_state(client);
  Memory memory = memory_for(cluster.name, render.digest);
  std::vector<std::string> expected;
  for (const render::NodeRender& node : render.nodes) expected.push_back(node.node.name);

  // One look (the deadline is now): the reconciler comes back while the cluster is not ready.
  auto readiness = state.wait_ready(expected, clock_.steady_now());
  if (!readiness && readiness.error().code == ErrorCode::kPermissionDenied) {
    NKD_RETURN_IF_ERROR(install_access(cluster, render, memory));
    readiness = state.wait_ready(expected, clock_.steady_now());
  }
  if (!readiness && readiness.error().code == ErrorCode::kPermissionDenied && !memory.was_ready) {
    // A cluster coming up refuses nkd until its first control-plane node has installed nkd's
    // access: the API answers, so that is waited for like the nodes.
    readiness = kube::ReadinessReport{.api_ready = false, .access_refused = true};
  }
  if (!readiness) return readiness.error().wrap("reaching cluster " + cluster.name);
  ClusterSyncReport report{.nodes = node_statuses(render, *readiness)};
  auto network = install_network(cluster, render, *readiness, state, memory);
  if (!network) return wait_or_fail(cluster.name, network.error(), memory, std::move(report));
  const std::int64_t now = clock_.now_unix_ms();
  if (!readiness->ready) {
    if (memory.not_ready_since_ms == 0) memory.not_ready_since_ms = now;
    report.message = readiness_message(*readiness, expected.size());
    if (!network->empty()) report.message += "; " + *network;
    if (now - memory.not_ready_since_ms >= options_.ready_timeout_ms) {
      report.stage = ClusterStage::kFailed;
      report.message = "cluster not ready after " + minutes(options_.ready_timeout_ms) + ": " +
                       report.message + "; check those machines' consoles and kubelet logs";
    }
    remember(cluster.name, memory);
    return report;
  }
  memory.not_ready_since_ms = 0;
  memory.was_ready = true;
  auto housekept = housekeeping(cluster, render, state, memory);
  if (!housekept) return wait_or_fail(cluster.name, housekept.error(), memory, std::move(report));
  housekept->nodes = std::move(report.nodes);
  report = std::move(*housekept);
  if (Status labelled = label_control_plane(render, *readiness, client); !labelled) {
    return wait_or_fail(cluster.name, labelled.error(), memory, std::move(report));
  }
  auto rollout = state.observe_rollout(kube::DesiredVersions{.kubelet_version = cluster.kubernetes.version,
                                                             .os_version = cluster.os.version});
  if (!rollout) {
    return wait_or_fail(cluster.name, rollout.error().wrap("following the rollout of " + cluster.name),
                        memory, std::move(report));
  }
  bool held = false;
  auto requested = request_upgrade(cluster, *rollout, client, may_disturb, held);
  if (!requested) return wait_or_fail(cluster.name, requested.error(), memory, std::move(report));
  if (!requested->empty()) report.message = *requested;
  memory.unavailable_since_ms = 0;
  if (held) {
    // Nothing rolls out, so nothing can stall: the stall clock starts with the upgrade.
    report.stage = ClusterStage::kWaitingForWindow;
    memory.rollout_signature.clear();
    memory.rollout_moved_at_ms = 0;
    memory.upgrading_since_ms.clear();
    remember(cluster.name, memory);
    return report;
  }
  follow_rollout(cluster, *rollout, memory, report);
  remember(cluster.name, memory);
  return report;
}

Result<ClusterSyncReport> ClusterSync::wait_or_fail(const std::string& cluster, Error error,
                                                    Memory& memory, ClusterSyncReport report) {
  if (error.code != ErrorCode::kUnavailable && error.code != ErrorCode::kTimeout) {
    remember(cluster, memory);
    return error;
  }
  const std::int64_t now = clock_.now_unix_ms();
  if (memory.unavailable_since_ms == 0) memory.unavailable_since_ms = now;
  const bool too_long = now - memory.unavailable_since_ms >= options_.ready_timeout_ms;
  report.stage = too_long ? ClusterStage::kFailed : ClusterStage::kWaitingForCluster;
  report.message = "cluster API stopped answering: " + error.message +
                   (too_long ? "; for over " + minutes(options_.ready_timeout_ms)
                             : "; looking again shortly");
  remember(cluster, memory);
  return report;
}

Status ClusterSync::install_access(const model::Cluster& cluster,
                                   const render::ClusterRender& render, Memory& memory) {
  const std::string digest = manifests_digest(render, render::kAccessManifests);
  if (memory.access_digest == digest) {
    return Error{ErrorCode::kPermissionDenied,
                 "cluster " + cluster.name + " refuses nkd although nkd installed its access "
                 "(ClusterRole " + housekeeper::kNkdClusterRole + ", group " +
                 housekeeper::kNkdGroup + ") for this render; someone changed or removed it: "
                 "check `kubectl get clusterrolebinding " + housekeeper::kNkdClusterRole + " -o yaml`"};
  }
  NKD_ASSIGN_OR_RETURN(auto address, endpoint(cluster, /*as_admin=*/true));
  kube::KubeClient admin(http_, std::move(address), clock_, metrics_, options_.client);
  // Once per change of the objects nkd manages (a new pool architecture, a new release of the
  // network plugin), or for a cluster made before nkd had an identity of its own.
  spdlog::warn("cluster {}: the API refuses nkd; installing nkd's access (ClusterRole {}) with a "
               "{}-second cluster-admin certificate, as the first control-plane node does at "
               "bring-up", cluster.name, housekeeper::kNkdClusterRole, kAccessInstallerSeconds);
  for (const render::Artifact* artifact : kube::manifests_in(render.artifacts, render::kAccessManifests)) {
    if (auto applied = admin.apply(artifact->content); !applied) {
      return applied.error().wrap("installing nkd's access in cluster " + cluster.name);
    }
  }
  memory.access_digest = digest;
  return ok_status();
}

Result<std::string> ClusterSync::install_network(const model::Cluster& cluster,
                                                 const render::ClusterRender& render,
                                                 const kube::ReadinessReport& readiness,
                                                 kube::ClusterState& state, Memory& memory) {
  const std::string digest = manifests_digest(render, render::kNetworkManifests);
  if (!readiness.api_ready || memory.network_digest == digest) return std::string();
  const auto deadline = clock_.steady_now() +
                        std::chrono::milliseconds(options_.establish_timeout_ms);
  Status applied = state.apply_manifests(render.artifacts, render::kNetworkManifests, deadline);
  if (!applied && applied.error().code == ErrorCode::kPermissionDenied) {
    NKD_RETURN_IF_ERROR(install_access(cluster, render, memory));
    applied = state.apply_manifests(render.artifacts, render::kNetworkManifests, deadline);
  }
  if (!applied) {
    if (applied.error().code == ErrorCode::kPermissionDenied && !readiness.ready) {
      return std::string("nkd may not apply the network plugin yet: the first control-plane node "
                         "installs nkd's access with the plugin once its API answers");
    }
    return applied.error().wrap("applying the network plugin to " + cluster.name);
  }
  memory.network_digest = digest;
  return std::string("network plugin applied");
}

Result<ClusterSyncReport> ClusterSync::housekeeping(const model::Cluster& cluster,
                                                    const render::ClusterRender& render,
                                                    kube::ClusterState& state, Memory& memory) {
  ClusterSyncReport report{.stage = ClusterStage::kReady};
  const std::string digest = manifests_digest(render, render::kHousekeeperManifests);
  if (memory.housekeeper_digest != digest) {
    const auto deadline = clock_.steady_now() +
                          std::chrono::milliseconds(options_.establish_timeout_ms);
    Status applied = state.apply_manifests(render.artifacts, render::kHousekeeperManifests, deadline);
    if (!applied && applied.error().code == ErrorCode::kPermissionDenied) {
      if (Status installed = install_access(cluster, render, memory); !installed) {
        return installed.error();
      }
      applied = state.apply_manifests(render.artifacts, render::kHousekeeperManifests, deadline);
    }
    if (!applied) {
      return applied.error().wrap("applying the housekeeper manifests to " + cluster.name);
    }
    memory.housekeeper_digest = digest;
    report.message = "housekeeper manifests applied";
    return report;
  }
  const bool correct = cluster.drift_policy == model::DriftPolicy::kCorrect;
  NKD_ASSIGN_OR_RETURN_WRAP(
      auto drift,
      correct ? state.correct_drift(render.artifacts) : state.detect_drift(render.artifacts),
      "checking " + cluster.name + " for drift");
  report.drifted_objects = static_cast<int>(drift.size());
  std::vector<std::string> found;
  for (const kube::DriftItem& item : drift) {
    found.push_back(item.object.kind + "/" + item.object.name +
                    (item.field.empty() ? " (" + item.reason + ")" : " " + item.field));
  }
  if (!found.empty()) {
    report.message = std::string(correct ? "corrected drift: " : "drift (driftPolicy: report): ") +
                     join(found);
    spdlog::warn("cluster {}: {}", cluster.name, report.message);
  }
  return report;
}

Status ClusterSync::label_control_plane(const render::ClusterRender& render,
                                        const kube::ReadinessReport& readiness,
                                        kube::KubeClient& client) const {
  for (const render::NodeRender& node : render.nodes) {
    if (node.node.role != model::PoolRole::kControlPlane) continue;
    const auto found = std::find_if(readiness.nodes.begin(), readiness.nodes.end(),
                                    [&](const kube::NodeInfo& info) { return info.name == node.node.name; });
    if (found == readiness.nodes.end() || found->labels.contains(kube::kMasterLabel)) continue;
    if (Status labelled = client.label_node(node.node.name, kube::kMasterLabel, ""); !labelled) {
      return labelled.error().wrap("labelling control-plane node " + node.node.name +
                                   " for housekeeper's operator");
    }
  }
  return ok_status();
}

Result<std::string> ClusterSync::request_upgrade(const model::Cluster& cluster,
                                                 const kube::RolloutStatus& rollout,
                                                 kube::KubeClient& client, bool may_apply,
                                                 bool& held) const {
  const kube::ObjectRef ref{.api_version = "housekeeper.io/v1alpha1", .kind = "Update",
                            .namespace_name = housekeeper::kNamespace,
                            .name = housekeeper::kUpdateName};
  NKD_ASSIGN_OR_RETURN_WRAP(auto live, client.get(ref), "reading the Update of " + cluster.name);
  // A cluster at its versions gets no Update: housekeeper would rebase every node to the image
  // it already runs (no stamp exists yet) and reboot it.
  if (!live.has_value() && !rollout.needs_os && !rollout.needs_kubernetes) return std::string();
  // kubeVersion only while Kubernetes changes: housekeeper checks the Kubernetes stamp instead
  // of the OS one whenever it is set, so an OS-only upgrade must leave it empty. An Update that
  // already asks for this version keeps it until the rollout is over, and drops it for a later
  // OS-only upgrade (the Kubernetes stamps exist by then: every node would be skipped).
  const bool asked = live.has_value() &&
                     (*live).value("spec", nlohmann::json::object()).value("kubeVersion", "") ==
                         cluster.kubernetes.version;
  const bool upgrade_kubernetes = rollout.needs_kubernetes || (asked && !rollout.needs_os);
  const std::string yaml = housekeeper::update_yaml(cluster, upgrade_kubernetes);
  NKD_ASSIGN_OR_RETURN(auto desired, kube::yaml_to_json(yaml));
  if (live.has_value() &&
      kube::first_difference((desired)["spec"], (*live).value("spec", nlohmann::json::object()))
          .empty()) {
    return std::string();
  }
  const std::string scope = !upgrade_kubernetes ? "the OS only (kubeVersion empty)"
                            : rollout.needs_os   ? "the OS and Kubernetes " + cluster.kubernetes.version
                                                 : "Kubernetes " + cluster.kubernetes.version;
  if (!may_apply) {
    held = true;
    return "the upgrade of " + scope + " waits for a maintenance window";
  }
  if (auto applied = client.apply(yaml); !applied) {
    return applied.error().wrap("asking housekeeper to upgrade " + cluster.name);
  }
  spdlog::info("cluster {}: Update {} asks housekeeper to upgrade {}", cluster.name,
               housekeeper::kUpdateName, scope);
  return "Update " + std::string(housekeeper::kUpdateName) + " applied: upgrading " + scope;
}

void ClusterSync::follow_rollout(const model::Cluster& cluster, const kube::RolloutStatus& rollout,
                                 Memory& memory, ClusterSyncReport& report) const {
  const std::int64_t now = clock_.now_unix_ms();
  std::string signature;
  std::vector<std::string> upgrading;
  for (const kube::NodeRollout& node : rollout.nodes) {
    signature += node.name + "=" + kube::to_string(node.state) + ";";
    auto status = report.nodes.find(node.name);
    if (node.state == kube::NodeUpgradeState::kPending ||
        node.state == kube::NodeUpgradeState::kUpgrading) {
      memory.started_nodes.insert(node.name);
    }
    if (node.state == kube::NodeUpgradeState::kUpgrading) {
      upgrading.push_back(node.name);
      if (status != report.nodes.end()) status->second.state = state::NodeState::kUpgrading;
      memory.upgrading_since_ms.try_emplace(node.name, now);
    } else {
      memory.upgrading_since_ms.erase(node.name);
    }
  }
  if (rollout.complete) {
    memory.rollout_signature.clear();
    memory.rollout_moved_at_ms = 0;
    return;
  }
  if (signature != memory.rollout_signature) {
    memory.rollout_signature = signature;
    memory.rollout_moved_at_ms = now;
  }
  const int done = rollout.count(kube::NodeUpgradeState::kUpgraded);
  report.stage = ClusterStage::kUpgrading;
  const std::string progress = "rollout: " + std::to_string(done) + "/" +
                               std::to_string(rollout.nodes.size()) + " nodes upgraded" +
                               (upgrading.empty() ? "" : "; upgrading: " + join(upgrading));
  report.message = report.message.empty() ? progress : report.message + "; " + progress;
  for (const kube::NodeRollout& node : rollout.nodes) {
    // A label left from the previous rollout (the operator clears them only once every node has
    // one) is not housekeeper's answer to this request.
    if (node.state != kube::NodeUpgradeState::kSkipped || !memory.started_nodes.contains(node.name)) {
      continue;
    }
    report.stage = ClusterStage::kFailed;
    report.message =
        "housekeeper marked node " + node.name + " upgradeCompleted but it runs kubelet " +
        node.kubelet_version + ", OS \"" + node.os_image + "\" (wanted " +
        cluster.kubernetes.version + ", OS " + cluster.os.version +
        "): housekeeper skips a node whose stamp for the request exists (/var/nkd/os/<image "
        "tag>.stamp, or /var/nkd/kube/<version>.stamp when kubeVersion is set) and upgrades "
        "Kubernetes only together with an OS image it has not applied yet; check os.version "
        "against the image's name and those stamps on " + node.name;
    return;
  }
  for (const auto& [node, since] : memory.upgrading_since_ms) {
    if (now - since >= options_.rollout_stall_ms) {
      report.stage = ClusterStage::kFailed;
      report.message = "rollout stalled: node " + node + " has been upgrading for over " +
                       minutes(options_.rollout_stall_ms) + " (" + std::to_string(done) + "/" +
                       std::to_string(rollout.nodes.size()) +
                       " upgraded); check housekeeper-daemon on " + node;
      return;
    }
  }
  if (now - memory.rollout_moved_at_ms >= options_.rollout_stall_ms) {
    std::string waiting;
    for (const kube::NodeRollout& node : rollout.nodes) {
      if (node.state != kube::NodeUpgradeState::kUpgraded) {
        waiting = node.name;
        break;
      }
    }
    report.stage = ClusterStage::kFailed;
    report.message = "rollout stalled: no node moved for " + minutes(options_.rollout_stall_ms) +
                     "; node " + waiting + " is next and has not started; check the "
                     "housekeeper-operator-manager logs";
  }
}

Status ClusterSync::drain(const model::Cluster& cluster, const std::string& node) {
  NKD_ASSIGN_OR_RETURN(auto address, endpoint(cluster));
  kube::KubeClient client(http_, std::move(address), clock_, metrics_, options_.client);
  kube::ClusterState state = cluster_state(client);
  spdlog::info("cluster {}: draining node {} before its machine is deleted", cluster.name, node);
  Status drained = state.drain(node, std::chrono::seconds(cluster.upgrade.drain_timeout_seconds));
  if (drained || (drained.error().code != ErrorCode::kUnavailable &&
                  drained.error().code != ErrorCode::kTimeout)) {
    return drained;
  }
  // A cluster that has never been ready (say, its first-boot config kept its API server from
  // starting) has no workloads to protect, and its machines must stay replaceable, or the fix
  // in Git could never land. One that has been ready waits for its API instead.
  auto record = records_.get_cluster(cluster.name);
  const bool ever_ready = !record || (record->has_value() && !(*record)->cluster_revision.empty());
  if (ever_ready) return drained;
  spdlog::warn("cluster {} has never been ready and its API does not answer ({}); node {} goes "
               "without a drain", cluster.name, drained.error().message, node);
  return ok_status();
}

Status ClusterSync::publish_join_token(const model::Cluster& cluster, const pki::ClusterPki& pki,
                                       std::int64_t expires_unix) {
  NKD_ASSIGN_OR_RETURN(auto address, endpoint(cluster));
  kube::KubeClient client(http_, std::move(address), clock_, metrics_, options_.client);
  NKD_ASSIGN_OR_RETURN_WRAP(auto applied,
                            client.apply(kube::bootstrap_token_secret_yaml(pki, expires_unix)),
                            "creating a bootstrap token in cluster " + cluster.name);
  spdlog::info("cluster {}: bootstrap token {} created for nodes that still join", cluster.name,
               pki.bootstrap_token_id);
  return ok_status();
}

}  // namespace nkd::reconcile
