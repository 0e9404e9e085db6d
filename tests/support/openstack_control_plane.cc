#include "tests/support/openstack_control_plane.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "providers/openstack/api_util.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/test_support.h"

namespace nkd::testing {
namespace {

std::string state_dir() {
  const char* given = std::getenv("NKD_OS_STATE");
  return given != nullptr && *given != '\0' ? given : "/var/tmp/nkd-test-openstack";
}

bool keystone_answers() {
  CommandResult probe = run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                     "--max-time", "3", "http://127.0.0.1:5000/v3"},
                                    "", "", std::chrono::seconds(10));
  return probe.exit_code == 0 && probe.out == "200";
}

// A token and the compute and network endpoints for one cloud of clouds.yaml, from a plain
// Keystone v3 password request (cpp-httplib, nlohmann-json): none of nkd's OpenStack client is
// involved, so what the tests count with it does not depend on the code under test. The
// openstack command-line client would do as well but costs seconds of Python start-up per call.
struct Endpoint {
  std::string origin;  // http://127.0.0.1:8774
  std::string path;    // /v2.1
};

struct Session {
  std::string token;
  Endpoint compute;
  Endpoint network;
};

nlohmann::json domain_of(const YAML::Node& auth, const std::string& kind) {
  if (auth[kind + "_domain_id"]) return {{"id", auth[kind + "_domain_id"].as<std::string>()}};
  return {{"name", auth[kind + "_domain_name"].as<std::string>("Default")}};
}

std::optional<Endpoint> public_endpoint(const nlohmann::json& catalog, const std::string& type) {
  for (const nlohmann::json& service : catalog) {
    if (service.value("type", "") != type) continue;
    for (const nlohmann::json& endpoint : service.value("endpoints", nlohmann::json::array())) {
      if (endpoint.value("interface", "") != "public") continue;
      std::string url = endpoint.value("url", "");
      while (url.ends_with('/')) url.pop_back();
      return Endpoint{.origin = origin_of(url), .path = url.substr(origin_of(url).size())};
    }
  }
  return std::nullopt;
}

std::optional<Session> authenticate(const std::string& cloud) {
  const YAML::Node auth = YAML::LoadFile(OpenStackControlPlane::clouds_yaml())["clouds"][cloud]["auth"];
  if (!auth) {
    ADD_FAILURE() << "no cloud " << cloud << " in " << OpenStackControlPlane::clouds_yaml();
    return std::nullopt;
  }
  const nlohmann::json request = {
      {"auth",
       {{"identity",
         {{"methods", {"password"}},
          {"password",
           {{"user",
             {{"name", auth["username"].as<std::string>()},
              {"domain", domain_of(auth, "user")},
              {"password", auth["password"].as<std::string>()}}}}}}},
        {"scope",
         {{"project",
           {{"name", auth["project_name"].as<std::string>()},
            {"domain", domain_of(auth, "project")}}}}}}}};
  const std::string auth_url = auth["auth_url"].as<std::string>();
  const std::string origin = origin_of(auth_url);
  httplib::Client keystone(origin);
  keystone.set_connection_timeout(5);
  keystone.set_read_timeout(30);
  const httplib::Result answer = keystone.Post(auth_url.substr(origin.size()) + "/auth/tokens",
                                               request.dump(), "application/json");
  if (!answer || answer->status != 201) {
    ADD_FAILURE() << "Keystone refused a token for " << cloud << ": "
                  << (answer ? std::to_string(answer->status) : httplib::to_string(answer.error()));
    return std::nullopt;
  }
  const nlohmann::json body = nlohmann::json::parse(answer->body, nullptr, false);
  const nlohmann::json catalog = body["token"].value("catalog", nlohmann::json::array());
  const std::optional<Endpoint> compute = public_endpoint(catalog, "compute");
  const std::optional<Endpoint> network = public_endpoint(catalog, "network");
  if (!compute || !network) {
    ADD_FAILURE() << "no public compute or network endpoint in the catalog of " << cloud;
    return std::nullopt;
  }
  return Session{.token = answer->get_header_value("X-Subject-Token"),
                 .compute = *compute,
                 .network = *network};
}

