// FakeKubeApi's RBAC: the authorizer (Kubernetes' RBAC rule matching, for the attributes a
// request carries) and grant(). Runs with the fake's mutex held.
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "tests/fakes/fake_kube_api.h"

namespace nkd::testing {
namespace {

// What RBAC decides on: the request's API group, namespace, resource (with subresource) and name.
struct Attributes {
  std::string group;
  std::string namespace_name;
  std::string resource;  // "pods/eviction"
  std::string name;
};

Attributes attributes_of(const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t start = 1; start <= path.size();) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  Attributes attributes;
  std::size_t rest = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    rest = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    attributes.group = parts[1];
    rest = 3;
  }
  std::vector<std::string> tail(parts.begin() + static_cast<long>(std::min(rest, parts.size())),
                                parts.end());
  if (tail.size() >= 3 && tail[0] == "namespaces") {
    attributes.namespace_name = tail[1];
    tail.erase(tail.begin(), tail.begin() + 2);
  }
  if (!tail.empty()) attributes.resource = tail[0];
  if (tail.size() > 1) attributes.name = tail[1];
  if (tail.size() > 2) attributes.resource += "/" + tail[2];
  return attributes;
}

bool listed(const nlohmann::json& list, const std::string& value) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const nlohmann::json& item) {
    return item.is_string() && (item == value || item == "*");
  });
}

bool rule_allows(const nlohmann::json& rule, const std::string& verb, const Attributes& request) {
  if (!listed(rule.value("verbs", nlohmann::json()), verb)) return false;
  if (!listed(rule.value("apiGroups", nlohmann::json()), request.group)) return false;
  if (!listed(rule.value("resources", nlohmann::json()), request.resource)) return false;
  const nlohmann::json names = rule.value("resourceNames", nlohmann::json::array());
  // resourceNames never match a request without a name (list, or create by POST).
  return names.empty() || (!request.name.empty() && listed(names, request.name));
}

nlohmann::json yaml_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node) object[entry.first.Scalar()] = yaml_json(entry.second);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(yaml_json(item));
    return array;
  }
  return node.IsScalar() ? nlohmann::json(node.Scalar()) : nlohmann::json();
}

}  // namespace

std::string FakeKubeApi::verb_of(const httplib::Request& request) {
  const bool named = !attributes_of(request.path).name.empty();
  if (request.method == "GET") return named ? "get" : (request.has_param("watch") ? "watch" : "list");
  if (request.method == "POST") return "create";
  if (request.method == "PATCH") return "patch";
  if (request.method == "PUT") return "update";
  if (request.method == "DELETE") return named ? "delete" : "deletecollection";
  return "";
}

void FakeKubeApi::grant(const std::vector<housekeeper::Manifest>& manifests) {
  std::lock_guard lock(mutex_);
  for (const housekeeper::Manifest& manifest : manifests) {
    nlohmann::json object = yaml_json(YAML::Load(manifest.yaml));
    const auto& metadata = object["metadata"];
    std::string path = "/apis/rbac.authorization.k8s.io/v1";
    if (metadata.contains("namespace")) path += "/namespaces/" + metadata["namespace"].get<std::string>();
    const std::string kind = object.value("kind", "");
    path += "/" + std::string(kind == "ClusterRole"          ? "clusterroles"
                              : kind == "ClusterRoleBinding" ? "clusterrolebindings"
                              : kind == "Role"               ? "roles"
                                                             : "rolebindings");
    path += "/" + metadata.value("name", "");
    stamp_new(object);
    objects_[path] = Stored{.object = object, .applied = nullptr};
  }
}

bool FakeKubeApi::allowed(const std::string& verb, const std::string& path,
                          const std::string& name_override) const {
  if (std::find(groups_.begin(), groups_.end(), "system:masters") != groups_.end()) return true;
  Attributes request = attributes_of(path);
  if (!name_override.empty()) request.name = name_override;
  const auto bound = [&](const nlohmann::json& binding) {
    for (const auto& subject : binding.value("subjects", nlohmann::json::array())) {
      const std::string kind = subject.value("kind", "");
      const std::string name = subject.value("name", "");
      if ((kind == "User" && name == user_) ||
          (kind == "Group" && std::find(groups_.begin(), groups_.end(), name) != groups_.end())) {
        return true;
      }
    }
    return false;
  };
  const auto role_allows = [&](const std::string& role_path) {
    const auto role = objects_.find(role_path);
    if (role == objects_.end()) return false;
    for (const auto& rule : role->second.object.value("rules", nlohmann::json::array())) {
      if (rule_allows(rule, verb, request)) return true;
    }
    return false;
  };
  constexpr const char* kRbac = "/apis/rbac.authorization.k8s.io/v1";
  for (const auto& [key, stored] : objects_) {
    const nlohmann::json& binding = stored.object;
    const std::string kind = binding.value("kind", "");
    if ((kind != "ClusterRoleBinding" && kind != "RoleBinding") || !bound(binding)) continue;
    const std::string binding_namespace = binding["metadata"].value("namespace", "");
    // A RoleBinding grants only inside its namespace.
    if (kind == "RoleBinding" && binding_namespace != request.namespace_name) continue;
    const auto& ref = binding.value("roleRef", nlohmann::json::object());
    const std::string role_name = ref.value("name", "");
    const std::string role_path = ref.value("kind", "") == "ClusterRole"
                                      ? std::string(kRbac) + "/clusterroles/" + role_name
                                      : std::string(kRbac) + "/namespaces/" + binding_namespace +
                                            "/roles/" + role_name;
    if (role_allows(role_path)) return true;
  }
  return false;
}

void FakeKubeApi::forbid(httplib::Response& response, const std::string& verb,
                         const std::string& path) const {
  const Attributes request = attributes_of(path);
  const std::string plural = request.resource.substr(0, request.resource.find('/'));
  std::string message = plural;
  if (!request.name.empty()) message += " \"" + request.name + "\"";
  message += " is forbidden: User \"" + user_ + "\" cannot " + verb + " resource \"" +
             request.resource + "\" in API group \"" + request.group + "\"";
  message += request.namespace_name.empty() ? " at the cluster scope"
                                            : " in the namespace \"" + request.namespace_name + "\"";
  answer_status(response, 403, "Forbidden", message);
  nlohmann::json status = nlohmann::json::parse(response.body);
  status["details"] = {{"name", request.name}, {"kind", plural}};
  if (request.resource.find('/') != std::string::npos) {
    status["details"]["group"] = request.group;
  }
  response.set_content(status.dump(), "application/json");
}

}  // namespace nkd::testing
