#include "providers/openstack/network.h"

#include "providers/openstack/api_util.h"

namespace nkd::providers::openstack {
namespace {

using nlohmann::json;

Port port_of(const json& object) {
  Port port{.id = object.value("id", ""),
            .name = object.value("name", ""),
            .network_id = object.value("network_id", ""),
            .device_id = object.value("device_id", ""),
            .description = object.value("description", "")};
  for (const json& address : object.value("fixed_ips", json::array())) {
    port.fixed_ips.push_back(address.value("ip_address", ""));
  }
  return port;
}

FloatingIp floating_ip_of(const json& object) {
  auto text = [&](const char* key) {
    return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : "";
  };
  return FloatingIp{.id = text("id"),
                    .address = text("floating_ip_address"),
                    .port_id = text("port_id"),
                    .description = text("description")};
}

}  // namespace

Result<std::string> NetworkService::resolve(const std::string& collection,
                                            const std::string& name_or_id,
                                            const std::string& operation) {
  const std::string kind = collection == "networks" ? "network" : "security group";
  const std::string what = "resolving " + kind + " '" + name_or_id + "' in Neutron";
  const std::string key = looks_like_uuid(name_or_id) ? "id" : "name";
  Result<json> listed = json_body(
      keystone_.send(ServiceRequest{
          .operation = operation,
          .service_type = "network",
          .path = "/v2.0/" + collection + "?" + key + "=" + url_encode(name_or_id)}),
      what);
  if (!listed) return listed.error();
  const json items = listed->value(collection, json::array());
  if (items.empty()) {
    return Error{ErrorCode::kNotFound, what + ": the project sees no " + kind +
                                           " of that name; create it or fix the cluster definition"};
  }
  if (items.size() > 1) {
    return Error{ErrorCode::kInvalidArgument,
                 what + ": the name is ambiguous (" + std::to_string(items.size()) +
                     " matches); name it by its ID"};
  }
  return items[0].value("id", "");
}

Result<std::string> NetworkService::resolve_network(const std::string& name_or_id) {
  return resolve("networks", name_or_id, "network_list");
}

Result<std::string> NetworkService::resolve_security_group(const std::string& name_or_id) {
  return resolve("security-groups", name_or_id, "security_group_list");
}

Result<Port> NetworkService::create_port(const PortSpec& spec) {
  json port{{"name", spec.name}, {"network_id", spec.network_id},
            {"description", spec.description}};
  if (!spec.fixed_ip.empty()) port["fixed_ips"] = json::array({{{"ip_address", spec.fixed_ip}}});
  if (!spec.security_group_ids.empty()) port["security_groups"] = spec.security_group_ids;
  Result<json> created = json_body(
      keystone_.send(ServiceRequest{.operation = "port_create",
                                    .service_type = "network",
                                    .method = "POST",
                                    .path = "/v2.0/ports",
                                    .body = json{{"port", port}}.dump()}),
      "creating port '" + spec.name + "' in Neutron", {201});
  if (!created) return created.error();
  return port_of((*created)["port"]);
}

Result<std::vector<Port>> NetworkService::ports_named(const std::string& name) {
  Result<json> listed = json_body(
      keystone_.send(ServiceRequest{.operation = "port_list",
                                    .service_type = "network",
                                    .path = "/v2.0/ports?name=" + url_encode(name)}),
      "listing ports named '" + name + "' in Neutron");
  if (!listed) return listed.error();
  std::vector<Port> ports;
  for (const json& port : listed->value("ports", json::array())) ports.push_back(port_of(port));
  return ports;
}

Status NetworkService::delete_port(const std::string& id) {
  Result<HttpResponse> response = keystone_.send(ServiceRequest{
      .operation = "port_delete", .service_type = "network", .method = "DELETE",
      .path = "/v2.0/ports/" + id});
  const std::string what = "deleting port " + id + " in Neutron";
  if (!response) return response.error().wrap(what);
  if (response->status == 204 || response->status == 404) return ok_status();
  return error_from_response(*response, what);
}

Result<FloatingIp> NetworkService::create_floating_ip(const std::string& external_network_id,
                                                      const std::string& port_id,
                                                      const std::string& description) {
  json body{{"floatingip",
             {{"floating_network_id", external_network_id}, {"port_id", port_id},
              {"description", description}}}};
  Result<json> created = json_body(
      keystone_.send(ServiceRequest{.operation = "floating_ip_create",
                                    .service_type = "network",
                                    .method = "POST",
                                    .path = "/v2.0/floatingips",
                                    .body = body.dump()}),
      "creating a floating IP for port " + port_id + " in Neutron", {201});
  if (!created) return created.error();
  return floating_ip_of((*created)["floatingip"]);
}

Result<std::vector<FloatingIp>> NetworkService::floating_ips_of_port(const std::string& port_id) {
  Result<json> listed = json_body(
      keystone_.send(ServiceRequest{.operation = "floating_ip_list",
                                    .service_type = "network",
                                    .path = "/v2.0/floatingips?port_id=" + url_encode(port_id)}),
      "listing floating IPs of port " + port_id + " in Neutron");
  if (!listed) return listed.error();
  std::vector<FloatingIp> addresses;
  for (const json& item : listed->value("floatingips", json::array())) {
    addresses.push_back(floating_ip_of(item));
  }
  return addresses;
}

Status NetworkService::delete_floating_ip(const std::string& id) {
  Result<HttpResponse> response = keystone_.send(ServiceRequest{
      .operation = "floating_ip_delete", .service_type = "network", .method = "DELETE",
      .path = "/v2.0/floatingips/" + id});
  const std::string what = "deleting floating IP " + id + " in Neutron";
  if (!response) return response.error().wrap(what);
  if (response->status == 204 || response->status == 404) return ok_status();
  return error_from_response(*response, what);
}

}  // namespace nkd::providers::openstack