// One token per cloud and process (a test process lives far shorter than a token).
std::optional<Session> session_for(const std::string& cloud) {
  static std::mutex mutex;
  static std::map<std::string, Session> sessions;
  std::lock_guard lock(mutex);
  if (auto found = sessions.find(cloud); found != sessions.end()) return found->second;
  std::optional<Session> made = authenticate(cloud);
  if (made) sessions.emplace(cloud, *made);
  return made;
}

std::unique_ptr<httplib::Client> client_for(const Endpoint& endpoint) {
  auto client = std::make_unique<httplib::Client>(endpoint.origin);
  client->set_connection_timeout(5);
  client->set_read_timeout(30);
  return client;
}

}  // namespace

OpenStackControlPlane& OpenStackControlPlane::instance() {
  static OpenStackControlPlane plane;
  return plane;
}

bool OpenStackControlPlane::required() {
  const char* flag = std::getenv("NKD_REQUIRE_OPENSTACK");
  return flag != nullptr && std::string(flag) == "1";
}

std::string OpenStackControlPlane::fixture_dir() { return source_dir() + "/tests/openstack"; }
std::string OpenStackControlPlane::clouds_yaml() { return fixture_dir() + "/clouds.yaml"; }

std::string OpenStackControlPlane::ensure_running() {
  if (keystone_answers()) return "";
  if (!std::filesystem::exists(state_dir() + "/etc/nova/nova-compute.conf")) {
    return "the OpenStack test cloud is not installed: run tests/openstack/install.sh as root";
  }
  // ctest runs every test case as its own process: starting the cloud here (about 100 s) is
  // only worth it when asked for; otherwise it is started once with tests/openstack/start.sh.
  if (!required()) {
    return "the OpenStack test cloud is not running: start it with tests/openstack/start.sh "
           "(or set NKD_REQUIRE_OPENSTACK=1)";
  }
  CommandResult started = run_command({"bash", fixture_dir() + "/start.sh"}, "", "",
                                      std::chrono::seconds(400));
  started_here_ = true;
  if (started.exit_code != 0) {
    return "tests/openstack/start.sh failed (exit " + std::to_string(started.exit_code) +
           "): " + started.err.substr(started.err.size() > 2000 ? started.err.size() - 2000 : 0);
  }
  return "";
}

OpenStackControlPlane::~OpenStackControlPlane() {
  if (started_here_) run_command({"bash", fixture_dir() + "/stop.sh"}, "", "", std::chrono::seconds(120));
}

std::string OpenStackControlPlane::openstack(const std::string& cloud,
                                             const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{"env", "OS_CLIENT_CONFIG_FILE=" + clouds_yaml(),
                                "/usr/bin/openstack", "--os-cloud", cloud};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  CommandResult result = run_command(argv, "", "", std::chrono::seconds(180));
  return result.exit_code == 0 ? result.out : "";
}

std::vector<std::string> OpenStackControlPlane::server_ids(const std::string& cloud,
                                                           const std::string& prefix) {
  std::vector<std::string> ids;
  const std::optional<Session> session = session_for(cloud);
  if (!session) return ids;
  const httplib::Result listed =
      client_for(session->compute)
          ->Get(session->compute.path + "/servers?limit=1000&name=" +
                    providers::openstack::url_encode("^" + prefix),
                httplib::Headers{{"X-Auth-Token", session->token}});
  if (!listed || listed->status != 200) {
    ADD_FAILURE() << "listing servers of " << cloud << " named " << prefix << "* failed: "
                  << (listed ? std::to_string(listed->status) + " " + listed->body
                             : httplib::to_string(listed.error()));
    return ids;
  }
  const nlohmann::json body = nlohmann::json::parse(listed->body, nullptr, false);
  if (!body.is_object()) return ids;
  for (const nlohmann::json& server : body.value("servers", nlohmann::json::array())) {
    if (server.value("name", "").starts_with(prefix)) ids.push_back(server.value("id", ""));
  }
  return ids;
}

void OpenStackControlPlane::delete_servers(const std::string& cloud, const std::string& prefix) {
  const std::vector<std::string> ids = server_ids(cloud, prefix);
  if (ids.empty()) return;
  const std::optional<Session> session = session_for(cloud);
  if (!session) return;
  auto client = client_for(session->compute);
  for (const std::string& id : ids) {
    (void)client->Delete(session->compute.path + "/servers/" + id,
                         httplib::Headers{{"X-Auth-Token", session->token}});
  }
  if (!wait_until([&] { return server_ids(cloud, prefix).empty(); }, std::chrono::seconds(120))) {
    ADD_FAILURE() << "servers of " << cloud << " named " << prefix << "* still there 120 s after "
                  << "their delete";
  }
}

}  // namespace nkd::testing

