// `nkd syncd` end to end: a real `git daemon` on 127.0.0.1 serves the definitions; the real
// binary fetches, validates, renders, publishes bare-metal Ignition, records history and answers
// the API. clusterAccess is none and egress is loopback only, so nothing leaves this machine.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "tests/support/syncd_fixture.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;
using testing::SyncdFixture;

TEST(SyncdEndToEnd, AppliesEachClusterAndRecordsOneHistoryRow) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  const std::string head = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", head, 20s)) << fixture.log();
  const auto cluster = fixture.get_json("/api/v1/clusters/edge-lab");
  EXPECT_EQ(cluster["phase"], "WaitingForCluster");
  EXPECT_EQ(cluster["observedRevision"], head);
  EXPECT_EQ(cluster["nodes"].size(), 3u);
  EXPECT_TRUE(cluster["lastError"].is_null());
  const auto history = fixture.get_json("/api/v1/clusters/edge-lab/history");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0]["outcome"], "applied");
  EXPECT_EQ(history[0]["revision"], head);
  EXPECT_EQ(history[0]["author"], "Ops");
  EXPECT_EQ(history[0]["renderDigest"], cluster["renderDigest"]);

  // A name nkd never knew: 404 from the API, and `nkd history` fails saying so.
  httplib::Client client(fixture.url());
  const auto unknown = client.Get("/api/v1/clusters/nowhere/history");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  const auto cli = testing::run_command(
      {testing::nkd_binary(), "history", "nowhere", "--server", fixture.url()});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("nkd history: no cluster named nowhere"), std::string::npos) << cli.err;

  // `nkd status CLUSTER`: the record and a row per node, as the runbook uses it.
  const auto one = testing::run_command(
      {testing::nkd_binary(), "status", "edge-lab", "--server", fixture.url()});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("phase:     WaitingForCluster"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("applied:   " + head), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("edge-lab-worker-0"), std::string::npos) << one.out;
  const auto missing = testing::run_command(
      {testing::nkd_binary(), "status", "nowhere", "--server", fixture.url()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no cluster named nowhere"), std::string::npos) << missing.err;
}

// The other cluster's render is unchanged: its applied revision follows the head, but its
// history gains no row.
TEST(SyncdEndToEnd, CommitToOneClusterAddsARowOnlyForThatCluster) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  ASSERT_TRUE(fixture.wait_applied("lab-two", fixture.head(), 20s)) << fixture.log();
  const std::string second = fixture.commit(
      "sed -i 's/22.03-LTS-SP3.20240110/22.03-LTS-SP3.20240301/' clusters/edge-lab/cluster.yaml",
      "Bump edge-lab OS");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", second, 20s)) << fixture.log();
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/edge-lab/history").size(), 2u);
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/lab-two/history").size(), 1u);
  ASSERT_TRUE(fixture.wait_applied("lab-two", second, 5s));
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/lab-two/history").size(), 1u);
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/lab-two/history")[0]["revision"], fixture.get_json("/api/v1/clusters/edge-lab/history")[1]["revision"]);
}

TEST(SyncdEndToEnd, SignedWebhookAppliesWithinTwoSecondsAndForgedOneIsRefused) {
  SyncdFixture fixture;
  fixture.start_daemon("1h");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  const std::string second = fixture.commit(
      "sed -i 's/maxUnavailable: 1/maxUnavailable: 2/' clusters/edge-lab/cluster.yaml", "Faster rollouts");
  const std::string body = R"({"ref":"refs/heads/main","after":")" + second + R"("})";
  auto forged = fixture.post_hook("github", body, "sha256=" + hmac_sha256_hex("guess", body));
  EXPECT_EQ(forged, 401);
  std::this_thread::sleep_for(1500ms);  // a real daemon: time for a wrongly accepted hook to apply
  EXPECT_NE(fixture.get_json("/api/v1/clusters/edge-lab")["appliedRevision"], second);
  const auto pushed = std::chrono::steady_clock::now();
  EXPECT_EQ(fixture.post_hook("github", body, "sha256=" + hmac_sha256_hex(fixture.webhook_secret(), body)), 202);
  ASSERT_TRUE(fixture.wait_applied("edge-lab", second, 2s)) << fixture.log();
  EXPECT_LT(std::chrono::steady_clock::now() - pushed, 2s);
}

