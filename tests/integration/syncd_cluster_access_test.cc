// `nkd syncd` with clusterAccess: direct, end to end: the real daemon process, a real Git
// server, and FakeKubeApi (tests/fakes/: the Kubernetes API server, which cannot run on these
// machines, over mutual TLS with the cluster's own certificates) reached through an apiServers
// entry. The daemon first runs with clusterAccess: none so that it makes and stores the cluster's
// PKI; the fake then serves an apiserver certificate issued from that PKI's CA.
#include <gtest/gtest.h>

#include <csignal>

#include "providers/kube/kube_client.h"
#include "render/housekeeper/nkd_access.h"
#include "render/pki/cluster_pki.h"
#include "state/cluster_pki_store.h"
#include "state/sqlite_state_store.h"
#include "tests/fakes/fake_kube_api.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/syncd_fixture.h"

namespace nkd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCluster = "edge-lab";
const std::vector<std::string> kNodes = {"edge-lab-cp-0", "edge-lab-worker-0", "edge-lab-worker-1"};

pki::ClusterPki stored_pki(const SyncdFixture& fixture) {
  auto store = state::SqliteStateStore::open_read_only(fixture.state_db());
  EXPECT_TRUE(store.ok());
  auto pki = state::load_stored_pki(**store, kCluster);
  EXPECT_TRUE(pki.ok() && pki->has_value());
  return **pki;
}

// What the fake's certificate needs of examples-repo's edge-lab: its name and its endpoint, the
// control-plane machine's address 10.0.0.11.
model::Cluster edge_lab() { return bare_metal_cluster(kCluster); }

// Runs the daemon with clusterAccess: none until the cluster is applied (it makes and stores the
// cluster's PKI), then stops it; returns the applied commit.
std::string apply_without_access(SyncdFixture& fixture) {
  fixture.start_daemon("1s");
  const std::string head = fixture.head();
  EXPECT_TRUE(fixture.wait_applied(kCluster, head, 30s)) << fixture.log();
  EXPECT_EQ(fixture.stop_daemon(SIGTERM), 0);
  return head;
}

// syncd.yaml lines that send nkd to `fake` for the cluster.
// What edge-lab's first control-plane node installs at bring-up: nkd's RBAC (edge-lab runs
// flannel on amd64 nodes, which is all the rules depend on besides housekeeper's objects).
void grant_nkd(FakeKubeApi& fake) {
  model::Cluster cluster = bare_metal_cluster(kCluster);
  cluster.kubernetes.network_plugin = model::NetworkPlugin::kFlannel;
  fake.grant(housekeeper::nkd_access_manifests(cluster));
}

std::string direct_access_to(FakeKubeApi& fake) {
  grant_nkd(fake);
  return "clusterAccess: direct\napiServers: {" + std::string(kCluster) + ": \"127.0.0.1:" +
         std::to_string(fake.port()) + "\"}\n";
}

std::string phase(SyncdFixture& fixture) {
  const auto cluster = fixture.get_json(std::string("/api/v1/clusters/") + kCluster);
  return cluster.is_object() ? cluster.value("phase", "") : "";
}

TEST(SyncdClusterAccessTest, WaitsForEveryNodeThenRecordsTheClusterReady) {
  SyncdFixture fixture;
  const std::string head = apply_without_access(fixture);
  ASSERT_FALSE(::testing::Test::HasFailure());

  FakeKubeApi fake(stored_pki(fixture), edge_lab());
  fake.add_node(FakeNode{.name = kNodes[0], .labels = {{kube::kControlPlaneLabel, ""}}});
  fake.add_node(FakeNode{.name = kNodes[1]});  // edge-lab-worker-1 has not joined yet
  fixture.start_daemon("1s", direct_access_to(fake) + "readyTimeout: 10m\n");
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
  // The record is saved before the metrics are exported: the metric may lag it by a moment.
  EXPECT_TRUE(wait_until(
      [&] {
        return fixture.metrics().find("nkd_cluster_ready{cluster=\"edge-lab\"} 1") !=
               std::string::npos;
      },
      5s));
  EXPECT_NE(fixture.metrics().find("nkd_cluster_drift{cluster=\"edge-lab\"} 0"), std::string::npos);
  EXPECT_FALSE(fake.has_object("/apis/housekeeper.io/v1alpha1/namespaces/housekeeper-system/updates/housekeeper-upgrade"))
      << "nodes at the definition's versions need no Update";
  // nkd used its own identity, not the users' admin certificate, and stayed inside its role.
  for (const FakeRequest& request : fake.requests()) {
    EXPECT_EQ(request.client_common_name, "nkd");
    EXPECT_NE(request.status, 403) << request.method << " " << request.path;
  }
  const auto history = fixture.get_json(std::string("/api/v1/clusters/") + kCluster + "/history");
  ASSERT_GE(history.size(), 1u);
  EXPECT_EQ(history[0]["outcome"], "applied");
  EXPECT_NE(history[0]["message"].get<std::string>().find("cluster ready"), std::string::npos);
}

// A commit pushed while a minor upgrade is still rolling out must be one minor from the version
// the nodes that have not moved yet run (the cluster's clusterRevision), not only from the
// commit being rolled out.
TEST(SyncdClusterAccessTest, MidRolloutCommitIsCheckedAgainstTheVersionTheClusterStillRuns) {
  SyncdFixture fixture;
  apply_without_access(fixture);
  ASSERT_FALSE(::testing::Test::HasFailure());

  FakeKubeApi fake(stored_pki(fixture), edge_lab());
  fake.add_node(FakeNode{.name = kNodes[0], .labels = {{kube::kControlPlaneLabel, ""}}});
  fake.add_node(FakeNode{.name = kNodes[1]});
  fake.add_node(FakeNode{.name = kNodes[2]});
  fixture.start_daemon("1s", direct_access_to(fake));
  ASSERT_TRUE(wait_until([&] { return phase(fixture) == "Ready"; }, 30s)) << fixture.log();

  // 1.29 -> 1.30: the nodes stay on 1.29 (nothing upgrades them in the fake), so it rolls on.
  const std::string next_minor = fixture.commit(
      "sed -i 's/version: v1.29.1$/version: v1.30.0/' clusters/edge-lab/cluster.yaml", "1.30");
  ASSERT_TRUE(wait_until([&] { return phase(fixture) == "Upgrading"; }, 30s)) << fixture.log();
  const std::string skip = fixture.commit(
      "sed -i 's/version: v1.30.0$/version: v1.31.0/' clusters/edge-lab/cluster.yaml", "1.31");
  ASSERT_TRUE(wait_until([&] {
    return fixture.get_json(std::string("/api/v1/clusters/") + kCluster)["observedRevision"] == skip;
  }, 30s)) << fixture.log();
  const auto cluster = fixture.get_json(std::string("/api/v1/clusters/") + kCluster);
  EXPECT_EQ(cluster["appliedRevision"], next_minor);
  ASSERT_TRUE(cluster["lastError"].is_string()) << cluster.dump();
  EXPECT_NE(cluster["lastError"].get<std::string>().find(
                "spec.kubernetes.version v1.31.0 skips v1.30 from the running v1.29.1"),
            std::string::npos)
      << cluster["lastError"];
}

}  // namespace
}  // namespace nkd::testing
