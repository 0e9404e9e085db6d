// Neutron v2.0 client: resolves networks and security groups by name (or ID); makes, lists (by
// name, tags or device), retags, updates and deletes the ports nkd boots servers on and reserves
// virtual IPs with; and the floating IPs bound to them. Every call is one request through
// Keystone::send (timeout, retry, metering); a delete answered 404 counts as done. Tags are
// Neutron's plain strings (standard-attr-tag: at most 255 characters each, no commas, since a
// `tags=` filter is comma-separated). Thread-safe as Keystone is.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "providers/openstack/keystone.h"

namespace nkd::providers::openstack {

// One entry of a port's allowed_address_pairs; an empty mac_address means the port's own.
struct AddressPair {
  std::string ip_address;
  std::string mac_address;
};

struct PortSpec {
  std::string name;  // the node's name, or "<cluster>-vip"
  std::string network_id;
  std::string fixed_ip;  // empty: Neutron picks one
  std::vector<std::string> security_group_ids;
  std::string description;
  std::vector<std::string> allowed_addresses;  // allowed_address_pairs, by IP only
};

struct Port {
  std::string id;
  std::string name;
  std::string network_id;
  std::string device_id;  // the server using it, or ""
  std::string description;
  std::vector<std::string> fixed_ips;
  std::vector<std::string> tags;
  std::vector<AddressPair> allowed_address_pairs;

  [[nodiscard]] bool has_tag(const std::string& tag) const;
  [[nodiscard]] bool allows(const std::string& address) const;
};

struct FloatingIp {
  std::string id;
  std::string address;
  std::string port_id;  // "" when bound to nothing
  std::string fixed_address;  // the port's address it maps to (stale when the port moved)
  std::string description;
  std::vector<std::string> tags;
};

// Query filters, e.g. {{"name", "n"}, {"network_id", id}}; values are URL-encoded here.
using Filters = std::vector<std::pair<std::string, std::string>>;

// The value of Neutron's `tags` filter (resources that carry every one of `tags`): comma-joined.
[[nodiscard]] std::string tags_filter(const std::vector<std::string>& tags);

class NetworkService {
 public:
  explicit NetworkService(Keystone& keystone) : keystone_(keystone) {}

  // Exactly one network with this name (or this ID); ambiguity is kInvalidArgument.
  [[nodiscard]] Result<std::string> resolve_network(const std::string& name_or_id);
  [[nodiscard]] Result<std::string> resolve_security_group(const std::string& name_or_id);

  // POST /v2.0/ports (no tags in the body: set_tags adds them, on every cloud).
  [[nodiscard]] Result<Port> create_port(const PortSpec& spec);
  [[nodiscard]] Result<std::vector<Port>> list_ports(const Filters& filters);
  [[nodiscard]] Result<std::vector<Port>> ports_named(const std::string& name);
  // Ports carrying every one of `tags`.
  [[nodiscard]] Result<std::vector<Port>> ports_tagged(const std::vector<std::string>& tags);
  // Ports bound to any of `device_ids` (one request); none for an empty list.
  [[nodiscard]] Result<std::vector<Port>> ports_of_devices(const std::vector<std::string>& device_ids);
  [[nodiscard]] Status set_allowed_address_pairs(const std::string& port_id,
                                                 const std::vector<AddressPair>& pairs);
  [[nodiscard]] Status set_fixed_ip(const std::string& port_id, const std::string& address);
  [[nodiscard]] Status delete_port(const std::string& id);  // gone already counts as done

  // Replaces every tag of the resource: `collection` is "ports" or "floatingips".
  [[nodiscard]] Status set_tags(const std::string& collection, const std::string& id,
                                const std::vector<std::string>& tags);

  // A floating IP on `external_network_id`, bound to `port_id`; `description` marks it as nkd's.
  [[nodiscard]] Result<FloatingIp> create_floating_ip(const std::string& external_network_id,
                                                      const std::string& port_id,
                                                      const std::string& description);
  [[nodiscard]] Result<std::vector<FloatingIp>> list_floating_ips(const Filters& filters);
  [[nodiscard]] Result<std::vector<FloatingIp>> floating_ips_of_port(const std::string& port_id);
  // Binds the floating IP to `port_id` (to its first address, now: a port whose address
  // changed is bound again this way) and gives it `description`.
  [[nodiscard]] Status move_floating_ip(const std::string& id, const std::string& port_id,
                                        const std::string& description);
  [[nodiscard]] Status delete_floating_ip(const std::string& id);

 private:
  Result<std::string> resolve(const std::string& collection, const std::string& name_or_id,
                              const std::string& operation);
  Status update(const std::string& collection, const std::string& id, const std::string& operation,
                const std::string& body, const std::string& what);
  Status remove(const std::string& collection, const std::string& id, const std::string& operation,
                const std::string& what);
  Keystone& keystone_;
};

}  // namespace nkd::providers::openstack
