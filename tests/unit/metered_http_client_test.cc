// MeteredHttpClient under send_with_retry: each attempt is counted once, with the same labels
// whatever the client above it, and a transport failure is labelled by its kind.
#include "metrics/metered_http_client.h"

#include <gtest/gtest.h>

#include <deque>

#include "tests/fakes/fake_clock.h"

namespace nkd::metrics {
namespace {

// Answers each send with the next scripted outcome.
class ScriptedHttp final : public HttpClient {
 public:
  explicit ScriptedHttp(std::deque<Result<HttpResponse>> outcomes)
      : outcomes_(std::move(outcomes)) {}
  Result<HttpResponse> send(const HttpRequest&) override {
    Result<HttpResponse> next = outcomes_.front();
    outcomes_.pop_front();
    return next;
  }

 private:
  std::deque<Result<HttpResponse>> outcomes_;
};

// The waits between attempts pass at once on an auto-advancing fake clock.
RetryPolicy no_sleep(const Clock& clock) {
  return RetryPolicy{.max_attempts = 4, .clock = &clock, .random_unit = [] { return 0.0; }};
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MeteredHttpClient, CountsEachAttemptOnceWithItsOwnCode) {
  ScriptedHttp http({HttpResponse{.status = 503}, Error{ErrorCode::kTimeout, "slow"},
                     HttpResponse{.status = 200}});
  Metrics metrics("test");
  testing::FakeClock clock;
  clock.set_auto_advance(true);
  MeteredHttpClient metered(http, clock, &metrics, "kube", "list_nodes");
  auto response = send_with_retry(metered, HttpRequest{}, no_sleep(clock));
  ASSERT_TRUE(response.ok());
  const std::string text = metrics.serialize();
  for (const char* code : {"503", "timeout", "200"}) {
    EXPECT_TRUE(has_line(text, std::string("nkd_provider_requests_total{code=\"") + code +
                                   "\",operation=\"list_nodes\",provider=\"kube\"} 1"))
        << code << "\n" << text;
  }
  EXPECT_TRUE(has_line(text, "nkd_provider_request_duration_seconds_count{operation=\"list_nodes\","
                             "provider=\"kube\"} 3"))
      << text;
}

TEST(MeteredHttpClient, LabelsTransportFailuresByKind) {
  EXPECT_EQ(request_code_label(HttpResponse{.status = 429}), "429");
  EXPECT_EQ(request_code_label(Error{ErrorCode::kTimeout, ""}), "timeout");
  EXPECT_EQ(request_code_label(Error{ErrorCode::kUnavailable, ""}), "unavailable");
  EXPECT_EQ(request_code_label(Error{ErrorCode::kEgressDenied, ""}), "egress_denied");
  EXPECT_EQ(request_code_label(Error{ErrorCode::kUnauthenticated, ""}), "tls");
  EXPECT_EQ(request_code_label(Error{ErrorCode::kIo, ""}), "error");
}

TEST(MeteredHttpClient, WithoutMetricsOnlyForwards) {
  ScriptedHttp http({HttpResponse{.status = 204}});
  testing::FakeClock clock;
  MeteredHttpClient metered(http, clock, nullptr, "forge", "commit_status");
  auto response = metered.send(HttpRequest{});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 204);
}

}  // namespace
}  // namespace nkd::metrics
