// FakeKubeApi: TLS setup, path resolution, test hooks and the request log. The request handlers
// are in fake_kube_api_handlers.cc.
#include "tests/fakes/fake_kube_api.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <stdexcept>

#include "common/openssl_handles.h"
#include "tests/support/serving_thread.h"
#include "tests/support/test_support.h"

namespace nkd::testing {
namespace {

struct BuiltinKind {
  const char* api_version;
  const char* plural;
  const char* kind;
  bool namespaced;
};

constexpr BuiltinKind kBuiltinKinds[] = {
    {"v1", "namespaces", "Namespace", false},
    {"v1", "nodes", "Node", false},
    {"v1", "serviceaccounts", "ServiceAccount", true},
    {"v1", "configmaps", "ConfigMap", true},
    {"v1", "secrets", "Secret", true},
    {"v1", "pods", "Pod", true},
    {"rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", false},
    {"rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", false},
    {"rbac.authorization.k8s.io/v1", "roles", "Role", true},
    {"rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", true},
    {"apps/v1", "deployments", "Deployment", true},
    {"apps/v1", "daemonsets", "DaemonSet", true},
    {"policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", true},
    {"apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", false},
};

constexpr const char* kCrdPrefix = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/";

X509Ptr read_certificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) throw std::runtime_error("FakeKubeApi: a certificate of the PKI does not parse");
  return certificate;
}

EvpPkeyPtr read_key(const Secret& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.reveal().data(), static_cast<int>(pem.reveal().size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw std::runtime_error("FakeKubeApi: the apiserver key of the PKI does not parse");
  return key;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// The subject's attribute `nid` of the client certificate, or "".
std::string peer_attribute(const httplib::Request& request, int nid) {
  if (request.ssl == nullptr) return "";
  X509* peer = SSL_get0_peer_certificate(request.ssl);
  if (peer == nullptr) return "";
  char buffer[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), nid, buffer, sizeof buffer) < 0) {
    return "";
  }
  return buffer;
}

}  // namespace

pki::ClusterPki make_real_pki(const model::Cluster& cluster) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto made = pki::ensure_pki(cluster, std::nullopt, now);
  if (!made) throw std::runtime_error("FakeKubeApi: making a PKI failed: " + made.error().message);
  return std::move(*made);
}

std::string FakeKubeApi::Target::object_path() const {
  std::string path = api_version == "v1" ? "/api/v1" : "/apis/" + api_version;
  if (namespaced) path += "/namespaces/" + namespace_name;
  return path + "/" + plural + "/" + name;
}

FakeKubeApi::FakeKubeApi(const pki::ClusterPki& pki, const model::Cluster& cluster) {
  constexpr std::int64_t kDaySeconds = 24 * 60 * 60;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto serving = pki::issue_apiserver_cert(pki, cluster, kDaySeconds, now);
  if (!serving) throw std::runtime_error("FakeKubeApi: " + serving.error().message);
  auto certificate = read_certificate(serving->cert_pem);
  auto key = read_key(serving->key_pem);
  auto ca = read_certificate(pki.ca.cert_pem);
  auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& context) {
    SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate(&context, certificate.get()) != 1) return false;
    if (SSL_CTX_use_PrivateKey(&context, key.get()) != 1) return false;
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(&context), ca.get()) != 1) return false;
    SSL_CTX_add_client_CA(&context, ca.get());
    // The API server refuses a handshake without a client certificate the CA signed.
    SSL_CTX_set_verify(&context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return true;
  });
  if (!server->is_valid()) throw std::runtime_error("FakeKubeApi: TLS setup failed");
  // The namespaces every cluster kubeadm makes starts with.
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    objects_[std::string("/api/v1/namespaces/") + name] = Stored{
        .object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}},
        .applied = nullptr};
  }
  auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    handle(request, response);
  };
  server->Get(".*", handler);
  server->Post(".*", handler);
  server->Patch(".*", handler);
  server->Delete(".*", handler);
  server->Put(".*", handler);
  server_ = std::move(server);
  serving_ = std::make_unique<ServingThread>(*server_, "FakeKubeApi");
}

FakeKubeApi::~FakeKubeApi() {
  serving_.reset();  // stops the handlers before the objects they use go
}

std::string FakeKubeApi::connect_to(const std::string& host) const {
  return host + ":6443:127.0.0.1:" + std::to_string(serving_->port());
}

void FakeKubeApi::answer_status(httplib::Response& response, int code, const std::string& reason,
                                const std::string& message) {
  response.status = code;
  const nlohmann::json status = {{"kind", "Status"},       {"apiVersion", "v1"},
                                 {"metadata", nlohmann::json::object()},
                                 {"status", code / 100 == 2 ? "Success" : "Failure"},
                                 {"message", message}, {"reason", reason},
                                 {"code", code}};
  response.set_content(status.dump(), "application/json");
}