TEST(SyncdEndToEnd, InvalidCommitKeepsLastGoodRevisionAndNextValidOneApplies) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  const std::string good = fixture.head();
  ASSERT_TRUE(fixture.wait_applied("edge-lab", good, 20s)) << fixture.log();
  const std::string bad = fixture.commit(
      "sed -i 's/version: v1.29.1/version: v1.29/' clusters/edge-lab/cluster.yaml", "Typo");
  ASSERT_TRUE(testing::wait_until([&] {
    return fixture.get_json("/api/v1/clusters/edge-lab")["observedRevision"] == bad;
  }, 20s)) << fixture.log();
  const auto cluster = fixture.get_json("/api/v1/clusters/edge-lab");
  EXPECT_EQ(cluster["appliedRevision"], good);
  ASSERT_TRUE(cluster["lastError"].is_string());
  EXPECT_NE(cluster["lastError"].get<std::string>().find("clusters/edge-lab/cluster.yaml:"),
            std::string::npos);
  const auto status = testing::run_command({testing::nkd_binary(), "status", "--server", fixture.url()});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.out.find("is not vMAJOR.MINOR.PATCH"), std::string::npos) << status.out;
  EXPECT_NE(fixture.metrics().find("nkd_render_errors_total 1"), std::string::npos);
  const std::string fixed = fixture.commit(
      "sed -i 's/version: v1.29$/version: v1.29.2/' clusters/edge-lab/cluster.yaml", "Fix typo");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixed, 20s)) << fixture.log();
  EXPECT_TRUE(fixture.get_json("/api/v1/clusters/edge-lab")["lastError"].is_null());
  EXPECT_EQ(testing::run_command({testing::nkd_binary(), "status", "--server", fixture.url()}).exit_code, 0);
}

// Git keeps an author's name as bytes in whatever encoding the committer used. Before, the
// history endpoint failed (the JSON library throws on bytes that are not UTF-8); the commit is
// applied, and the name served with U+FFFD in place of the invalid byte.
TEST(SyncdEndToEnd, AuthorNameThatIsNotUtf8IsAppliedAndServedRepaired) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  const std::string latin1 = fixture.commit(
      "git config i18n.commitEncoding ISO-8859-1 && "
      "export GIT_AUTHOR_NAME=\"$(printf 'J\\366rg')\" && "
      "sed -i 's/maxUnavailable: 1/maxUnavailable: 2/' clusters/edge-lab/cluster.yaml",
      "Faster rollouts");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", latin1, 20s)) << fixture.log();
  const auto history = fixture.get_json("/api/v1/clusters/edge-lab/history");
  ASSERT_EQ(history.size(), 2u) << history.dump();
  EXPECT_EQ(history[0]["author"], "J\xEF\xBF\xBDrg");  // newest first
}

TEST(SyncdEndToEnd, ServesIgnitionOnlyWithTheNodesToken) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  httplib::Client client("127.0.0.1", fixture.port());
  EXPECT_EQ(client.Get("/ignition/edge-lab/nope")->status, 404);
  // A wrong token gets the unknown node's answer: the endpoint does not confirm which nodes exist.
  EXPECT_EQ(client.Get("/ignition/edge-lab/edge-lab-worker-0", {{"Authorization", "Bearer wrong"}})->status, 404);
  const std::string token = fixture.node_token("edge-lab", "edge-lab-worker-0");
  auto served = client.Get("/ignition/edge-lab/edge-lab-worker-0", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(served->status, 200);
  EXPECT_EQ(nlohmann::json::parse(served->body)["ignition"]["version"], "3.3.0");
  ASSERT_TRUE(testing::wait_until([&] {
    const auto cluster = fixture.get_json("/api/v1/clusters/edge-lab");
    for (const auto& node : cluster["nodes"]) {
      if (node["name"] == "edge-lab-worker-0") return node["state"] == "Provisioned";
    }
    return false;
  }, 5s)) << fixture.log();
}

