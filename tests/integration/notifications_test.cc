// Notifications over real HTTP: a receiver on 127.0.0.1 (tests/fakes/notification_receiver.h)
// checks each sink type's shape and the generic signature with the daemon's own verification;
// a 500 is retried with the same delivery ID; a full queue drops its oldest delivery and counts
// it; egress outside the allow-list sends nothing; and a running `nkd syncd` notifies an accepted
// commit, its clusters applied, and a rejected commit naming file:line.
#include <gtest/gtest.h>

#include <set>

#include "common/curl_http_client.h"
#include "syncd/notify/notifier.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/notification_receiver.h"
#include "tests/support/syncd_fixture.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using syncd::notify::EventKind;
using syncd::notify::kEventKinds;
using syncd::notify::Notifier;
using syncd::notify::NotifierOptions;
using syncd::notify::SinkConfig;
using syncd::notify::SinkType;

const std::string kSecret = "notify-secret";
const std::string kCommit(40, 'e');

// A sink of `type` at the receiver, wanting every event.
SinkConfig sink(const std::string& name, SinkType type, const std::string& url,
                const std::string& secret_file = "") {
  return SinkConfig{.name = name,
                    .type = type,
                    .url = url,
                    .secret_file = secret_file,
                    .events = {kEventKinds.begin(), kEventKinds.end()}};
}

NotifierOptions quick_retries(std::size_t queue_capacity = 256) {
  return NotifierOptions{.queue_capacity = queue_capacity};
}

std::vector<testing::ReceivedNotification> at(const testing::NotificationReceiver& receiver,
                                              const std::string& path) {
  std::vector<testing::ReceivedNotification> matching;
  for (auto& received : receiver.received()) {
    if (received.path == path) matching.push_back(received);
  }
  return matching;
}

bool has_metric(const metrics::Metrics& metrics, const std::string& line) {
  return metrics.serialize().find(line) != std::string::npos;
}

TEST(Notifications, EachSinkTypeGetsItsShapeAndGenericDeliveriesVerify) {
  testing::ScratchDir scratch;
  testing::write_file(scratch.path() / "secret", kSecret + "\n");
  testing::NotificationReceiver receiver(kSecret);
  CurlHttpClient client(testing::loopback_only());
  metrics::Metrics metrics("test");
  // Retries without waiting: the tests check that a retry happens, not how long it waits. The
  // wall time starts at the real one: receivers check signature timestamps against theirs.
  testing::FakeClock clock(SystemClock().now_unix_ms());
  clock.set_auto_advance(true);
  auto notifier = Notifier::create({sink("hook", SinkType::kGeneric, receiver.url("/generic"),
                                         (scratch.path() / "secret").string()),
                                    sink("chat", SinkType::kSlack, receiver.url("/slack")),
                                    sink("alerts", SinkType::kAlertmanager, receiver.url(""))},
                                   client, clock, metrics, quick_retries());
  ASSERT_TRUE(notifier) << notifier.error().message;
  (*notifier)->commit_rejected(kCommit, "clusters/edge-lab/cluster.yaml:7:5: error: unknown key");
  (*notifier)->cluster_outcome("edge-lab", kCommit, false, "quota exceeded");
  (*notifier)->cluster_outcome("edge-lab", kCommit, true, "published 2 Ignition configs");
  ASSERT_TRUE(testing::wait_until([&] { return receiver.received().size() >= 9; }, 30s))
      << ::testing::PrintToString(receiver.refusals());
  EXPECT_TRUE(receiver.refusals().empty()) << ::testing::PrintToString(receiver.refusals());

  const auto generic = at(receiver, "/generic");
  ASSERT_EQ(generic.size(), 3u);
  std::set<std::string> delivery_ids;
  for (const auto& received : generic) {
    EXPECT_EQ(received.event, received.body["event"]);
    delivery_ids.insert(received.delivery_id);
  }
  EXPECT_EQ(delivery_ids.size(), 3u) << "each delivery has its own ID";
  EXPECT_EQ(generic[0].body["event"], "commitRejected");
  EXPECT_TRUE(generic[0].body["cluster"].is_null());
  EXPECT_EQ(generic[1].body["cluster"], "edge-lab");

  const auto slack = at(receiver, "/slack");
  ASSERT_EQ(slack.size(), 3u);
  EXPECT_EQ(slack[1].body["text"], "nkd: cluster edge-lab failed at eeeeeeeeeeee: quota exceeded");

  const auto alerts = at(receiver, "/api/v2/alerts");
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0].body[0]["labels"]["alertname"], "NkdCommitRejected");
  EXPECT_EQ(alerts[1].body[0]["labels"]["alertname"], "NkdClusterFailed");
  EXPECT_FALSE(alerts[1].body[0].contains("endsAt")) << "a failure fires";
  EXPECT_EQ(alerts[2].body[0]["labels"], alerts[1].body[0]["labels"]);
  EXPECT_TRUE(alerts[2].body[0].contains("endsAt")) << "the apply resolves it";
  (*notifier)->stop();
  for (const char* name : {"hook", "chat", "alerts"}) {
    EXPECT_TRUE(has_metric(metrics, "nkd_notifications_total{result=\"delivered\",sink=\"" +
                                        std::string(name) + "\"} 3"))
        << metrics.serialize();
  }
}

