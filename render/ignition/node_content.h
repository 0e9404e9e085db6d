// The pieces of a node's Ignition config, each added to a ConfigBuilder: OS
// settings, container runtime, kubelet, the one-shot kubeadm unit, the
// control-plane PKI, the housekeeper host daemon, and
// the user's extras. Pure functions of the model and the PKI.
#pragma once

#include "model/cluster.h"
#include "render/ignition/config_builder.h"
#include "render/pki/cluster_pki.h"

namespace nkd::ignition {

inline constexpr const char* kKubeadmUnit = "nkd-kubeadm.service";
inline constexpr const char* kCniPluginsUnit = "nkd-cni-plugins.service";
inline constexpr const char* kKubeadmDoneMarker = "/var/lib/nkd/kubeadm.done";
inline constexpr const char* kHousekeeperDaemonUnit = "housekeeper-daemon.service";
inline constexpr const char* kHousekeeperSocket = "/var/nkd/housekeeper-daemon.sock";
inline constexpr const char* kKubeletDropin = "10-nkd.conf";
// Where a worker keeps the cluster CA certificate: kubeadm join refuses to run
// when /etc/kubernetes/pki/ca.crt already exists on a node that is not a
// control-plane node.
inline constexpr const char* kWorkerCaPath = "/etc/nkd/pki/ca.crt";

// /etc/hostname, users, sysctl and kernel modules for Kubernetes networking.
void add_os_settings(ConfigBuilder& builder, const model::Cluster& cluster,
                     const model::Node& node);
// The runtime's configuration file (systemd cgroups, sandbox image) and its
// enabled unit.
void add_container_runtime(ConfigBuilder& builder, const model::Cluster& cluster);
// /var/lib/kubelet/config.yaml, kubelet.service with its drop-in, enabled, and the unit that
// copies the OS's CNI plugins to /opt/cni/bin.
void add_kubelet(ConfigBuilder& builder, const model::Cluster& cluster);
// The kubeadm config file and nkd-kubeadm.service running init or join once.
void add_kubeadm(ConfigBuilder& builder, const model::Cluster& cluster, const model::Node& node,
                 const pki::ClusterPki& pki);
// Control-plane nodes: every file kubeadm expects under /etc/kubernetes/pki/.
// Workers: only the CA certificate, never a private key.
void add_pki_files(ConfigBuilder& builder, const model::Node& node, const pki::ClusterPki& pki);
// The housekeeper-daemon host unit, as NestOS ships it (the daemon reads no settings file).
void add_update_settings(ConfigBuilder& builder, const model::Cluster& cluster);
// spec.ignition files and units, last so that they override nkd's own entries.
void add_user_extras(ConfigBuilder& builder, const model::Cluster& cluster);

}  // namespace nkd::ignition
