// `nkd syncd` against the real OpenStack test cloud (tests/openstack/): the daemon is killed with
// SIGKILL after Nova has taken a create request but before the daemon recorded the server, then
// restarted; the cloud must still hold exactly one server and one port per node name. Servers
// are counted with the openstack command-line client and ports with Neutron's API, independently
// of nkd. Skips (or, with
// NKD_REQUIRE_OPENSTACK=1, fails) when no cloud is running.
#include <gtest/gtest.h>

#include <csignal>
#include <set>

#include "state/sqlite_state_store.h"
#include "tests/support/openstack_control_plane.h"
#include "tests/support/syncd_fixture.h"

namespace nkd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCluster = "crash-os";

const char* const kDefinition = R"(apiVersion: nkd.io/v1alpha1
kind: Cluster
metadata:
  name: crash-os
spec:
  platform:
    openstack: {cloud: nkd-demo, image: cirros, flavor: m1.tiny, network: private}
  os:
    version: "22.03-LTS-SP3.20240110"
    imageURL: "registry.example.org/nestos/nestos:22.03-LTS-SP3"
  kubernetes:
    version: v1.29.1
    controlPlaneEndpoint: "api.crash-os.example.org"
  users:
    - name: nest
      sshAuthorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPvj/y5OgfVQ1CC1PVVvsNu8dB0mdi1gFbA80iSxFW6 ops@example.org"]
  pools:
    - {name: control-plane, role: control-plane, replicas: 1}
    - {name: workers, role: worker, replicas: 2}
)";

// Deletes the test's servers, then the ports Nova leaves behind, however the test ends.
struct ServerCleanup {
  ~ServerCleanup() {
    OpenStackControlPlane::delete_servers(OpenStackControlPlane::kDemoCloud, std::string(kCluster) + "-");
    OpenStackControlPlane::delete_network_leftovers(OpenStackControlPlane::kDemoCloud, std::string(kCluster) + "-");
  }
};

std::vector<std::string> server_names() {
  const std::string listing = OpenStackControlPlane::openstack(
      OpenStackControlPlane::kDemoCloud, {"server", "list", "--name", std::string("^") + kCluster + "-", "-f", "value", "-c", "Name"});
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < listing.size()) {
    const std::size_t end = listing.find('\n', start);
    const std::string line = listing.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) names.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return names;
}

TEST(OpenStackSyncdCrashTest, KilledBetweenCreateAndRecordLeavesExactlyOneServerPerNode) {
  NKD_REQUIRE_OPENSTACK_CLOUD();
  OpenStackControlPlane::delete_servers(OpenStackControlPlane::kDemoCloud, std::string(kCluster) + "-");
  OpenStackControlPlane::delete_network_leftovers(OpenStackControlPlane::kDemoCloud, std::string(kCluster) + "-");
  ServerCleanup cleanup;
  SyncdFixture fixture(std::map<std::string, std::string>{{"clusters/crash-os/cluster.yaml", kDefinition}});
  const std::string config = "clouds: " + OpenStackControlPlane::clouds_yaml() + "\nmaxConcurrentCreates: 1\n";
  fixture.start_daemon("1s", config);

  // Nova holds the server as soon as it took the request; the daemon records it only once it is
  // ACTIVE, so killing now lands between the two.
  ASSERT_TRUE(wait_until([] { return !OpenStackControlPlane::server_ids(OpenStackControlPlane::kDemoCloud, std::string(kCluster) + "-").empty(); },
                         60s)) << fixture.log();
  ASSERT_EQ(WTERMSIG(fixture.stop_daemon(SIGKILL)), SIGKILL);
  {
    auto store = state::SqliteStateStore::open_read_only(fixture.state_db());
    ASSERT_TRUE(store.ok());
    auto pending = (*store)->pending_intents(kCluster);
    ASSERT_TRUE(pending.ok());
    ASSERT_FALSE(pending->empty()) << "the kill came after the daemon recorded the create";
  }

  fixture.start_daemon("1s", config);
  ASSERT_TRUE(fixture.wait_applied(kCluster, fixture.head(), 180s)) << fixture.log();
  std::vector<std::string> names = server_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"crash-os-control-plane-0", "crash-os-workers-0", "crash-os-workers-1"}));
  std::vector<std::string> port_names;
  for (const auto& port : OpenStackControlPlane::ports(OpenStackControlPlane::kDemoCloud, std::string(kCluster) + "-")) {
    port_names.push_back(port.value("name", ""));
  }
  std::sort(port_names.begin(), port_names.end());
  EXPECT_EQ(port_names, names) << "one port per node: the resumed create found the port it had made";
  const auto cluster = fixture.get_json(std::string("/api/v1/clusters/") + kCluster);
  EXPECT_EQ(cluster["phase"], "WaitingForCluster");
  EXPECT_EQ(cluster["nodes"].size(), 3u);
  auto store = state::SqliteStateStore::open_read_only(fixture.state_db());
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->pending_intents(kCluster)->empty()) << "a resumed create completes its intent";
}

}  // namespace
}  // namespace nkd::testing
