// Webhooks against replays and floods, through the daemon's real HTTP server on 127.0.0.1:
// repeated GitHub, Gitea and generic deliveries are answered without a second sync, a stale
// generic timestamp is refused, each forge is checked with its own secret, the rate limit holds
// per /24 rather than per address, and the daemon warns at start about forges without a secret.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <ctime>

#include "common/crypto.h"
#include "syncd/http/webhooks.h"
#include "tests/support/http_server_fixture.h"
#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::InProcessHttpServer;
using testing::RawConnection;

constexpr char kGithubSecret[] = "github-secret";
constexpr char kGiteaSecret[] = "gitea-secret";
constexpr char kGenericSecret[] = "generic-secret";
const std::string kPush = R"({"ref":"refs/heads/main","after":"0123abcd"})";

// A server with one secret per forge that counts the fetches its hooks trigger.
struct HookServer {
  explicit HookServer(syncd::HttpServerOptions options = options_with_secrets())
      : server(std::move(options), {.trigger_fetch = [this] { ++fetches; }}) {}

  static syncd::HttpServerOptions options_with_secrets() {
    auto options = InProcessHttpServer::default_options();
    options.webhook_secrets = syncd::WebhookSecrets();
    options.webhook_secrets.set(syncd::WebhookKind::kGithub, Secret(kGithubSecret));
    options.webhook_secrets.set(syncd::WebhookKind::kGitea, Secret(kGiteaSecret));
    options.webhook_secrets.set(syncd::WebhookKind::kGeneric, Secret(kGenericSecret));
    return options;
  }

  httplib::Result post(const std::string& kind, const httplib::Headers& headers,
                       const std::string& body = kPush) {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(5, 0);
    return client.Post("/hooks/" + kind, headers, body, "application/json");
  }

  double counted(const std::string& kind, const std::string& result) {
    return testing::metric_value(
               server.metrics().serialize(),
               "nkd_webhook_requests_total{kind=\"" + kind + "\",result=\"" + result + "\"}")
        .value_or(0);
  }

  std::atomic<int> fetches{0};
  InProcessHttpServer server;
};

httplib::Headers github_headers(const std::string& delivery, const std::string& secret,
                                const std::string& body = kPush) {
  return {{"X-GitHub-Delivery", delivery},
          {"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex(secret, body)}};
}

httplib::Headers generic_headers(const std::string& delivery, std::int64_t timestamp,
                                 const std::string& body = kPush) {
  const std::string time = std::to_string(timestamp);
  return {
      {"X-Nkd-Timestamp", time},
      {"X-Nkd-Delivery", delivery},
      {"X-Nkd-Signature", syncd::generic_webhook_signature(kGenericSecret, time, delivery, body)}};
}

TEST(WebhookReplay, ReplayedGithubDeliveryIsAnsweredWithoutASecondSync) {
  HookServer hooks;
  const auto headers = github_headers("72d3162e-cc78-11e3-81ab-4c9367dc0958", kGithubSecret);
  auto first = hooks.post("github", headers);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202) << first->body;
  auto again = hooks.post("github", headers);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_NE(again->body.find("duplicate delivery, ignored"), std::string::npos) << again->body;
  EXPECT_EQ(hooks.fetches.load(), 1);
  EXPECT_EQ(hooks.counted("github", "replay"), 1);
  EXPECT_EQ(hooks.counted("github", "accepted"), 1);
}

// GitHub does not sign its delivery header: a captured delivery sent with a fresh ID still
// carries the signature seen before.
TEST(WebhookReplay, GithubReplayUnderANewDeliveryIdIsStillRecognised) {
  HookServer hooks;
  ASSERT_EQ(hooks.post("github", github_headers("delivery-one", kGithubSecret))->status, 202);
  auto renamed = hooks.post("github", github_headers("delivery-two", kGithubSecret));
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->status, 200) << renamed->body;
  EXPECT_EQ(hooks.fetches.load(), 1);
}

TEST(WebhookReplay, ReplayedGiteaDeliveryIsAnsweredWithoutASecondSync) {
  HookServer hooks;
  const httplib::Headers headers{{"X-Gitea-Delivery", "9f3c0e1a-5b7d-4c2e-8a61-0d4f2b7e9c13"},
                                 {"X-Gitea-Signature", hmac_sha256_hex(kGiteaSecret, kPush)}};
  EXPECT_EQ(hooks.post("gitea", headers)->status, 202);
  EXPECT_EQ(hooks.post("gitea", headers)->status, 200);
  EXPECT_EQ(hooks.fetches.load(), 1);
  EXPECT_EQ(hooks.counted("gitea", "replay"), 1);
}

