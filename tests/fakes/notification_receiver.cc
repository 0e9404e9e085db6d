#include "tests/fakes/notification_receiver.h"

#include <httplib.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <regex>
#include <stdexcept>

#include "syncd/http/webhooks.h"

namespace nkd::testing {

namespace {

bool is_string_map(const nlohmann::json& value) {
  if (!value.is_object()) return false;
  for (const auto& [key, entry] : value.items()) {
    if (key.empty() || !entry.is_string()) return false;
  }
  return true;
}

// RFC 3339 date-time as Alertmanager's OpenAPI (strfmt.DateTime) takes it, to whole seconds.
std::optional<std::time_t> rfc3339_seconds(const nlohmann::json& value) {
  static const std::regex kDateTime(
      R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}))");
  std::smatch parts;
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  if (!std::regex_match(text, parts, kDateTime)) return std::nullopt;
  std::tm time{};
  time.tm_year = std::stoi(parts[1]) - 1900;
  time.tm_mon = std::stoi(parts[2]) - 1;
  time.tm_mday = std::stoi(parts[3]);
  time.tm_hour = std::stoi(parts[4]);
  time.tm_min = std::stoi(parts[5]);
  time.tm_sec = std::stoi(parts[6]);
  return timegm(&time);
}

// "" when `alert` is a valid postableAlert, else what is wrong.
std::string postable_alert_problem(const nlohmann::json& alert) {
  if (!alert.is_object()) return "an alert is not an object";
  for (const auto& [key, value] : alert.items()) {
    if (key != "labels" && key != "annotations" && key != "startsAt" && key != "endsAt" &&
        key != "generatorURL") {
      return "unknown alert field " + key;
    }
  }
  if (!alert.contains("labels") || !is_string_map(alert["labels"]) || alert["labels"].empty()) {
    return "labels must be a non-empty map of strings";
  }
  if (alert.contains("annotations") && !is_string_map(alert["annotations"])) {
    return "annotations must be a map of strings";
  }
  std::optional<std::time_t> starts;
  if (alert.contains("startsAt") && !(starts = rfc3339_seconds(alert["startsAt"]))) {
    return "startsAt is not an RFC 3339 date-time";
  }
  if (alert.contains("endsAt")) {
    const auto ends = rfc3339_seconds(alert["endsAt"]);
    if (!ends) return "endsAt is not an RFC 3339 date-time";
    if (starts && *ends < *starts) return "endsAt is before startsAt";
  }
  if (alert.contains("generatorURL") && !alert["generatorURL"].is_string()) {
    return "generatorURL must be a string";
  }
  return "";
}

}  // namespace

NotificationReceiver::NotificationReceiver(std::string generic_secret)
    : secret_(std::move(generic_secret)), server_(std::make_unique<httplib::Server>()) {
  server_->Post("/generic", [this](const httplib::Request& request, httplib::Response& response) {
    ++requests_;
    wait_if_held();
    if (failures_left_ > 0 && failures_left_-- > 0) return void(response.status = 500);
    const syncd::WebhookRequest hook{
        .kind = syncd::WebhookKind::kGeneric,
        .body = request.body,
        .generic_signature = request.get_header_value("X-Nkd-Signature"),
        .generic_timestamp = request.get_header_value("X-Nkd-Timestamp"),
        .delivery_id = request.get_header_value("X-Nkd-Delivery")};
    if (!syncd::verify_webhook(hook, Secret(secret_)) ||
        !syncd::timestamp_is_fresh(hook, std::time(nullptr), std::chrono::seconds(300))) {
      refuse("generic: bad signature or stale timestamp");
      return void(response.status = 401);
    }
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("event")) {
      refuse("generic: body is not an event object");
      return void(response.status = 400);
    }
    accept("/generic", std::move(body), hook.delivery_id, request.get_header_value("X-Nkd-Event"));
    response.status = 204;
  });
  server_->Post("/slack", [this](const httplib::Request& request, httplib::Response& response) {
    ++requests_;
    wait_if_held();
    if (failures_left_ > 0 && failures_left_-- > 0) return void(response.status = 500);
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("text") ||
        !body["text"].is_string() || body["text"].get<std::string>().empty()) {
      refuse("slack: invalid_payload " + request.body);
      response.status = 400;
      return response.set_content("invalid_payload", "text/plain");
    }
    accept("/slack", std::move(body), "", "");
    response.set_content("ok", "text/plain");
  });
  server_->Post("/api/v2/alerts", [this](const httplib::Request& request,
                                         httplib::Response& response) {
    ++requests_;
    wait_if_held();
    if (failures_left_ > 0 && failures_left_-- > 0) return void(response.status = 500);
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    std::string problem = body.is_array() && !body.empty() ? "" : "body is not an array of alerts";
    if (request.get_header_value("Content-Type") != "application/json") problem = "not JSON";
    for (const auto& alert : body.is_array() ? body : nlohmann::json::array()) {
      if (problem.empty()) problem = postable_alert_problem(alert);
    }
    if (!problem.empty()) {
      refuse("alertmanager: " + problem);
      response.status = 400;
      return response.set_content(problem, "text/plain");
    }
    accept("/api/v2/alerts", std::move(body), "", "");
    response.status = 200;
  });
  serving_ = std::make_unique<ServingThread>(*server_, "notification receiver");
}

NotificationReceiver::~NotificationReceiver() {
  release();
  serving_.reset();  // stops the handlers before what they record goes
}

std::string NotificationReceiver::url(const std::string& path) const {
  return serving_->url(path);
}

std::vector<ReceivedNotification> NotificationReceiver::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::vector<std::string> NotificationReceiver::refusals() const {
  std::lock_guard lock(mutex_);
  return refusals_;
}

void NotificationReceiver::hold() {
  std::lock_guard lock(mutex_);
  holding_ = true;
}

void NotificationReceiver::release() {
  {
    std::lock_guard lock(mutex_);
    holding_ = false;
  }
  released_.notify_all();
}

void NotificationReceiver::wait_if_held() {
  std::unique_lock lock(mutex_);
  ++held_;
  released_.wait(lock, [this] { return !holding_; });
  --held_;
}

void NotificationReceiver::accept(const std::string& path, nlohmann::json body,
                                  const std::string& delivery_id, const std::string& event) {
  std::lock_guard lock(mutex_);
  received_.push_back(
      {.path = path, .body = std::move(body), .delivery_id = delivery_id, .event = event});
}

void NotificationReceiver::refuse(const std::string& reason) {
  std::lock_guard lock(mutex_);
  refusals_.push_back(reason);
}

}  // namespace nkd::testing
