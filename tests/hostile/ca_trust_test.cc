// A system CA store that vouches for a server (a rogue CA, or merely a public one) must not make a
// client that was given a CA of its own trust that server: the Kubernetes client passes the
// cluster's CA as PEM, the OpenStack client `cacert` as a file, and both reach the same libcurl
// client. The store is replaced in a private mount namespace (unshare -m, /etc/ssl/certs
// bind-mounted over), where this binary runs the inner test; the server runs in that process on
// 127.0.0.1 with a certificate from the project's PKI helpers.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/curl_http_client.h"
#include "tests/support/serving_thread.h"
#include "tests/support/tls_support.h"

namespace nkd {
namespace {

constexpr const char* kRogueStoreEnv = "NKD_TEST_ROGUE_CA_DIR";

TEST(TlsClientTrust, GivenCaIsTheOnlyOneTrustedNotTheSystemStore) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a private mount namespace";
  testing::TestListenerCertificates certificates;
  testing::ScratchDir store;
  const std::string ca = certificates.ca_file();
  const auto prepared = testing::run_shell(
      "set -e; cp " + ca + " " + store.str() + "/rogue.pem\n"
      "cp " + ca + " " + store.str() + "/ca-certificates.crt\n"
      "ln -s rogue.pem " + store.str() + "/$(openssl x509 -hash -noout -in " + ca + ").0\n"
      "cp " + certificates.server_file() + " " + certificates.other_ca_file() + " " +
      store.str() + "/\n");
  ASSERT_EQ(prepared.exit_code, 0) << prepared.err;
  const auto inner = testing::run_shell(
      std::string(kRogueStoreEnv) + "=" + store.str() +
      " unshare --mount --propagation private sh -c 'mount --bind " + store.str() +
      " /etc/ssl/certs && exec /proc/" + std::to_string(::getpid()) +
      "/exe --gtest_filter=TlsClientTrust.InsideTheRogueStore'");
  EXPECT_EQ(inner.exit_code, 0) << inner.out << inner.err;
  EXPECT_NE(inner.out.find("[  PASSED  ] 1 test"), std::string::npos) << inner.out;
}

TEST(TlsClientTrust, InsideTheRogueStore) {
  const char* material = std::getenv(kRogueStoreEnv);
  if (material == nullptr) GTEST_SKIP() << "run by GivenCaIsTheOnlyOneTrustedNotTheSystemStore";
  const std::string dir = material;
  const std::string server_pem = dir + "/server.pem";  // certificate, then key
  httplib::SSLServer server(server_pem.c_str(), server_pem.c_str());
  server.Get("/version", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{}", "application/json");
  });
  testing::ServingThread serving(server, "rogue-signed server");

  CurlHttpClient client{testing::loopback_only()};
  const std::string url = serving.url("/version");
  // Sanity: with no CA given the system store is used, and it now vouches for the server.
  auto system = client.send({.url = url});
  ASSERT_TRUE(system.ok()) << "the rogue store is not in place: " << system.error().message;

  const std::string other_ca = dir + "/other-ca.crt";
  auto refused_pem = client.send({.url = url, .ca_pem = testing::read_file(other_ca)});
  ASSERT_FALSE(refused_pem.ok()) << "a CA given as PEM was trusted beside the system store";
  EXPECT_EQ(refused_pem.error().code, ErrorCode::kUnauthenticated);
  auto refused_file = client.send({.url = url, .ca_file = other_ca});
  ASSERT_FALSE(refused_file.ok()) << "a CA given as a file was trusted beside the system store";
  EXPECT_EQ(refused_file.error().code, ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace nkd
