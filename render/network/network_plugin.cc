#include "render/network/network_plugin.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "render/network/plugin_manifests.h"

namespace nkd::network {
namespace {

// Distinct network settings are few even across many clusters; past this many the memo starts
// over rather than grow without bound.
constexpr std::size_t kMemoLimit = 64;

std::vector<NetworkManifest> render(const PluginInputs& inputs) {
  std::vector<NetworkManifest> manifests;
  switch (inputs.plugin) {
    case model::NetworkPlugin::kCalico:
      manifests = calico_manifests(inputs);
      break;
    case model::NetworkPlugin::kFlannel:
      manifests = flannel_manifests(inputs);
      break;
    case model::NetworkPlugin::kNone:
      return manifests;
  }
  std::sort(manifests.begin(), manifests.end(),
            [](const NetworkManifest& left, const NetworkManifest& right) {
              return left.file_name < right.file_name;
            });
  return manifests;
}

// Rendering calico's workloads costs more than the rest of a cluster's manifests together, and
// a fleet mostly repeats the same settings: equal inputs reuse one render. Safe to call from
// several threads.
class ManifestMemo {
 public:
  std::vector<NetworkManifest> get(const PluginInputs& inputs) {
    {
      const std::lock_guard lock(mutex_);
      const auto found = renders_.find(inputs);
      if (found != renders_.end()) return found->second;
    }
    std::vector<NetworkManifest> rendered = render(inputs);
    const std::lock_guard lock(mutex_);
    if (renders_.size() >= kMemoLimit) renders_.clear();
    renders_.emplace(inputs, rendered);
    return rendered;
  }

 private:
  std::mutex mutex_;
  std::map<PluginInputs, std::vector<NetworkManifest>> renders_;
};

}  // namespace

std::vector<NetworkManifest> network_plugin_manifests(const model::Cluster& cluster) {
  const model::KubernetesSpec& kubernetes = cluster.kubernetes;
  if (kubernetes.network_plugin == model::NetworkPlugin::kNone) return {};
  static ManifestMemo memo;
  return memo.get({.plugin = kubernetes.network_plugin,
                   .pod_subnet = kubernetes.pod_subnet,
                   .image_repository = kubernetes.network_plugin_config.image_repository,
                   .encapsulation = kubernetes.network_plugin_config.encapsulation});
}

}  // namespace nkd::network