TEST(Notifications, A500IsRetriedWithTheSameDeliveryId) {
  testing::ScratchDir scratch;
  testing::write_file(scratch.path() / "secret", kSecret);
  testing::NotificationReceiver receiver(kSecret);
  receiver.fail_next(1);
  CurlHttpClient client(testing::loopback_only());
  metrics::Metrics metrics("test");
  // Retries without waiting: the tests check that a retry happens, not how long it waits. The
  // wall time starts at the real one: receivers check signature timestamps against theirs.
  testing::FakeClock clock(SystemClock().now_unix_ms());
  clock.set_auto_advance(true);
  auto notifier = Notifier::create({sink("hook", SinkType::kGeneric, receiver.url("/generic"),
                                         (scratch.path() / "secret").string())},
                                   client, clock, metrics, quick_retries());
  ASSERT_TRUE(notifier) << notifier.error().message;
  (*notifier)->commit_accepted(kCommit, "1 cluster(s) changed");
  ASSERT_TRUE(testing::wait_until([&] { return !receiver.received().empty(); }, 30s));
  (*notifier)->stop();
  EXPECT_EQ(receiver.requests(), 2) << "the 500, then the retry";
  ASSERT_EQ(receiver.received().size(), 1u);
  EXPECT_EQ(receiver.received()[0].body["event"], "commitAccepted");
  EXPECT_TRUE(has_metric(metrics, "nkd_notifications_total{result=\"delivered\",sink=\"hook\"} 1"));
  EXPECT_FALSE(has_metric(metrics, "result=\"failed\",sink=\"hook\"} 1"));
}

TEST(Notifications, AFullQueueDropsTheOldestAndCountsIt) {
  testing::NotificationReceiver receiver(kSecret);
  receiver.hold();
  CurlHttpClient client(testing::loopback_only());
  metrics::Metrics metrics("test");
  // Retries without waiting: the tests check that a retry happens, not how long it waits. The
  // wall time starts at the real one: receivers check signature timestamps against theirs.
  testing::FakeClock clock(SystemClock().now_unix_ms());
  clock.set_auto_advance(true);
  auto notifier = Notifier::create({sink("chat", SinkType::kSlack, receiver.url("/slack"))},
                                   client, clock, metrics, quick_retries(/*queue_capacity=*/2));
  ASSERT_TRUE(notifier) << notifier.error().message;
  (*notifier)->commit_accepted(kCommit, "0");
  // The worker holds delivery 0 at the receiver; 1 to 4 then meet a queue of two.
  ASSERT_TRUE(testing::wait_until([&] { return receiver.held() == 1; }, 30s));
  for (const char* message : {"1", "2", "3", "4"}) (*notifier)->commit_accepted(kCommit, message);
  EXPECT_TRUE(has_metric(metrics, "nkd_notification_queue_dropped_total{sink=\"chat\"} 2"))
      << metrics.serialize();
  receiver.release();
  ASSERT_TRUE(testing::wait_until([&] { return receiver.received().size() >= 3; }, 30s));
  (*notifier)->stop();
  std::vector<std::string> texts;
  for (const auto& received : receiver.received()) texts.push_back(received.body["text"]);
  EXPECT_EQ(texts, (std::vector<std::string>{"nkd: commit eeeeeeeeeeee accepted: 0",
                                             "nkd: commit eeeeeeeeeeee accepted: 3",
                                             "nkd: commit eeeeeeeeeeee accepted: 4"}));
}

