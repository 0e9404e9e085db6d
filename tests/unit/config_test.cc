#include "syncd/config.h"

#include <gtest/gtest.h>

#include <sys/socket.h>

namespace nkd::syncd {
namespace {

constexpr const char* kMinimal = R"(repository:
  url: file:///srv/clusters.git
  ref: refs/heads/main
  pollInterval: 90s
state: {sqlite: /var/lib/nkd/state.db}
listen: 127.0.0.1:9480
clusterAccess: none
egress: {allow: [127.0.0.0/8, "::1/128"]}
)";

TEST(DaemonConfig, ParsesTheDocumentedFields) {
  auto config = parse_daemon_config(kMinimal, "syncd.yaml", nullptr);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->repository.poll_interval_ms, 90'000);
  EXPECT_EQ(config->cluster_access, ClusterAccess::kNone);
  EXPECT_EQ(config->listen_port(), 9480);
  EXPECT_EQ(config->state_directory(), "/var/lib/nkd");
  EXPECT_EQ(config->public_url, "http://127.0.0.1:9480");
  EXPECT_TRUE(config->egress.allows(*parse_ip("127.0.0.9")));
  EXPECT_TRUE(config->egress.allows(*parse_ip("::1")));
  EXPECT_FALSE(config->egress.allows(*parse_ip("10.0.0.11")));
}

TEST(DaemonConfig, EnvironmentOverridesEgressList) {
  const std::string only_two = "127.0.0.2/32";
  auto config = parse_daemon_config(kMinimal, "syncd.yaml", &only_two);
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->egress.allows(*parse_ip("127.0.0.1")));
  EXPECT_TRUE(config->egress.allows(*parse_ip("127.0.0.2")));
}

TEST(DaemonConfig, ReportsProblemsWithLineAndColumn) {
  auto config = parse_daemon_config("repository:\n  url: x\n  polInterval: 5s\nclusterAccess: maybe\n",
                                    "/etc/nkd/syncd.yaml", nullptr);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("/etc/nkd/syncd.yaml:3:3: error: unknown key 'polInterval' "
                                        "in repository; did you mean 'pollInterval'?"),
            std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("/etc/nkd/syncd.yaml:4:16: error: clusterAccess must be"),
            std::string::npos)
      << config.error().message;
}

TEST(DaemonConfig, SshKeyWithoutKnownHostsIsRefused) {
  auto config = parse_daemon_config(
      "repository:\n  url: ssh://git@127.0.0.1/r.git\n  auth: {sshKeyFile: /k}\n", "c", nullptr);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("needs knownHostsFile"), std::string::npos);
}

}  // namespace
}  // namespace nkd::syncd
