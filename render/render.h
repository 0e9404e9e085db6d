// The renderer: a pure function (cluster model, cluster PKI, options) -> artifacts with digests.
// No clock, no randomness, no I/O: the same inputs give byte-identical output.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret.h"
#include "model/cluster.h"
#include "render/pki/cluster_pki.h"

namespace nkd::render {

// Nova's user_data limit; a config whose base64 form is larger is served by the daemon instead.
inline constexpr std::size_t kUserDataLimitBytes = 65535;

struct Artifact {
  std::string path;  // relative to OUT/<cluster>/: "nodes/<node>.ign", "housekeeper/01-crd.yaml"
  std::string content;
  std::string sha256;
};

// The folders of Kubernetes objects applied to a cluster (one object per file, applied in path
// order within a folder): nkd's own RBAC (installed at bring-up, or by nkd with an admin
// certificate when it is refused), the network plugin, then housekeeper.
inline constexpr std::string_view kAccessManifests = "access/";
inline constexpr std::string_view kNetworkManifests = "network/";
inline constexpr std::string_view kHousekeeperManifests = "housekeeper/";

// Whether `artifact` is a Kubernetes object nkd applies (any folder above).
[[nodiscard]] inline bool is_cluster_manifest(const Artifact& artifact) {
  return artifact.path.starts_with(kAccessManifests) ||
         artifact.path.starts_with(kNetworkManifests) ||
         artifact.path.starts_with(kHousekeeperManifests);
}

// A string (a digest, a config) worked out the first time it is asked for, then kept; copies
// share it. Rendering stays one config per node on its hot path, and the few callers that need
// the value (a create, a config that changed) pay for it once. Thread-safe. Default: none.
class LazyString {
 public:
  LazyString() = default;
  explicit LazyString(std::function<std::string()> compute)
      : state_(std::make_shared<State>(std::move(compute))) {}
  [[nodiscard]] static LazyString of(std::string value) {
    return LazyString([value = std::move(value)] { return value; });
  }
  [[nodiscard]] bool empty() const { return state_ == nullptr; }
  // Precondition: !empty().
  [[nodiscard]] const std::string& get() const {
    std::call_once(state_->once, [this] { state_->value = state_->compute(); });
    return state_->value;
  }

 private:
  struct State {
    explicit State(std::function<std::string()> function) : compute(std::move(function)) {}
    std::once_flag once;
    std::function<std::string()> compute;
    std::string value;
  };
  std::shared_ptr<State> state_;
};

struct NodeRender {
  model::Node node;
  std::string ignition;         // the full config (JSON text)
  std::string ignition_sha256;  // digest of `ignition`
  bool needs_pointer = false;   // base64(ignition) exceeds kUserDataLimitBytes
  std::string pointer_ignition; // set when needs_pointer: what goes into user_data
  Secret fetch_token;           // bearer token for GET /ignition/<cluster>/<node>
  // The digest of this node's config rendered with os.version, os.imageURL and
  // kubernetes.version pinned to fixed placeholders (and without what only the cluster's first
  // boot reads). Ignition runs at first boot only, so a change of this digest needs a new
  // machine; a change of ignition_sha256 alone is a version change housekeeper applies in place
  // (plan/node_plan.h decides). Computed on first use.
  LazyString boot_digest;
  // That pinned config itself, for showing which first-boot inputs changed (`nkd plan`).
  // Computed on first use, apart from boot_digest, so a kept digest does not keep the text.
  LazyString boot_ignition;
};

struct ClusterRender {
  std::string cluster;
  std::vector<NodeRender> nodes;
  // nodes/*.ign, access/*.yaml, housekeeper/*.yaml, network/*.yaml, pki/ca.crt,
  // upgrade/target.yaml (the versions housekeeper upgrades to); sorted by path.
  std::vector<Artifact> artifacts;
  std::string digest;               // SHA-256 over every artifact's path and digest, in path order
};

struct RenderOptions {
  // Where nodes fetch configs too large for user_data: <base>/ignition/<cluster>/<node>.
  std::string ignition_base_url = "http://127.0.0.1:9480";
  // The CA (PEM) that signed the certificate of an https base URL: pointer configs pin it, so
  // nodes trust that listener without a public CA. Empty: nodes use their system CAs only.
  std::string ignition_ca_pem;
};

// Where a node fetches its published config: <base_url>/ignition/<cluster>/<node> (a trailing
// '/' of the base is dropped). Pointer configs, `nkd node-url` and boot scripts all use it.
[[nodiscard]] std::string node_config_url(std::string_view base_url, const std::string& cluster,
                                          const std::string& node);

[[nodiscard]] ClusterRender render_cluster(const model::Cluster& cluster, const pki::ClusterPki& pki,
                                           const RenderOptions& options);

}  // namespace nkd::render