bool FakeKubeApi::authorize(const httplib::Request& request, httplib::Response& response) {
  user_ = peer_attribute(request, NID_commonName);
  groups_ = {"system:authenticated"};
  if (const std::string group = peer_attribute(request, NID_organizationName); !group.empty()) {
    groups_.push_back(group);
  }
  // /readyz and /version are open to every authenticated client (system:public-info-viewer).
  if (request.path == "/readyz" || request.path == "/version") return true;
  const std::string verb = verb_of(request);
  if (allowed(verb, request.path)) return true;
  forbid(response, verb, request.path);
  return false;
}

void FakeKubeApi::handle(const httplib::Request& request, httplib::Response& response) {
  std::lock_guard lock(mutex_);
  const std::size_t question = request.target.find('?');
  requests_.push_back(FakeRequest{
      .method = request.method,
      .path = request.path,
      .query = question == std::string::npos ? "" : request.target.substr(question + 1),
      .client_common_name = peer_attribute(request, NID_commonName)});
  struct RecordStatus {
    FakeRequest& entry;
    httplib::Response& response;
    ~RecordStatus() { entry.status = response.status < 0 ? 200 : response.status; }
  } record{requests_.back(), response};
  if (!authorize(request, response)) return;
  if (request.path == "/readyz" && request.method == "GET") {
    if (readyz_failures_ > 0) {
      --readyz_failures_;
      response.status = 500;
      response.set_content("[-]etcd failed: reason withheld\nreadyz check failed\n", "text/plain");
      return;
    }
    response.set_content("ok", "text/plain");
    return;
  }
  if (unavailable_methods_.contains(request.method)) {
    answer_status(response, 503, "ServiceUnavailable", "the server is currently unable to handle "
                  "the request");
    return;
  }
  const auto target = resolve(request.path);
  if (!target) {
    answer_status(response, 404, "NotFound", "the server could not find the requested resource");
    return;
  }
  dispatch(request, *target, response);
}

