// The HTTP request each sink type gets for one event. Pure functions: no clock, no randomness
// (the caller passes the time and the delivery ID), so tests compare them field by field.
//
// - generic: POST <url>, JSON {"event", "cluster", "commit", "message", "summary", "time"},
//   signed as nkd's own generic hook verifies (X-Nkd-Timestamp, X-Nkd-Delivery,
//   X-Nkd-Signature: HMAC-SHA256 over "<timestamp>.<delivery>.<body>"), plus X-Nkd-Event.
// - slack: POST <url>, {"text": "nkd: <summary>"} (Slack, Mattermost, Rocket.Chat incoming hooks).
// - alertmanager: POST <url>/api/v2/alerts, an array of one postableAlert (Alertmanager's
//   OpenAPI v2: labels, annotations, startsAt, endsAt, generatorURL). A failure fires an alert;
//   the event that ends it (clusterApplied for NkdClusterFailed, commitAccepted for
//   NkdCommitRejected) sends the same labels with endsAt, which resolves it.
#pragma once

#include <cstdint>
#include <string>

#include "common/http_client.h"
#include "common/secret.h"
#include "syncd/notify/notification_config.h"
#include "syncd/notify/notification_event.h"

namespace nkd::syncd::notify {

// Per attempt; retries and their backoff come on top (notifier.h).
inline constexpr std::int64_t kSinkTimeoutMs = 10'000;
inline constexpr std::int64_t kSinkConnectTimeoutMs = 5'000;

[[nodiscard]] HttpRequest generic_request(const std::string& url, const Secret& secret,
                                          const Event& event, const std::string& delivery_id,
                                          std::int64_t now_unix_seconds);
[[nodiscard]] HttpRequest slack_request(const std::string& url, const Event& event);
[[nodiscard]] HttpRequest alertmanager_request(const std::string& url, const Event& event);

// The alertmanager endpoint for a configured URL: the base URL with /api/v2/alerts appended,
// unless the URL already ends with it.
[[nodiscard]] std::string alertmanager_alerts_url(const std::string& url);

}  // namespace nkd::syncd::notify
