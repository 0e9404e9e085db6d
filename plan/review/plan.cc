#include "plan/review/plan.h"

#include <algorithm>
#include <map>
#include <variant>

#include "common/clock.h"
#include "common/maintenance_window.h"
#include "plan/review/unified_diff.h"
#include "render/housekeeper/housekeeper.h"

namespace nkd::plan {

namespace {

const render::NodeRender* find_node(const render::ClusterRender* render, const std::string& name) {
  if (render == nullptr) return nullptr;
  for (const auto& node : render->nodes) {
    if (node.node.name == name) return &node;
  }
  return nullptr;
}

// On OpenStack every node has a Neutron port named after it, made before its server and
// deleted after it (providers/openstack); on libvirt two volumes named after it, its disk and
// its Ignition (providers/libvirt/node_machines.h).
NodeStep step_for(const NodeDecision& decision, const model::Cluster* platform) {
  const bool touches_machine = decision.action != NodeAction::kRefuse;
  NodeStep step{.action = decision.action,
          .name = decision.name,
          .pool = decision.pool,
          .role = decision.role ? model::to_string(*decision.role) : "",
          .batch = decision.batch,
          .refusal = decision.action == NodeAction::kRefuse ? decision.reason : "",
          .port = platform != nullptr && platform->is_openstack() && touches_machine
                      ? decision.name
                      : ""};
  if (platform != nullptr && platform->is_libvirt() && touches_machine) {
    step.volumes = {decision.name + "-disk", decision.name + "-ignition"};
  }
  return step;
}

std::optional<model::PoolRole> role_named(const std::string& role) {
  if (role == model::to_string(model::PoolRole::kControlPlane)) return model::PoolRole::kControlPlane;
  if (role == model::to_string(model::PoolRole::kWorker)) return model::PoolRole::kWorker;
  return std::nullopt;
}

// The machines that exist: the daemon's nodes, else the base render's. A node the base renders
// counts as built from the base's config; one only the daemon knows has nothing recorded, so the
// planner keeps it.
std::vector<ObservedMachine> observed_machines(const ClusterInputs& inputs) {
  std::vector<ObservedMachine> machines;
  const auto add = [&](const std::string& name, const ActualNode& reported) {
    ObservedMachine machine{.name = name, .pool = reported.pool, .role = role_named(reported.role)};
    if (const render::NodeRender* base = find_node(inputs.base_render, name)) {
      machine.pool = base->node.pool;
      machine.role = base->node.role;
      machine.recorded = RecordedBoot{.config_digest = base->ignition_sha256,
                                      .boot_digest = base->boot_digest};
    }
    machines.push_back(std::move(machine));
  };
  if (inputs.actual_nodes) {
    for (const auto& [name, node] : *inputs.actual_nodes) add(name, node);
  } else if (inputs.base_render != nullptr) {
    for (const auto& node : inputs.base_render->nodes) add(node.node.name, {});
  }
  return machines;
}

// The first-boot inputs that differ between the base's and the head's config of `name`, both
// with the in-place versions pinned, so only what needs a new machine shows.
std::vector<std::string> first_boot_reasons(const ClusterInputs& inputs, const std::string& name) {
  const render::NodeRender* base = find_node(inputs.base_render, name);
  const render::NodeRender* head = find_node(inputs.head_render, name);
  if (base == nullptr || head == nullptr) return {};
  return first_boot_changes(base->boot_ignition.get(), head->boot_ignition.get());
}

std::vector<NodeStep> node_steps(const ClusterInputs& inputs, std::vector<NodeDiff>& diffs) {
  const model::Cluster* policy_source = inputs.head != nullptr ? inputs.head : inputs.base;
  const NodePlan decided =
      plan_nodes(inputs.head_render != nullptr ? desired_nodes(*inputs.head_render)
                                               : std::vector<DesiredNode>{},
                 observed_machines(inputs), policy_for(*policy_source, /*drain_before_delete=*/true));
  // A node goes with the port its platform gave it: the base's, or the head's when only a
  // running daemon knows the node.
  const model::Cluster* delete_platform = inputs.base != nullptr ? inputs.base : inputs.head;
  std::map<std::string, NodeAction> action_of;
  std::vector<NodeStep> steps;
  for (const NodeDecision& decision : decided.decisions) {
    action_of[decision.name] = decision.action;
    if (decision.action == NodeAction::kKeep) continue;
    NodeStep step = step_for(decision, decision.action == NodeAction::kDelete ? delete_platform
                                                                             : inputs.head);
    if (decision.action == NodeAction::kReplace || decision.action == NodeAction::kRefuse) {
      step.reasons = first_boot_reasons(inputs, decision.name);
    }
    steps.push_back(std::move(step));
  }
  if (inputs.head_render == nullptr) return steps;
  for (const auto& head : inputs.head_render->nodes) {
    const render::NodeRender* base = find_node(inputs.base_render, head.node.name);
    if (base == nullptr || base->ignition_sha256 == head.ignition_sha256) continue;
    const auto action = action_of.find(head.node.name);
    if (action == action_of.end() || action->second == NodeAction::kCreate) continue;
    diffs.push_back({.name = head.node.name,
                     .replaced = action->second == NodeAction::kReplace,
                     .refused = action->second == NodeAction::kRefuse,
                     .diff = unified_diff(review_ignition(base->ignition, *inputs.redactor),
                                          review_ignition(head.ignition, *inputs.redactor),
                                          "base/" + head.node.name + ".ign",
                                          "head/" + head.node.name + ".ign")});
  }
  return steps;
}

std::vector<VersionChange> version_changes(const model::Cluster& base, const model::Cluster& head) {
  std::vector<VersionChange> changes;
  const auto compare = [&](const char* field, const std::string& from, const std::string& to) {
    if (from != to) changes.push_back({.field = field, .from = from, .to = to});
  };
  compare("os.version", base.os.version, head.os.version);
  compare("os.imageURL", base.os.image_url, head.os.image_url);
  compare("kubernetes.version", base.kubernetes.version, head.kubernetes.version);
  return changes;
}

Rollout rollout_for(const model::Cluster& base, const model::Cluster& head,
                    const render::ClusterRender& render) {
  Rollout rollout{.max_unavailable = std::max(1, head.upgrade.max_unavailable)};
  // The operator lists nodes by label; the API server returns them sorted by name.
  std::vector<std::string> control_plane, workers;
  for (const auto& node : render.nodes) {
    (node.node.role == model::PoolRole::kControlPlane ? control_plane : workers).push_back(node.node.name);
  }
  std::sort(control_plane.begin(), control_plane.end());
  std::sort(workers.begin(), workers.end());
  const std::size_t max = static_cast<std::size_t>(rollout.max_unavailable);
  for (std::size_t pass = 0; pass < control_plane.size() || pass * max < workers.size(); ++pass) {
    std::vector<std::string> started;
    if (pass < control_plane.size()) started.push_back(control_plane[pass]);
    for (std::size_t i = pass * max; i < std::min(workers.size(), (pass + 1) * max); ++i) {
      started.push_back(workers[i]);
    }
    rollout.order.insert(rollout.order.end(), started.begin(), started.end());
    rollout.passes.push_back(std::move(started));
  }
  rollout.steps = static_cast<int>(rollout.passes.size());
  rollout.update_yaml =
      housekeeper::update_yaml(head, base.kubernetes.version != head.kubernetes.version);
  return rollout;
}

// The virtual IP port an OpenStack cluster has; nullopt without a virtual IP or off OpenStack.
std::optional<VirtualIpPort> virtual_ip_port(const model::Cluster* cluster) {
  if (cluster == nullptr || cluster->kubernetes.virtual_ip.address.empty()) return std::nullopt;
  const auto* openstack = std::get_if<model::OpenStackPlatform>(&cluster->platform);
  if (openstack == nullptr) return std::nullopt;
  return VirtualIpPort{.address = cluster->kubernetes.virtual_ip.address,
                       .floating_ip = !openstack->external_network.empty()};
}

std::optional<VirtualIpChange> virtual_ip_change(const ClusterInputs& inputs) {
  const std::optional<VirtualIpPort> from = virtual_ip_port(inputs.base);
  const std::optional<VirtualIpPort> to = virtual_ip_port(inputs.head);
  if (!from && !to) return std::nullopt;
  if (from && to && from->address == to->address && from->floating_ip == to->floating_ip) {
    return std::nullopt;
  }
  return VirtualIpChange{.change = !from ? "added" : !to ? "removed" : "changed",
                         .port = inputs.name + "-vip",
                         .from = from,
                         .to = to};
}

// What housekeeper's daemon will and will not do with this change.
void upgrade_notes(const model::Cluster& base, const model::Cluster& head,
                   std::vector<std::string>& notes) {
  const bool kubernetes = base.kubernetes.version != head.kubernetes.version;
  const bool image = base.os.image_url != head.os.image_url;
  if (kubernetes && !image) {
    notes.push_back(
        "kubernetes.version changes but os.imageURL does not: housekeeper-daemon runs the "
        "Kubernetes upgrade only in the request that also rebases the node to an OS image it has "
        "not applied yet (it stops early when /var/nkd/os/<image tag>.stamp exists), and kubeadm "
        "and kubelet come from the OS image; set os.imageURL to an image carrying Kubernetes " +
        head.kubernetes.version + " in the same commit, or the nodes stay upgrading until the "
        "rollout stall timeout");
  } else if (!kubernetes && image) {
    notes.push_back("OS-only upgrade: the Update leaves kubeVersion empty, so housekeeper checks "
                    "the OS image's stamp and rebases and reboots each node once");
  }
}

std::map<std::string, const render::Artifact*> manifests_of(const render::ClusterRender* render) {
  std::map<std::string, const render::Artifact*> manifests;
  if (render == nullptr) return manifests;
  for (const auto& artifact : render->artifacts) {
    if (render::is_cluster_manifest(artifact)) manifests[artifact.path] = &artifact;
  }
  return manifests;
}

std::vector<ManifestChange> manifest_changes(const ClusterInputs& inputs) {
  const auto before = manifests_of(inputs.base_render);
  const auto after = manifests_of(inputs.head_render);
  std::vector<ManifestChange> changes;
  for (const auto& [path, artifact] : after) {
    const auto found = before.find(path);
    if (found == before.end()) {
      changes.push_back({.path = path, .change = "added"});
    } else if (found->second->sha256 != artifact->sha256) {
      const auto redact = [&](const std::string& text) {
        return inputs.redactor != nullptr ? inputs.redactor->redact(text) : text;
      };
      changes.push_back({.path = path,
                         .change = "changed",
                         .diff = unified_diff(redact(found->second->content), redact(artifact->content),
                                              "base/" + path, "head/" + path)});
    }
  }
  for (const auto& [path, artifact] : before) {
    if (!after.contains(path)) changes.push_back({.path = path, .change = "removed"});
  }
  std::sort(changes.begin(), changes.end(),
            [](const ManifestChange& a, const ManifestChange& b) { return a.path < b.path; });
  return changes;
}

}  // namespace

const char* to_string(ClusterChange change) {
  switch (change) {
    case ClusterChange::kAdded: return "added";
    case ClusterChange::kRemoved: return "removed";
    case ClusterChange::kChanged: return "changed";
    case ClusterChange::kUnchanged: return "unchanged";
  }
  return "unchanged";
}

std::size_t ClusterPlan::count(NodeAction action) const {
  return static_cast<std::size_t>(std::count_if(
      nodes.begin(), nodes.end(), [action](const NodeStep& step) { return step.action == action; }));
}

std::vector<PlannedWave> rollout_waves(const Plan& plan) {
  std::map<int, std::vector<std::string>> by_wave;
  for (const ClusterPlan& cluster : plan.clusters) {
    if (cluster.change == ClusterChange::kAdded || cluster.change == ClusterChange::kChanged) {
      by_wave[cluster.wave].push_back(cluster.name);
    }
  }
  std::vector<PlannedWave> waves;
  for (auto& [wave, clusters] : by_wave) {
    std::sort(clusters.begin(), clusters.end());
    waves.push_back(PlannedWave{.wave = wave, .clusters = std::move(clusters)});
  }
  return waves;
}

bool Plan::has_changes() const {
  return std::any_of(clusters.begin(), clusters.end(), [](const ClusterPlan& cluster) {
    return cluster.change != ClusterChange::kUnchanged;
  });
}

namespace {

// Replaces, deletes and in-place upgrades wait for the head's maintenance windows; creates
// and manifest changes do not.
void window_note(const ClusterInputs& inputs, ClusterPlan& plan) {
  if (inputs.head == nullptr || !inputs.head->maintenance_windows) return;
  const auto& windows = *inputs.head->maintenance_windows;
  // On bare metal a running node's new first-boot config (refused as a reinstall, but still
  // served) is what the daemon holds back outside a window.
  const bool bare_metal_refusals = std::holds_alternative<model::BareMetalPlatform>(inputs.head->platform) &&
                                   plan.count(NodeAction::kRefuse) > 0;
  const bool disturbs = plan.count(NodeAction::kReplace) > 0 ||
                        plan.count(NodeAction::kDelete) > 0 || !plan.upgrades.empty() ||
                        bare_metal_refusals;
  if (!disturbs || windows.empty()) return;
  if (inputs.now_unix_ms == 0) {
    plan.notes.push_back("replaces, deletes and upgrades run only in the maintenance windows (" +
                         describe(windows) + ")");
    return;
  }
  if (any_window_open(windows, inputs.now_unix_ms)) {
    plan.notes.push_back("a maintenance window (" + describe(windows) +
                         ") is open now: replaces, deletes and upgrades would run at once");
    return;
  }
  plan.waits_for_window = true;
  const auto opens = next_window_opening(windows, inputs.now_unix_ms);
  plan.notes.push_back("WaitingForWindow: outside the maintenance windows (" + describe(windows) +
                       ") replaces, deletes and upgrades wait" +
                       (opens ? " until " + format_rfc3339_ms(*opens) : std::string()) +
                       "; creates and manifest changes go ahead");
}

}  // namespace

ClusterPlan plan_cluster(const ClusterInputs& inputs) {
  ClusterPlan plan{.name = inputs.name};
  if (inputs.head != nullptr) plan.wave = inputs.head->wave;
  if (inputs.base_render != nullptr) plan.base_digest = inputs.base_render->digest;
  if (inputs.head_render != nullptr) plan.head_digest = inputs.head_render->digest;
  if (inputs.head == nullptr) {
    plan.change = ClusterChange::kRemoved;
    plan.notes.push_back(
        "the cluster leaves Git: by default its machines are kept and it is marked Orphaned; "
        "with prune: true in syncd.yaml they are deleted as listed");
  } else if (inputs.base == nullptr) {
    plan.change = ClusterChange::kAdded;
  }
  plan.nodes = node_steps(inputs, plan.node_diffs);
  plan.manifests = manifest_changes(inputs);
  plan.virtual_ip = virtual_ip_change(inputs);
  if (inputs.base != nullptr && inputs.head != nullptr) {
    plan.upgrades = version_changes(*inputs.base, *inputs.head);
    if (!plan.upgrades.empty() && inputs.head_render != nullptr) {
      plan.rollout = rollout_for(*inputs.base, *inputs.head, *inputs.head_render);
      upgrade_notes(*inputs.base, *inputs.head, plan.notes);
    }
  }
  const bool anything = !plan.nodes.empty() || !plan.manifests.empty() || !plan.upgrades.empty() ||
                        !plan.node_diffs.empty() || plan.virtual_ip.has_value() ||
                        plan.base_digest != plan.head_digest;
  if (plan.change == ClusterChange::kUnchanged && anything) plan.change = ClusterChange::kChanged;
  window_note(inputs, plan);
  if (inputs.head != nullptr && inputs.head->suspend && plan.change != ClusterChange::kUnchanged) {
    plan.notes.push_back("spec.suspend is true: the daemon records this commit but acts on "
                         "nothing until the cluster is resumed");
  }
  return plan;
}

}  // namespace nkd::plan
