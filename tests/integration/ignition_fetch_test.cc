// The real Ignition binary boots from a rendered pointer config: it fetches the node's full
// config from the daemon's HTTP server over HTTPS, trusting the listener's CA only because the
// pointer config pins it (ignition.security.tls.certificateAuthorities), checks its hash, and
// applies it to a scratch root. A pointer config that pins another CA gets nothing.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "render/render.h"
#include "tests/support/http_server_fixture.h"
#include "tests/support/ignition_runner.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/tls_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

class IgnitionFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::ignition_installed()) {
      GTEST_SKIP() << testing::kIgnitionBinary << " is not installed";
    }
    std::signal(SIGPIPE, SIG_IGN);
  }

  // A cluster whose every node config is too large for user_data (so each gets a pointer),
  // rendered for a listener on `port` whose pointer configs pin `ca_pem`. No users: Ignition
  // can add them only as root, and what matters here is the fetch.
  static render::ClusterRender pointer_render(int port, const std::string& ca_pem) {
    auto cluster = testing::openstack_cluster("fetched");
    cluster.users.clear();
    cluster.ignition.files.push_back(model::ExtraFile{.path = "/opt/blob",
                                                      .mode = 0644,
                                                      .source = "files/blob",
                                                      .contents = std::string(70000, 'q')});
    return render::render_cluster(cluster, testing::placeholder_pki(cluster),
                                  {.ignition_base_url = "https://127.0.0.1:" + std::to_string(port),
                                   .ignition_ca_pem = ca_pem});
  }

  // Serves `rendered` over HTTPS on `port`.
  std::unique_ptr<testing::InProcessHttpServer> serve(const render::ClusterRender& rendered,
                                                      int port) {
    auto options = testing::InProcessHttpServer::default_options();
    options.port = port;
    options.tls = certificates_.context();
    return std::make_unique<testing::InProcessHttpServer>(options, syncd::HttpCallbacks{},
                                                          rendered);
  }

  testing::TestListenerCertificates certificates_;
  testing::IgnitionRoot root_;
};

TEST_F(IgnitionFetch, PointerConfigFetchesTheNodeConfigOverHttpsWithThePinnedCa) {
  const int port = testing::free_port();
  const auto rendered = pointer_render(port, certificates_.ca_pem());
  const auto server = serve(rendered, port);
  const render::NodeRender& node = rendered.nodes.front();
  ASSERT_TRUE(node.needs_pointer);
  ASSERT_NE(node.pointer_ignition.find("certificateAuthorities"), std::string::npos);

  const std::string failure = root_.apply_online(node.pointer_ignition, 60s);
  ASSERT_EQ(failure, "");
  EXPECT_EQ(root_.read("/opt/blob"), std::string(70000, 'q'));
  EXPECT_EQ(root_.read("/etc/hostname"), node.node.name + "\n");
}

TEST_F(IgnitionFetch, PointerConfigThatPinsAnotherCaFetchesNothing) {
  const int port = testing::free_port();
  const auto rendered = pointer_render(port, certificates_.other_ca_pem());
  const auto server = serve(rendered, port);
  const render::NodeRender& node = rendered.nodes.front();
  ASSERT_TRUE(node.needs_pointer);

  // Ignition retries a failed fetch without end: the stage is stopped after 15 s.
  const std::string failure = root_.apply_online(node.pointer_ignition, 15s);
  EXPECT_NE(failure, "");
  EXPECT_NE(failure.find("x509: certificate signed by unknown authority"), std::string::npos)
      << failure.substr(0, 2000);
  EXPECT_FALSE(std::filesystem::exists(root_.on_node("/opt/blob")));
}

}  // namespace
}  // namespace nkd
