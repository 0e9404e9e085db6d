// KubeClient: the few Kubernetes API calls nkd makes (DESIGN.md §1 Providers: kube) over the
// daemon's HttpClient, with mutual TLS: the server is verified against the cluster CA, nkd
// presents its own client certificate (kube_identity.h). `connect_to` follows curl's
// --connect-to, so a tunnel or a test fake can be dialled while TLS is still checked against the
// cluster's endpoint name (DESIGN.md §4 apiServers).
//
// Every call goes through send_with_retry with a per-request timeout, and each attempt is counted
// in nkd_provider_requests_total / nkd_provider_request_duration_seconds with provider="kube"
// (metrics::MeteredHttpClient) when a Metrics is given. Errors: transport failures keep the
// HttpClient's code (kUnauthenticated for an untrusted server, kEgressDenied, kTimeout,
// kUnavailable); HTTP answers map as common/http_status.h says (401 kUnauthenticated, 403
// kPermissionDenied, 404 kNotFound, 409 kConflict, 429 and 5xx kUnavailable, other 4xx
// kInvalidArgument), with the API's Status message in the text.
// Thread-safe as long as the HttpClient is.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "common/result.h"
#include "common/secret.h"

namespace nkd::metrics {
class Metrics;
}

namespace nkd::kube {

inline constexpr const char* kFieldManager = "nkd";
inline constexpr const char* kUpgradingLabel = "upgrade.housekeeper.io/upgrading";
inline constexpr const char* kUpgradeCompletedLabel = "upgrade.housekeeper.io/upgradeCompleted";
inline constexpr const char* kControlPlaneLabel = "node-role.kubernetes.io/control-plane";
// What housekeeper's operator selects control-plane nodes by (kubeadm no longer sets it).
inline constexpr const char* kMasterLabel = "node-role.kubernetes.io/master";

struct KubeEndpoint {
  std::string server_url;  // "https://api.prod-east.example.org:6443", no trailing slash
  std::string connect_to;  // "host:port:connect-host:connect-port"; empty = dial server_url
  std::string ca_pem;      // the cluster's kubernetes CA
  std::string client_cert_pem;
  Secret client_key_pem;
};

struct KubeClientOptions {
  std::int64_t request_timeout_ms = 15'000;
  std::int64_t connect_timeout_ms = 5'000;
  RetryPolicy retry{.max_attempts = 4, .total_deadline_ms = 30'000};
  // Pause between evictions a PodDisruptionBudget refused (429).
  std::int64_t eviction_retry_ms = 5'000;
};

// What nkd reads from a Node object.
struct NodeInfo {
  std::string name;
  bool ready = false;  // condition Ready is "True"
  bool unschedulable = false;
  std::string kubelet_version;  // status.nodeInfo.kubeletVersion
  std::string os_image;         // status.nodeInfo.osImage
  std::map<std::string, std::string> labels;
};

struct PodRef {
  std::string namespace_name;
  std::string name;
  bool owned_by_daemonset = false;  // drained nodes keep these: their controller ignores cordons
  bool mirror = false;              // static pods (kubelet-managed) cannot be evicted
};

// Which object a manifest names, and where it lives in the REST API.
struct ObjectRef {
  std::string api_version;  // "apps/v1"
  std::string kind;         // "Deployment"
  std::string namespace_name;
  std::string name;
  bool operator==(const ObjectRef&) const = default;
};

// A manifest YAML document as JSON (quoted scalars stay strings; plain true/false, integers and
// floats become booleans and numbers, null/~ null).
[[nodiscard]] Result<nlohmann::json> yaml_to_json(std::string_view yaml);
[[nodiscard]] Result<ObjectRef> object_ref_of(const nlohmann::json& object);
// The object's REST path, e.g. /apis/apps/v1/namespaces/ns/deployments/name. Knows the kinds
// housekeeper emits (and Node, Pod); kNotFound for any other kind.
[[nodiscard]] Result<std::string> resource_path(const ObjectRef& ref);

class KubeClient {
 public:
  // `metrics` may be null (no counting); the references must outlive the client. `clock` times
  // the retries (it replaces options.retry.clock), the eviction pauses and the deadlines.
  KubeClient(HttpClient& http, KubeEndpoint endpoint, const Clock& clock,
             metrics::Metrics* metrics = nullptr, KubeClientOptions options = {});

  // GET /readyz: ok when the API server answers 200.
  [[nodiscard]] Status readyz();
  [[nodiscard]] Result<std::vector<NodeInfo>> list_nodes();
  // Server-side apply (fieldManager=nkd, force=true) of one manifest; returns the object as the
  // server holds it afterwards.
  [[nodiscard]] Result<nlohmann::json> apply(std::string_view manifest_yaml);
  // The object, or nullopt when the API answers 404.
  [[nodiscard]] Result<std::optional<nlohmann::json>> get(const ObjectRef& ref);
  // True once the CRD `name` reports condition Established=True; false while it does not (or does
  // not exist yet).
  [[nodiscard]] Result<bool> crd_established(const std::string& name);
  [[nodiscard]] Status cordon(const std::string& node);
  // Sets one label on a Node (JSON merge patch; idempotent).
  [[nodiscard]] Status label_node(const std::string& node, const std::string& key,
                                  const std::string& value);
  [[nodiscard]] Result<std::vector<PodRef>> list_pods_on(const std::string& node);
  // Evicts through the Eviction API (policy/v1). A 429 (a PodDisruptionBudget forbids it for
  // now) is retried every eviction_retry_ms until `deadline`, then kTimeout naming the pod. A pod
  // that is already gone counts as evicted.
  [[nodiscard]] Status evict(const PodRef& pod, Clock::TimePoint deadline);
  // Deletes the Node object; a node that is already gone is not an error.
  [[nodiscard]] Status delete_node(const std::string& node);

  [[nodiscard]] const KubeEndpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] const Clock& clock() const { return clock_; }

 private:
  struct Call {
    std::string operation;  // metric label
    std::string method;
    std::string path;  // with query
    std::string body;
    std::string content_type;
    bool retry_non_idempotent = false;
    std::int64_t deadline_ms = 0;  // 0: options_.retry.total_deadline_ms
  };
  [[nodiscard]] Result<HttpResponse> send(const Call& call);
  // 2xx: the body as JSON; otherwise an Error that names `what`.
  [[nodiscard]] Result<nlohmann::json> json_or_error(const Result<HttpResponse>& response,
                                                     const std::string& what);

  HttpClient& http_;
  KubeEndpoint endpoint_;
  const Clock& clock_;
  metrics::Metrics* metrics_;
  KubeClientOptions options_;
};

// The error an HTTP answer maps to (see the class comment); `what` says which call it was.
[[nodiscard]] Error error_from_response(const HttpResponse& response, const std::string& what);

}  // namespace nkd::kube
