#include "render/network/network_plugin.h"

#include <algorithm>

#include "render/network/plugin_manifests.h"

namespace nkd::network {

std::vector<NetworkManifest> network_plugin_manifests(const model::Cluster& cluster) {
  std::vector<NetworkManifest> manifests;
  switch (cluster.kubernetes.network_plugin) {
    case model::NetworkPlugin::kCalico:
      manifests = calico_manifests(cluster);
      break;
    case model::NetworkPlugin::kFlannel:
      manifests = flannel_manifests(cluster);
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

}  // namespace nkd::network
