#include "syncd/notify/sink_requests.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "syncd/http/webhooks.h"

namespace nkd::syncd::notify {

namespace {

constexpr std::string_view kAlertsPath = "/api/v2/alerts";

// Commit messages and diagnostics may hold bytes that are not UTF-8: replaced, never thrown on.
std::string json_text(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpRequest json_post(const std::string& url, std::string body) {
  HttpRequest request{.method = "POST",
                      .url = url,
                      .body = std::move(body),
                      .timeout_ms = kSinkTimeoutMs,
                      .connect_timeout_ms = kSinkConnectTimeoutMs,
                      .max_body_bytes = 64 << 10};
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "nkd"}};
  return request;
}

struct AlertShape {
  const char* name;
  const char* severity;
  bool resolves;  // the event ends the alert instead of firing it
};

AlertShape alert_shape(EventKind kind) {
  switch (kind) {
    case EventKind::kCommitRejected:
      return {"NkdCommitRejected", "warning", false};
    case EventKind::kCommitAccepted:
      return {"NkdCommitRejected", "warning", true};
    case EventKind::kClusterFailed:
      return {"NkdClusterFailed", "critical", false};
    case EventKind::kClusterApplied:
      return {"NkdClusterFailed", "critical", true};
    case EventKind::kClusterDrift:
      return {"NkdClusterDrift", "warning", false};
    case EventKind::kWaitingForWindow:
      return {"NkdClusterWaitingForWindow", "info", false};
  }
  return {"NkdEvent", "info", false};
}

}  // namespace

HttpRequest generic_request(const std::string& url, const Secret& secret, const Event& event,
                            const std::string& delivery_id, std::int64_t now_unix_seconds) {
  const nlohmann::json body = {
      {"event", to_string(event.kind)},
      {"cluster", event.cluster.empty() ? nlohmann::json(nullptr) : nlohmann::json(event.cluster)},
      {"commit", event.commit},
      {"message", event.message},
      {"summary", summary(event)},
      {"time", format_rfc3339_ms(event.at_unix_ms)}};
  HttpRequest request = json_post(url, json_text(body));
  const std::string timestamp = std::to_string(now_unix_seconds);
  request.headers.emplace_back("X-Nkd-Event", to_string(event.kind));
  request.headers.emplace_back("X-Nkd-Timestamp", timestamp);
  request.headers.emplace_back("X-Nkd-Delivery", delivery_id);
  request.headers.emplace_back(
      "X-Nkd-Signature",
      generic_webhook_signature(secret.reveal(), timestamp, delivery_id, request.body));
  return request;
}

HttpRequest slack_request(const std::string& url, const Event& event) {
  return json_post(url, json_text({{"text", "nkd: " + summary(event)}}));
}

std::string alertmanager_alerts_url(const std::string& url) {
  std::string base = url;
  while (base.ends_with('/')) base.pop_back();
  if (base.ends_with(kAlertsPath)) return base;
  return base + std::string(kAlertsPath);
}

HttpRequest alertmanager_request(const std::string& url, const Event& event) {
  const AlertShape shape = alert_shape(event.kind);
  nlohmann::json labels = {
      {"alertname", shape.name}, {"severity", shape.severity}, {"source", "nkd"}};
  if (!event.cluster.empty()) labels["cluster"] = event.cluster;
  const std::string time = format_rfc3339_ms(event.at_unix_ms);
  nlohmann::json alert = {
      {"labels", labels},
      {"annotations",
       {{"summary", summary(event)}, {"description", event.message}, {"commit", event.commit}}},
      {"startsAt", time}};
  if (shape.resolves) alert["endsAt"] = time;
  return json_post(alertmanager_alerts_url(url), json_text(nlohmann::json::array({alert})));
}

}  // namespace nkd::syncd::notify
