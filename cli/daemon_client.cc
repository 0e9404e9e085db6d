#include "cli/daemon_client.h"

#include <httplib.h>

#include <memory>

namespace nkd::cli {

namespace {

ErrorCode code_for_status(int status) {
  switch (status) {
    case 401: return ErrorCode::kUnauthenticated;
    case 403: return ErrorCode::kPermissionDenied;
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kConflict;
    default: return ErrorCode::kUnavailable;
  }
}

// The daemon's answer to `path` as JSON, or an error saying how to reach it or why it refused.
Result<nlohmann::json> answer_json(const DaemonEndpoint& daemon, const std::string& path,
                                   const httplib::Result& response) {
  const std::string& server = daemon.url;
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
    return Error{code_for_status(response->status), why};
  }
  if (json.is_discarded()) return Error{ErrorCode::kParse, server + path + " did not answer JSON"};
  return json;
}

std::unique_ptr<httplib::Client> client_for(const DaemonEndpoint& daemon) {
  auto client = std::make_unique<httplib::Client>(daemon.url);
  if (!daemon.ca_file.empty()) client->set_ca_cert_path(daemon.ca_file.c_str());
  client->enable_server_certificate_verification(true);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(10, 0);
  return client;
}

}  // namespace

Result<nlohmann::json> get_daemon_json(const DaemonEndpoint& daemon, const std::string& path) {
  return answer_json(daemon, path, client_for(daemon)->Get(path));
}

Result<nlohmann::json> post_daemon_json(const DaemonEndpoint& daemon, const std::string& path,
                                        const std::string& bearer_token) {
  httplib::Headers headers;
  if (!bearer_token.empty()) headers.emplace("Authorization", "Bearer " + bearer_token);
  return answer_json(daemon, path, client_for(daemon)->Post(path, headers, "", "text/plain"));
}

}  // namespace nkd::cli
