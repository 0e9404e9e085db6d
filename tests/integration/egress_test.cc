// The egress guard end to end: with egress.allow = 127.0.0.2/32, a Git remote and an HTTP server
// that both live on 127.0.0.1 are refused before any connection is made (the servers count
// none), and the same calls with the loopback block allowed do connect (the control).
#include <gtest/gtest.h>

#include <thread>

#include "common/curl_http_client.h"
#include "syncd/source/libgit2_source.h"
#include "tests/support/git_servers.h"

namespace nkd {
namespace {

using testing::ScratchDir;

const CidrAllowList kOnlyOtherLoopback = *CidrAllowList::parse("127.0.0.2/32");
const CidrAllowList kLoopback = *CidrAllowList::parse("127.0.0.0/8");

TEST(Egress, GitRemoteOutsideTheAllowListIsRefusedBeforeConnecting) {
  ScratchDir served, cache;
  testing::GitRepoFixture repo(served.path(), "defs.git");
  repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  testing::GitDaemonServer daemon(served.path());
  auto source = syncd::LibGit2Source::open({.url = daemon.url("defs.git"), .cache_dir = cache.str(),
                                            .egress = kOnlyOtherLoopback});
  ASSERT_TRUE(source.ok()) << source.error().message;
  // The fixture's readiness probe is one logged connection; count from here on.
  ASSERT_TRUE(testing::wait_until([&] { return daemon.connection_count() >= 1; },
                                  std::chrono::seconds(5)));
  const int probes = daemon.connection_count();
  auto refused = (*source)->fetch();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kEgressDenied);
  EXPECT_NE(refused.error().message.find("127.0.0.1"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("127.0.0.2/32"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(daemon.connection_count(), probes);

  auto allowed = syncd::LibGit2Source::open({.url = daemon.url("defs.git"), .cache_dir = cache.str(),
                                             .egress = kLoopback});
  ASSERT_TRUE(allowed.ok());
  auto fetched = (*allowed)->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_TRUE(testing::wait_until([&] { return daemon.connection_count() > probes; },
                                  std::chrono::seconds(5)));
}

TEST(Egress, HttpDestinationOutsideTheAllowListNeverSeesAConnection) {
  testing::CountingListener listener;
  const std::string url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/v3/auth/tokens";
  CurlHttpClient guarded(kOnlyOtherLoopback);
  auto refused = guarded.send({.url = url, .timeout_ms = 2000});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kEgressDenied);
  EXPECT_NE(refused.error().message.find("127.0.0.1"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("127.0.0.2/32"), std::string::npos);
  // connect_to cannot smuggle the connection out: the dialled address is what is checked.
  const std::string port = std::to_string(listener.port());
  auto detour = guarded.send({.url = "http://127.0.0.2:" + port + "/", .timeout_ms = 2000,
                              .connect_to = "127.0.0.2:" + port + ":127.0.0.1:" + port});
  ASSERT_FALSE(detour.ok());
  EXPECT_EQ(detour.error().code, ErrorCode::kEgressDenied);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(listener.accepted(), 0);

  CurlHttpClient open_client(kLoopback);
  auto reached = open_client.send({.url = url, .timeout_ms = 2000});
  EXPECT_FALSE(reached.ok());  // the listener hangs up at once; what matters is that it was reached
  EXPECT_TRUE(testing::wait_until([&] { return listener.accepted() >= 1; }, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace nkd
