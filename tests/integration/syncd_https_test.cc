// `nkd syncd` and its listener's security (http.tls, http.insecure): by default it serves HTTPS
// with a CA it makes once and keeps private in its state directory; it serves an operator's
// certificate files; plain HTTP only with http.insecure: true, which it warns about at start
// and shows in /metrics; and a plain http:// publicURL without that opt-in stops it at start.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/syncd_fixture.h"
#include "tests/support/tls_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using testing::SyncdFixture;

unsigned mode_of(const fs::path& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 ? (status.st_mode & 07777) : 0;
}

std::optional<double> insecure_gauge(SyncdFixture& fixture) {
  const std::string text = fixture.metrics();
  const auto at = text.find("\nnkd_http_insecure ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + std::string("\nnkd_http_insecure ").size()));
}

TEST(SyncdHttps, ServesHttpsByDefaultWithACaItKeepsPrivate) {
  SyncdFixture fixture;
  fixture.use_https();
  fixture.start_daemon("1h");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();

  const fs::path tls = fixture.dir() / "state/tls";
  EXPECT_EQ(mode_of(tls), 0700u);
  EXPECT_EQ(mode_of(tls / "ca.pem"), 0600u);
  EXPECT_EQ(mode_of(tls / "server.pem"), 0600u);
  const std::string token = fixture.node_token("edge-lab", "edge-lab-worker-0");
  auto served = fixture.client()->Get("/ignition/edge-lab/edge-lab-worker-0",
                                      {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(served) << httplib::to_string(served.error());
  EXPECT_EQ(served->status, 200);
  EXPECT_EQ(insecure_gauge(fixture), 0.0);

  httplib::Client plain("127.0.0.1", fixture.port());
  plain.set_connection_timeout(1s);
  plain.set_read_timeout(2s);
  auto answered = plain.Get("/healthz");
  EXPECT_FALSE(answered && answered->status == 200) << "plain HTTP answered on the HTTPS port";

  // The CA is made once: a restart serves a certificate under the same CA.
  const std::string ca = testing::read_file(tls / "ca.crt");
  ASSERT_EQ(fixture.stop_daemon(SIGTERM), 0);
  fixture.start_daemon("1h");
  EXPECT_EQ(testing::read_file(tls / "ca.crt"), ca);
  auto again = fixture.client()->Get("/healthz");
  ASSERT_TRUE(again) << httplib::to_string(again.error());
  EXPECT_EQ(again->status, 200);
}

TEST(SyncdHttps, ServesTheOperatorsCertificateFiles) {
  testing::TestListenerCertificates certificates;
  SyncdFixture fixture;
  fixture.use_https(certificates.ca_file());
  fixture.start_daemon("1h", "http:\n  tls: {certFile: " + certificates.server_file() +
                                 ", keyFile: " + certificates.server_file() +
                                 ", caFile: " + certificates.ca_file() + "}\n");
  auto health = fixture.client()->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_FALSE(fs::exists(fixture.dir() / "state/tls")) << "made a CA although certFile was set";
}

TEST(SyncdHttps, PlainHttpOnlyByOptInWithAWarningAndAMetric) {
  SyncdFixture fixture;  // http: {insecure: true}
  fixture.start_daemon("1h");
  EXPECT_NE(fixture.log().find("http.insecure: true: the listener serves plain HTTP"),
            std::string::npos)
      << fixture.log();
  EXPECT_EQ(insecure_gauge(fixture), 1.0);
}

TEST(SyncdHttps, PlainPublicUrlWithoutTheOptInStopsTheDaemonAtStart) {
  SyncdFixture fixture;
  fixture.start_daemon_config_only(
      "1h", "publicURL: http://127.0.0.1:9480\nhttp: {tls: {selfSigned: true}}\n");
  const auto result =
      testing::run_command({testing::nkd_binary(), "syncd", "--config",
                            (fixture.dir() / "syncd.yaml").string(), "--log-format", "text"},
                           "", "", 20s);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE((result.out + result.err).find("set http.insecure: true to serve plain HTTP"),
            std::string::npos)
      << result.out << result.err;
}

}  // namespace
}  // namespace nkd
