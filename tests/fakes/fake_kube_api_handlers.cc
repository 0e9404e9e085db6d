// FakeKubeApi's request handlers: get, list, server-side apply, merge patches, delete and the
// Eviction subresource. Every handler runs with the fake's mutex held (see handle()).
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <charconv>

#include "tests/fakes/fake_kube_api.h"

namespace nkd::testing {
namespace {

// The fake's own reading of an apply body: quoted scalars are strings; plain ones become
// booleans, integers or null when they spell one.
nlohmann::json yaml_value(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node) object[entry.first.Scalar()] = yaml_value(entry.second);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(yaml_value(item));
    return array;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null" || text == "~") return nullptr;
  long long number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return number;
  return text;
}

void merge_into(nlohmann::json& object, const nlohmann::json& applied) {
  if (!object.is_object() || !applied.is_object()) {
    object = applied;
    return;
  }
  for (const auto& [key, value] : applied.items()) merge_into(object[key], value);
}

// Removes fields the manager applied before and no longer applies: the part of server-side
// apply's ownership that nkd relies on.
void prune(nlohmann::json& object, const nlohmann::json& before, const nlohmann::json& now) {
  if (!object.is_object() || !before.is_object()) return;
  for (const auto& [key, value] : before.items()) {
    if (!now.is_object() || !now.contains(key)) {
      object.erase(key);
    } else if (object.contains(key)) {
      prune(object[key], value, now[key]);
    }
  }
}

// True when a field the body sets has another value in `current`.
bool conflicts(const nlohmann::json& applied, const nlohmann::json& current) {
  if (applied.is_object() && current.is_object()) {
    for (const auto& [key, value] : applied.items()) {
      if (current.contains(key) && conflicts(value, current[key])) return true;
    }
    return false;
  }
  return applied != current;
}

void apply_defaults(nlohmann::json& object) {
  const std::string kind = object.value("kind", "");
  if (kind != "Deployment" && kind != "DaemonSet") return;
  auto& spec = object["spec"];
  if (!spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
  if (kind == "Deployment" && !spec.contains("progressDeadlineSeconds")) {
    spec["progressDeadlineSeconds"] = 600;
  }
}

nlohmann::json without_metadata(nlohmann::json object) {
  object.erase("metadata");
  return object;
}

}  // namespace

void FakeKubeApi::dispatch(const httplib::Request& request, const Target& target,
                           httplib::Response& response) {
  const std::string path = target.object_path();
  if (request.method == "GET" && target.name.empty()) return handle_list(request, target, response);
  if (request.method == "POST" && target.subresource == "eviction" && target.plural == "pods") {
    return handle_eviction(request, target, response);
  }
  if (!target.subresource.empty() || target.name.empty()) {
    return answer_status(response, 405, "MethodNotAllowed",
                         "the server does not allow this method on the requested resource");
  }
  if (request.method == "PATCH") {
    if (request.get_header_value("Content-Type") == "application/apply-patch+yaml") {
      return handle_apply(request, target, response);
    }
    return handle_merge_patch(request, target, response);
  }
  const auto it = objects_.find(path);
  if (it == objects_.end()) {
    return answer_status(response, 404, "NotFound",
                         target.plural + " \"" + target.name + "\" not found");
  }
  if (request.method == "GET") {
    return response.set_content(present(path, it->second).dump(), "application/json");
  }
  if (request.method == "DELETE") {
    const nlohmann::json deleted = it->second.object;
    objects_.erase(it);
    crd_created_.erase(path);
    return response.set_content(deleted.dump(), "application/json");
  }
  answer_status(response, 405, "MethodNotAllowed",
                "the server does not allow this method on the requested resource");
}

void FakeKubeApi::handle_list(const httplib::Request& request, const Target& target,
                              httplib::Response& response) {
  std::string node_name;
  if (request.has_param("fieldSelector")) {
    const std::string selector = request.get_param_value("fieldSelector");
    const std::string prefix = "spec.nodeName=";
    if (target.plural != "pods" || selector.rfind(prefix, 0) != 0) {
      return answer_status(response, 400, "BadRequest",
                           "field label not supported: " + selector);
    }
    node_name = selector.substr(prefix.size());
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& [path, stored] : objects_) {
    const nlohmann::json& object = stored.object;
    if (object.value("apiVersion", "") != target.api_version ||
        object.value("kind", "") != target.kind) {
      continue;
    }
    if (!target.namespace_name.empty() &&
        object["metadata"].value("namespace", "") != target.namespace_name) {
      continue;
    }
    if (!node_name.empty() && object["spec"].value("nodeName", "") != node_name) continue;
    items.push_back(present(path, stored));
  }
  const nlohmann::json list = {{"apiVersion", target.api_version},
                               {"kind", target.kind + "List"},
                               {"metadata", {{"resourceVersion", std::to_string(resource_version_)}}},
                               {"items", items}};
  response.set_content(list.dump(), "application/json");
}

void FakeKubeApi::handle_apply(const httplib::Request& request, const Target& target,
                               httplib::Response& response) {
  if (!request.has_param("fieldManager") || request.get_param_value("fieldManager").empty()) {
    return answer_status(response, 400, "BadRequest",
                         "PATCH of type application/apply-patch+yaml requires a fieldManager");
  }
  nlohmann::json applied;
  try {
    applied = yaml_value(YAML::Load(request.body));
  } catch (const YAML::Exception& error) {
    return answer_status(response, 400, "BadRequest", std::string("error decoding YAML: ") +
                                                          error.what());
  }
  const nlohmann::json metadata = applied.value("metadata", nlohmann::json::object());
  if (applied.value("apiVersion", "") != target.api_version ||
      applied.value("kind", "") != target.kind || metadata.value("name", "") != target.name ||
      (target.namespaced && metadata.value("namespace", target.namespace_name) !=
                                target.namespace_name)) {
    return answer_status(response, 400, "BadRequest",
                         "the body's apiVersion, kind, name or namespace does not match the URL");
  }
  if (target.namespaced && !objects_.contains("/api/v1/namespaces/" + target.namespace_name)) {
    return answer_status(response, 404, "NotFound",
                         "namespaces \"" + target.namespace_name + "\" not found");
  }
  const std::string path = target.object_path();
  const bool force = request.get_param_value("force") == "true";
  auto it = objects_.find(path);
  if (it == objects_.end()) {
    // An apply that creates its object is authorized as a create too (with the object's name).
    if (!allowed("create", path)) return forbid(response, "create", path);
    nlohmann::json object = applied;
    if (target.namespaced) object["metadata"]["namespace"] = target.namespace_name;
    apply_defaults(object);
    stamp_new(object);
    objects_[path] = Stored{.object = object, .applied = applied};
    if (target.kind == "CustomResourceDefinition") {
      crd_created_[path] = std::chrono::steady_clock::now();
    }
    response.status = 201;
    return response.set_content(present(path, objects_[path]).dump(), "application/json");
  }
  Stored& stored = it->second;
  if (!force && stored.edited && conflicts(applied, stored.object)) {
    return answer_status(response, 409, "Conflict",
                         "Apply failed with conflicts: fields changed by another manager; "
                         "use force=true to take them");
  }
  nlohmann::json object = stored.object;
  merge_into(object, applied);
  prune(object, stored.applied, applied);
  apply_defaults(object);
  if (object != stored.object) {
    object["metadata"]["resourceVersion"] = next_resource_version();
    if (without_metadata(object) != without_metadata(stored.object)) {
      object["metadata"]["generation"] = stored.object["metadata"].value("generation", 1) + 1;
    }
  }
  stored = Stored{.object = object, .applied = applied, .edited = false};
  response.set_content(present(path, stored).dump(), "application/json");
}

void FakeKubeApi::handle_merge_patch(const httplib::Request& request, const Target& target,
                                     httplib::Response& response) {
  const std::string type = request.get_header_value("Content-Type");
  if (type != "application/merge-patch+json" && type != "application/strategic-merge-patch+json") {
    return answer_status(response, 415, "UnsupportedMediaType",
                         "the body of the request was in an unknown format - accepted media "
                         "types include: application/json-patch+json, "
                         "application/merge-patch+json, application/apply-patch+yaml");
  }
  const auto it = objects_.find(target.object_path());
  if (it == objects_.end()) {
    return answer_status(response, 404, "NotFound",
                         target.plural + " \"" + target.name + "\" not found");
  }
  const auto patch = nlohmann::json::parse(request.body, nullptr, false);
  if (patch.is_discarded() || !patch.is_object()) {
    return answer_status(response, 400, "BadRequest", "the patch is not a JSON object");
  }
  it->second.object.merge_patch(patch);
  it->second.object["metadata"]["resourceVersion"] = next_resource_version();
  it->second.edited = true;
  response.set_content(present(it->first, it->second).dump(), "application/json");
}

void FakeKubeApi::handle_eviction(const httplib::Request& request, const Target& target,
                                  httplib::Response& response) {
  const auto it = objects_.find(target.object_path());
  if (it == objects_.end()) {
    return answer_status(response, 404, "NotFound", "pods \"" + target.name + "\" not found");
  }
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || body.value("kind", "") != "Eviction" ||
      body.value("apiVersion", "") != "policy/v1" ||
      body.value("metadata", nlohmann::json::object()).value("name", "") != target.name) {
    return answer_status(response, 400, "BadRequest",
                         "the body must be a policy/v1 Eviction naming pod " + target.name);
  }
  if (evictions_blocked_ > 0) {
    --evictions_blocked_;
    answer_status(response, 429, "TooManyRequests",
                  "Cannot evict pod as it would violate the pod's disruption budget.");
    return;
  }
  objects_.erase(it);
  answer_status(response, 201, "", "");
}

}  // namespace nkd::testing
