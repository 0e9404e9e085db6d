// kube-vip as a static pod on every control-plane node of a cluster with a virtual IP: the nodes
// elect a leader through a Lease in kube-system and the leader answers ARP for the address, so
// the API endpoint moves to a surviving node within seconds. Static, because the address must be
// up before `kubeadm init` can reach its own endpoint.
#pragma once

#include <string>

#include "model/cluster.h"
#include "render/ignition/config_builder.h"

namespace nkd::ignition {

// Pinned: control-plane ARP mode with leader election, interface detection from the default
// route, and the super-admin.conf handling of Kubernetes 1.29 and later.
inline constexpr const char* kKubeVipImage = "ghcr.io/kube-vip/kube-vip:v0.8.0";
inline constexpr const char* kKubeVipManifestPath = "/etc/kubernetes/manifests/kube-vip.yaml";
inline constexpr const char* kAdminKubeconfig = "/etc/kubernetes/admin.conf";
// From Kubernetes 1.29 kubeadm init writes admin.conf without cluster-admin rights until the
// end of init, and a separate super-admin.conf that has them from the start.
inline constexpr const char* kSuperAdminKubeconfig = "/etc/kubernetes/super-admin.conf";

// True when kube-vip on the init node must start with super-admin.conf.
[[nodiscard]] bool kube_vip_needs_super_admin(const model::Cluster& cluster,
                                              const model::Node& node);

// The static pod for `node`; adds nothing unless the cluster has a virtual IP and the node is a
// control-plane node.
void add_kube_vip(ConfigBuilder& builder, const model::Cluster& cluster, const model::Node& node);

}  // namespace nkd::ignition
