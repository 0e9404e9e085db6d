#include "render/housekeeper/housekeeper.h"

#include <algorithm>
#include <initializer_list>

#include "render/housekeeper/manifest_parts.h"

namespace nkd::housekeeper {
namespace {

std::string namespace_yaml() {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "v1", "Namespace", kNamespace, "");
  out << YAML::EndMap;
  return finish(out);
}

std::string cluster_role_yaml() {
  // NKD's role (data/data/housekeeper/3role.yaml), rule for rule: the operator labels nodes;
  // the controller drains with kubectl's drain helper (pods, evictions, DaemonSet lookups) and
  // controller-runtime needs updates/finalizers.
  const std::vector<RbacRule> rules = {
      {"housekeeper.io",
       "updates",
       {"create", "delete", "get", "list", "patch", "update", "watch"}},
      {"housekeeper.io", "updates/finalizers", {"update"}},
      {"housekeeper.io", "updates/status", {"get", "patch", "update"}},
      {"", "nodes", {"get", "list", "patch", "update", "watch"}},
      {"", "pods", {"get", "list"}},
      {"", "pods/eviction", {"create"}},
      {"apps", "daemonsets", {"delete", "get"}},
  };
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "rbac.authorization.k8s.io/v1", "ClusterRole", kClusterRole, "");
  emit_rbac_rules(out, rules, YAML::Block);
  out << YAML::EndMap;
  return finish(out);
}

std::string cluster_role_binding_yaml() {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", kClusterRoleBinding, "");
  out << YAML::Key << "roleRef" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "apiGroup" << YAML::Value << "rbac.authorization.k8s.io";
  out << YAML::Key << "kind" << YAML::Value << "ClusterRole";
  out << YAML::Key << "name" << YAML::Value << kClusterRole << YAML::EndMap;
  out << YAML::Key << "subjects" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << "ServiceAccount";
  out << YAML::Key << "name" << YAML::Value << kServiceAccount;
  out << YAML::Key << "namespace" << YAML::Value << kNamespace;
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  return finish(out);
}

std::string image_of(model::Arch arch, const char* name) {
  return std::string(kImageRepository) + "/" + model::to_string(arch) + "/" + name + ":" +
         kImageTag;
}

}  // namespace

void emit_quoted(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

void emit_header(YAML::Emitter& out, const char* api_version, const char* kind,
                 const std::string& name, const std::string& namespace_name,
                 const std::string& selector_value) {
  out << YAML::Key << "apiVersion" << YAML::Value << api_version;
  out << YAML::Key << "kind" << YAML::Value << kind;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << name;
  if (!namespace_name.empty()) {
    out << YAML::Key << "namespace" << YAML::Value << namespace_name;
  }
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "app.kubernetes.io/managed-by" << YAML::Value << "nkd";
  if (!selector_value.empty()) out << YAML::Key << kSelectorLabel << YAML::Value << selector_value;
  out << YAML::EndMap;
  out << YAML::EndMap;
}

std::string finish(const YAML::Emitter& out) { return std::string(out.c_str()) + "\n"; }

void emit_rbac_rules(YAML::Emitter& out, const std::vector<RbacRule>& rules,
                     YAML::EMITTER_MANIP verb_style) {
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const RbacRule& rule : rules) {
    out << YAML::BeginMap;
    out << YAML::Key << "apiGroups" << YAML::Value << YAML::BeginSeq << YAML::DoubleQuoted
        << rule.api_group << YAML::EndSeq;
    out << YAML::Key << "resources" << YAML::Value << YAML::BeginSeq << rule.resource
        << YAML::EndSeq;
    if (!rule.names.empty()) {
      out << YAML::Key << "resourceNames" << YAML::Value << YAML::BeginSeq;
      for (const std::string& name : rule.names) out << name;
      out << YAML::EndSeq;
    }
    out << YAML::Key << "verbs" << YAML::Value << verb_style << YAML::BeginSeq;
    for (const std::string& verb : rule.verbs) out << verb;
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

std::string default_operator_image(model::Arch arch) { return image_of(arch, kOperatorName); }

std::string default_controller_image(model::Arch arch) { return image_of(arch, kControllerName); }

std::vector<model::Arch> node_arches(const model::Cluster& cluster) {
  std::vector<model::Arch> arches;
  const auto nodes = model::expand_nodes(cluster);
  const auto first_control_plane = std::find_if(
      nodes.begin(), nodes.end(),
      [](const model::Node& node) { return node.role == model::PoolRole::kControlPlane; });
  arches.push_back(first_control_plane == nodes.end() ? cluster.os.arch
                                                      : first_control_plane->arch);
  for (const model::Node& node : nodes) {
    if (std::find(arches.begin(), arches.end(), node.arch) == arches.end()) {
      arches.push_back(node.arch);
    }
  }
  return arches;
}

std::string update_yaml(const model::Cluster& cluster, bool upgrade_kubernetes) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "housekeeper.io/v1alpha1", "Update", kUpdateName, kNamespace);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  emit_quoted(out, "osImageURL", cluster.os.image_url);
  // "" rather than absent or null: the CRD requires the field, and the API server prunes a null
  // before it checks `required`.
  emit_quoted(out, "kubeVersion", upgrade_kubernetes ? cluster.kubernetes.version : "");
  out << YAML::Key << "evictPodForce" << YAML::Value << cluster.upgrade.evict_pod_force;
  out << YAML::Key << "maxUnavailable" << YAML::Value << cluster.upgrade.max_unavailable;
  out << YAML::EndMap << YAML::EndMap;
  return finish(out);
}

std::vector<Manifest> manifests(const model::Cluster& cluster) {
  std::vector<Manifest> result = {
      {"00-namespace.yaml", namespace_yaml()},
      {"01-crd.yaml", crd_yaml()},
      {"02-cluster-role.yaml", cluster_role_yaml()},
      {"03-cluster-role-binding.yaml", cluster_role_binding_yaml()},
      {"04-operator-deployment.yaml", operator_deployment_yaml(cluster)},
  };
  for (Manifest& daemonset : controller_daemonsets(cluster)) result.push_back(std::move(daemonset));
  return result;
}

}  // namespace nkd::housekeeper
