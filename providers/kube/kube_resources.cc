// Manifest parsing and the REST paths of the kinds nkd applies.
#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <string>

#include "common/json_fields.h"
#include "providers/kube/kube_client.h"

namespace nkd::kube {
namespace {

struct ResourceKind {
  const char* api_version;
  const char* kind;
  const char* plural;
  bool namespaced;
};

// The kinds housekeeper's manifests hold (render/housekeeper), Node and Pod, Secret (bootstrap
// tokens), ConfigMap (network plugins), Role and RoleBinding (nkd's access), and the Update
// custom resource whose group, version and plural come from the CRD nkd renders (DESIGN.md §3).
constexpr std::array<ResourceKind, 15> kKinds = {{
    {"v1", "Namespace", "namespaces", false},
    {"v1", "Secret", "secrets", true},
    {"v1", "ConfigMap", "configmaps", true},
    {"v1", "ServiceAccount", "serviceaccounts", true},
    {"v1", "Node", "nodes", false},
    {"v1", "Pod", "pods", true},
    {"rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false},
    {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false},
    {"rbac.authorization.k8s.io/v1", "Role", "roles", true},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true},
    {"apps/v1", "Deployment", "deployments", true},
    {"apps/v1", "DaemonSet", "daemonsets", true},
    {"apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", false},
    {"housekeeper.io/v1alpha1", "Update", "updates", true},
    {"policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", true},
}};

nlohmann::json plain_scalar(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  std::int64_t integer = 0;
  const char* last = text.data() + text.size();
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  if (auto [end, error] = std::from_chars(first, last, integer);
      error == std::errc() && end == last) {
    return integer;
  }
  double floating = 0;
  if (auto [end, error] = std::from_chars(first, last, floating);
      error == std::errc() && end == last) {
    return floating;
  }
  return text;
}

nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) object[entry.first.as<std::string>()] = to_json(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(to_json(item));
      return array;
    }
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!" and plain ones "?": only plain ones are typed.
      if (node.Tag() == "!") return node.Scalar();
      return plain_scalar(node.Scalar());
    default:
      return nullptr;
  }
}

}  // namespace

Result<nlohmann::json> yaml_to_json(std::string_view yaml) {
  try {
    const YAML::Node document = YAML::Load(std::string(yaml));
    if (!document.IsMap()) {
      return Error{ErrorCode::kParse, "manifest is not a YAML mapping; render it again"};
    }
    return to_json(document);
  } catch (const YAML::Exception& error) {
    return Error{ErrorCode::kParse, std::string("manifest is not valid YAML: ") + error.what()};
  }
}

Result<ObjectRef> object_ref_of(const nlohmann::json& object) {
  ObjectRef ref;
  if (object.is_object()) {
    ref.api_version = json_string(object, "apiVersion");
    ref.kind = json_string(object, "kind");
    ref.name = json_string(json_member(object, "metadata"), "name");
    ref.namespace_name = json_string(json_member(object, "metadata"), "namespace");
  }
  if (ref.api_version.empty() || ref.kind.empty() || ref.name.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "manifest lacks apiVersion, kind or metadata.name; every Kubernetes object "
                 "needs all three"};
  }
  return ref;
}

Result<std::string> resource_path(const ObjectRef& ref) {
  for (const ResourceKind& entry : kKinds) {
    if (ref.api_version != entry.api_version || ref.kind != entry.kind) continue;
    const std::string base = ref.api_version == "v1" ? "/api/v1" : "/apis/" + ref.api_version;
    if (!entry.namespaced) return base + "/" + entry.plural + "/" + ref.name;
    const std::string namespace_name = ref.namespace_name.empty() ? "default" : ref.namespace_name;
    return base + "/namespaces/" + namespace_name + "/" + entry.plural + "/" + ref.name;
  }
  return Error{ErrorCode::kNotFound, "no REST path known for " + ref.api_version + " " + ref.kind +
                                         " (object " + ref.name +
                                         "); nkd applies only the kinds housekeeper renders"};
}

}  // namespace nkd::kube
