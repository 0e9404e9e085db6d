// The immutable cluster model: what one clusters/<name>/cluster.yaml says, after validation.
// Built only by the loader (loader.h); every other stage reads it. Plain values, no I/O, so the
// renderer that consumes it stays a pure function.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/maintenance_window.h"

namespace nkd::model {

enum class PoolRole { kControlPlane, kWorker };
enum class ContainerRuntime { kContainerd, kIsulad, kCrio };
enum class NetworkPlugin { kCalico, kFlannel, kNone };
enum class KeyAlgorithm { kEcdsaP256, kRsa2048 };
enum class DriftPolicy { kCorrect, kReport };
// The CPU architecture of a node's OS image; picks housekeeper's per-architecture images.
enum class Arch { kAmd64, kArm64 };
// How calico carries pod traffic between nodes. VXLAN needs only UDP 4789 between nodes, so it
// works on clouds that drop IP-in-IP (protocol 4) and BGP; the CrossSubnet forms route natively
// inside one subnet.
enum class CalicoEncapsulation { kVxlan, kVxlanCrossSubnet, kIpip, kIpipCrossSubnet, kNone };

const char* to_string(PoolRole role);
const char* to_string(ContainerRuntime runtime);
const char* to_string(NetworkPlugin plugin);
const char* to_string(KeyAlgorithm algorithm);
const char* to_string(DriftPolicy policy);
const char* to_string(Arch arch);  // "amd64", "arm64" (Kubernetes' kubernetes.io/arch values)
// "amd64"/"x86_64" and "arm64"/"aarch64"; nullopt for anything else.
std::optional<Arch> arch_from_string(std::string_view name);
const char* to_string(CalicoEncapsulation encapsulation);

struct OpenStackPlatform {
  std::string cloud;
  std::string image;
  std::string flavor;
  std::string network;
  std::string external_network;  // empty: no floating IP
  std::vector<std::string> security_groups;
  std::string availability_zone;
};

struct BareMetalNode {
  std::string name;
  std::string pool;
  std::string mac;  // lower case, as normalize_mac gives it
  std::string ip;
  // Where `mac` is written in cluster.yaml (1-based; 0: unknown), so that a MAC another node
  // also claims can be reported at both places.
  int mac_line = 0;
  int mac_column = 0;
};

// How a bare-metal machine network-boots the OS image's live PXE artifacts (GET /boot/<mac>
// serves an iPXE script with them). Without install_device the machine runs from memory, its
// config applied by the live system's Ignition; with it, the live system installs the image to
// that disk with the node's config for its first boot.
struct BareMetalBoot {
  std::string kernel_url;
  std::string initrd_url;
  std::string rootfs_url;
  std::string install_device;                 // "/dev/sda"; empty: run from memory
  std::vector<std::string> kernel_arguments;  // extra ones, appended ("console=ttyS0")
};

struct BareMetalPlatform {
  std::vector<BareMetalNode> nodes;
  std::optional<BareMetalBoot> boot;  // none: nkd serves no boot script for these machines
};

// The size of each libvirt machine of a pool (spec.platform.libvirt, and its pools: overrides).
struct LibvirtMachineSize {
  int vcpus = 2;
  int memory_mib = 4096;
  int disk_gib = 20;
};

// Machines as libvirt domains on one host: each node boots a copy-on-write copy of
// base_volume from storage_pool, its Ignition handed to it through QEMU's fw_cfg.
struct LibvirtPlatform {
  std::string connection;    // a name under libvirt.connections in syncd.yaml (the URI lives there)
  std::string storage_pool;  // where the base volume is and the node volumes go
  std::string base_volume;   // the OS image (a volume of storage_pool)
  std::string network;       // a libvirt network; empty: the domains get no network interface
  std::string domain_type = "kvm";  // "kvm", or "qemu" (emulation, where there is no KVM)
  LibvirtMachineSize size;          // every pool's, unless `pool_sizes` names the pool
  std::map<std::string, LibvirtMachineSize> pool_sizes;

