#include "providers/openstack/compute.h"

#include "common/crypto.h"
#include "common/json_fields.h"
#include "providers/openstack/api_util.h"

namespace nkd::providers::openstack {
namespace {

using nlohmann::json;

constexpr int kPageLimit = 200;
constexpr int kMaxPages = 50;

std::string regex_escape(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) escaped += '\\';
    escaped += c;
  }
  return escaped;
}

json server_body(const ServerSpec& spec) {
  json server{{"name", spec.name}, {"flavorRef", spec.flavor_id}, {"imageRef", spec.image_id},
              {"metadata", spec.metadata}};
  json networks = json::array();
  for (const auto& id : spec.network_ids) networks.push_back({{"uuid", id}});
  for (const auto& id : spec.port_ids) networks.push_back({{"port", id}});
  server["networks"] = networks.empty() ? json("none") : networks;
  if (!spec.network_ids.empty() && !spec.security_groups.empty()) {
    json groups = json::array();
    for (const auto& name : spec.security_groups) groups.push_back({{"name", name}});
    server["security_groups"] = groups;
  }
  if (!spec.availability_zone.empty()) server["availability_zone"] = spec.availability_zone;
  if (!spec.user_data.empty()) server["user_data"] = base64_encode(spec.user_data);
  return json{{"server", server}};
}

}  // namespace

Server server_from_json(const json& object) {
  // Any shape of answer reads without throwing (common/json_fields.h).
  Server server{.id = json_string(object, "id"),
                .name = json_string(object, "name"),
                .status = json_string(object, "status"),
                .fault = json_string(json_object(object, "fault"), "message")};
  for (const auto& [key, value] : json_object(object, "metadata").items()) {
    if (value.is_string()) server.metadata[key] = value.get<std::string>();
  }
  for (const auto& [network, addresses] : json_object(object, "addresses").items()) {
    if (!addresses.is_array()) continue;
    for (const json& address : addresses) server.addresses.push_back(json_string(address, "addr"));
  }
  return server;
}

Result<HttpResponse> ComputeService::call(const std::string& operation, const std::string& method,
                                          const std::string& path, const std::string& body) {
  return keystone_.send(ServiceRequest{.operation = operation,
                                       .service_type = "compute",
                                       .method = method,
                                       .path = path,
                                       .body = body,
                                       .headers = {{"OpenStack-API-Version", kComputeMicroversion}}});
}

Result<std::string> ComputeService::resolve_flavor(const std::string& name_or_id) {
  const std::string what = "resolving flavor '" + name_or_id + "' in Nova";
  NKD_ASSIGN_OR_RETURN_WRAP(HttpResponse by_id,
                            call("flavor_get", "GET", "/flavors/" + url_encode(name_or_id)), what);
  if (by_id.status == 200) return name_or_id;
  if (by_id.status != 404) return error_from_response(by_id, what);
  // Nova has no name filter for flavors: list them (public and the project's own) and match.
  NKD_ASSIGN_OR_RETURN(json listed,
                       json_body(call("flavor_list", "GET", "/flavors?is_public=None"), what));
  std::vector<std::string> matches;
  for (const json& flavor : json_array(listed, "flavors")) {
    if (json_string(flavor, "name") == name_or_id) matches.push_back(json_string(flavor, "id"));
  }
  if (matches.empty()) {
    return Error{ErrorCode::kNotFound, what + ": no flavor has that name or ID; fix the flavor "
                                              "in the cluster definition"};
  }
  if (matches.size() > 1) {
    return Error{ErrorCode::kInvalidArgument, what + ": the name is ambiguous; use the flavor's ID"};
  }
  return matches.front();
}

Result<Server> ComputeService::create_server(const ServerSpec& spec) {
  NKD_ASSIGN_OR_RETURN(
      json created, json_body(call("server_create", "POST", "/servers", server_body(spec).dump()),
                              "creating server '" + spec.name + "' in Nova", {202}));
  Server server = server_from_json(json_member(created, "server"));
  server.name = spec.name;
  server.metadata = spec.metadata;
  if (server.status.empty()) server.status = "BUILD";
  return server;
}

