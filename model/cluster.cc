#include "model/cluster.h"

#include <algorithm>

namespace nkd::model {

const char* to_string(PoolRole role) {
  return role == PoolRole::kControlPlane ? "control-plane" : "worker";
}

const char* to_string(ContainerRuntime runtime) {
  switch (runtime) {
    case ContainerRuntime::kContainerd: return "containerd";
    case ContainerRuntime::kIsulad: return "isulad";
    case ContainerRuntime::kCrio: return "crio";
  }
  return "containerd";
}

const char* to_string(NetworkPlugin plugin) {
  switch (plugin) {
    case NetworkPlugin::kCalico: return "calico";
    case NetworkPlugin::kFlannel: return "flannel";
    case NetworkPlugin::kNone: return "none";
  }
  return "none";
}

const char* to_string(KeyAlgorithm algorithm) {
  return algorithm == KeyAlgorithm::kRsa2048 ? "RSA-2048" : "ECDSA-P256";
}

const char* to_string(DriftPolicy policy) {
  return policy == DriftPolicy::kReport ? "report" : "correct";
}

const char* to_string(Arch arch) { return arch == Arch::kArm64 ? "arm64" : "amd64"; }

std::optional<Arch> arch_from_string(std::string_view name) {
  if (name == "amd64" || name == "x86_64") return Arch::kAmd64;
  if (name == "arm64" || name == "aarch64") return Arch::kArm64;
  return std::nullopt;
}

const char* to_string(CalicoEncapsulation encapsulation) {
  switch (encapsulation) {
    case CalicoEncapsulation::kVxlan: return "VXLAN";
    case CalicoEncapsulation::kVxlanCrossSubnet: return "VXLANCrossSubnet";
    case CalicoEncapsulation::kIpip: return "IPIP";
    case CalicoEncapsulation::kIpipCrossSubnet: return "IPIPCrossSubnet";
    case CalicoEncapsulation::kNone: return "None";
  }
  return "VXLAN";
}

std::vector<Node> expand_nodes(const Cluster& cluster) {
  std::vector<Node> nodes;
  if (const auto* bare_metal = std::get_if<BareMetalPlatform>(&cluster.platform)) {
    // Bare metal lists its machines; index counts within each pool in listing order.
    for (const Pool& pool : cluster.pools) {
      int index = 0;
      for (const BareMetalNode& machine : bare_metal->nodes) {
        if (machine.pool != pool.name) continue;
        nodes.push_back(Node{.name = machine.name, .pool = pool.name, .role = pool.role,
                             .index = index++, .ip = machine.ip, .mac = machine.mac,
                             .flavor = "", .arch = pool.arch.value_or(cluster.os.arch)});
      }
    }
    return nodes;
  }
  const auto* openstack = std::get_if<OpenStackPlatform>(&cluster.platform);
  for (const Pool& pool : cluster.pools) {
    for (int index = 0; index < pool.replicas; ++index) {
      nodes.push_back(Node{.name = cluster.name + "-" + pool.name + "-" + std::to_string(index),
                           .pool = pool.name, .role = pool.role, .index = index, .ip = "",
                           .mac = "", .flavor = pool.flavor.empty() && openstack != nullptr ? openstack->flavor : pool.flavor,
                           .arch = pool.arch.value_or(cluster.os.arch)});
    }
  }
  return nodes;
}

std::string control_plane_endpoint(const Cluster& cluster) {
  if (!cluster.kubernetes.control_plane_endpoint.empty()) {
    return cluster.kubernetes.control_plane_endpoint;
  }
  if (!cluster.kubernetes.virtual_ip.address.empty()) return cluster.kubernetes.virtual_ip.address;
  for (const Node& node : expand_nodes(cluster)) {
    if (node.role == PoolRole::kControlPlane) return node.ip;
  }
  return "";
}

const Cluster* RepositoryModel::find(std::string_view name) const {
  auto found = std::find_if(clusters.begin(), clusters.end(),
                            [&](const Cluster& cluster) { return cluster.name == name; });
  return found == clusters.end() ? nullptr : &*found;
}

}  // namespace nkd::model
