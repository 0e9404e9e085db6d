// FakeKubeApi: a stand-in for a cluster's Kubernetes API server, written from the Kubernetes API
// reference for the calls nkd makes. It listens on 127.0.0.1 at a port it picks (httplib
// SSLServer), presents the cluster's own apiserver certificate from a ClusterPki, and requires a
// client certificate signed by the cluster CA (the TLS handshake fails without one). RBAC: the
// certificate's CN is the user and its O the group; system:masters may do anything; any other
// user is authorized against the ClusterRoles/Roles that stored ClusterRoleBindings/RoleBindings
// bind to it (verbs get/list/watch/create/update/patch/delete and bind/escalate as given,
// apiGroups, resources with subresources such as pods/eviction, resourceNames; `*` wildcards),
// and a request outside them gets 403 with a Forbidden Status as the API server words it. A
// server-side apply that creates its object needs `create` as well as `patch`. grant() stores
// such RBAC objects as the cluster's admin would apply them (nkd_access_manifests at bring-up).
//
// Models: GET /readyz (can fail the next N times with 500); nodes (GET list and item, PATCH with
// application/merge-patch+json or strategic-merge-patch+json, DELETE); pods (GET
// /api/v1/pods?fieldSelector=spec.nodeName=X, the policy/v1 Eviction subresource: a pod
// disruption budget is modelled as "the next N evictions answer 429 TooManyRequests"); server-side
// apply (PATCH application/apply-patch+yaml, fieldManager required, force=true needed to take
// fields a hand edit changed, else 409) and GET for namespaces, serviceaccounts, clusterroles,
// clusterrolebindings, deployments, daemonsets, customresourcedefinitions and any custom resource
// once its CRD is Established (after a configurable delay; before that its paths answer 404);
// namespaced objects need their Namespace (404 otherwise); metadata.uid, resourceVersion,
// generation, creationTimestamp; errors as metav1.Status JSON; Deployments get the server's
// defaults for revisionHistoryLimit and progressDeadlineSeconds, so callers see server-added
// fields.
//
// Does not model: watch, admission and validation against schemas, full field ownership
// (managedFields is not returned; lists are atomic; only fields nkd applied last time are pruned),
// label selectors, resourceVersion preconditions, graceful pod termination, finalizers, garbage
// collection, aggregated discovery, or any kind not listed above. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "render/housekeeper/housekeeper.h"
#include "render/pki/cluster_pki.h"
#include "tests/support/serving_thread.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace nkd::testing {

// The API server name tests give their kube clients (the fake's certificate is the cluster's);
// connect_to() routes it to the fake.
inline constexpr const char* kFakeKubeApiHost = "api.prod-east.example.org";

struct FakeNode {
  std::string name;
  bool ready = true;
  std::string kubelet_version = "v1.29.1";
  std::string os_image = "NestOS For Container 22.03-LTS-SP3.20240110";
  std::map<std::string, std::string> labels;
};

struct FakeRequest {
  std::string method;
  std::string path;  // without the query
  std::string query;
  std::string client_common_name;
  int status = 0;  // the answer's HTTP status
};

class FakeKubeApi {
 public:
  // Serves an apiserver certificate issued from `pki`'s CA for `cluster` (the names and
  // addresses kubeadm would put in it), and trusts client certificates of that CA.
  FakeKubeApi(const pki::ClusterPki& pki, const model::Cluster& cluster);
  ~FakeKubeApi();
  FakeKubeApi(const FakeKubeApi&) = delete;
  FakeKubeApi& operator=(const FakeKubeApi&) = delete;

  [[nodiscard]] int port() const { return serving_->port(); }
  // curl's --connect-to for reaching this server as https://<host>:6443.
  [[nodiscard]] std::string connect_to(const std::string& host) const;

