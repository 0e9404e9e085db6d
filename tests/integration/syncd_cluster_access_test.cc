// `nkd syncd` with clusterAccess: direct, end to end: the real daemon process, a real Git
// server, and FakeKubeApi (tests/fakes/: the Kubernetes API server, which cannot run on these
// machines, over mutual TLS with the cluster's own certificates) reached through an apiServers
// entry. The daemon first runs with clusterAccess: none so that it makes and stores the cluster's
// PKI; the fake then serves that PKI's apiserver certificate.
#include <gtest/gtest.h>

#include <csignal>

#include "providers/kube/kube_client.h"
#include "render/pki/cluster_pki.h"
#include "syncd/cluster_pki_store.h"
#include "syncd/state/sqlite_state_store.h"
#include "tests/fakes/fake_kube_api.h"
#include "tests/support/syncd_fixture.h"

namespace nkd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCluster = "edge-lab";
const std::vector<std::string> kNodes = {"edge-lab-cp-0", "edge-lab-worker-0", "edge-lab-worker-1"};

pki::ClusterPki stored_pki(const SyncdFixture& fixture) {
  auto store = state::SqliteStateStore::open_read_only(fixture.state_db());
  EXPECT_TRUE(store.ok());
  auto pki = syncd::load_stored_pki(**store, kCluster);
  EXPECT_TRUE(pki.ok() && pki->has_value());
  return **pki;
}

std::string phase(SyncdFixture& fixture) {
  const auto cluster = fixture.get_json(std::string("/api/v1/clusters/") + kCluster);
  return cluster.is_object() ? cluster.value("phase", "") : "";
}

TEST(SyncdClusterAccessTest, WaitsForEveryNodeThenRecordsTheClusterReady) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  const std::string head = fixture.head();
  ASSERT_TRUE(fixture.wait_applied(kCluster, head, 30s)) << fixture.log();
  ASSERT_EQ(fixture.stop_daemon(SIGTERM), 0);

  FakeKubeApi fake(stored_pki(fixture));
  fake.add_node(FakeNode{.name = kNodes[0], .labels = {{kube::kControlPlaneLabel, ""}}});
  fake.add_node(FakeNode{.name = kNodes[1]});  // edge-lab-worker-1 has not joined yet
  fixture.start_daemon("1s", "clusterAccess: direct\nreadyTimeout: 10m\napiServers: {" +
                                 std::string(kCluster) + ": \"127.0.0.1:" +
                                 std::to_string(fake.port()) + "\"}\n");
  ASSERT_TRUE(wait_until([&] { return phase(fixture) == "WaitingForCluster"; }, 30s)) << fixture.log();
  ASSERT_TRUE(wait_until([&] {
    return fixture.metrics().find("nkd_cluster_nodes{cluster=\"edge-lab\",state=\"Ready\"} 2") !=
           std::string::npos;
  }, 30s)) << fixture.metrics();
  EXPECT_NE(fixture.metrics().find("nkd_cluster_ready{cluster=\"edge-lab\"} 0"), std::string::npos);

  fake.add_node(FakeNode{.name = kNodes[2]});
  ASSERT_TRUE(wait_until([&] { return phase(fixture) == "Ready"; }, 30s)) << fixture.log();
  const auto cluster = fixture.get_json(std::string("/api/v1/clusters/") + kCluster);
  EXPECT_EQ(cluster["ready"], true);
  EXPECT_EQ(cluster["clusterRevision"], head);
  ASSERT_EQ(cluster["nodes"].size(), 3u);
  EXPECT_EQ(cluster["nodes"][0]["kubeletVersion"], "v1.29.1");
  EXPECT_EQ(cluster["nodes"][0]["state"], "Ready");
  EXPECT_NE(fixture.metrics().find("nkd_cluster_ready{cluster=\"edge-lab\"} 1"), std::string::npos);
  EXPECT_NE(fixture.metrics().find("nkd_cluster_drift{cluster=\"edge-lab\"} 0"), std::string::npos);
  EXPECT_TRUE(fake.has_object("/apis/housekeeper.io/v1alpha1/namespaces/housekeeper-system/updates/nkd-update"));
  // nkd used its own identity, not the users' admin certificate.
  for (const FakeRequest& request : fake.requests()) EXPECT_EQ(request.client_common_name, "nkd");
  const auto history = fixture.get_json(std::string("/api/v1/clusters/") + kCluster + "/history");
  ASSERT_GE(history.size(), 1u);
  EXPECT_EQ(history[0]["outcome"], "applied");
  EXPECT_NE(history[0]["message"].get<std::string>().find("cluster ready"), std::string::npos);
}

}  // namespace
}  // namespace nkd::testing
