#include "providers/kube/kube_client.h"

#include <algorithm>
#include <utility>

#include "common/http_status.h"
#include "common/json_fields.h"
#include "metrics/metered_http_client.h"

namespace nkd::kube {
namespace {


std::string status_message(const HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return body["message"].get<std::string>();
  }
  return response.body.substr(0, 200);
}

bool condition_true(const nlohmann::json& object, const std::string& type) {
  const auto* conditions = &object;
  for (const char* key : {"status", "conditions"}) {
    if (!conditions->is_object() || !conditions->contains(key)) return false;
    conditions = &(*conditions)[key];
  }
  if (!conditions->is_array()) return false;
  return std::any_of(conditions->begin(), conditions->end(), [&](const nlohmann::json& item) {
    return json_string(item, "type") == type && json_string(item, "status") == "True";
  });
}

std::string string_at(const nlohmann::json& object, std::initializer_list<const char*> keys) {
  const nlohmann::json* current = &object;
  for (const char* key : keys) {
    if (!current->is_object() || !current->contains(key)) return "";
    current = &(*current)[key];
  }
  return current->is_string() ? current->get<std::string>() : "";
}

NodeInfo node_info(const nlohmann::json& node) {
  NodeInfo info{.name = string_at(node, {"metadata", "name"}),
                .ready = condition_true(node, "Ready"),
                .unschedulable = json_bool(json_member(node, "spec"), "unschedulable", false),
                .kubelet_version = string_at(node, {"status", "nodeInfo", "kubeletVersion"}),
                .os_image = string_at(node, {"status", "nodeInfo", "osImage"}),
                .labels = {}};
  const auto& metadata = node.contains("metadata") ? node["metadata"] : nlohmann::json::object();
  if (metadata.contains("labels") && metadata["labels"].is_object()) {
    for (const auto& [key, value] : metadata["labels"].items()) {
      if (value.is_string()) info.labels[key] = value.get<std::string>();
    }
  }
  return info;
}

PodRef pod_ref(const nlohmann::json& pod) {
  PodRef ref{.namespace_name = string_at(pod, {"metadata", "namespace"}),
             .name = string_at(pod, {"metadata", "name"})};
  const auto& metadata = pod.contains("metadata") ? pod["metadata"] : nlohmann::json::object();
  if (metadata.contains("ownerReferences") && metadata["ownerReferences"].is_array()) {
    for (const auto& owner : metadata["ownerReferences"]) {
      if (json_string(owner, "kind") == "DaemonSet") ref.owned_by_daemonset = true;
    }
  }
  if (metadata.contains("annotations") && metadata["annotations"].is_object()) {
    ref.mirror = metadata["annotations"].contains("kubernetes.io/config.mirror");
  }
  return ref;
}

}  // namespace

Error error_from_response(const HttpResponse& response, const std::string& what) {
  std::string text =
      what + ": HTTP " + std::to_string(response.status) + ": " + status_message(response);
  switch (error_code_for_status(response.status)) {
    case ErrorCode::kUnauthenticated:
      text += " (nkd's client certificate was not accepted; check the cluster's CA)";
      break;
    case ErrorCode::kPermissionDenied:
      text += " (nkd's group nkd:controllers lacks the permission: check the ClusterRole "
              "nkd:controller and its binding, installed at the cluster's bring-up)";
      break;
    case ErrorCode::kUnavailable:
      text += response.status == 429 ? " (the API server asks nkd to slow down; nkd retries later)"
                                     : " (the API server failed; nkd retries later)";
      break;
    default: break;
  }
  return error_for_response(response, std::move(text));
}

KubeClient::KubeClient(HttpClient& http, KubeEndpoint endpoint, const Clock& clock,
                       metrics::Metrics* metrics, KubeClientOptions options)
    : http_(http),
      endpoint_(std::move(endpoint)),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)) {
  options_.retry.clock = &clock_;
}

