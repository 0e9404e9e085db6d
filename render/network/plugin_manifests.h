// Internal to render/network: each plugin's manifests, in any order (network_plugin_manifests
// sorts them by file name).
#pragma once

#include <compare>
#include <string>
#include <vector>

#include "model/cluster.h"
#include "render/network/network_plugin.h"

namespace nkd::network {

// Everything of a cluster that its network manifests depend on. The renderers see nothing else,
// so equal inputs give equal manifests and can share one render.
struct PluginInputs {
  model::NetworkPlugin plugin = model::NetworkPlugin::kNone;
  std::string pod_subnet;
  std::string image_repository;  // empty: the upstream registries
  model::CalicoEncapsulation encapsulation = model::CalicoEncapsulation::kVxlan;

  auto operator<=>(const PluginInputs&) const = default;
};

[[nodiscard]] std::vector<NetworkManifest> flannel_manifests(const PluginInputs& inputs);
[[nodiscard]] std::vector<NetworkManifest> calico_manifests(const PluginInputs& inputs);

}  // namespace nkd::network
