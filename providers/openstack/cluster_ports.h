// ClusterPorts: the Neutron side of one cluster's apply (internal to the provider): the port each
// node boots on, the port that reserves the virtual IP, the allowed address pairs that let the
// control-plane ports hold it, and the cluster's one floating IP.
//
// Identity: a node's port is named after the node and the VIP port "<cluster>-vip"; both live on
// the cluster's network, have a description starting "made by nkd" and carry the tags `nkd`,
// `nkd.cluster=<cluster>` and `nkd.node=<node>` (VIP port: `nkd.vip` instead). A port is created
// with its name and description in one request and tagged with a second, so a port whose tags
// are missing (an interrupted create, or one made before tags) is still found by name and
// description, and tagged then. Every create looks up first, and a failed or unanswered create
// looks up again, so no retry makes a second port.
//
// Floating IP (with an external network): exactly one per cluster, tagged like the ports, bound
// to the VIP port, or without a virtual IP to the first control-plane node's port. When the
// target changes (a virtual IP added or removed) the floating IP is moved, so its address stays.
//
// Thread-safety: node_port() and node_ports() may run on several threads at once (they read only
// the settings given to configure()); the other calls run on the apply's thread.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/cluster.h"
#include "providers/openstack/network.h"

namespace nkd::providers::openstack {

inline constexpr const char* kPortDescription = "made by nkd";
inline constexpr const char* kNkdTag = "nkd";
inline constexpr const char* kVipTag = "nkd.vip";

[[nodiscard]] std::string cluster_tag(const std::string& cluster);  // "nkd.cluster=<cluster>"
[[nodiscard]] std::string node_tag(const std::string& node);        // "nkd.node=<node>"
[[nodiscard]] std::string vip_port_name(const std::string& cluster);  // "<cluster>-vip"

struct ClusterNetworkSettings {
  std::string network_id;
  std::vector<std::string> security_group_ids;
  std::string external_network_id;  // "": no floating IP
  std::string virtual_ip;           // "": none
  std::string first_control_plane;  // node name: the floating IP's port without a virtual IP
};

class ClusterPorts {
 public:
  ClusterPorts(NetworkService& network, std::string cluster)
      : network_(network), cluster_(std::move(cluster)) {}

  void configure(ClusterNetworkSettings settings) { settings_ = std::move(settings); }
  [[nodiscard]] const ClusterNetworkSettings& settings() const { return settings_; }

  // Get-or-create the port `node` boots on; a control-plane port allows the virtual IP.
  [[nodiscard]] Result<Port> node_port(const model::Node& node);
  // nkd's ports named after `node_name` (on any network: a delete needs no settings).
  [[nodiscard]] Result<std::vector<Port>> node_ports(const std::string& node_name);
  // Deletes the floating IPs nkd bound to `ports`, then (delete_ports) the ports themselves.
  [[nodiscard]] Status release_floating_ips(const std::vector<Port>& ports);
  [[nodiscard]] Status delete_ports(const std::vector<Port>& ports);

  // Before any node port: makes the VIP port with the virtual IP when it is missing, so no
  // node port is given that address; `before_create` (may be empty) runs just before the
  // create request, and its failure stops it. An existing VIP port keeps its address until
  // settle().
  [[nodiscard]] Status reserve_virtual_ip(const std::function<Status()>& before_create);
  // After the servers: the virtual IP's allowed address pairs on the ports of
  // `control_plane_servers` (the old address dropped, the new one added), the VIP port's
  // address, the floating IP, the VIP port deleted when no virtual IP is wanted, and the ports
  // of nodes that are neither in `keep` nor have a server deleted.
  [[nodiscard]] Status settle(const std::vector<std::string>& control_plane_servers,
                              const std::set<std::string>& keep);
  // Prune: every port and floating IP of the cluster, found by tag (and the VIP port by name).
  [[nodiscard]] Status remove_all();

 private:
  [[nodiscard]] bool is_ours(const Port& port, const std::string& kind_tag) const;
  Result<std::vector<Port>> vip_ports();
  Result<Port> get_or_create(const PortSpec& spec, const std::vector<std::string>& tags,
                             const std::string& kind_tag,
                             const std::function<Status()>& before_create = {});
  Status ensure_tags(const Port& port, const std::vector<std::string>& tags);
  Status settle_address_pairs(const std::vector<std::string>& control_plane_servers,
                              const std::set<std::string>& stale);
  Status settle_floating_ip(const std::optional<Port>& target);
  Result<std::vector<FloatingIp>> floating_ip_candidates(const Port& target);
  Status delete_floating_ips_tagged();
  Status delete_leftover_ports(const std::set<std::string>& keep);

  NetworkService& network_;
  const std::string cluster_;
  ClusterNetworkSettings settings_;
};

}  // namespace nkd::providers::openstack
