#include "providers/kube/cluster_state.h"

#include <algorithm>
#include <set>

namespace nkd::kube {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

// Errors that waiting longer cannot cure.
bool is_permanent(const Error& error) {
  return error.code == ErrorCode::kUnauthenticated || error.code == ErrorCode::kPermissionDenied ||
         error.code == ErrorCode::kEgressDenied;
}

ReadinessReport readiness(std::vector<NodeInfo> nodes, const std::vector<std::string>& expected) {
  ReadinessReport report{.api_ready = true, .nodes = std::move(nodes)};
  for (const std::string& name : expected) {
    const auto node = std::find_if(report.nodes.begin(), report.nodes.end(),
                                   [&](const NodeInfo& item) { return item.name == name; });
    if (node == report.nodes.end()) {
      report.missing.push_back(name);
    } else if (!node->ready) {
      report.not_ready.push_back(name);
    }
  }
  report.ready = report.missing.empty() && report.not_ready.empty();
  return report;
}

}  // namespace

std::map<std::string, int> ReadinessReport::counts_by_state() const {
  std::map<std::string, int> counts{{"ready", 0}, {"not_ready", 0}, {"missing", 0}};
  for (const NodeInfo& node : nodes) ++counts[node.ready ? "ready" : "not_ready"];
  counts["missing"] = static_cast<int>(missing.size());
  return counts;
}

std::vector<const render::Artifact*> manifests_in(const std::vector<render::Artifact>& artifacts,
                                                  std::string_view folder) {
  std::vector<const render::Artifact*> found;
  for (const render::Artifact& artifact : artifacts) {
    if (artifact.path.starts_with(folder)) found.push_back(&artifact);
  }
  std::sort(found.begin(), found.end(),
            [](const auto* a, const auto* b) { return a->path < b->path; });
  return found;
}

std::vector<const render::Artifact*> cluster_manifests(
    const std::vector<render::Artifact>& artifacts) {
  std::vector<const render::Artifact*> found = manifests_in(artifacts, render::kNetworkManifests);
  for (const render::Artifact* artifact : manifests_in(artifacts, render::kHousekeeperManifests)) {
    found.push_back(artifact);
  }
  return found;
}

std::string first_difference(const nlohmann::json& desired, const nlohmann::json& live,
                             const std::string& at) {
  if (desired.is_object()) {
    if (!live.is_object()) return at.empty() ? "." : at;
    for (const auto& [key, value] : desired.items()) {
      const std::string path = at.empty() ? key : at + "." + key;
      if (!live.contains(key)) return path;
      if (auto found = first_difference(value, live[key], path); !found.empty()) return found;
    }
    return "";
  }
  if (desired.is_array()) {
    if (!live.is_array() || live.size() != desired.size()) return at;
    for (std::size_t i = 0; i < desired.size(); ++i) {
      const std::string path = at + "[" + std::to_string(i) + "]";
      if (auto found = first_difference(desired[i], live[i], path); !found.empty()) return found;
    }
    return "";
  }
  // Numbers compare by value whatever their JSON type (1 and 1.0).
  if (desired.is_number() && live.is_number()) {
    return desired.get<double>() == live.get<double>() ? "" : at;
  }
  return desired == live ? "" : at;
}

ClusterState::ClusterState(KubeClient& client, ClusterStateOptions options)
    : client_(client), options_(std::move(options)) {}

void ClusterState::pause() {
  client_.clock().sleep_for(std::chrono::milliseconds(options_.poll_interval_ms));
}

Result<ReadinessReport> ClusterState::wait_ready(const std::vector<std::string>& expected,
                                                 SteadyTime deadline) {
  ReadinessReport report;
  while (true) {
    Status api = client_.readyz();
    if (!api && is_permanent(api.error())) return api.error();
    if (api) {
      auto nodes = client_.list_nodes();
      if (!nodes && is_permanent(nodes.error())) return nodes.error();
      if (nodes) report = readiness(std::move(*nodes), expected);
    }
    if (report.ready || client_.clock().steady_now() >= deadline) return report;
    pause();
  }
}

Status ClusterState::wait_established(const std::string& crd_name, SteadyTime deadline) {
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto established, client_.crd_established(crd_name));
    if (established) return ok_status();
    if (client_.clock().steady_now() >= deadline) {
      return Error{ErrorCode::kTimeout, "CustomResourceDefinition " + crd_name +
                                            " was not Established before the deadline; check the "
                                            "API server's apiextensions controller"};
    }
    pause();
  }
}

