// The daemon's HTTP server against hostile or broken clients: bodies over the limit (declared,
// chunked, or sent where no body belongs), slow and idle connections, handlers that fail, and
// Ignition fetches with a wrong token. The server runs in this process on 127.0.0.1, so the
// memory it buffers shows in this process's resident size.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/http_server_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::InProcessHttpServer;
using testing::RawConnection;

constexpr std::size_t kMebibyte = 1 << 20;

std::string chunk_of(std::size_t size_bytes) {
  char length[32];
  std::snprintf(length, sizeof length, "%zx\r\n", size_bytes);
  return length + std::string(size_bytes, 'x') + "\r\n";
}

// Sends up to `total_bytes` of chunked body on `connection` and stops at the first answer or
// refusal; returns how much was sent and the peak resident growth of this process meanwhile.
struct Flood {
  std::size_t sent_bytes = 0;
  std::size_t peak_growth_bytes = 0;
};
Flood flood_chunked(RawConnection& connection, std::size_t total_bytes) {
  const std::string chunk = chunk_of(64 * 1024);
  const std::size_t baseline = testing::resident_bytes();
  Flood flood;
  while (flood.sent_bytes < total_bytes && !connection.readable(0ms)) {
    if (!connection.send(chunk)) break;
    flood.sent_bytes += chunk.size();
    const std::size_t now = testing::resident_bytes();
    if (now > baseline) flood.peak_growth_bytes = std::max(flood.peak_growth_bytes, now - baseline);
  }
  return flood;
}

TEST(HttpHostileClients, ChunkedHookBodyOverTheLimitIsRefusedWithoutBufferingIt) {
  InProcessHttpServer server;
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(
      connection.send("POST /hooks/generic HTTP/1.1\r\nHost: nkd\r\n"
                      "Transfer-Encoding: chunked\r\nX-Nkd-Signature: sha256=00\r\n\r\n"));
  const Flood flood = flood_chunked(connection, 64 * kMebibyte);
  const std::string answer = connection.read_until_closed(3s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 200);
  EXPECT_LT(flood.sent_bytes, 32 * kMebibyte) << "the server kept reading past the limit";
  EXPECT_LT(flood.peak_growth_bytes, 16 * kMebibyte) << "the server buffered the body";
}

TEST(HttpHostileClients, DeclaredHookBodyOverTheLimitIsRefusedBeforeItArrives) {
  InProcessHttpServer server;
  RawConnection connection(server.port());
  ASSERT_TRUE(
      connection.send("POST /hooks/generic HTTP/1.1\r\nHost: nkd\r\n"
                      "Content-Length: 10737418240\r\n\r\n"));
  const std::string answer = connection.read_until_closed(2s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 200);
}

// A client that writes its whole request before reading (as most do) still gets the 413: the
// server reads and drops the refused body for a moment instead of resetting the connection.
TEST(HttpHostileClients, RefusedBodyIsDrainedSoTheClientSeesTheAnswer) {
  InProcessHttpServer server;
  RawConnection connection(server.port());
  ASSERT_TRUE(
      connection.send("POST /hooks/generic HTTP/1.1\r\nHost: nkd\r\nConnection: close\r\n"
                      "Content-Length: 2097152\r\n\r\n"));
  EXPECT_TRUE(connection.send(std::string(2 * kMebibyte, 'x')))
      << "the server reset the connection";
  const std::string answer = connection.read_until_closed(2s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 200);
}

TEST(HttpHostileClients, BodyWhereNoneBelongsIsRefused) {
  InProcessHttpServer server;
  RawConnection connection(server.port());
  ASSERT_TRUE(
      connection.send("POST /api/v1/clusters HTTP/1.1\r\nHost: nkd\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"));
  // Twice the growth allowed: under AddressSanitizer the allocator's caches and shadow memory
  // alone grow the process by about 9 MiB, buffering the body would grow it by all 32.
  const Flood flood = flood_chunked(connection, 32 * kMebibyte);
  connection.send("0\r\n\r\n");
  const std::string answer = connection.read_until_closed(3s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 200);
  EXPECT_LT(flood.peak_growth_bytes, 16 * kMebibyte) << "the server buffered the body";
}

// A signed hook under the limit still goes through when it arrives in many small chunks.
TEST(HttpHostileClients, ChunkedHookBodyUnderTheLimitIsAccepted) {
  InProcessHttpServer server;
  httplib::Client client("127.0.0.1", server.port());
  const std::string body =
      R"({"ref":"refs/heads/main","padding":")" + std::string(100'000, 'p') + "\"}";
  // cpp-httplib's client sends a content provider without a length as a chunked body.
  auto answer = client.Post(
      "/hooks/gitlab", {{"X-Gitlab-Token", "test-webhook-secret"}},
      [&](std::size_t offset, httplib::DataSink& sink) {
        if (offset < body.size()) {
          sink.write(body.data() + offset, std::min<std::size_t>(4096, body.size() - offset));
        } else {
          sink.done();
        }
        return true;
      },
      "application/json");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 202) << answer->body;
}

TEST(HttpHostileClients, SlowAndIdleConnectionsLeaveHealthzAndIgnitionAnswering) {
  InProcessHttpServer server;
  std::vector<std::unique_ptr<RawConnection>> slow;
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server.port()));
    slow.back()->send("GET /healthz HTTP/1.1\r\nHost: nkd\r\n");
  }
  for (int i = 0; i < 300; ++i) idle.push_back(std::make_unique<RawConnection>(server.port()));
  std::jthread dripper([&](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      for (auto& connection : slow) connection->send("X-Drip: 1\r\n");
      std::this_thread::sleep_for(500ms);  // a slow client, as seen by the real listener
    }
  });
  std::this_thread::sleep_for(500ms);  // the server has taken every connection by now

  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(2s);
  client.set_read_timeout(2s);
  const auto started = std::chrono::steady_clock::now();
  auto health = client.Get("/healthz");
  const auto health_took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(health) << "no answer from /healthz within 2 s";
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(health_took, 2s);
  auto ignition =
      client.Get("/ignition/lab/lab-cp-0", {{"Authorization", "Bearer token-lab-cp-0"}});
  ASSERT_TRUE(ignition) << "no answer from the Ignition endpoint within 2 s";
  EXPECT_EQ(ignition->status, 200);
}

TEST(HttpHostileClients, HeadersSlowerThanTheHeaderDeadlineAreCut) {
  auto options = InProcessHttpServer::default_options();
  options.connections.header_timeout = 1s;
  InProcessHttpServer server(options);
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: nkd\r\n"));
  const auto started = std::chrono::steady_clock::now();
  bool cut = false;
  while (!cut && std::chrono::steady_clock::now() - started < 4s) {
    cut = !connection.send("X-Drip: 1\r\n") || connection.closed_within(200ms);
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

// cpp-httplib answers a request it cannot parse with 400 and keeps reading; the server closes
// instead, so a client cannot trickle lines of garbage with a fresh deadline for each.
TEST(HttpHostileClients, RequestThatCannotBeParsedEndsTheConnection) {
  InProcessHttpServer server;
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send("NOT-HTTP\r\n\r\n"));
  const auto started = std::chrono::steady_clock::now();
  const std::string answer = connection.read_until_closed(3s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer.substr(0, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "the connection stayed open";
}

}  // namespace
}  // namespace nkd