std::optional<FakeKubeApi::Target> FakeKubeApi::resolve(const std::string& path) const {
  const auto parts = split_path(path);
  Target target;
  std::size_t rest = 0;
  if (parts.size() >= 2 && parts[0] == "api" && parts[1] == "v1") {
    target.api_version = "v1";
    rest = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    target.api_version = parts[1] + "/" + parts[2];
    rest = 3;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> tail(parts.begin() + static_cast<long>(rest), parts.end());
  if (tail.empty() || tail.size() > 5) return std::nullopt;
  if (tail.size() >= 3 && tail[0] == "namespaces") {
    target.namespace_name = tail[1];
    tail.erase(tail.begin(), tail.begin() + 2);
  }
  target.plural = tail[0];
  if (tail.size() > 1) target.name = tail[1];
  if (tail.size() > 2) target.subresource = tail[2];
  if (tail.size() > 3) return std::nullopt;
  bool known = false;
  for (const BuiltinKind& kind : kBuiltinKinds) {
    if (target.api_version == kind.api_version && target.plural == kind.plural) {
      target.kind = kind.kind;
      target.namespaced = kind.namespaced;
      known = true;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto it = objects_.lower_bound(kCrdPrefix); !known && it != objects_.end(); ++it) {
    if (it->first.rfind(kCrdPrefix, 0) != 0) break;
    const auto created = crd_created_.find(it->first);
    if (created == crd_created_.end() || now < created->second + crd_establish_delay_) continue;
    const nlohmann::json& spec = it->second.object["spec"];
    if (spec.value("names", nlohmann::json::object()).value("plural", "") != target.plural) continue;
    for (const auto& version : spec.value("versions", nlohmann::json::array())) {
      if (spec.value("group", "") + "/" + version.value("name", "") != target.api_version) continue;
      target.kind = spec["names"].value("kind", "");
      target.namespaced = spec.value("scope", "") == "Namespaced";
      known = true;
    }
  }
  if (!known) return std::nullopt;
  // A namespaced object needs its namespace; a cluster-scoped one takes none. Only collections of
  // namespaced kinds may be listed across namespaces.
  if (!target.namespaced && !target.namespace_name.empty()) return std::nullopt;
  if (target.namespaced && target.namespace_name.empty() && !target.name.empty()) {
    return std::nullopt;
  }
  return target;
}

nlohmann::json FakeKubeApi::present(const std::string& path, const Stored& stored) const {
  nlohmann::json object = stored.object;
  if (path.rfind(kCrdPrefix, 0) != 0) return object;
  const auto created = crd_created_.find(path);
  const bool established = created != crd_created_.end() &&
                           std::chrono::steady_clock::now() >= created->second + crd_establish_delay_;
  object["status"]["acceptedNames"] = object["spec"].value("names", nlohmann::json::object());
  object["status"]["conditions"] = nlohmann::json::array(
      {{{"type", "NamesAccepted"}, {"status", "True"}, {"reason", "NoConflicts"}},
       {{"type", "Established"},
        {"status", established ? "True" : "False"},
        {"reason", established ? "InitialNamesAccepted" : "Installing"}}});
  return object;
}

std::string FakeKubeApi::next_resource_version() { return std::to_string(++resource_version_); }

void FakeKubeApi::stamp_new(nlohmann::json& object) {
  auto& metadata = object["metadata"];
  metadata["uid"] = "00000000-0000-4000-8000-" + std::to_string(100000000000 + ++uid_counter_);
  metadata["resourceVersion"] = next_resource_version();
  metadata["creationTimestamp"] = "2026-01-01T00:00:00Z";
  metadata["generation"] = 1;
}

void FakeKubeApi::fail_readyz(int count) {
  std::lock_guard lock(mutex_);
  readyz_failures_ = count;
}

void FakeKubeApi::set_method_unavailable(const std::string& method, bool unavailable) {
  std::lock_guard lock(mutex_);
  if (unavailable) {
    unavailable_methods_.insert(method);
  } else {
    unavailable_methods_.erase(method);
  }
}

void FakeKubeApi::set_crd_establish_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  crd_establish_delay_ = delay;
}

void FakeKubeApi::add_node(const FakeNode& node) {
  nlohmann::json object = {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", node.name}, {"labels", node.labels}}},
      {"spec", nlohmann::json::object()},
      {"status",
       {{"conditions", {{{"type", "Ready"}, {"status", node.ready ? "True" : "False"}}}},
        {"nodeInfo", {{"kubeletVersion", node.kubelet_version}, {"osImage", node.os_image}}}}}};
  object["metadata"]["labels"]["kubernetes.io/hostname"] = node.name;
  std::lock_guard lock(mutex_);
  stamp_new(object);
  objects_["/api/v1/nodes/" + node.name] = Stored{.object = object, .applied = nullptr};
}

void FakeKubeApi::set_node_ready(const std::string& name, bool ready) {
  edit_object("/api/v1/nodes/" + name, [&](nlohmann::json& node) {
    node["status"]["conditions"][0]["status"] = ready ? "True" : "False";
  });
}

void FakeKubeApi::set_node_versions(const std::string& name, const std::string& kubelet_version,
                                    const std::string& os_image) {
  edit_object("/api/v1/nodes/" + name, [&](nlohmann::json& node) {
    node["status"]["nodeInfo"]["kubeletVersion"] = kubelet_version;
    node["status"]["nodeInfo"]["osImage"] = os_image;
  });
}

void FakeKubeApi::set_node_label(const std::string& name, const std::string& key,
                                 const std::string& value) {
  edit_object("/api/v1/nodes/" + name, [&](nlohmann::json& node) {
    if (value.empty()) {
      node["metadata"]["labels"].erase(key);
    } else {
      node["metadata"]["labels"][key] = value;
    }
  });
}

void FakeKubeApi::add_pod(const std::string& namespace_name, const std::string& name,
                          const std::string& node, bool owned_by_daemonset) {
  nlohmann::json object = {{"apiVersion", "v1"},
                           {"kind", "Pod"},
                           {"metadata", {{"name", name}, {"namespace", namespace_name}}},
                           {"spec", {{"nodeName", node}}},
                           {"status", {{"phase", "Running"}}}};
  if (owned_by_daemonset) {
    object["metadata"]["ownerReferences"] = nlohmann::json::array(
        {{{"apiVersion", "apps/v1"}, {"kind", "DaemonSet"}, {"name", "ds"}, {"controller", true}}});
  }
  std::lock_guard lock(mutex_);
  stamp_new(object);
  objects_["/api/v1/namespaces/" + namespace_name + "/pods/" + name] =
      Stored{.object = object, .applied = nullptr};
}

void FakeKubeApi::block_evictions(int count) {
  std::lock_guard lock(mutex_);
  evictions_blocked_ = count;
}

bool FakeKubeApi::edit_object(const std::string& path,
                              const std::function<void(nlohmann::json&)>& change) {
  std::lock_guard lock(mutex_);
  const auto it = objects_.find(path);
  if (it == objects_.end()) return false;
  change(it->second.object);
  it->second.object["metadata"]["resourceVersion"] = next_resource_version();
  it->second.edited = true;
  return true;
}

bool FakeKubeApi::remove_object(const std::string& path) {
  std::lock_guard lock(mutex_);
  crd_created_.erase(path);
  return objects_.erase(path) > 0;
}

std::optional<nlohmann::json> FakeKubeApi::object(const std::string& path) const {
  std::lock_guard lock(mutex_);
  const auto it = objects_.find(path);
  if (it == objects_.end()) return std::nullopt;
  return present(path, it->second);
}

std::vector<FakeRequest> FakeKubeApi::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> FakeKubeApi::request_log() const {
  std::vector<std::string> log;
  for (const FakeRequest& request : requests()) log.push_back(request.method + " " + request.path);
  return log;
}

int FakeKubeApi::requests_to(const std::string& method, const std::string& path) const {
  int count = 0;
  for (const FakeRequest& request : requests()) {
    if (request.method == method && request.path == path) ++count;
  }
  return count;
}

}  // namespace nkd::testing
