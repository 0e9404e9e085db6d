// The immutable cluster model: what one clusters/<name>/cluster.yaml says, after validation.
// Built only by the loader (loader.h); every other stage reads it. Plain values, no I/O, so the
// renderer that consumes it stays a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nkd::model {

enum class PoolRole { kControlPlane, kWorker };
enum class ContainerRuntime { kContainerd, kIsulad, kCrio };
enum class NetworkPlugin { kCalico, kFlannel, kNone };
enum class KeyAlgorithm { kEcdsaP256, kRsa2048 };
enum class DriftPolicy { kCorrect, kReport };

const char* to_string(PoolRole role);
const char* to_string(ContainerRuntime runtime);
const char* to_string(NetworkPlugin plugin);
const char* to_string(KeyAlgorithm algorithm);
const char* to_string(DriftPolicy policy);

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
  std::string mac;
  std::string ip;
};

struct BareMetalPlatform {
  std::vector<BareMetalNode> nodes;
};

using Platform = std::variant<OpenStackPlatform, BareMetalPlatform>;

struct OsSpec {
  std::string version;
  std::string image_url;
};

struct PkiSpec {
  KeyAlgorithm key_algorithm = KeyAlgorithm::kEcdsaP256;
};

struct KubernetesSpec {
  std::string version;                 // "v1.29.1"
  std::string control_plane_endpoint;  // empty: floating IP or first control-plane address
  std::string pod_subnet = "10.244.0.0/16";
  std::string service_subnet = "10.96.0.0/12";
  std::string dns_domain = "cluster.local";
  std::string image_repository = "registry.k8s.io";
  ContainerRuntime container_runtime = ContainerRuntime::kContainerd;
  NetworkPlugin network_plugin = NetworkPlugin::kCalico;
  PkiSpec pki;
  // Where `version` sits in cluster.yaml (1-based; 0 when not loaded from a file), so checks that
  // compare two revisions can point at it. Never rendered.
  int version_line = 0;
  int version_column = 0;
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

struct Cluster {
  std::string name;
  Platform platform;
  OsSpec os;
  KubernetesSpec kubernetes;
  std::vector<User> users;
  std::vector<Pool> pools;
  UpgradePolicy upgrade;
  IgnitionExtras ignition;
  bool suspend = false;
  DriftPolicy drift_policy = DriftPolicy::kCorrect;

  [[nodiscard]] bool is_openstack() const {
    return std::holds_alternative<OpenStackPlatform>(platform);
  }
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
};

// Every node of the cluster in a fixed order: pools in definition order, indexes ascending.
// The first control-plane node runs `kubeadm init`; every other node joins.
std::vector<Node> expand_nodes(const Cluster& cluster);

// The address the cluster's API is reached at: controlPlaneEndpoint, else the first control-plane
// node's fixed IP, else the first control-plane node's name.
std::string control_plane_endpoint(const Cluster& cluster);

struct RepositoryModel {
  std::vector<Cluster> clusters;  // sorted by name

  [[nodiscard]] const Cluster* find(std::string_view name) const;
};

}  // namespace nkd::model