Status ClusterState::apply_manifests(const std::vector<render::Artifact>& artifacts,
                                     std::string_view folder, SteadyTime deadline) {
  std::vector<const render::Artifact*> crds;
  std::vector<const render::Artifact*> rest;
  std::vector<std::string> crd_names;
  for (const render::Artifact* artifact : manifests_in(artifacts, folder)) {
    NKD_ASSIGN_OR_RETURN_WRAP(auto object, yaml_to_json(artifact->content), artifact->path);
    NKD_ASSIGN_OR_RETURN_WRAP(auto ref, object_ref_of(object), artifact->path);
    if (ref.kind == "CustomResourceDefinition") {
      crds.push_back(artifact);
      crd_names.push_back(ref.name);
    } else {
      rest.push_back(artifact);
    }
  }
  for (const render::Artifact* artifact : crds) {
    NKD_RETURN_IF_ERROR(client_.apply(artifact->content));
  }
  for (const std::string& name : crd_names) {
    NKD_RETURN_IF_ERROR(wait_established(name, deadline));
  }
  for (const render::Artifact* artifact : rest) {
    NKD_RETURN_IF_ERROR(client_.apply(artifact->content));
  }
  return ok_status();
}

Status ClusterState::wait_pods_gone(const std::string& node, SteadyTime deadline) {
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto pods, client_.list_pods_on(node));
    std::vector<std::string> left;
    for (const PodRef& pod : pods) {
      if (!pod.owned_by_daemonset && !pod.mirror) left.push_back(pod.namespace_name + "/" + pod.name);
    }
    if (left.empty()) return ok_status();
    if (client_.clock().steady_now() >= deadline) {
      return Error{ErrorCode::kTimeout, "draining node " + node + ": pods still running after " +
                                            "the drain timeout: " + join(left) +
                                            "; the node is kept"};
    }
    pause();
  }
}

Status ClusterState::drain(const std::string& node, std::chrono::milliseconds drain_timeout) {
  const SteadyTime deadline = client_.clock().steady_now() + drain_timeout;
  if (auto status = client_.cordon(node); !status) {
    // A node that never registered or is gone already has nothing to drain.
    if (status.error().code == ErrorCode::kNotFound) return ok_status();
    return status;
  }
  NKD_ASSIGN_OR_RETURN(auto pods, client_.list_pods_on(node));
  for (const PodRef& pod : pods) {
    if (pod.owned_by_daemonset || pod.mirror) continue;
    NKD_RETURN_IF_ERROR_WRAP(client_.evict(pod, deadline),
                             "draining node " + node + " (the node is kept)");
  }
  NKD_RETURN_IF_ERROR(wait_pods_gone(node, deadline));
  return client_.delete_node(node);
}

Result<std::vector<DriftItem>> ClusterState::detect_drift(
    const std::vector<render::Artifact>& artifacts) {
  std::vector<DriftItem> drift;
  for (const render::Artifact* artifact : cluster_manifests(artifacts)) {
    NKD_ASSIGN_OR_RETURN_WRAP(auto desired, yaml_to_json(artifact->content), artifact->path);
    NKD_ASSIGN_OR_RETURN_WRAP(auto ref, object_ref_of(desired), artifact->path);
    NKD_ASSIGN_OR_RETURN(auto live, client_.get(ref));
    if (!live.has_value()) {
      drift.push_back(DriftItem{.object = ref, .field = "", .reason = "missing from the cluster"});
      continue;
    }
    const std::string field = first_difference(desired, *live);
    if (!field.empty()) {
      drift.push_back(DriftItem{.object = ref, .field = field, .reason = "changed in the cluster"});
    }
  }
  return drift;
}

Result<std::vector<DriftItem>> ClusterState::correct_drift(
    const std::vector<render::Artifact>& artifacts) {
  auto drift = detect_drift(artifacts);
  if (!drift || drift->empty()) return drift;
  std::set<std::string> drifted;
  // Namespaced names may repeat across namespaces (and the folders): the whole reference counts.
  auto key = [](const ObjectRef& ref) { return ref.kind + "/" + ref.namespace_name + "/" + ref.name; };
  for (const DriftItem& item : *drift) drifted.insert(key(item.object));
  for (const render::Artifact* artifact : cluster_manifests(artifacts)) {
    NKD_ASSIGN_OR_RETURN(auto object, yaml_to_json(artifact->content));
    auto ref = object_ref_of(object);
    if (!ref || !drifted.contains(key(*ref))) continue;
    NKD_RETURN_IF_ERROR(client_.apply(artifact->content));
  }
  return drift;
}

}  // namespace nkd::kube
