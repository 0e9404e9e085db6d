#include "syncd/http/webhooks.h"

#include <gtest/gtest.h>

#include <map>

#include "common/crypto.h"
#include "tests/fakes/fake_clock.h"

namespace nkd::syncd {
namespace {

const Secret kSecret("s3cret-webhook");
const std::string kPush = R"({"ref":"refs/heads/main","after":"abc"})";

constexpr std::int64_t kNow = 1'790'000'000;

WebhookRequest signed_request(WebhookKind kind, const std::string& body,
                              const Secret& secret = kSecret) {
  const std::string mac = hmac_sha256_hex(secret.reveal(), body);
  WebhookRequest request{.kind = kind, .body = body};
  request.github_signature = "sha256=" + mac;
  request.gitea_signature = mac;
  request.gitlab_token = secret.reveal();
  request.generic_timestamp = std::to_string(kNow);
  request.delivery_id = "delivery-1";
  request.generic_signature =
      generic_webhook_signature(secret.reveal(), request.generic_timestamp, "delivery-1", body);
  return request;
}

TEST(Webhooks, RequestTakesEachForgesHeadersAndItsDeliveryHeader) {
  const std::map<std::string, std::string> headers{{"X-Hub-Signature-256", "sha256=01"},
                                                   {"X-Gitea-Signature", "02"},
                                                   {"X-Gitlab-Token", "03"},
                                                   {"X-Nkd-Signature", "04"},
                                                   {"X-Nkd-Timestamp", "05"},
                                                   {"X-GitHub-Delivery", "github-id"},
                                                   {"X-Gitea-Delivery", "gitea-id"},
                                                   {"X-Gitlab-Event-UUID", "gitlab-id"},
                                                   {"X-Nkd-Delivery", "generic-id"}};
  auto header = [&](const char* name) {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  };
  const WebhookRequest github = webhook_request_of(WebhookKind::kGithub, "body", header);
  EXPECT_EQ(github.body, "body");
  EXPECT_EQ(github.github_signature, "sha256=01");
  EXPECT_EQ(github.gitea_signature, "02");
  EXPECT_EQ(github.gitlab_token, "03");
  EXPECT_EQ(github.generic_signature, "04");
  EXPECT_EQ(github.generic_timestamp, "05");
  EXPECT_EQ(github.delivery_id, "github-id");
  EXPECT_EQ(webhook_request_of(WebhookKind::kGitea, "", header).delivery_id, "gitea-id");
  EXPECT_EQ(webhook_request_of(WebhookKind::kGitlab, "", header).delivery_id, "gitlab-id");
  EXPECT_EQ(webhook_request_of(WebhookKind::kGeneric, "", header).delivery_id, "generic-id");
}

TEST(Webhooks, AcceptsCorrectSignatureOfEveryKind) {
  for (auto kind : {WebhookKind::kGithub, WebhookKind::kGitea, WebhookKind::kGitlab, WebhookKind::kGeneric}) {
    EXPECT_TRUE(verify_webhook(signed_request(kind, kPush), kSecret)) << to_string(kind);
  }
}

TEST(Webhooks, RejectsForgedGithubSignature) {
  auto request = signed_request(WebhookKind::kGithub, kPush);
  request.github_signature = "sha256=" + hmac_sha256_hex("wrong", kPush);
  EXPECT_FALSE(verify_webhook(request, kSecret));
}

TEST(Webhooks, RejectsBodyChangedAfterSigning) {
  auto request = signed_request(WebhookKind::kGitea, kPush);
  request.body = R"({"ref":"refs/heads/evil"})";
  EXPECT_FALSE(verify_webhook(request, kSecret));
}

TEST(Webhooks, RejectsMissingSignatureAndWrongGitlabToken) {
  WebhookRequest missing{.kind = WebhookKind::kGeneric, .body = kPush};
  EXPECT_FALSE(verify_webhook(missing, kSecret));
  auto gitlab = signed_request(WebhookKind::kGitlab, kPush);
  gitlab.gitlab_token = "s3cret-webhooK";
  EXPECT_FALSE(verify_webhook(gitlab, kSecret));
}

TEST(Webhooks, GenericSignatureCoversTimestampAndDeliveryId) {
  const auto genuine = signed_request(WebhookKind::kGeneric, kPush);
  auto later = genuine;
  later.generic_timestamp = std::to_string(kNow + 600);
  EXPECT_FALSE(verify_webhook(later, kSecret));
  auto renamed = genuine;
  renamed.delivery_id = "delivery-2";
  EXPECT_FALSE(verify_webhook(renamed, kSecret));
  // A body-only signature (the format before timestamps) no longer passes.
  auto body_only = genuine;
  body_only.generic_signature = "sha256=" + hmac_sha256_hex(kSecret.reveal(), kPush);
  EXPECT_FALSE(verify_webhook(body_only, kSecret));
}

TEST(Webhooks, GenericHookNeedsTimestampAndAPlainDeliveryId) {
  auto no_time = signed_request(WebhookKind::kGeneric, kPush);
  no_time.generic_timestamp.clear();
  EXPECT_FALSE(verify_webhook(no_time, kSecret));
  // A '.' in the ID could move bytes between ID and body under one signature.
  WebhookRequest dotted{.kind = WebhookKind::kGeneric, .body = "b.{}"};
  dotted.generic_timestamp = std::to_string(kNow);
  dotted.delivery_id = "a";
  dotted.generic_signature =
      generic_webhook_signature(kSecret.reveal(), dotted.generic_timestamp, "a", dotted.body);
  ASSERT_TRUE(verify_webhook(dotted, kSecret));
  dotted.delivery_id = "a.b";
  dotted.body = "{}";
  EXPECT_FALSE(verify_webhook(dotted, kSecret));
  EXPECT_TRUE(valid_delivery_id("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
  EXPECT_FALSE(valid_delivery_id(std::string(129, 'a')));
  EXPECT_FALSE(valid_delivery_id(""));
}

TEST(Webhooks, GenericTimestampMustBeWithinTheWindowEitherWay) {
  const auto request = signed_request(WebhookKind::kGeneric, kPush);
  constexpr std::chrono::seconds kWindow(300);
  EXPECT_TRUE(timestamp_is_fresh(request, kNow, kWindow));
  EXPECT_TRUE(timestamp_is_fresh(request, kNow + 300, kWindow));
  EXPECT_TRUE(timestamp_is_fresh(request, kNow - 300, kWindow));
  EXPECT_FALSE(timestamp_is_fresh(request, kNow + 301, kWindow));
  EXPECT_FALSE(timestamp_is_fresh(request, kNow - 301, kWindow));
  // Forges sign no time: their freshness is the replay set's business.
  EXPECT_TRUE(
      timestamp_is_fresh(signed_request(WebhookKind::kGithub, kPush), kNow + 9999, kWindow));
}

TEST(Webhooks, EachForgeIsCheckedWithItsOwnSecret) {
  const Secret github("github-secret");
  const Secret gitea("gitea-secret");
  WebhookSecrets secrets;
  secrets.set(WebhookKind::kGithub, github);
  secrets.set(WebhookKind::kGitea, gitea);
  const auto signed_with_gitea = signed_request(WebhookKind::kGithub, kPush, gitea);
  EXPECT_FALSE(verify_webhook(signed_with_gitea, secrets.of(WebhookKind::kGithub)));
  EXPECT_TRUE(verify_webhook(signed_request(WebhookKind::kGithub, kPush, github),
                             secrets.of(WebhookKind::kGithub)));
  EXPECT_TRUE(verify_webhook(signed_request(WebhookKind::kGitea, kPush, gitea),
                             secrets.of(WebhookKind::kGitea)));
  EXPECT_FALSE(verify_webhook(signed_request(WebhookKind::kGitlab, kPush, gitea),
                              secrets.of(WebhookKind::kGitlab)));
  const WebhookSecrets shared(kSecret);
  for (auto kind : kWebhookKinds) EXPECT_EQ(shared.of(kind), kSecret) << to_string(kind);
}

TEST(Webhooks, RefusesEverythingWithoutAConfiguredSecret) {
  EXPECT_FALSE(verify_webhook(signed_request(WebhookKind::kGithub, kPush), Secret()));
}

TEST(Webhooks, PushMustConcernTheWatchedRef) {
  const auto request = signed_request(WebhookKind::kGithub, kPush);
  EXPECT_TRUE(push_concerns_ref(request, "refs/heads/main"));
  EXPECT_TRUE(push_concerns_ref(request, "main"));
  EXPECT_FALSE(push_concerns_ref(request, "refs/heads/release"));
  const auto tag = signed_request(WebhookKind::kGitea, R"({"ref":"refs/tags/v1.3.0"})");
  EXPECT_TRUE(push_concerns_ref(tag, "semver:>=1.2.0"));
  const auto ping = signed_request(WebhookKind::kGithub, R"({"zen":"hi"})");
  EXPECT_FALSE(push_concerns_ref(ping, "refs/heads/main"));
  EXPECT_TRUE(push_concerns_ref(signed_request(WebhookKind::kGeneric, ""), "refs/heads/main"));
}

TEST(ClientNetwork, GroupsIpv4By24AndIpv6By64) {
  const NetworkPrefixes prefixes;
  EXPECT_EQ(client_network("203.0.113.7", prefixes), "203.0.113.0/24");
  EXPECT_EQ(client_network("203.0.113.200", prefixes), "203.0.113.0/24");
  EXPECT_EQ(client_network("203.0.114.7", prefixes), "203.0.114.0/24");
  EXPECT_EQ(client_network("::ffff:203.0.113.9", prefixes), "203.0.113.0/24");
  EXPECT_EQ(client_network("2001:db8:1:2:aaaa::1", prefixes), "2001:db8:1:2::/64");
  EXPECT_EQ(client_network("2001:db8:1:2:bbbb::9", prefixes), "2001:db8:1:2::/64");
  EXPECT_EQ(client_network("2001:db8:1:3::1", prefixes), "2001:db8:1:3::/64");
  EXPECT_EQ(client_network("203.0.113.7", {.ipv4_bits = 32, .ipv6_bits = 128}), "203.0.113.7/32");
  EXPECT_EQ(client_network("not-an-address", prefixes), "not-an-address");
}

TEST(RateLimiter, AddressesOfOne24ShareABucketAnother24DoesNot) {
  testing::FakeClock clock;
  RateLimiter limiter(/*per_second=*/0.001, /*burst=*/2, clock);
  const auto network = [](const char* address) { return client_network(address, {}); };
  EXPECT_TRUE(limiter.allow(network("198.51.100.1")));
  EXPECT_TRUE(limiter.allow(network("198.51.100.2")));
  EXPECT_FALSE(limiter.allow(network("198.51.100.3")));
  EXPECT_TRUE(limiter.allow(network("198.51.101.1")));
}

TEST(RateLimiter, AllowsBurstThenRefusesPerAddress) {
  testing::FakeClock clock;
  RateLimiter limiter(/*per_second=*/0.001, /*burst=*/3, clock);
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
  EXPECT_FALSE(limiter.allow("127.0.0.1"));
  EXPECT_TRUE(limiter.allow("127.0.0.2"));
}

TEST(RateLimiter, RefillsAtItsRateOnTheClock) {
  testing::FakeClock clock;
  RateLimiter limiter(/*per_second=*/1.0, /*burst=*/1, clock);
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
  EXPECT_FALSE(limiter.allow("127.0.0.1"));
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_FALSE(limiter.allow("127.0.0.1"));
  clock.advance(std::chrono::milliseconds(600));
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
}

}  // namespace
}  // namespace nkd::syncd
