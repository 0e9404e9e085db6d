// Nova v2.1 client (microversion 2.37, so "networks": "none" is allowed): flavors by name or ID,
// servers created with nkd's metadata and user_data, listed by name prefix and metadata, polled
// until ACTIVE or ERROR within a deadline, and deleted. A create answered 403/413 with a quota
// message is kQuotaExceeded naming the quota; a 409 is kConflict (the caller looks the name up).
// Thread-safe as Keystone is.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/openstack/keystone.h"

namespace nkd::providers::openstack {

inline constexpr const char* kComputeMicroversion = "compute 2.37";

struct Server {
  std::string id;
  std::string name;
  std::string status;  // BUILD, ACTIVE, ERROR, DELETED, ...
  std::string fault;   // Nova's fault message when status is ERROR
  std::map<std::string, std::string> metadata;
  std::vector<std::string> addresses;  // every fixed and floating address
};

struct ServerSpec {
  std::string name;
  std::string flavor_id;
  std::string image_id;
  std::vector<std::string> network_ids;  // attach by network...
  std::vector<std::string> port_ids;     // ...or by ports made beforehand; none: no NIC
  std::vector<std::string> security_groups;  // names; only with network_ids (ports carry theirs)
  std::string availability_zone;
  std::map<std::string, std::string> metadata;
  std::string user_data;  // raw; sent base64-encoded (Nova allows 65,535 bytes of base64)
};

class ComputeService {
 public:
  // Polls wait on `keystone`'s clock.
  explicit ComputeService(Keystone& keystone) : keystone_(keystone) {}

  [[nodiscard]] const Clock& clock() const { return keystone_.clock(); }
  [[nodiscard]] Result<std::string> resolve_flavor(const std::string& name_or_id);
  // Returns the new server (status BUILD, no addresses yet).
  [[nodiscard]] Result<Server> create_server(const ServerSpec& spec);
  // nullopt when the server does not exist.
  [[nodiscard]] Result<std::optional<Server>> get_server(const std::string& id);
  // Servers whose name starts with `name_prefix` and whose metadata holds every pair of
  // `metadata`; paged, at most 50 pages. Servers in status DELETED are left out.
  [[nodiscard]] Result<std::vector<Server>> list_servers(
      const std::string& name_prefix, const std::map<std::string, std::string>& metadata);
  [[nodiscard]] Status delete_server(const std::string& id);  // gone already counts as done
  // Polls until the server is ACTIVE or ERROR (both returned as values); kTimeout after `timeout`.
  [[nodiscard]] Result<Server> wait_for_server(const std::string& id,
                                               std::chrono::milliseconds timeout,
                                               std::chrono::milliseconds poll = std::chrono::milliseconds(250));
  // Polls until the server is gone; kTimeout after `timeout`.
  [[nodiscard]] Status wait_for_deletion(const std::string& id, std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds poll = std::chrono::milliseconds(250));

 private:
  Result<HttpResponse> call(const std::string& operation, const std::string& method,
                            const std::string& path, const std::string& body = "");
  Keystone& keystone_;
};

// Reads one server object of a Nova response.
[[nodiscard]] Server server_from_json(const nlohmann::json& object);

}  // namespace nkd::providers::openstack