Result<HttpResponse> KubeClient::send(const Call& call) {
  HttpRequest request{.method = call.method,
                      .url = endpoint_.server_url + call.path,
                      .headers = {{"Accept", "application/json"}},
                      .body = call.body,
                      .timeout_ms = options_.request_timeout_ms,
                      .connect_timeout_ms = options_.connect_timeout_ms,
                      .ca_pem = endpoint_.ca_pem,
                      .client_cert_pem = endpoint_.client_cert_pem,
                      .client_key_pem = endpoint_.client_key_pem,
                      .connect_to = endpoint_.connect_to};
  if (!call.content_type.empty()) request.headers.emplace_back("Content-Type", call.content_type);
  RetryPolicy policy = options_.retry;
  policy.retry_non_idempotent = call.retry_non_idempotent;
  if (call.deadline_ms > 0) policy.total_deadline_ms = call.deadline_ms;
  metrics::MeteredHttpClient metered(http_, clock_, metrics_, "kube", call.operation);
  NKD_ASSIGN_OR_RETURN_WRAP(
      HttpResponse response, send_with_retry(metered, request, policy),
      "kube " + call.operation + " " + call.method + " " + endpoint_.server_url + call.path);
  return response;
}

Result<nlohmann::json> KubeClient::json_or_error(const Result<HttpResponse>& response,
                                                 const std::string& what) {
  if (!response) return response.error();
  if (response->status / 100 != 2) return error_from_response(*response, what);
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded()) {
    return Error{ErrorCode::kParse, what + ": the API server answered " +
                                        std::to_string(response->status) +
                                        " with a body that is not JSON"};
  }
  return body;
}

Status KubeClient::readyz() {
  NKD_ASSIGN_OR_RETURN(auto response,
                       send({.operation = "readyz", .method = "GET", .path = "/readyz"}));
  if (response.status != 200) {
    return Error{ErrorCode::kUnavailable, "the API server at " + endpoint_.server_url +
                                              " is not ready (GET /readyz answered " +
                                              std::to_string(response.status) + "); waiting"};
  }
  return ok_status();
}

Result<std::vector<NodeInfo>> KubeClient::list_nodes() {
  NKD_ASSIGN_OR_RETURN(
      auto list,
      json_or_error(send({.operation = "list_nodes", .method = "GET", .path = "/api/v1/nodes"}),
                    "listing nodes"));
  std::vector<NodeInfo> nodes;
  if (list.contains("items") && list["items"].is_array()) {
    for (const auto& item : list["items"]) nodes.push_back(node_info(item));
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const NodeInfo& a, const NodeInfo& b) { return a.name < b.name; });
  return nodes;
}

Result<nlohmann::json> KubeClient::apply(std::string_view manifest_yaml) {
  NKD_ASSIGN_OR_RETURN(auto object, yaml_to_json(manifest_yaml));
  NKD_ASSIGN_OR_RETURN(auto ref, object_ref_of(object));
  NKD_ASSIGN_OR_RETURN(auto path, resource_path(ref));
  // Apply is idempotent by design: repeating it converges on the same object.
  return json_or_error(send({.operation = "apply",
                             .method = "PATCH",
                             .path = path + "?fieldManager=" + kFieldManager + "&force=true",
                             .body = std::string(manifest_yaml),
                             .content_type = "application/apply-patch+yaml",
                             .retry_non_idempotent = true}),
                       "applying " + ref.kind + " " + ref.name);
}

Result<std::optional<nlohmann::json>> KubeClient::get(const ObjectRef& ref) {
  NKD_ASSIGN_OR_RETURN(auto path, resource_path(ref));
  auto response = send({.operation = "get", .method = "GET", .path = path});
  if (response && response->status == 404) return std::optional<nlohmann::json>();
  NKD_ASSIGN_OR_RETURN(auto object,
                       json_or_error(response, "reading " + ref.kind + " " + ref.name));
  return std::optional<nlohmann::json>(std::move(object));
}

