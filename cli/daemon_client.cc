#include "cli/daemon_client.h"

#include <httplib.h>

namespace nkd::cli {

Result<nlohmann::json> get_daemon_json(const DaemonEndpoint& daemon, const std::string& path) {
  const std::string& server = daemon.url;
  httplib::Client client(server);
  if (!daemon.ca_file.empty()) client.set_ca_cert_path(daemon.ca_file.c_str());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  auto response = client.Get(path);
  if (!response) {
    return Error{ErrorCode::kNetwork, "cannot reach nkd at " + server + " (" +
                                          httplib::to_string(response.error()) +
                                          "); is `nkd syncd` running? pass --server URL, and "
                                          "for https --ca-file with the daemon's tls/ca.crt"};
  }
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status != 200) {
    // The daemon's errors are {"error": "..."}: that sentence says more than the status.
    const bool explained = json.is_object() && json.contains("error") && json["error"].is_string();
    const std::string why = explained
                                ? json["error"].get<std::string>()
                                : server + path + " answered " + std::to_string(response->status);
    return Error{response->status == 404 ? ErrorCode::kNotFound : ErrorCode::kUnavailable, why};
  }
  if (json.is_discarded()) return Error{ErrorCode::kParse, server + path + " did not answer JSON"};
  return json;
}

}  // namespace nkd::cli