TEST(WebhookReplay, ReplayedGenericDeliveryIsAnsweredWithoutASecondSync) {
  HookServer hooks;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  const auto headers = generic_headers("ci-run-41", now);
  EXPECT_EQ(hooks.post("generic", headers)->status, 202);
  EXPECT_EQ(hooks.post("generic", headers)->status, 200);
  // The same body under a new, signed ID is a new trigger (a CI job posting after each push).
  EXPECT_EQ(hooks.post("generic", generic_headers("ci-run-42", now))->status, 202);
  EXPECT_EQ(hooks.fetches.load(), 2);
  EXPECT_EQ(hooks.counted("generic", "replay"), 1);
}

TEST(WebhookReplay, StaleGenericTimestampIsRefused) {
  HookServer hooks;
  const auto ten_minutes_ago = static_cast<std::int64_t>(std::time(nullptr)) - 600;
  auto stale = hooks.post("generic", generic_headers("ci-run-7", ten_minutes_ago));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 401);
  EXPECT_NE(stale->body.find("X-Nkd-Timestamp"), std::string::npos) << stale->body;
  auto unsigned_time = generic_headers("ci-run-8", ten_minutes_ago);
  unsigned_time.erase("X-Nkd-Timestamp");
  unsigned_time.emplace("X-Nkd-Timestamp", std::to_string(std::time(nullptr)));
  EXPECT_EQ(hooks.post("generic", unsigned_time)->status, 401);
  EXPECT_EQ(hooks.fetches.load(), 0);
  EXPECT_EQ(hooks.counted("generic", "stale"), 1);
}

TEST(WebhookReplay, GithubDeliverySignedWithTheGiteaSecretIsRefused) {
  HookServer hooks;
  auto crossed = hooks.post("github", github_headers("delivery-x", kGiteaSecret));
  ASSERT_TRUE(crossed);
  EXPECT_EQ(crossed->status, 401);
  // GitLab has no secret here: its hooks are refused whatever they carry.
  EXPECT_EQ(hooks.post("gitlab", {{"X-Gitlab-Token", kGithubSecret}})->status, 401);
  EXPECT_EQ(hooks.post("github", github_headers("delivery-y", kGithubSecret))->status, 202);
  EXPECT_EQ(hooks.fetches.load(), 1);
}

// The status code of one unsigned hook sent from `source_address`.
int status_from(int port, const std::string& source_address) {
  RawConnection connection(port, source_address);
  if (!connection.connected()) return -1;
  connection.send(
      "POST /hooks/generic HTTP/1.1\r\nHost: nkd\r\nContent-Length: 2\r\n"
      "Connection: close\r\n\r\n{}");
  const std::string answer = connection.read_until_closed(2s);
  return answer.size() > 12 ? std::stoi(answer.substr(9, 3)) : -1;
}

TEST(WebhookRateLimit, AddressesOfOne24ShareALimitAnother24DoesNot) {
  auto options = InProcessHttpServer::default_options();
  options.webhook_rate_per_second = 0.001;
  options.webhook_burst = 2;
  InProcessHttpServer server(options);
  EXPECT_EQ(status_from(server.port(), "127.0.0.1"), 401);
  EXPECT_EQ(status_from(server.port(), "127.0.0.2"), 401);
  EXPECT_EQ(status_from(server.port(), "127.0.0.3"), 429);
  EXPECT_EQ(status_from(server.port(), "127.0.1.1"), 401);
}

TEST(WebhookSecrets, DaemonWarnsAtStartAboutForgesWithoutASecret) {
  testing::SyncdFixture fixture;
  testing::write_file(fixture.dir() / "github-secret", "only-github\n");
  fixture.start_daemon("1h", "webhooks: {secretFiles: {github: " +
                                 (fixture.dir() / "github-secret").string() + "}}\n");
  ASSERT_TRUE(testing::wait_until(
      [&] {
        return fixture.log().find("no secret for gitea, gitlab, generic") != std::string::npos;
      },
      5s))
      << fixture.log();
  EXPECT_EQ(fixture.log().find("no secret for github"), std::string::npos);
  const std::string body = R"({"ref":"refs/heads/main"})";
  EXPECT_EQ(fixture.post_hook("github", body, "sha256=" + hmac_sha256_hex("only-github", body),
                              {{"X-GitHub-Delivery", "d-1"}}),
            202);
  EXPECT_EQ(fixture.post_hook("gitea", body, hmac_sha256_hex("only-github", body)), 401);
}

}  // namespace
}  // namespace nkd