Result<bool> KubeClient::crd_established(const std::string& name) {
  NKD_ASSIGN_OR_RETURN(auto crd, get(ObjectRef{.api_version = "apiextensions.k8s.io/v1",
                                               .kind = "CustomResourceDefinition",
                                               .name = name}));
  return crd.has_value() && condition_true(*crd, "Established");
}

Status KubeClient::cordon(const std::string& node) {
  NKD_RETURN_IF_ERROR(json_or_error(send({.operation = "cordon",
                                          .method = "PATCH",
                                          .path = "/api/v1/nodes/" + node,
                                          .body = R"({"spec":{"unschedulable":true}})",
                                          .content_type = "application/strategic-merge-patch+json",
                                          .retry_non_idempotent = true}),
                                    "cordoning node " + node));
  return ok_status();
}

Status KubeClient::label_node(const std::string& node, const std::string& key,
                              const std::string& value) {
  const nlohmann::json patch = {{"metadata", {{"labels", {{key, value}}}}}};
  NKD_RETURN_IF_ERROR(json_or_error(send({.operation = "label_node",
                                          .method = "PATCH",
                                          .path = "/api/v1/nodes/" + node,
                                          .body = patch.dump(),
                                          .content_type = "application/merge-patch+json",
                                          .retry_non_idempotent = true}),
                                    "labelling node " + node + " " + key));
  return ok_status();
}

Result<std::vector<PodRef>> KubeClient::list_pods_on(const std::string& node) {
  NKD_ASSIGN_OR_RETURN(
      auto list, json_or_error(send({.operation = "list_pods",
                                     .method = "GET",
                                     .path = "/api/v1/pods?fieldSelector=spec.nodeName%3D" + node}),
                               "listing the pods on node " + node));
  std::vector<PodRef> pods;
  if (list.contains("items") && list["items"].is_array()) {
    for (const auto& item : list["items"]) pods.push_back(pod_ref(item));
  }
  return pods;
}

Status KubeClient::evict(const PodRef& pod, Clock::TimePoint deadline) {
  const nlohmann::json eviction = {
      {"apiVersion", "policy/v1"},
      {"kind", "Eviction"},
      {"metadata", {{"name", pod.name}, {"namespace", pod.namespace_name}}}};
  const std::string what = "evicting pod " + pod.namespace_name + "/" + pod.name;
  for (int attempt = 1;; ++attempt) {
    const auto remaining_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.steady_now())
            .count();
    if (remaining_ms <= 0) {
      return Error{ErrorCode::kTimeout,
                   what + ": a PodDisruptionBudget still forbids it after " +
                       std::to_string(attempt - 1) +
                       " attempts and the drain timeout passed; check the budget or raise "
                       "spec.upgrade.drainTimeout"};
    }
    auto response = send({.operation = "evict",
                          .method = "POST",
                          .path = "/api/v1/namespaces/" + pod.namespace_name + "/pods/" +
                                  pod.name + "/eviction",
                          .body = eviction.dump(),
                          .content_type = "application/json",
                          .retry_non_idempotent = true,
                          .deadline_ms = std::min(remaining_ms, options_.retry.total_deadline_ms)});
    if (!response) {
      // A transfer cut short by the drain deadline reports as the budget timeout above.
      if (clock_.steady_now() >= deadline) continue;
      return response.error().wrap(what);
    }
    if (response->status / 100 == 2 || response->status == 404) return ok_status();
    if (response->status != 429) return error_from_response(*response, what);
    const auto left = deadline - clock_.steady_now();
    clock_.sleep_for(std::min(std::chrono::milliseconds(options_.eviction_retry_ms),
                            std::chrono::duration_cast<std::chrono::milliseconds>(left) +
                                std::chrono::milliseconds(1)));
  }
}

Status KubeClient::delete_node(const std::string& node) {
  auto response =
      send({.operation = "delete_node", .method = "DELETE", .path = "/api/v1/nodes/" + node});
  if (response && response->status == 404) return ok_status();
  NKD_RETURN_IF_ERROR(json_or_error(response, "deleting node " + node));
  return ok_status();
}

}  // namespace nkd::kube
