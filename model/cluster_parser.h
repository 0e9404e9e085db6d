// ClusterParser: turns one cluster.yaml (already parsed by yaml-cpp) into a model::Cluster,
// reporting every problem through YamlFields. Reads referenced files from the same tree.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>

#include "model/cluster.h"
#include "model/tree_reader.h"
#include "model/yaml_fields.h"

namespace nkd::model {

class ClusterParser {
 public:
  ClusterParser(const TreeReader& tree, std::string directory_name, YamlFields& fields)
      : tree_(tree), directory_name_(std::move(directory_name)), fields_(fields) {}

  // The cluster, or nullopt when the document is too broken to build one (errors reported).
  std::optional<Cluster> parse(const YAML::Node& root);

 private:
  void parse_metadata(const YAML::Node& metadata, Cluster& cluster);
  // metadata.labels: a mapping of strings; `wave` must be a whole number (the rollout wave).
  void parse_labels(const YAML::Node& labels, Cluster& cluster);
  void parse_spec(const YAML::Node& spec, Cluster& cluster);
  void parse_platform(const YAML::Node& platform, Cluster& cluster);
  void parse_openstack(const YAML::Node& node, OpenStackPlatform& openstack);
  void parse_bare_metal(const YAML::Node& node, BareMetalPlatform& bare_metal);
  // spec.platform.libvirt (cluster_parser_libvirt.cc).
  void parse_libvirt(const YAML::Node& node, LibvirtPlatform& libvirt);
  void parse_libvirt_size(const YAML::Node& node, const std::string& where, LibvirtMachineSize& size);
  // Each pool the libvirt platform sizes must be one of spec.pools.
  void check_libvirt_pools(const YAML::Node& spec, const Cluster& cluster);
  void parse_bare_metal_boot(const YAML::Node& node, BareMetalBoot& boot);
  void parse_os(const YAML::Node& node, OsSpec& os);
  void parse_kubernetes(const YAML::Node& node, KubernetesSpec& kubernetes);
  // virtualIP, apiServerCertSANs and bootstrapTokenTTL of spec.kubernetes.
  void parse_endpoint_settings(const YAML::Node& node, KubernetesSpec& kubernetes);
  void parse_network_plugin_config(const YAML::Node& node, KubernetesSpec& kubernetes);
  void parse_users(const YAML::Node& node, std::vector<User>& users);
  void parse_pools(const YAML::Node& node, std::vector<Pool>& pools);
  void parse_upgrade(const YAML::Node& node, UpgradePolicy& upgrade);
  void parse_ignition(const YAML::Node& node, IgnitionExtras& extras);
  // The contents of clusters/<name>/<source>, counted against the cluster's extra-content budget;
  // "" after a reported error. A unit must be UTF-8 text; a file may hold any bytes (Ignition
  // carries it base64-encoded).
  enum class Content { kText, kBytes };
  std::string read_source(const YAML::Node& entry, const std::string& source,
                          std::string_view where, Content content);
  // The nodes the cluster asks for; reports (and returns false) when they pass
  // kMaxNodesPerCluster, before anything expands them.
  bool check_node_count(const YAML::Node& spec, const Cluster& cluster);
  // Cross-field rules: node names, control-plane size, bare-metal pools.
  void check_topology(const YAML::Node& spec, const Cluster& cluster);
  // An os.imageURL that names an architecture must name the one every node has.
  void check_arch(const YAML::Node& spec, const Cluster& cluster);
  // Every node must reach the API at an address that outlives any one machine: see
  // model::control_plane_endpoint.
  void check_endpoint(const YAML::Node& spec, const Cluster& cluster);

  const TreeReader& tree_;
  std::string directory_name_;
  YamlFields& fields_;
  bool pool_over_node_limit_ = false;  // a pool's replicas was refused as too many
  std::int64_t node_count_ = 0;         // known once check_node_count passed
  std::uint64_t extra_content_bytes_ = 0;  // of the sources read so far, once each
  bool extra_content_over_budget_ = false;  // reported; later sources are not read
};

}  // namespace nkd::model
