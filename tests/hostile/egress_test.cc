// The egress guard end to end: with egress.allow = 127.0.0.2/32, a Git remote and an HTTP server
// that both live on 127.0.0.1 are refused before any connection is made (the servers count
// none), and the same calls with the loopback block allowed do connect (the control). A name
// is resolved once: the HTTP client connects to the address it checked, whatever a second
// lookup would say.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <thread>

#include "common/curl_http_client.h"
#include "source/libgit2_source.h"
#include "tests/support/git_servers.h"
#include "tests/support/serving_thread.h"

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
  auto source = source::LibGit2Source::open({.url = daemon.url("defs.git"), .cache_dir = cache.str(),
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
  // Real time: a connection the guard let through would reach the real server within it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(daemon.connection_count(), probes);

  auto allowed = source::LibGit2Source::open({.url = daemon.url("defs.git"), .cache_dir = cache.str(),
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
  // Real time: a connection the guard let through would reach the listener within it.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(listener.accepted(), 0);

  CurlHttpClient open_client(kLoopback);
  auto reached = open_client.send({.url = url, .timeout_ms = 2000});
  EXPECT_FALSE(reached.ok());  // the listener hangs up at once; what matters is that it was reached
  EXPECT_TRUE(testing::wait_until([&] { return listener.accepted() >= 1; }, std::chrono::seconds(5)));
}

// An HTTP server on `address` whose every answer is `name`, stopped when it goes.
class NamedServer {
 public:
  NamedServer(const std::string& address, int port, const std::string& name) {
    server_.Get("/", [name](const httplib::Request&, httplib::Response& response) {
      response.set_content(name, "text/plain");
    });
    serving_ = std::make_unique<testing::ServingThread>(server_, name, address, port);
  }
  [[nodiscard]] int port() const { return serving_->port(); }

 private:
  httplib::Server server_;
  std::unique_ptr<testing::ServingThread> serving_;
};

// A resolver for names the system resolver cannot answer (.invalid): its first answer is
// 127.0.0.1, every later one 127.0.0.2, as a DNS server rebinding the name would do.
CurlHttpClient::Resolver rebinding_resolver(std::atomic<int>& lookups) {
  return [&lookups](const std::string& host, int) -> Result<std::vector<IpAddress>> {
    EXPECT_TRUE(host.ends_with(".invalid")) << host;
    return std::vector{*parse_ip(++lookups == 1 ? "127.0.0.1" : "127.0.0.2")};
  };
}

// The checked answer is 127.0.0.1 and another server listens on 127.0.0.2, which the list
// refuses. A client that looked the name up a second time would fail to resolve it (curl's
// own lookup), or be refused, or reach "rebound".
TEST(Egress, HttpClientConnectsToTheAddressItCheckedWithoutASecondLookup) {
  NamedServer checked("127.0.0.1", 0, "checked");
  ASSERT_GT(checked.port(), 0);
  NamedServer rebound("127.0.0.2", checked.port(), "rebound");
  ASSERT_GT(rebound.port(), 0);
  const std::string port = std::to_string(checked.port());
  const CidrAllowList only_checked = *CidrAllowList::parse("127.0.0.1/32");

  std::atomic<int> lookups{0};
  CurlHttpClient client(only_checked, rebinding_resolver(lookups));
  auto answer = client.send({.url = "http://rebind.invalid:" + port + "/", .timeout_ms = 5000});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->body, "checked");
  EXPECT_EQ(lookups.load(), 1);

  // Through connect_to (apiServers), the dialled name is the one resolved, checked and pinned.
  std::atomic<int> tunnel_lookups{0};
  CurlHttpClient tunnel_client(only_checked, rebinding_resolver(tunnel_lookups));
  auto tunnelled =
      tunnel_client.send({.url = "http://api.nkd.test:" + port + "/",
                          .timeout_ms = 5000,
                          .connect_to = "api.nkd.test:" + port + ":bastion.invalid:" + port});
  ASSERT_TRUE(tunnelled.ok()) << tunnelled.error().message;
  EXPECT_EQ(tunnelled->body, "checked");
  EXPECT_EQ(tunnel_lookups.load(), 1);
}

std::string renamed_to_invalid(std::string url) {
  return url.replace(url.find("127.0.0.1"), 9, "rebind.invalid");
}

// libgit2 never sees the name: the git:// fetch connects to the address resolved and checked
// once; a second lookup would answer the refused 127.0.0.2, and libgit2's own lookup of an
// .invalid name would fail.
TEST(Egress, GitFetchConnectsToTheAddressItCheckedWithoutASecondLookup) {
  ScratchDir served, cache;
  testing::GitRepoFixture repo(served.path(), "defs.git");
  repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  testing::GitDaemonServer daemon(served.path());
  std::atomic<int> lookups{0};
  auto source = source::LibGit2Source::open({.url = renamed_to_invalid(daemon.url("defs.git")),
                                            .cache_dir = cache.str(),
                                            .egress = *CidrAllowList::parse("127.0.0.1/32"),
                                            .resolver = rebinding_resolver(lookups)});
  ASSERT_TRUE(source.ok()) << source.error().message;
  auto fetched = (*source)->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_TRUE(fetched->moved);
  EXPECT_EQ(lookups.load(), 1);
}

// Smart HTTP opens a connection per request, each resolved and checked by nkd: libgit2 and
// its TLS layer are handed a connected socket, never the name.
TEST(Egress, GitHttpFetchIsResolvedByNkdForEveryConnection) {
  ScratchDir served, cache, secrets;
  testing::GitRepoFixture repo(served.path(), "defs.git");
  repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  testing::GitHttpServer server(served.path(), "ops", "s3cret-pass");
  testing::write_file(secrets.path() / "password", "s3cret-pass\n");
  std::atomic<int> lookups{0};
  auto source = source::LibGit2Source::open(
      {.url = renamed_to_invalid(server.url("defs.git")),
       .auth = {.username = "ops", .password_file = (secrets.path() / "password").string()},
       .cache_dir = cache.str(),
       .egress = *CidrAllowList::parse("127.0.0.1/32"),
       .resolver = [&](const std::string& host, int) -> Result<std::vector<IpAddress>> {
         ++lookups;
         EXPECT_EQ(host, "rebind.invalid");
         return std::vector{*parse_ip("127.0.0.1")};
       }});
  ASSERT_TRUE(source.ok()) << source.error().message;
  auto fetched = (*source)->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_GE(lookups.load(), 1);
}

// libssh2 is handed the socket nkd connected: the SSH remote is resolved and checked once too.
// The host key is listed under the URL's name, which is what known_hosts is checked against.
TEST(Egress, GitSshFetchConnectsToTheAddressItCheckedWithoutASecondLookup) {
  ScratchDir served, cache, keys;
  testing::GitRepoFixture repo(served.path(), "defs.git");
  repo.commit({{"clusters/alpha/cluster.yaml", "name: alpha\n"}}, "initial");
  testing::SshServer sshd;
  std::string known_hosts = testing::read_file(sshd.known_hosts());
  for (auto at = known_hosts.find("127.0.0.1"); at != std::string::npos;
       at = known_hosts.find("127.0.0.1")) {
    known_hosts.replace(at, 9, "rebind.invalid");
  }
  testing::write_file(keys.path() / "known_hosts", known_hosts);
  std::atomic<int> lookups{0};
  auto source = source::LibGit2Source::open(
      {.url = renamed_to_invalid(sshd.url(repo.bare_path())),
       .auth = {.ssh_key_file = sshd.client_key(),
                .known_hosts_file = (keys.path() / "known_hosts").string()},
       .cache_dir = cache.str(),
       .egress = *CidrAllowList::parse("127.0.0.1/32"),
       .resolver = rebinding_resolver(lookups)});
  ASSERT_TRUE(source.ok()) << source.error().message;
  auto fetched = (*source)->fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message << "\nsshd: " << sshd.log();
  EXPECT_TRUE(fetched->moved);
  EXPECT_EQ(lookups.load(), 1);
}

TEST(Egress, EveryResolvedAddressMustBeAllowedBeforeAnyConnection) {
  testing::CountingListener listener;
  CurlHttpClient client(*CidrAllowList::parse("127.0.0.1/32"),
                        [](const std::string&, int) -> Result<std::vector<IpAddress>> {
                          return std::vector{*parse_ip("127.0.0.1"), *parse_ip("192.0.2.1")};
                        });
  auto refused = client.send(
      {.url = "http://mixed.invalid:" + std::to_string(listener.port()) + "/", .timeout_ms = 2000});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kEgressDenied);
  EXPECT_NE(refused.error().message.find("192.0.2.1"), std::string::npos)
      << refused.error().message;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // as above: a real listener
  EXPECT_EQ(listener.accepted(), 0);
}

}  // namespace
}  // namespace nkd