  // Test hooks.
  // Stores RBAC objects (ClusterRole, ClusterRoleBinding, Role, RoleBinding) as an admin's
  // apply would, e.g. housekeeper::nkd_access_manifests(cluster).
  void grant(const std::vector<housekeeper::Manifest>& manifests);
  void fail_readyz(int count);
  // Every request with `method` but /readyz is answered 503 (an API server restarting behind
  // a load balancer) until called again with false.
  void set_method_unavailable(const std::string& method, bool unavailable);
  void set_crd_establish_delay(std::chrono::milliseconds delay);
  void add_node(const FakeNode& node);
  void set_node_ready(const std::string& name, bool ready);
  void set_node_versions(const std::string& name, const std::string& kubelet_version,
                         const std::string& os_image);
  // An empty value removes the label.
  void set_node_label(const std::string& name, const std::string& key, const std::string& value);
  void add_pod(const std::string& namespace_name, const std::string& name,
               const std::string& node, bool owned_by_daemonset = false);
  // The next `count` evictions answer 429, as a PodDisruptionBudget with no disruptions allowed.
  void block_evictions(int count);
  // Changes a stored object as `kubectl edit` would (a new resourceVersion); false if absent.
  bool edit_object(const std::string& path, const std::function<void(nlohmann::json&)>& change);

  // Deletes a stored object as `kubectl delete` would; false if absent.
  bool remove_object(const std::string& path);
  [[nodiscard]] std::optional<nlohmann::json> object(const std::string& path) const;
  [[nodiscard]] bool has_object(const std::string& path) const { return object(path).has_value(); }
  [[nodiscard]] std::vector<FakeRequest> requests() const;
  // "METHOD /path" for every request in arrival order.
  [[nodiscard]] std::vector<std::string> request_log() const;
  [[nodiscard]] int requests_to(const std::string& method, const std::string& path) const;

 private:
  struct Stored {
    nlohmann::json object;
    nlohmann::json applied;  // what the field manager applied last; null when never applied
    bool edited = false;     // changed by someone else since
  };
  // A request path resolved against the resource table (and established CRDs).
  struct Target {
    std::string api_version;  // "v1", "apps/v1"
    std::string kind;
    std::string namespace_name;
    std::string plural;
    std::string name;         // empty for a collection
    std::string subresource;  // "eviction", ...
    bool namespaced = false;
    [[nodiscard]] std::string object_path() const;  // canonical REST path of the object
  };

  static void answer_status(httplib::Response& response, int code, const std::string& reason,
                            const std::string& message);
  void handle(const httplib::Request& request, httplib::Response& response);
  void dispatch(const httplib::Request& request, const Target& target,
                httplib::Response& response);
  void handle_list(const httplib::Request& request, const Target& target,
                   httplib::Response& response);
  void handle_apply(const httplib::Request& request, const Target& target,
                    httplib::Response& response);
  void handle_merge_patch(const httplib::Request& request, const Target& target,
                          httplib::Response& response);
  void handle_eviction(const httplib::Request& request, const Target& target,
                       httplib::Response& response);
  [[nodiscard]] std::optional<Target> resolve(const std::string& path) const;
  [[nodiscard]] nlohmann::json present(const std::string& path, const Stored& stored) const;
  void stamp_new(nlohmann::json& object);
  std::string next_resource_version();
  bool authorize(const httplib::Request& request, httplib::Response& response);
  // The RBAC verb of a request: get/list/watch/create/patch/update/delete/deletecollection.
  [[nodiscard]] static std::string verb_of(const httplib::Request& request);
  // RBAC for the request's user: may `verb` be done to the resource the path names?
  [[nodiscard]] bool allowed(const std::string& verb, const std::string& path,
                             const std::string& name_override = "") const;
  // Answers 403 as the API server does for `verb` on the path's resource.
  void forbid(httplib::Response& response, const std::string& verb, const std::string& path) const;

  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<ServingThread> serving_;

  mutable std::mutex mutex_;
  std::map<std::string, Stored> objects_;  // keyed by REST path
  std::string user_;                // the current request's client certificate CN
  std::vector<std::string> groups_; // and O (with system:authenticated)
  std::map<std::string, std::chrono::steady_clock::time_point> crd_created_;
  std::vector<FakeRequest> requests_;
  std::chrono::milliseconds crd_establish_delay_{0};
  int readyz_failures_ = 0;
  std::set<std::string> unavailable_methods_;
  int evictions_blocked_ = 0;
  long resource_version_ = 1000;
  long uid_counter_ = 0;
};

// A real PKI (CAs, apiserver certificate) for `cluster`, made with pki::ensure_pki at the current
// time; the fake serves its apiserver certificate.
[[nodiscard]] pki::ClusterPki make_real_pki(const model::Cluster& cluster);

}  // namespace nkd::testing
