// Internal to render/network: calico's manifest install with the Kubernetes API as its datastore
// (no etcd, no Typha, no operator), split by concern: CRDs (calico_crds.cc), service accounts
// and RBAC (calico_rbac.cc), the calico-node DaemonSet (calico_node.cc), and the ConfigMap and
// calico-kube-controllers (calico.cc). Learnt from the shape of calico's calico.yaml at the
// pinned release.
#pragma once

#include <string>
#include <vector>

#include "model/cluster.h"
#include "render/network/network_plugin.h"
#include "render/network/plugin_manifests.h"

namespace nkd::network::calico {

inline constexpr const char* kNamespace = "kube-system";
inline constexpr const char* kConfigMap = "calico-config";
inline constexpr const char* kNode = "calico-node";
inline constexpr const char* kCniPlugin = "calico-cni-plugin";
inline constexpr const char* kKubeControllers = "calico-kube-controllers";

// What one encapsulation choice means for the default IP pool, Felix and the routing backend.
struct EncapsulationSettings {
  const char* ipip_mode;   // CALICO_IPV4POOL_IPIP: Always, CrossSubnet or Never
  const char* vxlan_mode;  // CALICO_IPV4POOL_VXLAN
  bool bgp;                // BIRD runs (calico_backend bird) or not (vxlan)
};
[[nodiscard]] EncapsulationSettings encapsulation_settings(model::CalicoEncapsulation choice);

// The same for every cluster: rendered once per process.
[[nodiscard]] const std::vector<NetworkManifest>& crd_manifests();
[[nodiscard]] const std::vector<NetworkManifest>& rbac_manifests();

[[nodiscard]] std::string node_daemonset_yaml(const PluginInputs& inputs);

}  // namespace nkd::network::calico
