// kubeadm and kubelet configuration for one node (kubeadm.k8s.io/v1beta3 below
// Kubernetes 1.31, v1beta4 from 1.31: model/kubernetes_support.h; kubelet.config.k8s.io
// v1beta1). The first control-plane node of model::expand_nodes gets InitConfiguration +
// ClusterConfiguration + KubeletConfiguration; other control-plane nodes a JoinConfiguration
// with `controlPlane` (the CAs are pre-placed by Ignition, so no certificateKey); workers a
// plain JoinConfiguration. Joins discover the cluster with the bootstrap token pinned to the
// CA's public-key hash. Pure and deterministic: yaml-cpp's emitter with a fixed field order.
#pragma once

#include <string>
#include <vector>

#include "model/cluster.h"
#include "render/pki/cluster_pki.h"

namespace nkd::ignition {

inline constexpr const char* kKubeadmConfigPath = "/etc/kubernetes/kubeadm/config.yaml";
inline constexpr const char* kKubeletConfigPath = "/var/lib/kubelet/config.yaml";
inline constexpr int kApiServerPort = 6443;
// The FlexVolume directory of kubelet and kube-controller-manager, where NestOS can write (its /usr
// is read-only); the same path NKD configures.
inline constexpr const char* kFlexVolumeDir = "/opt/libexec/kubernetes/kubelet-plugins/volume/exec/";

// True for the node that runs `kubeadm init`: the first control-plane node in
// expand_nodes order.
[[nodiscard]] bool is_init_node(const model::Cluster& cluster, const model::Node& node);

// "<host>:6443" from model::control_plane_endpoint; an endpoint that already
// names a port is kept, an IPv6 address is bracketed.
[[nodiscard]] std::string api_server_endpoint(const model::Cluster& cluster);

// The host of "host", "host:port", "[v6]:port" or a bare IPv6 address.
[[nodiscard]] std::string endpoint_host(const std::string& endpoint);

// What ClusterConfiguration.apiServer.certSANs lists: the endpoint's host, the virtual IP and
// spec.kubernetes.apiServerCertSANs, without repeats, in that order.
[[nodiscard]] std::vector<std::string> api_server_extra_sans(const model::Cluster& cluster);

// The CRI socket kubeadm and kubelet talk to for `runtime`.
[[nodiscard]] const char* cri_socket(model::ContainerRuntime runtime);

// The pod sandbox ("pause") image kubeadm of this Kubernetes version expects,
// from imageRepository, so the runtime does not pull a second one.
[[nodiscard]] std::string sandbox_image(const model::Cluster& cluster);

// The 10th address of serviceSubnet, where kubeadm's CoreDNS service lives.
[[nodiscard]] std::string cluster_dns_address(const model::Cluster& cluster);

// /var/lib/kubelet/config.yaml (also the KubeletConfiguration document of the
// init config).
[[nodiscard]] std::string kubelet_config_yaml(const model::Cluster& cluster);

// /etc/kubernetes/kubeadm/config.yaml for `node`.
[[nodiscard]] std::string kubeadm_config_yaml(const model::Cluster& cluster,
                                              const model::Node& node, const pki::ClusterPki& pki);

}  // namespace nkd::ignition
