#include "render/housekeeper/nkd_access.h"

#include <map>
#include <set>
#include <tuple>

#include "common/bounded_memo.h"
#include "render/housekeeper/manifest_parts.h"
#include "render/network/network_plugin.h"

namespace nkd::housekeeper {
namespace {

using Rule = RbacRule;

// An object nkd applies with server-side apply: get (drift), patch (apply), create (apply of an
// object that does not exist yet is authorized as create too).
struct Applied {
  std::string api_group;
  std::string resource;
  std::string name;
};

const std::map<std::string, std::pair<std::string, std::string>>& kinds() {
  // kind → (API group, resource) for every kind nkd applies.
  static const std::map<std::string, std::pair<std::string, std::string>> table = {
      {"Namespace", {"", "namespaces"}},
      {"ServiceAccount", {"", "serviceaccounts"}},
      {"ConfigMap", {"", "configmaps"}},
      {"ClusterRole", {"rbac.authorization.k8s.io", "clusterroles"}},
      {"ClusterRoleBinding", {"rbac.authorization.k8s.io", "clusterrolebindings"}},
      {"Deployment", {"apps", "deployments"}},
      {"DaemonSet", {"apps", "daemonsets"}},
      {"PodDisruptionBudget", {"policy", "poddisruptionbudgets"}},
      {"CustomResourceDefinition", {"apiextensions.k8s.io", "customresourcedefinitions"}},
      {"Update", {"housekeeper.io", "updates"}},
  };
  return table;
}

std::vector<Applied> objects_in(const std::string& yaml) {
  std::vector<Applied> objects;
  for (const YAML::Node& document : YAML::LoadAll(yaml)) {
    if (!document.IsMap() || !document["kind"] || !document["metadata"]["name"]) continue;
    const auto found = kinds().find(document["kind"].as<std::string>());
    if (found == kinds().end()) continue;
    objects.push_back({found->second.first, found->second.second,
                       document["metadata"]["name"].as<std::string>()});
  }
  return objects;
}

// Parsing the network plugin's manifests again for every cluster took a third of a warm render;
// they are the same text across a fleet, so the objects of a text are kept. Comparing the text
// costs far less than parsing it.
std::vector<Applied> applied_objects(const std::vector<Manifest>& manifests) {
  static BoundedMemo<std::string, std::vector<Applied>> memo(256);
  std::vector<Applied> objects;
  for (const Manifest& manifest : manifests) {
    for (Applied& object : memo.get(manifest.yaml, objects_in))
      objects.push_back(std::move(object));
  }
  return objects;
}

void add(std::vector<Applied>& objects, const char* kind,
         std::initializer_list<const char*> names) {
  const auto& [group, resource] = kinds().at(kind);
  for (const char* name : names) objects.push_back({group, resource, name});
}

// What nkd applies for the network plugin: the objects of the cluster's network manifests.
std::vector<Applied> network_plugin_objects(const model::Cluster& cluster) {
  return applied_objects(network::network_plugin_manifests(cluster));
}

std::vector<Rule> cluster_rules(std::vector<Applied> objects,
                                const std::vector<Manifest>& housekeeper) {
  for (Applied& object : applied_objects(housekeeper)) objects.push_back(std::move(object));
  add(objects, "Update", {kUpdateName});
  // One rule per resource, its names merged, in a fixed order.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> by_resource;
  for (const Applied& object : objects)
    by_resource[{object.api_group, object.resource}].insert(object.name);
  std::vector<Rule> rules = {
      {"", "nodes", {"get", "list", "patch", "delete"}, {}},
      {"", "pods", {"list"}, {}},
      {"", "pods/eviction", {"create"}, {}},
  };
  for (const auto& [key, names] : by_resource) {
    rules.push_back({key.first, key.second, {"get", "create", "patch"}, names});
  }
  // Creating a ClusterRole that grants more than nkd holds needs `escalate`; binding one needs
  // `bind`: both only for the roles nkd applies.
  if (const auto roles = by_resource.find({"rbac.authorization.k8s.io", "clusterroles"});
      roles != by_resource.end()) {
    rules.push_back(
        {"rbac.authorization.k8s.io", "clusterroles", {"bind", "escalate"}, roles->second});
  }
  return rules;
}

std::string role_yaml(const char* kind, const char* name, const char* namespace_name,
                      const std::vector<Rule>& rules) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "rbac.authorization.k8s.io/v1", kind, name, namespace_name);
  emit_rbac_rules(out, rules, YAML::Flow);
  out << YAML::EndMap;
  return finish(out);
}

std::string binding_yaml(const char* kind, const char* role_kind, const char* name,
                         const char* namespace_name) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_header(out, "rbac.authorization.k8s.io/v1", kind, name, namespace_name);
  out << YAML::Key << "roleRef" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "apiGroup" << YAML::Value << "rbac.authorization.k8s.io";
  out << YAML::Key << "kind" << YAML::Value << role_kind;
  out << YAML::Key << "name" << YAML::Value << name << YAML::EndMap;
  out << YAML::Key << "subjects" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "apiGroup" << YAML::Value << "rbac.authorization.k8s.io";
  out << YAML::Key << "kind" << YAML::Value << "Group";
  out << YAML::Key << "name" << YAML::Value << kNkdGroup;
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  return finish(out);
}

std::vector<Manifest> access_manifests(const std::vector<Rule>& rules) {
  // Bootstrap tokens are Secrets named bootstrap-token-<id> with an id nkd picks at random, so
  // create and list cannot be narrowed by name; they are granted in kube-system only.
  // Server-side apply of a new token is a patch that creates.
  const std::vector<Rule> token_rules = {
      {"", "secrets", {"get", "list", "create", "patch", "delete"}, {}}};
  return {
      {"00-nkd-cluster-role.yaml", role_yaml("ClusterRole", kNkdClusterRole, "", rules)},
      {"01-nkd-cluster-role-binding.yaml",
       binding_yaml("ClusterRoleBinding", "ClusterRole", kNkdClusterRole, "")},
      {"02-nkd-token-role.yaml", role_yaml("Role", kNkdTokenRole, "kube-system", token_rules)},
      {"03-nkd-token-role-binding.yaml",
       binding_yaml("RoleBinding", "Role", kNkdTokenRole, "kube-system")},
  };
}

}  // namespace

std::vector<Manifest> nkd_access_manifests(const model::Cluster& cluster) {
  return access_manifests(cluster_rules(network_plugin_objects(cluster), manifests(cluster)));
}

std::vector<Manifest> nkd_access_manifests(const std::vector<Manifest>& network,
                                           const std::vector<Manifest>& housekeeper) {
  return access_manifests(cluster_rules(applied_objects(network), housekeeper));
}

}  // namespace nkd::housekeeper
