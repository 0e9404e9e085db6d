// Notifications without a network: the notifications: config block, the request each sink type
// gets (the generic one verified with the daemon's own hook check), and which reconcile reports
// the notifier passes on (changes only). Delivery over HTTP is in
// tests/integration/notifications_test.cc.
#include "syncd/notify/notifier.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "syncd/config.h"
#include "syncd/http/webhooks.h"
#include "syncd/notify/sink_requests.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/test_support.h"

namespace nkd::syncd::notify {
namespace {

using namespace std::chrono_literals;

const std::string kBase = "repository: {url: /srv/clusters.git}\n";
const std::string kCommit(40, 'c');

std::string header(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

// Answers 200 to everything and keeps each request.
class RecordingClient final : public HttpClient {
 public:
  Result<HttpResponse> send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    return HttpResponse{.status = 200};
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

TEST(NotificationConfig, ParsedWithDefaultsAndCheckedWithLineNumbers) {
  auto parsed = parse_daemon_config(
      kBase +
          "notifications:\n"
          "  - {name: ops, type: generic, url: https://hooks.example.org/nkd, secretFile: /s}\n"
          "  - {name: chat, type: slack, url: https://chat.example.org/hooks/x, "
          "events: [clusterFailed, commitRejected]}\n",
      "syncd.yaml", nullptr);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->notifications.size(), 2u);
  EXPECT_EQ(parsed->notifications[0].events.size(), kEventKinds.size()) << "omitted: every event";
  EXPECT_TRUE(parsed->notifications[1].wants(EventKind::kClusterFailed));
  EXPECT_FALSE(parsed->notifications[1].wants(EventKind::kClusterApplied));

  auto bad =
      parse_daemon_config(kBase +
                              "notifications:\n"
                              "  - name: ops\n"
                              "    type: webhook\n"
                              "    url: ftp://x\n"
                              "  - name: ops\n"
                              "    type: generic\n"
                              "    url: https://x\n"
                              "    events: [applied]\n"
                              "  - {name: am, type: alertmanager, url: http://a, secretFile: /s}\n",
                          "syncd.yaml", nullptr);
  ASSERT_FALSE(bad);
  const std::string& message = bad.error().message;
  EXPECT_NE(message.find("syncd.yaml:4:11: error: notifications[0].type must be generic, slack or "
                         "alertmanager, got 'webhook'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("syncd.yaml:5:10: error: notifications[0].url must be an http(s) URL"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("notifications[1]: a generic sink needs secretFile"), std::string::npos);
  EXPECT_NE(message.find("syncd.yaml:9:14: error: notifications[1].events[0] 'applied' is not an "
                         "event"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("notifications[1].name 'ops' is used twice"), std::string::npos);
  EXPECT_NE(message.find("notifications[2].secretFile is for generic sinks only"),
            std::string::npos);
}

TEST(SinkRequests, GenericIsSignedAsTheDaemonsOwnHookVerifiesIt) {
  const Event event{.kind = EventKind::kClusterApplied,
                    .cluster = "edge-lab",
                    .commit = kCommit,
                    .message = "published 2 Ignition configs",
                    .at_unix_ms = 1'800'000'000'000};
  const HttpRequest request = generic_request("https://hooks.example.org/nkd", Secret("s3cret"),
                                              event, "d-1", 1'800'000'001);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(header(request, "X-Nkd-Event"), "clusterApplied");
  const WebhookRequest as_received{.kind = WebhookKind::kGeneric,
                                   .body = request.body,
                                   .generic_signature = header(request, "X-Nkd-Signature"),
                                   .generic_timestamp = header(request, "X-Nkd-Timestamp"),
                                   .delivery_id = header(request, "X-Nkd-Delivery")};
  EXPECT_TRUE(verify_webhook(as_received, Secret("s3cret")));
  EXPECT_FALSE(verify_webhook(as_received, Secret("other")));
  WebhookRequest tampered = as_received;
  tampered.body.replace(tampered.body.find("edge-lab"), 8, "prod-lab");
  EXPECT_FALSE(verify_webhook(tampered, Secret("s3cret")));
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["event"], "clusterApplied");
  EXPECT_EQ(body["cluster"], "edge-lab");
  EXPECT_EQ(body["commit"], kCommit);
  EXPECT_EQ(body["time"], "2027-01-15T08:00:00.000Z");
  EXPECT_GT(request.timeout_ms, 0);
}

TEST(SinkRequests, SlackTextAndAlertmanagerAlertsThatFireAndResolve) {
  const Event failed{.kind = EventKind::kClusterFailed,
                     .cluster = "edge-lab",
                     .commit = kCommit,
                     .message = "quota exceeded",
                     .at_unix_ms = 1'800'000'000'000};
  const auto slack = nlohmann::json::parse(slack_request("https://chat/x", failed).body);
  EXPECT_EQ(slack, nlohmann::json(
                       {{"text", "nkd: cluster edge-lab failed at cccccccccccc: quota exceeded"}}));

  EXPECT_EQ(alertmanager_alerts_url("http://am:9093"), "http://am:9093/api/v2/alerts");
  EXPECT_EQ(alertmanager_alerts_url("http://am:9093/"), "http://am:9093/api/v2/alerts");
  EXPECT_EQ(alertmanager_alerts_url("http://am:9093/api/v2/alerts"),
            "http://am:9093/api/v2/alerts");
  const HttpRequest firing = alertmanager_request("http://am:9093", failed);
  EXPECT_EQ(firing.url, "http://am:9093/api/v2/alerts");
  const auto alerts = nlohmann::json::parse(firing.body);
  ASSERT_TRUE(alerts.is_array());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["labels"], nlohmann::json({{"alertname", "NkdClusterFailed"},
                                                 {"cluster", "edge-lab"},
                                                 {"severity", "critical"},
                                                 {"source", "nkd"}}));
  EXPECT_EQ(alerts[0]["startsAt"], "2027-01-15T08:00:00.000Z");
  EXPECT_FALSE(alerts[0].contains("endsAt"));

  Event applied = failed;
  applied.kind = EventKind::kClusterApplied;
  const auto resolved = nlohmann::json::parse(alertmanager_request("http://am:9093", applied).body);
  EXPECT_EQ(resolved[0]["labels"], alerts[0]["labels"]) << "the same alert, so it resolves";
  EXPECT_EQ(resolved[0]["endsAt"], "2027-01-15T08:00:00.000Z");
}

TEST(Notifier, PassesOnChangesOnlyAndEachSinkGetsTheEventsItWants) {
  RecordingClient client;
  metrics::Metrics metrics("test");
  std::vector<SinkConfig> sinks = {{.name = "all",
                                    .type = SinkType::kSlack,
                                    .url = "http://127.0.0.1:1/a",
                                    .events = {kEventKinds.begin(), kEventKinds.end()}},
                                   {.name = "failures",
                                    .type = SinkType::kSlack,
                                    .url = "http://127.0.0.1:1/f",
                                    .events = {EventKind::kClusterFailed}}};
  testing::FakeClock clock;
  auto notifier = Notifier::create(sinks, client, clock, metrics);
  ASSERT_TRUE(notifier) << notifier.error().message;
  (*notifier)->cluster_outcome("edge-lab", kCommit, false, "boom");
  (*notifier)->cluster_outcome("edge-lab", kCommit, false, "boom");  // a retry: nothing new
  (*notifier)->cluster_outcome("edge-lab", kCommit, true, "published");
  (*notifier)->cluster_outcome("edge-lab", kCommit, true, "published");  // a resync
  (*notifier)->cluster_drift("edge-lab", kCommit, 0, "");
  (*notifier)->cluster_drift("edge-lab", kCommit, 1, "corrected drift: Deployment/x");
  (*notifier)->cluster_drift("edge-lab", kCommit, 1, "corrected drift: Deployment/x");
  (*notifier)->cluster_drift("edge-lab", kCommit, 0, "");
  (*notifier)->cluster_drift("edge-lab", kCommit, 1, "corrected drift: Deployment/x");
  (*notifier)->waiting_for_window("edge-lab", kCommit, "window opens at 02:00");
  (*notifier)->waiting_for_window("edge-lab", kCommit, "window opens at 02:00");
  (*notifier)->stop();  // delivers what is queued

  std::vector<std::string> to_all;
  int to_failures = 0;
  for (const HttpRequest& request : client.requests()) {
    const std::string text = nlohmann::json::parse(request.body)["text"];
    if (request.url.ends_with("/a")) to_all.push_back(text);
    if (request.url.ends_with("/f")) ++to_failures;
  }
  EXPECT_EQ(to_all, (std::vector<std::string>{
                        "nkd: cluster edge-lab failed at cccccccccccc: boom",
                        "nkd: cluster edge-lab applied at cccccccccccc: published",
                        "nkd: cluster edge-lab drifted: corrected drift: Deployment/x",
                        "nkd: cluster edge-lab drifted: corrected drift: Deployment/x",
                        "nkd: cluster edge-lab waits for its maintenance window to apply "
                        "cccccccccccc: window opens at 02:00"}));
  EXPECT_EQ(to_failures, 1);
  EXPECT_NE(
      metrics.serialize().find("nkd_notifications_total{result=\"delivered\",sink=\"all\"} 5"),
      std::string::npos)
      << metrics.serialize();
}

TEST(Notifier, AnEmptySecretFileIsRefusedNamingTheSink) {
  testing::ScratchDir scratch;
  testing::write_file(scratch.path() / "empty", "\n");
  RecordingClient client;
  metrics::Metrics metrics("test");
  testing::FakeClock clock;
  auto notifier = Notifier::create({{.name = "ops",
                                     .type = SinkType::kGeneric,
                                     .url = "http://127.0.0.1:1/",
                                     .secret_file = (scratch.path() / "empty").string()}},
                                   client, clock, metrics);
  ASSERT_FALSE(notifier);
  EXPECT_NE(notifier.error().message.find("notification sink ops is empty"), std::string::npos)
      << notifier.error().message;
}

}  // namespace
}  // namespace nkd::syncd::notify
