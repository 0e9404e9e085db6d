// ClusterParser, the API endpoint and what nodes need to reach it: the virtual IP, extra
// certificate names, the bootstrap token's lifetime, and the network plugin's settings.
#include <string>

#include "common/cidr.h"
#include "common/duration.h"
#include "model/cluster_parser.h"
#include "model/value_checks.h"

namespace nkd::model {

namespace {

constexpr std::string_view kWhere = "spec.kubernetes";
// A joining node must download, boot and reach kubeadm join before the token lapses.
constexpr std::int64_t kShortestTokenTtlSeconds = 15 * 60;

// The host of "host", "host:port", "[v6]:port" or a bare IPv6 address.
std::string endpoint_host(const std::string& endpoint) {
  if (parse_ip(endpoint)) return endpoint;
  if (endpoint.starts_with('[')) return endpoint.substr(1, endpoint.find(']') - 1);
  return endpoint.substr(0, endpoint.find(':'));
}

int control_plane_count(const Cluster& cluster) {
  int count = 0;
  for (const Node& node : expand_nodes(cluster)) count += node.role == PoolRole::kControlPlane;
  return count;
}

}  // namespace

void ClusterParser::parse_endpoint_settings(const YAML::Node& node, KubernetesSpec& kubernetes) {
  if (const YAML::Node vip = node["virtualIP"]; vip.IsDefined()) {
    const std::string where = std::string(kWhere) + ".virtualIP";
    if (fields_.expect_map(vip, where, {"address", "interface", "image"})) {
      kubernetes.virtual_ip.image = fields_.string(vip, "image", where, false).value_or("");
      kubernetes.virtual_ip.address = fields_.string(vip, "address", where, true).value_or("");
      kubernetes.virtual_ip.interface = fields_.string(vip, "interface", where, false).value_or("");
      if (!kubernetes.virtual_ip.address.empty() && !parse_ip(kubernetes.virtual_ip.address)) {
        fields_.error_at(vip["address"], where + ".address '" + kubernetes.virtual_ip.address +
                                             "' is not an IP address; give the unused address "
                                             "the control-plane nodes should share");
      }
      const std::string& interface = kubernetes.virtual_ip.interface;
      if (!interface.empty() && (interface.size() > 15 ||
                                 interface.find_first_of("/ \t") != std::string::npos)) {
        fields_.error_at(vip["interface"], where + ".interface '" + interface +
                                               "' is not a Linux interface name (at most 15 "
                                               "characters, no '/' or spaces)");
      }
    }
  }
  kubernetes.api_server_cert_sans = fields_.string_list(node, "apiServerCertSANs", kWhere);
  const YAML::Node sans = node["apiServerCertSANs"];
  for (std::size_t i = 0; i < kubernetes.api_server_cert_sans.size(); ++i) {
    const std::string& name = kubernetes.api_server_cert_sans[i];
    if (parse_ip(name) || check_dns1123_subdomain(name).empty()) continue;
    fields_.error_at(sans[i], "spec.kubernetes.apiServerCertSANs[" + std::to_string(i) + "] '" +
                                  name + "' is neither an IP address nor a DNS name");
  }
  if (const auto ttl = fields_.string(node, "bootstrapTokenTTL", kWhere, false)) {
    const auto milliseconds = parse_duration_ms(*ttl);
    if (!milliseconds || *milliseconds < 0) {
      fields_.error_at(node["bootstrapTokenTTL"],
                       "spec.kubernetes.bootstrapTokenTTL '" + *ttl +
                           "' is not a duration such as 24h or 2h30m");
    } else if (*milliseconds == 0) {
      kubernetes.bootstrap_token_ttl_seconds = 0;
      fields_.warning(YamlFields::mark_of(node["bootstrapTokenTTL"]),
                      "spec.kubernetes.bootstrapTokenTTL 0s: the bootstrap token never expires, "
                      "and anyone who reads a worker's config can join nodes to the cluster for "
                      "as long as it exists; prefer a finite TTL (nkd renews it for later joins)");
    } else if (*milliseconds / 1000 < kShortestTokenTtlSeconds) {
      fields_.error_at(node["bootstrapTokenTTL"],
                       "spec.kubernetes.bootstrapTokenTTL '" + *ttl +
                           "' is too short for a node to boot and join; use at least 15m");
    } else {
      kubernetes.bootstrap_token_ttl_seconds = *milliseconds / 1000;
    }
  }
}

void ClusterParser::parse_network_plugin_config(const YAML::Node& node,
                                                KubernetesSpec& kubernetes) {
  const YAML::Node config = node["networkPluginConfig"];
  if (!config.IsDefined()) return;
  const std::string where = std::string(kWhere) + ".networkPluginConfig";
  if (!fields_.expect_map(config, where, {"imageRepository", "encapsulation"})) return;
  NetworkPluginConfig& settings = kubernetes.network_plugin_config;
  settings.image_repository =
      fields_.string(config, "imageRepository", where, false).value_or("");
  while (!settings.image_repository.empty() && settings.image_repository.back() == '/') {
    settings.image_repository.pop_back();
  }
  if (settings.image_repository.find_first_of(" \t:@") != std::string::npos &&
      settings.image_repository.find(':') > settings.image_repository.find('/')) {
    fields_.error_at(config["imageRepository"],
                     where + ".imageRepository '" + settings.image_repository +
                         "' must be a registry path such as mirror.example.org/calico (no tag)");
  }
  const auto encapsulation = fields_.string(config, "encapsulation", where, false);
  if (!encapsulation) return;
  if (kubernetes.network_plugin != NetworkPlugin::kCalico) {
    fields_.error_at(config["encapsulation"],
                     where + ".encapsulation applies to calico only; flannel always uses VXLAN");
    return;
  }
  for (CalicoEncapsulation choice :
       {CalicoEncapsulation::kVxlan, CalicoEncapsulation::kVxlanCrossSubnet,
        CalicoEncapsulation::kIpip, CalicoEncapsulation::kIpipCrossSubnet,
        CalicoEncapsulation::kNone}) {
    if (*encapsulation == to_string(choice)) {
      settings.encapsulation = choice;
      return;
    }
  }
  fields_.error_at(config["encapsulation"],
                   where + ".encapsulation '" + *encapsulation +
                       "' is not supported; use VXLAN, VXLANCrossSubnet, IPIP, IPIPCrossSubnet or "
                       "None");
}

void ClusterParser::check_endpoint(const YAML::Node& spec, const Cluster& cluster) {
  const YAML::Node kubernetes_node = spec["kubernetes"];
  if (!kubernetes_node.IsMap()) return;
  const KubernetesSpec& kubernetes = cluster.kubernetes;
  const std::string& vip = kubernetes.virtual_ip.address;
  const std::string& endpoint = kubernetes.control_plane_endpoint;
  if (!vip.empty() && !endpoint.empty() && parse_ip(endpoint_host(endpoint)) &&
      endpoint_host(endpoint) != vip) {
    fields_.error_at(kubernetes_node["controlPlaneEndpoint"],
                     "spec.kubernetes.controlPlaneEndpoint '" + endpoint +
                         "' is an address other than virtualIP.address " + vip +
                         ": nodes would reach the API where nothing holds it; use the virtual "
                         "IP (or a DNS name that resolves to it), or drop virtualIP");
  }
  if (!endpoint.empty() || !vip.empty()) return;
  const int control_plane = control_plane_count(cluster);
  if (control_plane == 0) return;  // reported by check_topology
  const YAML::Mark at = YamlFields::mark_of(kubernetes_node);
  if (control_plane > 1) {
    fields_.error(at, "spec.kubernetes.controlPlaneEndpoint is empty but the cluster has " +
                          std::to_string(control_plane) +
                          " control-plane nodes: every node would depend on the first one; set "
                          "controlPlaneEndpoint to a load balancer's address or DNS name, or set "
                          "virtualIP.address to an unused address that nkd makes the control-plane "
                          "nodes share");
    return;
  }
  if (control_plane_endpoint(cluster).empty()) {
    fields_.error(at, std::string("spec.kubernetes.controlPlaneEndpoint is empty and the "
                                  "control-plane node has no fixed address") +
                          (cluster.is_openstack()
                               ? ": on OpenStack set virtualIP.address to a free address of the "
                                 "cluster's network (nkd reserves it with a Neutron port), or "
                                 "set controlPlaneEndpoint to a DNS name or load balancer"
                           : cluster.is_libvirt()
                               ? ": on libvirt set virtualIP.address to a free address of the "
                                 "domains' network, or set controlPlaneEndpoint to a DNS name "
                                 "or load balancer"
                               : ": give the control-plane machine an ip in "
                                 "spec.platform.bareMetal.nodes, or set controlPlaneEndpoint or "
                                 "virtualIP.address"));
  }
}

}  // namespace nkd::model
