// The operator endpoints of HttpServer: POST /api/v1/clusters/<name>/{suspend,resume,sync}.
// They change what the daemon does, so they take a bearer token (api.operatorTokenFile),
// compared in constant time; without one configured they are refused, never open.
#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "syncd/http/guarded_server.h"
#include "syncd/http/http_server.h"
#include "syncd/http/json_response.h"

namespace nkd::syncd {
namespace {

// A suspension's reason is stored and shown in every status: a line, not a document.
constexpr std::size_t kMaxReasonBytes = 512;

std::optional<OperatorAction> action_from_path(const std::string& text) {
  if (text == "suspend") return OperatorAction::kSuspend;
  if (text == "resume") return OperatorAction::kResume;
  if (text == "sync") return OperatorAction::kSync;
  return std::nullopt;
}

int status_for(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    default: return 503;
  }
}

}  // namespace

void HttpServer::operator_routes() {
  server_->Post(R"(/api/v1/clusters/([a-z0-9-]+)/([a-z]+))",
                [this](const httplib::Request& request, httplib::Response& response) {
                  handle_operator(request, response);
                });
}

void HttpServer::handle_operator(const httplib::Request& request, httplib::Response& response) {
  const std::string cluster = request.matches[1];
  const std::optional<OperatorAction> action = action_from_path(request.matches[2]);
  if (!action) {
    return send_error(response, 404, "unknown cluster action; use suspend, resume or sync");
  }
  const std::string& expected = options_.operator_token.reveal();
  if (expected.empty()) {
    return send_error(response, 403,
                      "operator actions are disabled: set api.operatorTokenFile in syncd.yaml to "
                      "a file holding a token, restart the daemon, and pass that token");
  }
  const std::string header = request.get_header_value("Authorization");
  const std::string token = header.starts_with("Bearer ") ? header.substr(7) : "";
  if (token.empty() || !constant_time_equal(token, expected)) {
    spdlog::warn("refused operator request {} {} from {}: wrong or missing token", request.method,
                 request.path, request.remote_addr);
    response.set_header("WWW-Authenticate", "Bearer");
    return send_error(response, 401,
                      "wrong or missing operator token: send Authorization: Bearer <the token in "
                      "api.operatorTokenFile>");
  }
  if (!callbacks_.operator_action) {
    return send_error(response, 503, "operator actions are not available in this process");
  }
  const std::string reason = request.has_param("reason") ? request.get_param_value("reason") : "";
  if (reason.size() > kMaxReasonBytes) {
    return send_error(response, 400,
                      "reason is longer than " + std::to_string(kMaxReasonBytes) + " bytes");
  }
  Result<std::string> answer = callbacks_.operator_action(*action, cluster, reason);
  if (!answer) return send_error(response, status_for(answer.error()), answer.error().message);
  spdlog::info("operator request from {}: {}", request.remote_addr, *answer);
  send_json(response, {{"cluster", cluster}, {"status", *answer}});
}

}  // namespace nkd::syncd