namespace nkd::testing {

std::vector<nlohmann::json> OpenStackControlPlane::neutron_list(const std::string& cloud,
                                                                const std::string& collection,
                                                                const std::string& query) {
  std::vector<nlohmann::json> items;
  const std::optional<Session> session = session_for(cloud);
  if (!session) return items;
  const httplib::Result listed = client_for(session->network)->Get(
      session->network.path + "/v2.0/" + collection + (query.empty() ? "" : "?" + query),
      httplib::Headers{{"X-Auth-Token", session->token}});
  if (!listed || listed->status != 200) {
    ADD_FAILURE() << "listing " << collection << "?" << query << " of " << cloud << " failed: "
                  << (listed ? std::to_string(listed->status) + " " + listed->body
                             : httplib::to_string(listed.error()));
    return items;
  }
  const nlohmann::json body = nlohmann::json::parse(listed->body, nullptr, false);
  if (!body.is_object()) return items;
  for (const nlohmann::json& item : body.value(collection, nlohmann::json::array())) items.push_back(item);
  return items;
}

nlohmann::json OpenStackControlPlane::neutron_send(const std::string& cloud, const std::string& method,
                                                   const std::string& path, const nlohmann::json& body) {
  const std::optional<Session> session = session_for(cloud);
  if (!session) return nullptr;
  auto client = client_for(session->network);
  const httplib::Headers headers{{"X-Auth-Token", session->token}};
  const std::string target = session->network.path + path;
  const httplib::Result answer =
      method == "POST"  ? client->Post(target, headers, body.dump(), "application/json")
      : method == "PUT" ? client->Put(target, headers, body.dump(), "application/json")
                        : client->Delete(target, headers);
  if (!answer || answer->status >= 300) {
    if (!(method == "DELETE" && answer && answer->status == 404)) {
      ADD_FAILURE() << method << " " << path << " on " << cloud << " failed: "
                    << (answer ? std::to_string(answer->status) + " " + answer->body
                               : httplib::to_string(answer.error()));
    }
    return nullptr;
  }
  return answer->body.empty() ? nlohmann::json::object()
                              : nlohmann::json::parse(answer->body, nullptr, false);
}

std::vector<nlohmann::json> OpenStackControlPlane::ports(const std::string& cloud,
                                                         const std::string& prefix) {
  std::vector<nlohmann::json> mine;
  for (nlohmann::json& port : neutron_list(cloud, "ports")) {
    if (port.value("name", "").starts_with(prefix)) mine.push_back(std::move(port));
  }
  return mine;
}

void OpenStackControlPlane::delete_network_leftovers(const std::string& cloud, const std::string& prefix) {
  for (const nlohmann::json& address : neutron_list(cloud, "floatingips")) {
    const std::string description =
        address["description"].is_string() ? address["description"].get<std::string>() : "";
    bool mine = description.find(" for " + prefix) != std::string::npos;
    for (const nlohmann::json& tag : address.value("tags", nlohmann::json::array())) {
      const std::string text = tag.get<std::string>();
      mine = mine || (text.starts_with("nkd.cluster=") && (text.substr(12) + "-").starts_with(prefix));
    }
    if (mine) (void)neutron_send(cloud, "DELETE", "/v2.0/floatingips/" + address.value("id", ""));
  }
  for (const nlohmann::json& port : ports(cloud, prefix)) {
    (void)neutron_send(cloud, "DELETE", "/v2.0/ports/" + port.value("id", ""));
  }
}

void OpenStackControlPlane::free_address(const std::string& cloud, const std::string& address) {
  for (const nlohmann::json& port :
       neutron_list(cloud, "ports", "fixed_ips=" + providers::openstack::url_encode("ip_address=" + address))) {
    if (port.value("name", "").starts_with("nkdt")) {
      (void)neutron_send(cloud, "DELETE", "/v2.0/ports/" + port.value("id", ""));
    }
  }
}

}  // namespace nkd::testing
