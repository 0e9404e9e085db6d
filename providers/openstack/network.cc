#include "providers/openstack/network.h"

#include <algorithm>

#include "common/json_fields.h"
#include "providers/openstack/api_util.h"

namespace nkd::providers::openstack {
namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* key) { return json_string(object, key); }

std::vector<std::string> strings_of(const json& object, const char* key) {
  std::vector<std::string> values;
  for (const json& value : json_array(object, key)) {
    if (value.is_string()) values.push_back(value.get<std::string>());
  }
  return values;
}

Port port_of(const json& object) {
  Port port{.id = text_of(object, "id"),
            .name = text_of(object, "name"),
            .network_id = text_of(object, "network_id"),
            .device_id = text_of(object, "device_id"),
            .description = text_of(object, "description"),
            .tags = strings_of(object, "tags")};
  for (const json& address : json_array(object, "fixed_ips")) {
    port.fixed_ips.push_back(text_of(address, "ip_address"));
  }
  for (const json& pair : json_array(object, "allowed_address_pairs")) {
    port.allowed_address_pairs.push_back(
        AddressPair{.ip_address = text_of(pair, "ip_address"), .mac_address = text_of(pair, "mac_address")});
  }
  return port;
}

FloatingIp floating_ip_of(const json& object) {
  return FloatingIp{.id = text_of(object, "id"),
                    .address = text_of(object, "floating_ip_address"),
                    .port_id = text_of(object, "port_id"),
                    .fixed_address = text_of(object, "fixed_ip_address"),
                    .description = text_of(object, "description"),
                    .tags = strings_of(object, "tags")};
}

std::string query_of(const Filters& filters) {
  std::string query;
  for (const auto& [key, value] : filters) {
    query += (query.empty() ? "?" : "&") + key + "=" + url_encode(value);
  }
  return query;
}

std::string describe(const Filters& filters) {
  std::string text;
  for (const auto& [key, value] : filters) text += (text.empty() ? "" : ", ") + key + "=" + value;
  return text.empty() ? "all" : text;
}

}  // namespace

std::string tags_filter(const std::vector<std::string>& tags) {
  std::string text;
  for (const std::string& tag : tags) text += (text.empty() ? "" : ",") + tag;
  return text;
}