Result<std::optional<Server>> ComputeService::get_server(const std::string& id) {
  Result<HttpResponse> response = call("server_get", "GET", "/servers/" + url_encode(id));
  const std::string what = "reading server " + id + " in Nova";
  if (response && response->status == 404) return std::optional<Server>();
  NKD_ASSIGN_OR_RETURN(json body, json_body(response, what));
  return std::optional<Server>(server_from_json(json_member(body, "server")));
}

Result<std::vector<Server>> ComputeService::list_servers(
    const std::string& name_prefix, const std::map<std::string, std::string>& metadata) {
  std::vector<Server> found;
  std::string marker;
  for (int page = 0; page < kMaxPages; ++page) {
    std::string path = "/servers/detail?limit=" + std::to_string(kPageLimit) +
                       "&name=" + url_encode("^" + regex_escape(name_prefix));
    if (!marker.empty()) path += "&marker=" + url_encode(marker);
    NKD_ASSIGN_OR_RETURN(json body, json_body(call("server_list", "GET", path),
                                              "listing servers named " + name_prefix + "*"));
    const json& servers = json_array(body, "servers");
    for (const json& object : servers) {
      Server server = server_from_json(object);
      // A server Nova has marked DELETED is on its way out (its record goes moments later): to
      // every caller it is already gone, and a create must not mistake it for its node's server.
      bool matches = server.name.starts_with(name_prefix) && server.status != "DELETED";
      for (const auto& [key, value] : metadata) {
        auto have = server.metadata.find(key);
        matches = matches && have != server.metadata.end() && have->second == value;
      }
      if (matches) found.push_back(std::move(server));
    }
    if (servers.size() < static_cast<std::size_t>(kPageLimit)) return found;
    marker = json_string(servers.back(), "id");
  }
  return Error{ErrorCode::kInternal, "listing servers named " + name_prefix + "*: more than " +
                                         std::to_string(kPageLimit * kMaxPages) +
                                         " servers; narrow the name prefix"};
}

Status ComputeService::delete_server(const std::string& id) {
  const std::string what = "deleting server " + id + " in Nova";
  NKD_ASSIGN_OR_RETURN_WRAP(HttpResponse response,
                            call("server_delete", "DELETE", "/servers/" + url_encode(id)), what);
  if (response.status == 204 || response.status == 404) return ok_status();
  return error_from_response(response, what);
}

Result<Server> ComputeService::wait_for_server(const std::string& id,
                                               std::chrono::milliseconds timeout,
                                               std::chrono::milliseconds poll) {
  const auto deadline = keystone_.clock().steady_now() + timeout;
  std::string last_status = "unknown";
  while (true) {
    NKD_ASSIGN_OR_RETURN(std::optional<Server> server, get_server(id));
    if (!server.has_value()) {
      return Error{ErrorCode::kNotFound, "waiting for server " + id + ": it disappeared (deleted "
                                         "by someone else?)"};
    }
    last_status = server->status;
    if (last_status == "ACTIVE" || last_status == "ERROR") return *server;
    if (keystone_.clock().steady_now() + poll > deadline) break;
    keystone_.clock().sleep_for(poll);
  }
  return Error{ErrorCode::kTimeout, "waiting for server " + id + " to become ACTIVE: still " +
                                        last_status + " after " + std::to_string(timeout.count()) +
                                        " ms; check Nova's scheduler and compute services"};
}

Status ComputeService::wait_for_deletion(const std::string& id, std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds poll) {
  const auto deadline = keystone_.clock().steady_now() + timeout;
  while (true) {
    NKD_ASSIGN_OR_RETURN(std::optional<Server> server, get_server(id));
    if (!server.has_value() || server->status == "DELETED") return ok_status();
    if (keystone_.clock().steady_now() + poll > deadline) break;
    keystone_.clock().sleep_for(poll);
  }
  return Error{ErrorCode::kTimeout, "waiting for server " + id + " to be deleted: still there after " +
                                        std::to_string(timeout.count()) + " ms"};
}

}  // namespace nkd::providers::openstack
