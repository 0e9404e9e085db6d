// Neutron v2.0 client: resolves networks and security groups by name (or ID), makes the ports
// nkd attaches servers to (with a fixed IP when a node's definition gives one) and the floating
// IPs for a control-plane endpoint, and finds and deletes both by the name nkd gave them
// (the node's name), so a retried step finds what an interrupted one made. Thread-safe as
// Keystone is.
#pragma once

#include <string>
#include <vector>

#include "providers/openstack/keystone.h"

namespace nkd::providers::openstack {

struct PortSpec {
  std::string name;  // the node's name
  std::string network_id;
  std::string fixed_ip;  // empty: Neutron picks one
  std::vector<std::string> security_group_ids;
  std::string description;
};

struct Port {
  std::string id;
  std::string name;
  std::string network_id;
  std::string device_id;  // the server using it, or ""
  std::string description;
  std::vector<std::string> fixed_ips;
};

struct FloatingIp {
  std::string id;
  std::string address;
  std::string port_id;
  std::string description;
};

class NetworkService {
 public:
  explicit NetworkService(Keystone& keystone) : keystone_(keystone) {}

  // Exactly one network with this name (or this ID); ambiguity is kInvalidArgument.
  [[nodiscard]] Result<std::string> resolve_network(const std::string& name_or_id);
  [[nodiscard]] Result<std::string> resolve_security_group(const std::string& name_or_id);

  [[nodiscard]] Result<Port> create_port(const PortSpec& spec);
  [[nodiscard]] Result<std::vector<Port>> ports_named(const std::string& name);
  [[nodiscard]] Status delete_port(const std::string& id);  // gone already counts as done

  // A floating IP on `external_network_id`, bound to `port_id`; `description` marks it as nkd's.
  [[nodiscard]] Result<FloatingIp> create_floating_ip(const std::string& external_network_id,
                                                      const std::string& port_id,
                                                      const std::string& description);
  [[nodiscard]] Result<std::vector<FloatingIp>> floating_ips_of_port(const std::string& port_id);
  [[nodiscard]] Status delete_floating_ip(const std::string& id);

 private:
  Result<std::string> resolve(const std::string& collection, const std::string& name_or_id,
                              const std::string& operation);
  Keystone& keystone_;
};

}  // namespace nkd::providers::openstack
