#include "syncd/http/webhooks.h"

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace nkd::syncd {
namespace {

const Secret kSecret("s3cret-webhook");
const std::string kPush = R"({"ref":"refs/heads/main","after":"abc"})";

WebhookRequest signed_request(WebhookKind kind, const std::string& body) {
  const std::string mac = hmac_sha256_hex(kSecret.reveal(), body);
  WebhookRequest request{.kind = kind, .body = body};
  request.github_signature = "sha256=" + mac;
  request.gitea_signature = mac;
  request.gitlab_token = kSecret.reveal();
  request.generic_signature = "sha256=" + mac;
  return request;
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

TEST(RateLimiter, AllowsBurstThenRefusesPerAddress) {
  RateLimiter limiter(/*per_second=*/0.001, /*burst=*/3);
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
  EXPECT_TRUE(limiter.allow("127.0.0.1"));
  EXPECT_FALSE(limiter.allow("127.0.0.1"));
  EXPECT_TRUE(limiter.allow("127.0.0.2"));
}

}  // namespace
}  // namespace nkd::syncd