bool Port::has_tag(const std::string& tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

bool Port::allows(const std::string& address) const {
  return std::any_of(allowed_address_pairs.begin(), allowed_address_pairs.end(),
                     [&](const AddressPair& pair) { return pair.ip_address == address; });
}

Result<std::string> NetworkService::resolve(const std::string& collection,
                                            const std::string& name_or_id,
                                            const std::string& operation) {
  const std::string kind = collection == "networks" ? "network" : "security group";
  const std::string what = "resolving " + kind + " '" + name_or_id + "' in Neutron";
  const std::string key = looks_like_uuid(name_or_id) ? "id" : "name";
  NKD_ASSIGN_OR_RETURN(
      json listed,
      json_body(keystone_.send(ServiceRequest{
                    .operation = operation,
                    .service_type = "network",
                    .path = "/v2.0/" + collection + "?" + key + "=" + url_encode(name_or_id)}),
                what));
  const json& items = json_array(listed, collection);
  if (items.empty()) {
    return Error{ErrorCode::kNotFound, what + ": the project sees no " + kind +
                                           " of that name; create it or fix the cluster definition"};
  }
  if (items.size() > 1) {
    return Error{ErrorCode::kInvalidArgument,
                 what + ": the name is ambiguous (" + std::to_string(items.size()) +
                     " matches); name it by its ID"};
  }
  return json_string(items[0], "id");
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
  if (!spec.allowed_addresses.empty()) {
    json pairs = json::array();
    for (const std::string& address : spec.allowed_addresses) pairs.push_back({{"ip_address", address}});
    port["allowed_address_pairs"] = pairs;
  }
  NKD_ASSIGN_OR_RETURN(
      json created, json_body(keystone_.send(ServiceRequest{.operation = "port_create",
                                                            .service_type = "network",
                                                            .method = "POST",
                                                            .path = "/v2.0/ports",
                                                            .body = json{{"port", port}}.dump()}),
                              "creating port '" + spec.name + "' in Neutron", {201}));
  return port_of(json_member(created, "port"));
}

Result<std::vector<Port>> NetworkService::list_ports(const Filters& filters) {
  NKD_ASSIGN_OR_RETURN(
      json listed,
      json_body(keystone_.send(ServiceRequest{.operation = "port_list",
                                              .service_type = "network",
                                              .path = "/v2.0/ports" + query_of(filters)}),
                "listing ports (" + describe(filters) + ") in Neutron"));
  std::vector<Port> ports;
  for (const json& port : json_array(listed, "ports")) ports.push_back(port_of(port));
  return ports;
}

Result<std::vector<Port>> NetworkService::ports_named(const std::string& name) {
  return list_ports({{"name", name}});
}

Result<std::vector<Port>> NetworkService::ports_tagged(const std::vector<std::string>& tags) {
  return list_ports({{"tags", tags_filter(tags)}});
}

Result<std::vector<Port>> NetworkService::ports_of_devices(const std::vector<std::string>& device_ids) {
  if (device_ids.empty()) return std::vector<Port>();
  Filters filters;
  for (const std::string& id : device_ids) filters.emplace_back("device_id", id);
  return list_ports(filters);
}

Status NetworkService::update(const std::string& collection, const std::string& id,
                              const std::string& operation, const std::string& body,
                              const std::string& what) {
  NKD_RETURN_IF_ERROR(
      json_body(keystone_.send(ServiceRequest{.operation = operation,
                                              .service_type = "network",
                                              .method = "PUT",
                                              .path = "/v2.0/" + collection + "/" + id,
                                              .body = body}),
                what));
  return ok_status();
}

Status NetworkService::set_allowed_address_pairs(const std::string& port_id,
                                                 const std::vector<AddressPair>& pairs) {
  json list = json::array();
  for (const AddressPair& pair : pairs) {
    json entry{{"ip_address", pair.ip_address}};
    if (!pair.mac_address.empty()) entry["mac_address"] = pair.mac_address;
    list.push_back(entry);
  }
  return update("ports", port_id, "port_update",
                json{{"port", {{"allowed_address_pairs", list}}}}.dump(),
                "setting the allowed address pairs of port " + port_id + " in Neutron");
}

Status NetworkService::set_fixed_ip(const std::string& port_id, const std::string& address) {
  return update("ports", port_id, "port_update",
                json{{"port", {{"fixed_ips", json::array({{{"ip_address", address}}})}}}}.dump(),
                "moving port " + port_id + " to address " + address + " in Neutron");
}

Status NetworkService::set_tags(const std::string& collection, const std::string& id,
                                const std::vector<std::string>& tags) {
  return update(collection, id + "/tags", collection == "ports" ? "port_tags" : "floating_ip_tags",
                json{{"tags", tags}}.dump(),
                "tagging " + collection + "/" + id + " in Neutron");
}

Status NetworkService::remove(const std::string& collection, const std::string& id,
                              const std::string& operation, const std::string& what) {
  NKD_ASSIGN_OR_RETURN_WRAP(
      HttpResponse response,
      keystone_.send(ServiceRequest{.operation = operation,
                                    .service_type = "network",
                                    .method = "DELETE",
                                    .path = "/v2.0/" + collection + "/" + id}),
      what);
  if (response.status == 204 || response.status == 404) return ok_status();
  return error_from_response(response, what);
}

Status NetworkService::delete_port(const std::string& id) {
  return remove("ports", id, "port_delete", "deleting port " + id + " in Neutron");
}

Result<FloatingIp> NetworkService::create_floating_ip(const std::string& external_network_id,
                                                      const std::string& port_id,
                                                      const std::string& description) {
  json body{{"floatingip",
             {{"floating_network_id", external_network_id}, {"port_id", port_id},
              {"description", description}}}};
  NKD_ASSIGN_OR_RETURN(
      json created, json_body(keystone_.send(ServiceRequest{.operation = "floating_ip_create",
                                                            .service_type = "network",
                                                            .method = "POST",
                                                            .path = "/v2.0/floatingips",
                                                            .body = body.dump()}),
                              "creating a floating IP for port " + port_id + " in Neutron", {201}));
  return floating_ip_of(json_member(created, "floatingip"));
}

Result<std::vector<FloatingIp>> NetworkService::list_floating_ips(const Filters& filters) {
  NKD_ASSIGN_OR_RETURN(
      json listed,
      json_body(keystone_.send(ServiceRequest{.operation = "floating_ip_list",
                                              .service_type = "network",
                                              .path = "/v2.0/floatingips" + query_of(filters)}),
                "listing floating IPs (" + describe(filters) + ") in Neutron"));
  std::vector<FloatingIp> addresses;
  for (const json& item : json_array(listed, "floatingips")) {
    addresses.push_back(floating_ip_of(item));
  }
  return addresses;
}

Result<std::vector<FloatingIp>> NetworkService::floating_ips_of_port(const std::string& port_id) {
  return list_floating_ips({{"port_id", port_id}});
}

Status NetworkService::move_floating_ip(const std::string& id, const std::string& port_id,
                                        const std::string& description) {
  return update("floatingips", id, "floating_ip_update",
                json{{"floatingip", {{"port_id", port_id}, {"description", description}}}}.dump(),
                "binding floating IP " + id + " to port " + port_id + " in Neutron");
}

Status NetworkService::delete_floating_ip(const std::string& id) {
  return remove("floatingips", id, "floating_ip_delete", "deleting floating IP " + id + " in Neutron");
}

}  // namespace nkd::providers::openstack