  [[nodiscard]] const LibvirtMachineSize& size_of(const std::string& pool) const {
    const auto found = pool_sizes.find(pool);
    return found == pool_sizes.end() ? size : found->second;
  }
};

using Platform = std::variant<OpenStackPlatform, BareMetalPlatform, LibvirtPlatform>;

struct OsSpec {
  std::string version;
  std::string image_url;
  Arch arch = Arch::kAmd64;  // a pool may override it
};

struct PkiSpec {
  KeyAlgorithm key_algorithm = KeyAlgorithm::kEcdsaP256;
};

// A virtual IP that the control-plane nodes hold between them (kube-vip, ARP mode, leader
// election through the cluster's own API), so the API endpoint survives the loss of any one
// control-plane node. On OpenStack nkd also reserves the address with a Neutron port and allows
// it on the control-plane ports.
struct VirtualIp {
  std::string address;    // empty: no virtual IP
  std::string interface;  // empty: kube-vip uses the interface of the default route
  std::string image;      // empty: the kube-vip image nkd pins (render/ignition/kube_vip.h)
};

// Settings for the rendered network plugin.
struct NetworkPluginConfig {
  // Where the plugin's images come from: a mirror of docker.io/calico or docker.io/flannel.
  // Empty: the plugin's upstream registry.
  std::string image_repository;
  CalicoEncapsulation encapsulation = CalicoEncapsulation::kVxlan;  // calico only
};

struct KubernetesSpec {
  std::string version;                 // "v1.29.1"
  // host[:port] clients and joining nodes use. Empty: the virtual IP, else (one control-plane
  // node with a fixed address only) that address; validation refuses every other empty case.
  std::string control_plane_endpoint;
  VirtualIp virtual_ip;
  // Extra names and addresses for the apiserver certificate (a DNS name or floating IP that
  // reaches the endpoint from outside).
  std::vector<std::string> api_server_cert_sans;
  // Lifetime of the bootstrap token the first control-plane node creates; 0 never expires.
  std::int64_t bootstrap_token_ttl_seconds = 24 * 60 * 60;
  std::string pod_subnet = "10.244.0.0/16";
  std::string service_subnet = "10.96.0.0/12";
  std::string dns_domain = "cluster.local";
  std::string image_repository = "registry.k8s.io";
  ContainerRuntime container_runtime = ContainerRuntime::kContainerd;
  NetworkPlugin network_plugin = NetworkPlugin::kCalico;
  NetworkPluginConfig network_plugin_config;
  PkiSpec pki;
  // Where `version` and `networkPlugin` sit in cluster.yaml (1-based; 0 when not loaded from a
  // file), so checks that compare two revisions can point at them. Never rendered.
  int version_line = 0;
  int version_column = 0;
  int network_plugin_line = 0;
  int network_plugin_column = 0;
};

struct User {
  std::string name;
  std::vector<std::string> ssh_authorized_keys;
  std::string password_hash;  // crypt(3) hash; secret-ish: redacted in plans
};

struct Pool {
  std::string name;
  PoolRole role = PoolRole::kWorker;
  int replicas = 0;
  std::string flavor;  // empty: the platform's default
  std::optional<Arch> arch;  // empty: spec.os.arch
};

struct UpgradePolicy {
  int max_unavailable = 1;
  bool evict_pod_force = false;
  int drain_timeout_seconds = 600;
  std::string operator_image;  // empty: the renderer's default
  std::string daemon_image;
};

// An extra file or unit from spec.ignition; its content is read from the same commit by the loader.
struct ExtraFile {
  std::string path;
  int mode = 0644;
  std::string source;  // relative to clusters/<name>/
  std::string contents;
};

struct ExtraUnit {
  std::string name;
  bool enabled = true;
  std::string source;
  std::string contents;
};

struct IgnitionExtras {
  std::vector<ExtraFile> files;
  std::vector<ExtraUnit> units;
};

// The highest wave a cluster may name: a repository holds at most 10000 clusters (limits.h), so
// more waves than that are never needed, and the bound keeps the number far from int's limits.
inline constexpr int kMaxWave = 10000;

struct Cluster {
  std::string name;
  // metadata.labels.wave: the rollout wave (0 when unlabelled). A commit that changes several
  // clusters applies wave N+1 only once every changed cluster of the earlier waves is done.
  int wave = 0;
  Platform platform;
  OsSpec os;
  KubernetesSpec kubernetes;
  std::vector<User> users;
  std::vector<Pool> pools;
  UpgradePolicy upgrade;
  IgnitionExtras ignition;
  bool suspend = false;
  DriftPolicy drift_policy = DriftPolicy::kCorrect;
  // spec.maintenance.windows: when changes that disturb running nodes may run. Unset: the
  // daemon's global windows apply (syncd.yaml maintenance:); set, even empty, it replaces them.
  std::optional<std::vector<MaintenanceWindow>> maintenance_windows;

  [[nodiscard]] bool is_openstack() const {
    return std::holds_alternative<OpenStackPlatform>(platform);
  }
  [[nodiscard]] bool is_libvirt() const { return std::holds_alternative<LibvirtPlatform>(platform); }
  // Whether nkd makes the machines itself (OpenStack servers, libvirt domains), so that it may
  // replace them; bare-metal machines are only ever booted.
  [[nodiscard]] bool makes_machines() const { return is_openstack() || is_libvirt(); }
};

// One machine the cluster should have. Node names are <cluster>-<pool>-<index>; bare-metal nodes
// keep the names their definition gives.
struct Node {
  std::string name;
  std::string pool;
  PoolRole role = PoolRole::kWorker;
  int index = 0;
  std::string ip;   // empty unless the definition fixes it
  std::string mac;  // bare metal only
  std::string flavor;
  Arch arch = Arch::kAmd64;  // the pool's arch, else spec.os.arch
};

// Every node of the cluster in a fixed order: pools in definition order, indexes ascending.
// The first control-plane node runs `kubeadm init`; every other node joins.
std::vector<Node> expand_nodes(const Cluster& cluster);

// The address the cluster's API is reached at: controlPlaneEndpoint, else the virtual IP, else the
// first control-plane node's fixed IP; "" when none is known (validation refuses that cluster).
std::string control_plane_endpoint(const Cluster& cluster);

struct RepositoryModel {
  std::vector<Cluster> clusters;  // sorted by name

  [[nodiscard]] const Cluster* find(std::string_view name) const;
};

}  // namespace nkd::model
