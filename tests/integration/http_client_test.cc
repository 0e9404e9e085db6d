// CurlHttpClient and send_with_retry against a real cpp-httplib server on 127.0.0.1, with TLS
// material made by the openssl command line for each run.
#include "common/curl_http_client.h"

#include <httplib.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>

#include "tests/fakes/fake_clock.h"
#include "tests/support/serving_thread.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using testing::ScratchDir;
using testing::ServingThread;

// A CA and a server certificate for api.nkd.test and 127.0.0.1, plus an unrelated CA.
struct TlsMaterial {
  ScratchDir dir;
  std::string ca_pem, other_ca_pem, cert_path, key_path;

  TlsMaterial() {
    const std::string d = dir.str();
    const auto result = testing::run_shell(
        "set -e; cd " + d + "\n"
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=nkd-test-ca -keyout ca.key -out ca.crt 2>/dev/null\n"
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout other.key -out other.crt 2>/dev/null\n"
        "openssl req -newkey rsa:2048 -nodes -subj /CN=api.nkd.test -keyout server.key -out server.csr 2>/dev/null\n"
        "printf 'subjectAltName=DNS:api.nkd.test,IP:127.0.0.1\\n' > san.ext\n"
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null\n");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    ca_pem = testing::read_file(dir.path() / "ca.crt");
    other_ca_pem = testing::read_file(dir.path() / "other.crt");
    cert_path = d + "/server.crt";
    key_path = d + "/server.key";
  }
};

TEST(CurlHttpClient, ReturnsStatusBodyAndLowerCasedHeaders) {
  httplib::Server server;
  server.Post("/echo", [](const httplib::Request& request, httplib::Response& response) {
    response.set_header("X-Echo-Method", request.method);
    response.set_content(request.body, "text/plain");
    response.status = 201;
  });
  ServingThread running(server, "test server");
  CurlHttpClient client(testing::loopback_only());
  auto response = client.send({.method = "POST", .url = running.url("/echo"), .body = "hello"});
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->headers.at("x-echo-method"), "POST");
  EXPECT_EQ(response->header("Content-Type"), "text/plain");
}

TEST(CurlHttpClient, HonoursTheTimeout) {
  httplib::Server server;
  server.Get("/slow", [](const httplib::Request&, httplib::Response& response) {
    // A real server slower than the client's timeout, which libcurl enforces on the real clock.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    response.set_content("late", "text/plain");
  });
  ServingThread running(server, "test server");
  CurlHttpClient client(testing::loopback_only());
  const auto start = std::chrono::steady_clock::now();
  auto response = client.send({.url = running.url("/slow"), .timeout_ms = 200});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kTimeout);
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000));
}

TEST(CurlHttpClient, DoesNotFollowRedirectsAndCapsTheBody) {
  httplib::Server server;
  server.Get("/moved", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("http://127.0.0.2:1/elsewhere");
  });
  server.Get("/big", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(10'000, 'x'), "text/plain");
  });
  ServingThread running(server, "test server");
  CurlHttpClient client(testing::loopback_only());
  auto moved = client.send({.url = running.url("/moved")});
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->status, 302);
  auto big = client.send({.url = running.url("/big"), .max_body_bytes = 1000});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kIo);
}

TEST(SendWithRetry, RetriesServiceUnavailableThenSucceeds) {
  httplib::Server server;
  std::atomic<int> calls{0};
  server.Get("/flaky", [&](const httplib::Request&, httplib::Response& response) {
    response.status = ++calls <= 2 ? 503 : 200;
    response.set_content("ok", "text/plain");
  });
  ServingThread running(server, "test server");
  CurlHttpClient client(testing::loopback_only());
  testing::FakeClock clock;
  clock.set_auto_advance(true);
  RetryPolicy policy{.max_attempts = 5, .base_delay_ms = 100, .max_delay_ms = 1000,
                     .clock = &clock,
                     .random_unit = [] { return 0.5; }};
  auto response = send_with_retry(client, {.url = running.url("/flaky")}, policy);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(calls.load(), 3);
  // Full jitter at 0.5 of a doubling ceiling: 50 ms, then 100 ms.
  EXPECT_EQ(clock.sleeps(), (std::vector<Clock::Duration>{std::chrono::milliseconds(50),
                                                          std::chrono::milliseconds(100)}));
}

TEST(SendWithRetry, TooManyRequestsWaitsRetryAfter) {
  httplib::Server server;
  std::atomic<int> calls{0};
  server.Get("/limited", [&](const httplib::Request&, httplib::Response& response) {
    if (++calls == 1) {
      response.status = 429;
      response.set_header("Retry-After", "7");
      return;
    }
    response.set_content("ok", "text/plain");
  });
  ServingThread running(server, "test server");
  CurlHttpClient client(testing::loopback_only());
  testing::FakeClock clock;
  clock.set_auto_advance(true);
  auto response = send_with_retry(client, {.url = running.url("/limited")},
                                  RetryPolicy{.clock = &clock});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(clock.sleeps(), std::vector<Clock::Duration>{std::chrono::seconds(7)});
}

