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
  if (response->status == 404) return Error{ErrorCode::kNotFound, "not found: " + path};
  if (response->status != 200) {
    return Error{ErrorCode::kUnavailable, server + path + " answered " + std::to_string(response->status)};
  }
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (json.is_discarded()) return Error{ErrorCode::kParse, server + path + " did not answer JSON"};
  return json;
}

}  // namespace nkd::cli
