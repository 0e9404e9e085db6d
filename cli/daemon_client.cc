#include "cli/daemon_client.h"

#include <httplib.h>

namespace nkd::cli {

Result<nlohmann::json> get_daemon_json(const std::string& server, const std::string& path) {
  httplib::Client client(server);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  auto response = client.Get(path);
  if (!response) {
    return Error{ErrorCode::kNetwork, "cannot reach nkd at " + server + " (" +
                                          httplib::to_string(response.error()) +
                                          "); is `nkd syncd` running? pass --server URL"};
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