TEST(SendWithRetry, PostIsNotRetriedUnlessThePolicySaysSo) {
  httplib::Server server;
  std::atomic<int> calls{0};
  server.Post("/create", [&](const httplib::Request&, httplib::Response& response) {
    ++calls;
    response.status = 503;
  });
  ServingThread running(server, "test server");
  CurlHttpClient client(testing::loopback_only());
  testing::FakeClock clock;
  clock.set_auto_advance(true);
  auto once = send_with_retry(client, {.method = "POST", .url = running.url("/create")},
                              RetryPolicy{.clock = &clock});
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->status, 503);
  EXPECT_EQ(calls.load(), 1);
  auto bounded = send_with_retry(client, {.method = "POST", .url = running.url("/create")},
                                 RetryPolicy{.max_attempts = 3, .retry_non_idempotent = true,
                                             .clock = &clock});
  ASSERT_TRUE(bounded.ok());
  EXPECT_EQ(calls.load(), 4);  // three more, then it gives up with the last response
}

TEST(SendWithRetry, AStopDuringABackoffEndsTheRetriesAtOnce) {
  httplib::Server server;
  std::atomic<int> calls{0};
  server.Get("/down", [&](const httplib::Request&, httplib::Response& response) {
    ++calls;
    response.status = 503;
  });
  ServingThread running(server, "test server");
  CurlHttpClient client(testing::loopback_only());
  testing::FakeClock clock;
  std::stop_source stop;
  std::optional<Result<HttpResponse>> outcome;
  std::thread sender([&] {
    outcome = send_with_retry(client, {.url = running.url("/down")},
                              RetryPolicy{.max_attempts = 4,
                                          .clock = &clock,
                                          .stop = stop.get_token()});
  });
  ASSERT_TRUE(clock.wait_for_sleepers(1));  // in its first backoff, which no one advances
  stop.request_stop();
  sender.join();
  ASSERT_TRUE(outcome.has_value() && outcome->ok());
  EXPECT_EQ((*outcome)->status, 503);
  EXPECT_EQ(calls.load(), 1);
}

TEST(SendWithRetry, RetriesConnectionRefusedWithinTheAttemptBound) {
  const int closed_port = testing::free_port();
  CurlHttpClient client(testing::loopback_only());
  testing::FakeClock clock;
  clock.set_auto_advance(true);
  auto result = send_with_retry(
      client, {.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/"},
      RetryPolicy{.max_attempts = 3, .clock = &clock});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(clock.sleeps().size(), 2u);
}

class TlsClient : public ::testing::Test {
 protected:
  TlsClient() : server_(tls_.cert_path.c_str(), tls_.key_path.c_str()) {
    server_.Get("/version", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("{\"gitVersion\":\"v1.29.1\"}", "application/json");
    });
    serving_ = std::make_unique<ServingThread>(server_, "TLS test server");
  }
  std::string port() const { return std::to_string(serving_->port()); }

  TlsMaterial tls_;
  httplib::SSLServer server_;
  std::unique_ptr<ServingThread> serving_;
  CurlHttpClient client_{testing::loopback_only()};
};

TEST_F(TlsClient, VerifiesTheServerWithAnInMemoryCa) {
  auto response = client_.send({.url = "https://127.0.0.1:" + port() + "/version", .ca_pem = tls_.ca_pem});
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("v1.29.1"), std::string::npos);
}

TEST_F(TlsClient, RefusesAServerSignedByAnotherCa) {
  auto response = client_.send({.url = "https://127.0.0.1:" + port() + "/version",
                                .ca_pem = tls_.other_ca_pem});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(response.error().message.find("TLS verification failed"), std::string::npos);
}

TEST_F(TlsClient, ConnectToReachesTheServerWhileVerifyingTheUrlName) {
  auto response = client_.send({.url = "https://api.nkd.test:" + port() + "/version",
                                .ca_pem = tls_.ca_pem,
                                .connect_to = "api.nkd.test:" + port() + ":127.0.0.1:" + port()});
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  // The same detour to a name the certificate does not carry is refused.
  auto wrong_name = client_.send({.url = "https://other.nkd.test:" + port() + "/version",
                                  .ca_pem = tls_.ca_pem,
                                  .connect_to = "other.nkd.test:" + port() + ":127.0.0.1:" + port()});
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_EQ(wrong_name.error().code, ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace nkd