TEST(Notifications, AReceiverOutsideTheEgressAllowListGetsNothing) {
  testing::NotificationReceiver receiver(kSecret);
  CurlHttpClient client(CidrAllowList({*parse_cidr("127.0.0.2/32", false)}));
  metrics::Metrics metrics("test");
  // Retries without waiting: the tests check that a retry happens, not how long it waits. The
  // wall time starts at the real one: receivers check signature timestamps against theirs.
  testing::FakeClock clock(SystemClock().now_unix_ms());
  clock.set_auto_advance(true);
  auto notifier = Notifier::create({sink("chat", SinkType::kSlack, receiver.url("/slack"))},
                                   client, clock, metrics, quick_retries());
  ASSERT_TRUE(notifier) << notifier.error().message;
  (*notifier)->commit_accepted(kCommit, "refused");
  ASSERT_TRUE(testing::wait_until(
      [&] {
        return has_metric(metrics, "nkd_notifications_total{result=\"failed\",sink=\"chat\"} 1");
      },
      30s));
  (*notifier)->stop();
  EXPECT_EQ(receiver.requests(), 0);
}

TEST(Notifications, TheDaemonNotifiesAcceptedAppliedAndRejectedCommits) {
  testing::SyncdFixture fixture;
  testing::NotificationReceiver receiver(kSecret);
  testing::write_file(fixture.dir() / "notify-secret", kSecret + "\n");
  fixture.start_daemon("1s",
                       "notifications:\n"
                       "  - name: hook\n    type: generic\n    url: " +
                           receiver.url("/generic") +
                           "\n    secretFile: " + (fixture.dir() / "notify-secret").string() +
                           "\n  - name: chat\n    type: slack\n    url: " + receiver.url("/slack") +
                           "\n    events: [commitRejected]\n");
  const std::string first = fixture.head();
  auto generic_events = [&] {
    std::multiset<std::string> events;
    for (const auto& received : at(receiver, "/generic")) {
      events.insert(received.body["event"].get<std::string>() + " " +
                    received.body["cluster"].dump() + " " +
                    received.body["commit"].get<std::string>());
    }
    return events;
  };
  const std::multiset<std::string> expected = {"commitAccepted null " + first,
                                               "clusterApplied \"edge-lab\" " + first,
                                               "clusterApplied \"lab-two\" " + first};
  ASSERT_TRUE(testing::wait_until([&] { return generic_events() == expected; }, 30s))
      << ::testing::PrintToString(generic_events()) << fixture.log();

  const std::string broken =
      fixture.commit("sed -i 's/replicas: 2/replcas: 2/' clusters/edge-lab/cluster.yaml", "typo");
  ASSERT_TRUE(testing::wait_until([&] { return !at(receiver, "/slack").empty(); }, 30s))
      << fixture.log();
  const auto slack = at(receiver, "/slack");
  ASSERT_EQ(slack.size(), 1u) << "chat wants commitRejected only";
  const std::string text = slack[0].body["text"];
  EXPECT_NE(text.find("nkd: commit " + broken.substr(0, 12) +
                      " rejected: clusters/edge-lab/cluster.yaml:"),
            std::string::npos)
      << text;
  ASSERT_TRUE(testing::wait_until(
      [&] { return generic_events().contains("commitRejected null " + broken); }, 30s));
  EXPECT_TRUE(receiver.refusals().empty()) << ::testing::PrintToString(receiver.refusals());
  EXPECT_NE(fixture.metrics().find("nkd_notifications_total{result=\"delivered\",sink=\"hook\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace nkd
