#include "render/network/network_plugin.h"

#include <algorithm>

#include "common/bounded_memo.h"
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

}  // namespace

std::vector<NetworkManifest> network_plugin_manifests(const model::Cluster& cluster) {
  const model::KubernetesSpec& kubernetes = cluster.kubernetes;
  if (kubernetes.network_plugin == model::NetworkPlugin::kNone) return {};
  // Rendering calico's workloads costs more than the rest of a cluster's manifests together,
  // and a fleet mostly repeats the same settings: equal inputs reuse one render.
  static BoundedMemo<PluginInputs, std::vector<NetworkManifest>> memo(kMemoLimit);
  return memo.get(
      PluginInputs{.plugin = kubernetes.network_plugin,
                   .pod_subnet = kubernetes.pod_subnet,
                   .image_repository = kubernetes.network_plugin_config.image_repository,
                   .encapsulation = kubernetes.network_plugin_config.encapsulation},
      render);
}

}  // namespace nkd::network
