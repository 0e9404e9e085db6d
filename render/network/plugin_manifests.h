// Internal to render/network: each plugin's manifests, in any order (network_plugin_manifests
// sorts them by file name).
#pragma once

#include <vector>

#include "render/model/cluster.h"
#include "render/network/network_plugin.h"

namespace nkd::network {

[[nodiscard]] std::vector<NetworkManifest> flannel_manifests(const model::Cluster& cluster);
[[nodiscard]] std::vector<NetworkManifest> calico_manifests(const model::Cluster& cluster);

}  // namespace nkd::network
