// JSON answers of the daemon's HTTP handlers (http_server.cc, operator_routes.cc).
#pragma once

#include <httplib.h>

#include <string>

#include <nlohmann/json.hpp>

namespace nkd::syncd {

// Stored text came from commits (authors, messages, diagnostics): bytes that are not UTF-8 are
// replaced rather than let the JSON library throw inside a request.
inline std::string json_text(const nlohmann::json& body) {
  return body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline void send_json(httplib::Response& response, const nlohmann::json& body, int status = 200) {
  response.status = status;
  response.set_content(json_text(body) + "\n", "application/json");
}

inline void send_error(httplib::Response& response, int status, const std::string& message) {
  send_json(response, {{"error", message}}, status);
}

}  // namespace nkd::syncd
