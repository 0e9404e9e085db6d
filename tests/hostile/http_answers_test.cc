// What the daemon's HTTP server tells clients when something goes wrong: a handler that fails
// answers a generic 500 whose request id leads to the logged cause, and the Ignition endpoint
// answers an unknown node and a wrong token alike, logging refusals at a bounded rate.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "tests/support/http_server_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::InProcessHttpServer;
using testing::RawConnection;

// A handler that throws (here /readyz's source check, standing in for any bug or library
// exception: json type errors, bad_alloc) answers a generic 500; the cause is only logged.
TEST(HttpServerAnswers, HandlerFailureAnswersAGeneric500WithARequestIdThatIsLogged) {
  InProcessHttpServer server(InProcessHttpServer::default_options(),
                             syncd::HttpCallbacks{.source_ready = []() -> bool {
                               throw std::runtime_error("[json.exception.type_error.316] invalid UTF-8 byte");
                             }});
  testing::LogCapture log;
  httplib::Client client("127.0.0.1", server.port());
  auto answer = client.Get("/readyz");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 500);
  for (const auto& [name, value] : answer->headers) {
    EXPECT_EQ(value.find("json.exception"), std::string::npos) << name << ": " << value;
    EXPECT_EQ(value.find("UTF-8"), std::string::npos) << name << ": " << value;
  }
  EXPECT_EQ(answer->body.find("UTF-8"), std::string::npos) << answer->body;
  const auto body = nlohmann::json::parse(answer->body, nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("requestId")) << answer->body;
  const std::string request_id = body["requestId"];
  EXPECT_FALSE(request_id.empty());
  EXPECT_EQ(log.count(request_id), 1u) << log.text();
  EXPECT_NE(log.text().find("UTF-8"), std::string::npos) << "the cause is logged: " << log.text();
  // The server keeps serving after the failure.
  EXPECT_EQ(client.Get("/healthz")->status, 200);
}

TEST(HttpServerAnswers, IgnitionAnswersAlikeForAnUnknownNodeAndAWrongToken) {
  InProcessHttpServer server;
  httplib::Client client("127.0.0.1", server.port());
  auto unknown = client.Get("/ignition/lab/lab-cp-9", {{"Authorization", "Bearer token-lab-cp-9"}});
  auto unknown_cluster = client.Get("/ignition/other/lab-cp-0", {{"Authorization", "Bearer x"}});
  auto wrong =
      client.Get("/ignition/lab/lab-cp-0", {{"Authorization", "Bearer token-lab-worker-0"}});
  auto missing = client.Get("/ignition/lab/lab-cp-0");
  ASSERT_TRUE(unknown && unknown_cluster && wrong && missing);
  for (const auto* refused : {&unknown_cluster, &wrong, &missing}) {
    EXPECT_EQ((*refused)->status, unknown->status);
    EXPECT_EQ((*refused)->body, unknown->body);
    EXPECT_EQ((*refused)->get_header_value("Content-Type"),
              unknown->get_header_value("Content-Type"));
  }
  EXPECT_EQ(unknown->status, 404);
  auto served = client.Get("/ignition/lab/lab-cp-0", {{"Authorization", "Bearer token-lab-cp-0"}});
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
}

TEST(HttpServerAnswers, IgnitionRefusalsWarnOncePerAddressPerIntervalAndAreAllCounted) {
  InProcessHttpServer server;
  testing::LogCapture log;
  httplib::Client client("127.0.0.1", server.port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(client.Get("/ignition/lab/lab-cp-0", {{"Authorization", "Bearer wrong"}})->status,
              404);
    ASSERT_EQ(client.Get("/ignition/lab/lab-cp-7")->status, 404);
  }
  for (int i = 0; i < 3; ++i) {
    RawConnection other(server.port(), "127.0.0.2");
    ASSERT_TRUE(other.connected());
    other.send("GET /ignition/lab/lab-cp-0 HTTP/1.1\r\nHost: nkd\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(other.read_until_closed(2s).starts_with("HTTP/1.1 404"));
  }
  EXPECT_EQ(log.count("refused Ignition fetch"), 2u) << log.text();
  EXPECT_EQ(testing::metric_value(server.metrics().serialize(), "nkd_ignition_refused_total"),
            13.0);
}

}  // namespace
}  // namespace nkd
