#include "providers/openstack/cluster_ports.h"

#include <algorithm>
#include <map>

namespace nkd::providers::openstack {
namespace {

constexpr std::string_view kClusterTagPrefix = "nkd.cluster=";
constexpr std::string_view kNodeTagPrefix = "nkd.node=";

bool made_by_nkd(const std::string& description) { return description.starts_with(kPortDescription); }

std::string floating_description(const std::string& port_name) {
  return std::string(kPortDescription) + " for " + port_name;
}

bool has_tag_with_prefix(const std::vector<std::string>& tags, std::string_view prefix) {
  return std::any_of(tags.begin(), tags.end(),
                     [&](const std::string& tag) { return tag.starts_with(prefix); });
}

// `have` plus every tag of `want` it lacks (tags someone else added stay).
std::vector<std::string> merged(std::vector<std::string> have, const std::vector<std::string>& want) {
  for (const std::string& tag : want) {
    if (std::find(have.begin(), have.end(), tag) == have.end()) have.push_back(tag);
  }
  return have;
}

}  // namespace

std::string cluster_tag(const std::string& cluster) { return std::string(kClusterTagPrefix) + cluster; }
std::string node_tag(const std::string& node) { return std::string(kNodeTagPrefix) + node; }
std::string vip_port_name(const std::string& cluster) { return cluster + "-vip"; }

bool ClusterPorts::is_ours(const Port& port, const std::string& kind_tag) const {
  if (port.has_tag(cluster_tag(cluster_))) return port.has_tag(kind_tag);
  // Untagged: an interrupted create, or a port made before nkd tagged ports. Its name (the
  // caller's query) and description say whose it is; another cluster's tag says it is not ours.
  return !has_tag_with_prefix(port.tags, kClusterTagPrefix) && made_by_nkd(port.description);
}

Status ClusterPorts::ensure_tags(const Port& port, const std::vector<std::string>& tags) {
  const std::vector<std::string> all = merged(port.tags, tags);
  if (all.size() == port.tags.size()) return ok_status();
  return network_.set_tags("ports", port.id, all);
}

Result<Port> ClusterPorts::get_or_create(const PortSpec& spec, const std::vector<std::string>& tags,
                                         const std::string& kind_tag,
                                         const std::function<Status()>& before_create) {
  auto lookup = [&]() -> Result<std::optional<Port>> {
    NKD_ASSIGN_OR_RETURN(
        std::vector<Port> found,
        network_.list_ports({{"name", spec.name}, {"network_id", spec.network_id}}));
    std::optional<Port> best;
    for (Port& port : found) {
      if (!is_ours(port, kind_tag)) continue;
      // A free port over one a server already uses (only a duplicate could be).
      if (!best || (!best->device_id.empty() && port.device_id.empty())) best = std::move(port);
    }
    return best;
  };
  NKD_ASSIGN_OR_RETURN(std::optional<Port> found, lookup());
  std::optional<Port> port = std::move(found);
  if (!port) {
    if (before_create) {
      NKD_RETURN_IF_ERROR(before_create());
    }
    Result<Port> created = network_.create_port(spec);
    if (created) {
      port = std::move(*created);
    } else {
      // A conflict or a lost answer: Neutron may have made the port after all.
      Result<std::optional<Port>> again = lookup();
      if (!again || !again->has_value()) {
        const bool conflict = created.error().code == ErrorCode::kConflict;
        return Error{created.error().code,
                     created.error().message + "; no port " + spec.name + " of nkd's found " +
                         (conflict ? "either: another port holds the address; free it or choose "
                                     "another in the cluster definition"
                                   : "afterwards: the next apply looks again before any new create")};
      }
      port = std::move(**again);
    }
  }
  NKD_RETURN_IF_ERROR(ensure_tags(*port, tags));
  return *port;
}

Result<Port> ClusterPorts::node_port(const model::Node& node) {
  const std::string& vip = settings_.virtual_ip;
  const bool allows_vip = node.role == model::PoolRole::kControlPlane && !vip.empty();
  PortSpec spec{.name = node.name,
                .network_id = settings_.network_id,
                .fixed_ip = node.ip,
                .security_group_ids = settings_.security_group_ids,
                .description = kPortDescription};
  if (allows_vip) spec.allowed_addresses.push_back(vip);
  NKD_ASSIGN_OR_RETURN_WRAP(
      Port port,
      get_or_create(spec, {kNkdTag, cluster_tag(cluster_), node_tag(node.name)},
                    node_tag(node.name)),
      "port of node " + node.name);
  if (allows_vip && !port.allows(vip)) {
    std::vector<AddressPair> pairs = port.allowed_address_pairs;
    pairs.push_back(AddressPair{.ip_address = vip});
    NKD_RETURN_IF_ERROR(network_.set_allowed_address_pairs(port.id, pairs));
    port.allowed_address_pairs = std::move(pairs);
  }
  return port;
}

Result<std::vector<Port>> ClusterPorts::node_ports(const std::string& node_name) {
  NKD_ASSIGN_OR_RETURN(std::vector<Port> named, network_.ports_named(node_name));
  std::vector<Port> ours;
  for (Port& port : named) {
    if (is_ours(port, node_tag(node_name))) ours.push_back(std::move(port));
  }
  return ours;
}

Status ClusterPorts::release_floating_ips(const std::vector<Port>& ports) {
  for (const Port& port : ports) {
    NKD_ASSIGN_OR_RETURN(std::vector<FloatingIp> addresses, network_.floating_ips_of_port(port.id));
    for (const FloatingIp& address : addresses) {
      if (!made_by_nkd(address.description)) continue;  // not ours: leave it
      NKD_RETURN_IF_ERROR(network_.delete_floating_ip(address.id));
    }
  }
  return ok_status();
}

Status ClusterPorts::delete_ports(const std::vector<Port>& ports) {
  for (const Port& port : ports) {
    NKD_RETURN_IF_ERROR(network_.delete_port(port.id));
  }
  return ok_status();
}

Result<std::vector<Port>> ClusterPorts::vip_ports() {
  NKD_ASSIGN_OR_RETURN(std::vector<Port> named, network_.ports_named(vip_port_name(cluster_)));
  std::vector<Port> ours;
  for (Port& port : named) {
    if (is_ours(port, kVipTag)) ours.push_back(std::move(port));
  }
  return ours;
}

Status ClusterPorts::reserve_virtual_ip(const std::function<Status()>& before_create) {
  if (settings_.virtual_ip.empty()) return ok_status();
  PortSpec spec{.name = vip_port_name(cluster_),
                .network_id = settings_.network_id,
                .fixed_ip = settings_.virtual_ip,
                .security_group_ids = settings_.security_group_ids,
                .description = std::string(kPortDescription) + ": virtual IP of cluster " + cluster_};
  NKD_RETURN_IF_ERROR_WRAP(
      get_or_create(spec, {kNkdTag, cluster_tag(cluster_), kVipTag}, kVipTag, before_create),
      "reserving virtual IP " + settings_.virtual_ip);
  return ok_status();
}

Status ClusterPorts::settle(const std::vector<std::string>& control_plane_servers,
                            const std::set<std::string>& keep) {
  const std::string& vip = settings_.virtual_ip;
  NKD_ASSIGN_OR_RETURN(std::vector<Port> reserved, vip_ports());
  std::optional<Port> vip_port;
  std::vector<Port> surplus;  // the virtual IP was dropped, or the cluster moved networks
  std::set<std::string> stale;  // addresses the control-plane ports must no longer allow
  for (Port& port : reserved) {
    for (const std::string& address : port.fixed_ips) {
      if (address != vip) stale.insert(address);
    }
    if (!vip.empty() && !vip_port && port.network_id == settings_.network_id) {
      vip_port = std::move(port);
    } else {
      surplus.push_back(std::move(port));
    }
  }
  NKD_RETURN_IF_ERROR(settle_address_pairs(control_plane_servers, stale));
  // The pairs allow the new address before the VIP port moves to it.
  if (vip_port && (vip_port->fixed_ips.size() != 1 || vip_port->fixed_ips[0] != vip)) {
    NKD_RETURN_IF_ERROR(network_.set_fixed_ip(vip_port->id, vip));
    vip_port->fixed_ips = {vip};
  }
  std::optional<Port> target = vip_port;
  if (vip.empty() && !settings_.external_network_id.empty() && !settings_.first_control_plane.empty()) {
    NKD_ASSIGN_OR_RETURN(std::vector<Port> first, node_ports(settings_.first_control_plane));
    for (Port& port : first) {
      if (port.network_id == settings_.network_id) target = std::move(port);
    }
  }
  NKD_RETURN_IF_ERROR(settle_floating_ip(target));
  NKD_RETURN_IF_ERROR(release_floating_ips(surplus));
  NKD_RETURN_IF_ERROR(delete_ports(surplus));
  return delete_leftover_ports(keep);
}

Status ClusterPorts::settle_address_pairs(const std::vector<std::string>& control_plane_servers,
                                          const std::set<std::string>& stale) {
  const std::string& vip = settings_.virtual_ip;
  if (vip.empty() && stale.empty()) return ok_status();
  NKD_ASSIGN_OR_RETURN(std::vector<Port> ports, network_.ports_of_devices(control_plane_servers));
  for (const Port& port : ports) {
    std::vector<AddressPair> pairs;
    for (const AddressPair& pair : port.allowed_address_pairs) {
      if (!stale.contains(pair.ip_address)) pairs.push_back(pair);
    }
    if (!vip.empty() && !port.allows(vip)) pairs.push_back(AddressPair{.ip_address = vip});
    const bool changed = pairs.size() != port.allowed_address_pairs.size() ||
                         (!vip.empty() && !port.allows(vip));
    if (!changed) continue;
    NKD_RETURN_IF_ERROR(network_.set_allowed_address_pairs(port.id, pairs));
  }
  return ok_status();
}

Result<std::vector<FloatingIp>> ClusterPorts::floating_ip_candidates(const Port& target) {
  std::map<std::string, FloatingIp> found;  // by ID
  auto add = [&](const Filters& filters, bool only_nkd) -> Status {
    NKD_ASSIGN_OR_RETURN(std::vector<FloatingIp> listed, network_.list_floating_ips(filters));
    for (FloatingIp& address : listed) {
      if (!only_nkd || made_by_nkd(address.description))
        found.emplace(address.id, std::move(address));
    }
    return ok_status();
  };
  NKD_RETURN_IF_ERROR(add({{"tags", tags_filter({kNkdTag, cluster_tag(cluster_)})}}, false));
  // Untagged ones: an interrupted create, or one made before nkd tagged floating IPs.
  NKD_RETURN_IF_ERROR(add({{"port_id", target.id}}, true));
  for (const std::string& name : {settings_.first_control_plane, vip_port_name(cluster_)}) {
    if (name.empty() || name == target.name) continue;
    NKD_RETURN_IF_ERROR(add({{"description", floating_description(name)}}, true));
  }
  std::vector<FloatingIp> candidates;
  for (auto& [id, address] : found) candidates.push_back(std::move(address));
  return candidates;
}

Status ClusterPorts::settle_floating_ip(const std::optional<Port>& target) {
  if (settings_.external_network_id.empty()) return delete_floating_ips_tagged();
  if (!target) return ok_status();  // the first control-plane node has no port yet
  const std::string description = floating_description(target->name);
  const std::vector<std::string> tags = {kNkdTag, cluster_tag(cluster_)};
  // Bound to the target's current address (a port whose address changed must be bound again).
  auto in_place = [&](const FloatingIp& address) {
    return address.port_id == target->id && address.description == description &&
           std::find(target->fixed_ips.begin(), target->fixed_ips.end(), address.fixed_address) !=
               target->fixed_ips.end();
  };
  NKD_ASSIGN_OR_RETURN(std::vector<FloatingIp> tagged,
                       network_.list_floating_ips({{"tags", tags_filter(tags)}}));
  if (tagged.size() == 1 && in_place(tagged[0])) return ok_status();  // one request, usually
  NKD_ASSIGN_OR_RETURN(std::vector<FloatingIp> candidates, floating_ip_candidates(*target));
  auto chosen = std::find_if(candidates.begin(), candidates.end(), [&](const FloatingIp& address) {
    return address.port_id == target->id;
  });
  if (chosen == candidates.end()) chosen = candidates.begin();
  FloatingIp address;
  if (chosen == candidates.end()) {
    Result<FloatingIp> made =
        network_.create_floating_ip(settings_.external_network_id, target->id, description);
    if (!made) {
      return Error{made.error().code,
                   made.error().message + "; the next apply looks for it before any new create"};
    }
    address = std::move(*made);
  } else {
    address = *chosen;
    // Moved, not made anew: the address the cluster is reached at stays.
    if (!in_place(address)) {
      NKD_RETURN_IF_ERROR(network_.move_floating_ip(address.id, target->id, description));
    }
  }
  const std::vector<std::string> all = merged(address.tags, tags);
  if (all.size() != address.tags.size()) {
    NKD_RETURN_IF_ERROR(network_.set_tags("floatingips", address.id, all));
  }
  for (const FloatingIp& other : candidates) {  // one floating IP per cluster
    if (other.id == address.id) continue;
    NKD_RETURN_IF_ERROR(network_.delete_floating_ip(other.id));
  }
  return ok_status();
}

Status ClusterPorts::delete_floating_ips_tagged() {
  NKD_ASSIGN_OR_RETURN(
      std::vector<FloatingIp> tagged,
      network_.list_floating_ips({{"tags", tags_filter({kNkdTag, cluster_tag(cluster_)})}}));
  for (const FloatingIp& address : tagged) {
    NKD_RETURN_IF_ERROR(network_.delete_floating_ip(address.id));
  }
  return ok_status();
}

Status ClusterPorts::delete_leftover_ports(const std::set<std::string>& keep) {
  NKD_ASSIGN_OR_RETURN(std::vector<Port> ports,
                       network_.ports_tagged({kNkdTag, cluster_tag(cluster_)}));
  std::vector<Port> leftover;
  for (Port& port : ports) {
    std::string node;
    for (const std::string& tag : port.tags) {
      if (tag.starts_with(kNodeTagPrefix)) node = tag.substr(kNodeTagPrefix.size());
    }
    // A node's port whose server never came (a crash between the two), for a node no longer
    // wanted; a port a server still uses goes with that server.
    if (node.empty() || keep.contains(node) || !port.device_id.empty()) continue;
    leftover.push_back(std::move(port));
  }
  NKD_RETURN_IF_ERROR(release_floating_ips(leftover));
  return delete_ports(leftover);
}

Status ClusterPorts::remove_all() {
  NKD_ASSIGN_OR_RETURN(std::vector<Port> tagged,
                       network_.ports_tagged({kNkdTag, cluster_tag(cluster_)}));
  NKD_ASSIGN_OR_RETURN(std::vector<Port> reserved, vip_ports());  // also an untagged one
  std::map<std::string, Port> ports;
  for (Port& port : tagged) ports.emplace(port.id, std::move(port));
  for (Port& port : reserved) ports.emplace(port.id, std::move(port));
  std::vector<Port> all;
  for (auto& [id, port] : ports) all.push_back(std::move(port));
  NKD_RETURN_IF_ERROR(release_floating_ips(all));
  NKD_RETURN_IF_ERROR(delete_ports(all));
  return delete_floating_ips_tagged();
}

}  // namespace nkd::providers::openstack