TEST(SyncdEndToEnd, StopsCleanlyOnSigterm) {
  SyncdFixture fixture;
  fixture.start_daemon("1s");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  const auto started = std::chrono::steady_clock::now();
  const int status = fixture.stop_daemon(SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << fixture.log();
}

}  // namespace
}  // namespace nkd

namespace nkd {
namespace {

using namespace std::chrono_literals;

TEST(SyncdEndToEnd, RefusesWebhookBodiesOverOneMebibyte) {
  testing::SyncdFixture fixture;
  fixture.start_daemon("1h");
  const std::string body(1 << 20 | 1, 'x');
  const int status = fixture.post_generic_hook(body);
  EXPECT_EQ(status, 413);
}

TEST(SyncdEndToEnd, SighupReloadsAndABrokenConfigIsRefusedWhileRunning) {
  testing::SyncdFixture fixture;
  fixture.start_daemon("1h");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", fixture.head(), 20s)) << fixture.log();
  // A broken config: the daemon keeps running on the old one.
  testing::write_file(fixture.dir() / "syncd.yaml", "repository: [not, a, mapping]\n");
  fixture.signal_daemon(SIGHUP);
  ASSERT_TRUE(testing::wait_until([&] { return fixture.log().find("reload refused") != std::string::npos; }, 5s)) << fixture.log();
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/edge-lab")["name"], "edge-lab");
  // A good config with a short poll interval: a new commit is then picked up without a webhook.
  fixture.start_daemon_config_only("1s");
  fixture.signal_daemon(SIGHUP);
  const std::string second = fixture.commit("sed -i 's/maxUnavailable: 1/maxUnavailable: 3/' clusters/edge-lab/cluster.yaml", "reload");
  ASSERT_TRUE(fixture.wait_applied("edge-lab", second, 10s)) << fixture.log();
  EXPECT_NE(fixture.log().find("config reloaded: poll interval 1000 ms"), std::string::npos);
}

// prune: true — a cluster whose directory leaves Git loses its machines (bare metal: its served
// configs) and then its record; the other cluster is untouched. Without prune it is orphaned.
TEST(SyncdEndToEnd, ClusterLeavingGitIsOrphanedOrWithPruneDeleted) {
  testing::SyncdFixture fixture;
  fixture.start_daemon("1s", "prune: true\n");
  ASSERT_TRUE(fixture.wait_applied("lab-two", fixture.head(), 20s)) << fixture.log();
  const std::string token = fixture.node_token("lab-two", "lab-two-worker-0");
  httplib::Client client("127.0.0.1", fixture.port());
  ASSERT_EQ(client.Get("/ignition/lab-two/lab-two-worker-0", {{"Authorization", "Bearer " + token}})->status, 200);
  fixture.commit("git rm -rq clusters/lab-two", "Retire lab-two");
  ASSERT_TRUE(testing::wait_until([&] {
    const auto clusters = fixture.get_json("/api/v1/clusters");
    return clusters.is_array() && clusters.size() == 1 && clusters[0]["name"] == "edge-lab";
  }, 20s)) << fixture.log();
  EXPECT_EQ(client.Get("/ignition/lab-two/lab-two-worker-0", {{"Authorization", "Bearer " + token}})->status, 404);
  EXPECT_NE(fixture.log().find("cluster lab-two deleted"), std::string::npos);
  EXPECT_EQ(fixture.get_json("/api/v1/clusters/edge-lab")["phase"], "WaitingForCluster");

  // Without prune, the next cluster to leave is kept and orphaned.
  ASSERT_EQ(fixture.stop_daemon(SIGTERM), 0);
  fixture.start_daemon("1s");
  fixture.commit("git rm -rq clusters/edge-lab", "Retire edge-lab");
  ASSERT_TRUE(testing::wait_until([&] {
    return fixture.get_json("/api/v1/clusters/edge-lab").value("phase", "") == "Orphaned";
  }, 20s)) << fixture.log();
}

}  // namespace
}  // namespace nkd
