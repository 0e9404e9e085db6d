// How the OpenStack clients resend requests, against a small in-process Keystone and Nova
// (cpp-httplib on 127.0.0.1): a create answered 429 with Retry-After is sent again after the
// wait (the service refused it without acting), while a create answered 500 is not resent
// blindly (it may have been acted on; the provider looks the server up before trying again).
#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/curl_http_client.h"
#include "metrics/metrics.h"
#include "providers/openstack/compute.h"
#include "tests/support/serving_thread.h"
#include "tests/support/test_support.h"

namespace nkd::providers::openstack {
namespace {

using nlohmann::json;

// Keystone's token call and Nova's server create on one port; the first `refusals` creates are
// answered with `refusal_status` (and Retry-After: 1 for 429).
class FakeCloud {
 public:
  FakeCloud(int refusal_status, int refusals) : refusal_status_(refusal_status), refusals_(refusals) {
    server_.Post("/v3/auth/tokens", [this](const httplib::Request&, httplib::Response& response) {
      response.status = 201;
      response.set_header("X-Subject-Token", "token-1");
      response.set_content(token_body(), "application/json");
    });
    server_.Post("/compute/v2.1/servers", [this](const httplib::Request&, httplib::Response& response) {
      if (creates_++ < refusals_) {
        response.status = refusal_status_;
        if (refusal_status_ == 429) response.set_header("Retry-After", "1");
        response.set_content(R"({"overLimit": {"message": "slow down"}})", "application/json");
        return;
      }
      response.status = 202;
      response.set_content(R"({"server": {"id": "s-1"}})", "application/json");
    });
    serving_ = std::make_unique<testing::ServingThread>(server_, "fake cloud");
  }
  FakeCloud(const FakeCloud&) = delete;
  FakeCloud& operator=(const FakeCloud&) = delete;

  [[nodiscard]] int creates() const { return creates_.load(); }
  [[nodiscard]] CloudConfig cloud() const {
    const std::string yaml = "clouds:\n  fake:\n    auth: {auth_url: \"" + base() +
                             "/v3\", username: u, password: p, project_name: demo, "
                             "user_domain_name: Default, project_domain_name: Default}\n";
    return find_cloud(parse_clouds_yaml(yaml, "test").value(), "fake").value();
  }

 private:
  [[nodiscard]] std::string base() const { return serving_->url(); }
  [[nodiscard]] std::string token_body() const {
    const json endpoint{{"interface", "public"}, {"region_id", "RegionOne"},
                        {"url", base() + "/compute/v2.1"}};
    return json{{"token",
                 {{"expires_at", "2999-01-01T00:00:00.000000Z"},
                  {"project", {{"id", "p-1"}}},
                  {"catalog", {{{"type", "compute"}, {"endpoints", {endpoint}}}}}}}}
        .dump();
  }

  const int refusal_status_;
  const int refusals_;
  std::atomic<int> creates_{0};
  httplib::Server server_;
  std::unique_ptr<testing::ServingThread> serving_;
};

struct Client {
  explicit Client(const CloudConfig& cloud) : keystone(cloud, http, clock, &metrics), compute(keystone) {}
  CurlHttpClient http{testing::loopback_only()};
  SystemClock clock;
  metrics::Metrics metrics{"test"};
  Keystone keystone;
  ComputeService compute;
};

ServerSpec small_server() {
  return ServerSpec{.name = "retry-node-0", .flavor_id = "1", .image_id = "i-1",
                    .metadata = {{"nkd.node", "retry-node-0"}}};
}

TEST(OpenStackRetry, CreateRefusedWith429IsSentAgainAfterRetryAfter) {
  FakeCloud cloud(429, 1);
  Client client(cloud.cloud());
  const auto started = std::chrono::steady_clock::now();
  Result<Server> created = client.compute.create_server(small_server());
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->id, "s-1");
  EXPECT_EQ(cloud.creates(), 2);
  EXPECT_GE(waited, std::chrono::milliseconds(950)) << "Retry-After: 1 is waited out";
  const std::string text = client.metrics.serialize();
  EXPECT_NE(text.find(R"(code="429",operation="server_create",provider="openstack")"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(code="202",operation="server_create",provider="openstack")"), std::string::npos);
}

TEST(OpenStackRetry, CreateAnswered500IsNotResentBlindly) {
  FakeCloud cloud(500, 1);
  Client client(cloud.cloud());
  Result<Server> created = client.compute.create_server(small_server());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable) << created.error().message;
  EXPECT_EQ(cloud.creates(), 1) << "the server may exist now: the caller must look it up first";
}

}  // namespace
}  // namespace nkd::providers::openstack
