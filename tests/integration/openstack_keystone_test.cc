// Contract tests of Keystone v3 auth against the real test cloud (tests/openstack/).
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/curl_http_client.h"
#include "metrics/metrics.h"
#include "providers/openstack/clouds.h"
#include "providers/openstack/keystone.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/openstack_control_plane.h"
#include "tests/support/test_support.h"

namespace nkd::providers::openstack {
namespace {

using testing::OpenStackControlPlane;

using testing::FakeClock;

// Answers the first request to Nova with a 401, as Nova does for a revoked token.
class RejectFirstComputeCall final : public HttpClient {
 public:
  explicit RejectFirstComputeCall(HttpClient& inner) : inner_(inner) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    if (request.url.find(":8774") != std::string::npos && !rejected_.exchange(true)) {
      return HttpResponse{.status = 401, .body = R"({"error": {"message": "expired"}})"};
    }
    return inner_.send(request);
  }

 private:
  HttpClient& inner_;
  std::atomic<bool> rejected_{false};
};

CloudConfig cloud(const std::string& name) {
  Result<Clouds> clouds = load_clouds_file(OpenStackControlPlane::clouds_yaml());
  EXPECT_TRUE(clouds.ok()) << clouds.error().message;
  return find_cloud(*clouds, name).value();
}

class OpenStackKeystone : public ::testing::Test {
 protected:
  void SetUp() override { NKD_REQUIRE_OPENSTACK_CLOUD(); }
  CurlHttpClient http_{testing::loopback_only()};
  FakeClock clock_{SystemClock().now_unix_ms()};
  metrics::Metrics metrics_{"test"};
};

TEST_F(OpenStackKeystone, PasswordAuthYieldsTokenAndCatalogEndpoints) {
  Keystone keystone(cloud(OpenStackControlPlane::kDemoCloud), http_, clock_, &metrics_);
  Result<Token> token = keystone.token();
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_FALSE(token->value.empty());
  EXPECT_FALSE(token->project_id.empty());
  EXPECT_GT(token->expires_at_ms, clock_.now_unix_ms());
  EXPECT_EQ(keystone.endpoint("compute").value(), "http://127.0.0.1:8774/v2.1");
  EXPECT_EQ(keystone.endpoint("network").value(), "http://127.0.0.1:9696");
  EXPECT_EQ(keystone.endpoint("image").value(), "http://127.0.0.1:9292");
  EXPECT_NE(metrics_.serialize().find(
                R"(nkd_provider_requests_total{code="201",operation="token_issue",provider="openstack"} 1)"),
            std::string::npos)
      << metrics_.serialize();
}

TEST_F(OpenStackKeystone, CachesTokenUntilAMinuteBeforeExpiry) {
  Keystone keystone(cloud(OpenStackControlPlane::kDemoCloud), http_, clock_, &metrics_);
  Result<Token> first = keystone.token();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(keystone.token().ok());
  EXPECT_EQ(keystone.authentications(), 1);
  clock_.set_unix_ms(first->expires_at_ms - Keystone::kRefreshBeforeExpiryMs - 1000);
  ASSERT_TRUE(keystone.token().ok());
  EXPECT_EQ(keystone.authentications(), 1);
  clock_.set_unix_ms(first->expires_at_ms - Keystone::kRefreshBeforeExpiryMs + 1000);
  ASSERT_TRUE(keystone.token().ok());
  EXPECT_EQ(keystone.authentications(), 2);
}

TEST_F(OpenStackKeystone, ReauthenticatesOnceOn401AndRetries) {
  RejectFirstComputeCall rejecting(http_);
  Keystone keystone(cloud(OpenStackControlPlane::kDemoCloud), rejecting, clock_, &metrics_);
  Result<HttpResponse> flavors = keystone.send(
      ServiceRequest{.operation = "flavor_list", .service_type = "compute", .path = "/flavors"});
  ASSERT_TRUE(flavors.ok()) << flavors.error().message;
  EXPECT_EQ(flavors->status, 200);
  EXPECT_EQ(keystone.authentications(), 2);
  const std::string text = metrics_.serialize();
  EXPECT_NE(text.find(R"(code="401",operation="flavor_list")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(code="200",operation="flavor_list")"), std::string::npos) << text;
}

TEST_F(OpenStackKeystone, WrongPasswordIsUnauthenticatedWithoutLeakingIt) {
  CloudConfig wrong = cloud(OpenStackControlPlane::kDemoCloud);
  wrong.auth.password = Secret("not-the-password-42");
  Keystone keystone(wrong, http_, clock_, &metrics_);
  Result<Token> token = keystone.token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(token.error().message.find("nkd-demo"), std::string::npos);
  EXPECT_EQ(token.error().message.find("not-the-password-42"), std::string::npos);
}

TEST_F(OpenStackKeystone, ApplicationCredentialAuthWorks) {
  const std::string name = "nkd-test-appcred-" + std::to_string(clock_.now_unix_ms());
  const std::string created = OpenStackControlPlane::openstack(
      OpenStackControlPlane::kDemoCloud, {"application", "credential", "create", name, "-f", "json"});
  auto credential = nlohmann::json::parse(created, nullptr, false);
  ASSERT_TRUE(credential.is_object()) << "openstack application credential create failed";
  CloudConfig app{.name = "appcred",
                  .method = AuthMethod::kApplicationCredential,
                  .auth = {.auth_url = "http://127.0.0.1:5000/v3",
                           .application_credential_id = credential.value("id", ""),
                           .application_credential_secret = Secret(credential.value("secret", ""))},
                  .region_name = "RegionOne"};
  Keystone keystone(app, http_, clock_, &metrics_);
  Result<Token> token = keystone.token();
  OpenStackControlPlane::openstack(OpenStackControlPlane::kDemoCloud,
                                   {"application", "credential", "delete", name});
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_FALSE(token->project_id.empty());
  EXPECT_TRUE(keystone.endpoint("compute").ok());
}

TEST_F(OpenStackKeystone, UnknownRegionNamesRegionInError) {
  CloudConfig elsewhere = cloud(OpenStackControlPlane::kDemoCloud);
  elsewhere.region_name = "RegionNine";
  Keystone keystone(elsewhere, http_, clock_, &metrics_);
  Result<std::string> endpoint = keystone.endpoint("compute");
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error().code, ErrorCode::kNotFound);
  EXPECT_NE(endpoint.error().message.find("RegionNine"), std::string::npos);
}

}  // namespace
}  // namespace nkd::providers::openstack
