// NotificationReceiver: the three kinds of receiver nkd's notifications go to, on 127.0.0.1 at a
// port it picks, each checking what the real one would:
// - POST /generic: nkd's own generic-hook scheme, verified with the daemon's own code
//   (verify_webhook, timestamp_is_fresh: HMAC-SHA256 over "<timestamp>.<delivery>.<body>",
//   5 minutes either way); 401 otherwise. The body must be a JSON object with "event".
// - POST /slack: a Slack-compatible incoming webhook: a JSON object with a string "text"; 400
//   otherwise ("invalid_payload", as Slack answers). Attachments and blocks are not modelled.
// - POST /api/v2/alerts: Alertmanager's API v2 postableAlerts: a JSON array of objects with a
//   non-empty "labels" map of strings, optional "annotations" (map of strings), "startsAt" and
//   "endsAt" (RFC 3339 date-times, endsAt not before startsAt) and "generatorURL", nothing else;
//   400 otherwise. Grouping, inhibition and routing are not modelled.
// fail_next(n) answers the next n requests 500; hold() keeps each request waiting until
// release() (to fill a sender's queue). Every accepted delivery is recorded.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/serving_thread.h"

namespace nkd::testing {

struct ReceivedNotification {
  std::string path;
  nlohmann::json body;
  std::string delivery_id;  // X-Nkd-Delivery (generic only)
  std::string event;        // X-Nkd-Event (generic only)
};

class NotificationReceiver {
 public:
  explicit NotificationReceiver(std::string generic_secret);
  ~NotificationReceiver();
  NotificationReceiver(const NotificationReceiver&) = delete;
  NotificationReceiver& operator=(const NotificationReceiver&) = delete;

  [[nodiscard]] std::string url(const std::string& path) const;
  [[nodiscard]] std::vector<ReceivedNotification> received() const;
  // Requests that reached a handler, accepted or not (retries included).
  [[nodiscard]] int requests() const { return requests_; }
  // Requests refused (401/400), with the reason, for failure messages.
  [[nodiscard]] std::vector<std::string> refusals() const;
  void fail_next(int count) { failures_left_ = count; }
  void hold();
  void release();
  // Requests waiting in hold() right now.
  [[nodiscard]] int held() const { return held_; }

 private:
  void accept(const std::string& path, nlohmann::json body, const std::string& delivery_id,
              const std::string& event);
  void refuse(const std::string& reason);
  void wait_if_held();

  std::string secret_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<ServingThread> serving_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  bool holding_ = false;
  std::vector<ReceivedNotification> received_;
  std::vector<std::string> refusals_;
  std::atomic<int> failures_left_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> held_{0};
};

}  // namespace nkd::testing
