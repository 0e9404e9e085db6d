// The daemon's HTTP server serving HTTPS (http.tls): what it serves to a client that trusts
// only the listener's CA, what it refuses (plain HTTP on the port, clients that trust another
// CA), and that the limits of the guarded loop hold under TLS: a handshake deadline for clients
// that connect and send nothing, the header deadline, and body limits. The server runs in this
// process on 127.0.0.1; its certificate is made by the project's PKI helpers.
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <memory>
#include <vector>

#include "tests/support/http_server_fixture.h"
#include "tests/support/tls_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::InProcessHttpServer;
using testing::RawConnection;
using testing::RawTlsConnection;
using testing::TestListenerCertificates;

class HttpsListener : public ::testing::Test {
 protected:
  // OpenSSL writes with write(2): a client that leaves mid-answer must not end the test
  // process (nkd syncd ignores SIGPIPE the same way).
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  syncd::HttpServerOptions https_options() const {
    auto options = InProcessHttpServer::default_options();
    options.tls = certificates_.context();
    return options;
  }
  std::unique_ptr<httplib::SSLClient> client_trusting(const std::string& ca_file, int port) const {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    client->set_ca_cert_path(ca_file.c_str());
    client->enable_server_certificate_verification(true);
    client->set_connection_timeout(2s);
    client->set_read_timeout(5s);
    return client;
  }

  TestListenerCertificates certificates_;
};

TEST_F(HttpsListener, ServesHealthzAndIgnitionToAClientThatTrustsOnlyItsCa) {
  InProcessHttpServer server(https_options());
  auto client = client_trusting(certificates_.ca_file(), server.port());
  auto health = client->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto ignition =
      client->Get("/ignition/lab/lab-cp-0", {{"Authorization", "Bearer token-lab-cp-0"}});
  ASSERT_TRUE(ignition) << httplib::to_string(ignition.error());
  EXPECT_EQ(ignition->status, 200);
  EXPECT_NE(ignition->body.find("\"node\":\"lab-cp-0\""), std::string::npos);
  auto refused = client->Get("/ignition/lab/lab-cp-0", {{"Authorization", "Bearer wrong"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);
}

TEST_F(HttpsListener, ClientThatTrustsAnotherCaRefusesTheListener) {
  InProcessHttpServer server(https_options());
  auto client = client_trusting(certificates_.other_ca_file(), server.port());
  auto health = client->Get("/healthz");
  EXPECT_FALSE(health) << "a client that trusts another CA accepted the listener";
  EXPECT_EQ(health.error(), httplib::Error::SSLServerVerification);
}

TEST_F(HttpsListener, PlainHttpToTheHttpsPortGetsNoAnswer) {
  InProcessHttpServer server(https_options());
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_connection_timeout(2s);
  plain.set_read_timeout(3s);
  auto health = plain.Get("/healthz");
  EXPECT_FALSE(health && health->status == 200) << "plain HTTP was served on the HTTPS port";
  // And nothing in clear text either (not even an error page that could carry content).
  RawConnection raw(server.port());
  ASSERT_TRUE(raw.send("GET /healthz HTTP/1.1\r\nHost: nkd\r\n\r\n"));
  EXPECT_EQ(raw.read_until_closed(2s).find("HTTP/1.1"), std::string::npos);
}

TEST_F(HttpsListener, SilentClientIsDroppedAtTheHandshakeDeadlineWhileHealthzAnswers) {
  auto options = https_options();
  options.connections.handshake_timeout = 1500ms;
  // Every slot taken by silent clients: /healthz still answers (the table evicts the oldest
  // waiting connection), and each silent one goes at its deadline.
  options.connections.max_connections = 4;
  options.connections.max_connections_per_address = 4;
  InProcessHttpServer server(options);
  std::vector<std::unique_ptr<RawConnection>> silent;
  for (int i = 0; i < 4; ++i) {
    silent.push_back(std::make_unique<RawConnection>(server.port(), "127.0.0.2"));
    ASSERT_TRUE(silent.back()->connected());
  }
  auto client = client_trusting(certificates_.ca_file(), server.port());
  auto health = client->Get("/healthz");
  ASSERT_TRUE(health) << "no answer from /healthz while silent clients hold every slot";
  EXPECT_EQ(health->status, 200);

  RawConnection lone(server.port(), "127.0.0.3");
  ASSERT_TRUE(lone.connected());
  EXPECT_FALSE(lone.closed_within(800ms)) << "dropped before its handshake deadline";
  EXPECT_TRUE(lone.closed_within(3s)) << "a client that never sent a ClientHello kept its slot";
  const auto dropped = testing::metric_value(
      server.metrics().serialize(), "nkd_http_connections_dropped_total{reason=\"tls_handshake\"}");
  ASSERT_TRUE(dropped.has_value());
  EXPECT_GE(*dropped, 1);
}

TEST_F(HttpsListener, HeadersSlowerThanTheHeaderDeadlineAreCut) {
  auto options = https_options();
  options.connections.header_timeout = 1s;
  InProcessHttpServer server(options);
  RawTlsConnection connection(server.port(), certificates_.ca_file());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: nkd\r\n"));
  const auto started = std::chrono::steady_clock::now();
  bool cut = false;
  while (!cut && std::chrono::steady_clock::now() - started < 4s) {
    cut = !connection.send("X-Drip: 1\r\n") || connection.closed_within(200ms);
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpsListener, BodyLimitsHoldOverTls) {
  InProcessHttpServer server(https_options());
  auto client = client_trusting(certificates_.ca_file(), server.port());
  auto too_large = client->Post("/hooks/generic", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(too_large) << httplib::to_string(too_large.error());
  EXPECT_EQ(too_large->status, 413);
  auto no_body_here = client_trusting(certificates_.ca_file(), server.port())
                          ->Post("/api/v1/clusters", std::string(64, 'x'), "text/plain");
  ASSERT_TRUE(no_body_here) << httplib::to_string(no_body_here.error());
  EXPECT_EQ(no_body_here->status, 413);
}

}  // namespace
}  // namespace nkd
