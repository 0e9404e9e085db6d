// ClusterState against FakeKubeApi over mutual TLS: readiness, housekeeper apply, rollout
// tracking, drain before delete, and drift.
#include "providers/kube/cluster_state.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/curl_http_client.h"
#include "providers/kube/kube_identity.h"
#include "render/housekeeper/nkd_access.h"
#include "render/ignition/bring_up.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_api.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/test_support.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOperatorPath =
    "/apis/apps/v1/namespaces/housekeeper-system/deployments/housekeeper-operator-manager";


std::ptrdiff_t position(const std::vector<std::string>& log, const std::string& entry) {
  return std::find(log.begin(), log.end(), entry) - log.begin();
}

class ClusterStateTest : public ::testing::Test {
 protected:
  // `granted`: nkd's access is in the cluster already (the usual case after bring-up).
  explicit ClusterStateTest(bool granted = true)
      : cluster_(testing::openstack_cluster()), pki_(testing::make_real_pki(cluster_)), fake_(pki_, cluster_) {
    if (granted) fake_.grant(housekeeper::nkd_access_manifests(cluster_));
    auto identity = pki::issue_client_cert(pki_, kube::kIdentityCommonName,
                                           kube::kIdentityOrganization, 3600, testing::unix_now_seconds());
    EXPECT_TRUE(identity.ok());
    client_ = std::make_unique<kube::KubeClient>(
        http_,
        kube::KubeEndpoint{.server_url = std::string("https://") + testing::kFakeKubeApiHost + ":6443",
                           .connect_to = fake_.connect_to(testing::kFakeKubeApiHost),
                           .ca_pem = pki_.ca.cert_pem,
                           .client_cert_pem = identity->cert_pem,
                           .client_key_pem = identity->key_pem},
        clock_, nullptr,
        kube::KubeClientOptions{.retry = RetryPolicy{.max_attempts = 2, .base_delay_ms = 10},
                                .eviction_retry_ms = 10});
    // Every wait of these tests is the code's own (polls, deadlines, eviction pauses): the fake
    // clock runs them at once.
    clock_.set_auto_advance(true);
  }

  // A ClusterState whose poll pauses run `on_pause` (the cluster moving on); the retry
  // backoffs of the client underneath (at most 10 ms) are not its pauses.
  kube::ClusterState state(std::function<void()> on_pause = {}) {
    clock_.set_on_sleep([on_pause](Clock::Duration length) {
      if (on_pause && length == kPollInterval) on_pause();
    });
    return kube::ClusterState(*client_, kube::ClusterStateOptions{.poll_interval_ms = 20});
  }
  static constexpr Clock::Duration kPollInterval = std::chrono::milliseconds(20);

  std::vector<render::Artifact> artifacts() {
    return render::render_cluster(cluster_, pki_, render::RenderOptions{}).artifacts;
  }

  // What nkd applies to a cluster: the network plugin, then housekeeper.
  void apply_all(kube::ClusterState& cluster_state, const std::vector<render::Artifact>& rendered) {
    for (const std::string_view folder : {render::kNetworkManifests, render::kHousekeeperManifests}) {
      const Status applied =
          cluster_state.apply_manifests(rendered, folder, clock_.steady_now() + 10s);
      ASSERT_TRUE(applied.ok()) << folder << ": " << applied.error().message;
    }
  }

  void add_cluster_nodes(const std::string& kubelet, const std::string& os_image) {
    for (const model::Node& node : model::expand_nodes(cluster_)) {
      testing::FakeNode fake{.name = node.name, .kubelet_version = kubelet, .os_image = os_image};
      if (node.role == model::PoolRole::kControlPlane) fake.labels[kube::kControlPlaneLabel] = "";
      fake_.add_node(fake);
    }
  }

  model::Cluster cluster_;
  pki::ClusterPki pki_;
  testing::FakeKubeApi fake_;
  CurlHttpClient http_{testing::loopback_only()};
  testing::FakeClock clock_;
  std::unique_ptr<kube::KubeClient> client_;
};

TEST_F(ClusterStateTest, ReadinessWaitsForEveryExpectedNode) {
  fake_.fail_readyz(1);
  fake_.add_node({.name = "a"});
  int pauses = 0;
  auto cluster_state = state([&] {
    ++pauses;
    if (pauses == 1) fake_.add_node({.name = "b", .ready = false});
    if (pauses == 3) fake_.set_node_ready("b", true);
  });
  auto report = cluster_state.wait_ready({"a", "b"}, clock_.steady_now() + 10s);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ready);
  EXPECT_GE(pauses, 3);
  EXPECT_EQ(report->counts_by_state().at("ready"), 2);
}

TEST_F(ClusterStateTest, ReadinessReportsMissingAndUnreadyNodesAtTheDeadline) {
  fake_.add_node({.name = "a", .ready = false});
  auto report = state().wait_ready({"a", "b"}, clock_.steady_now() + 200ms);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->ready);
  EXPECT_EQ(report->missing, std::vector<std::string>{"b"});
  EXPECT_EQ(report->not_ready, std::vector<std::string>{"a"});
  EXPECT_EQ(report->counts_by_state().at("missing"), 1);
}

TEST_F(ClusterStateTest, AppliesTheCrdFirstAndTheRestOnceItIsEstablished) {
  // Long enough that even a slow first look (a loaded machine, a sanitizer) sees it pending.
  fake_.set_crd_establish_delay(1500ms);
  ASSERT_TRUE(state()
                  .apply_manifests(artifacts(), render::kHousekeeperManifests,
                                   clock_.steady_now() + 10s)
                  .ok());
  const auto log = fake_.request_log();
  const std::string crd = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/updates.housekeeper.io";
  const auto crd_applied = position(log, "PATCH " + crd);
  const auto namespace_applied = position(log, "PATCH /api/v1/namespaces/housekeeper-system");
  const auto update_applied = position(log, std::string("PATCH ") + kOperatorPath);
  ASSERT_LT(update_applied, static_cast<std::ptrdiff_t>(log.size()));
  EXPECT_LT(crd_applied, namespace_applied);
  EXPECT_LT(namespace_applied, update_applied);
  EXPECT_GE(fake_.requests_to("GET", crd), 2);  // waited for Established
  EXPECT_TRUE(fake_.has_object(
      "/apis/apps/v1/namespaces/housekeeper-system/deployments/housekeeper-operator-manager"));
  EXPECT_TRUE(fake_.has_object(
      "/apis/apps/v1/namespaces/housekeeper-system/daemonsets/housekeeper-controller-manager"));
}

TEST_F(ClusterStateTest, VersionBumpUpdatesTheUpdateAndTracksTheRolloutToCompletion) {
  add_cluster_nodes("v1.29.1", "NestOS 22.03-LTS-SP3.20240110");
  const auto deadline = clock_.steady_now() + 20s;
  ASSERT_TRUE(state().apply_manifests(artifacts(), render::kHousekeeperManifests, deadline).ok());
  cluster_.kubernetes.version = "v1.30.0";

  // Housekeeper's part, played by the test: one node at a time, control plane first.
  std::vector<std::string> order;
  for (const model::Node& node : model::expand_nodes(cluster_)) order.push_back(node.name);
  std::size_t step = 0;
  auto cluster_state = state([&] {
    if (step >= order.size() * 2) return;
    const std::string& node = order[step / 2];
    if (step % 2 == 0) {
      fake_.set_node_label(node, kube::kUpgradingLabel, " ");
    } else {
      fake_.set_node_versions(node, "v1.30.0", "NestOS 22.03-LTS-SP3.20240110");
      fake_.set_node_label(node, kube::kUpgradingLabel, "");
      fake_.set_node_label(node, kube::kUpgradeCompletedLabel, " ");
    }
    ++step;
  });
  const kube::DesiredVersions desired{.kubelet_version = "v1.30.0",
                                      .os_version = "22.03-LTS-SP3.20240110"};
  auto before = cluster_state.observe_rollout(desired);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->count(kube::NodeUpgradeState::kPending), static_cast<int>(order.size()));
  EXPECT_TRUE(before->nodes.front().control_plane);
  auto done = cluster_state.wait_rollout(desired, 5s, deadline);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_TRUE(done->complete);
  EXPECT_EQ(done->count(kube::NodeUpgradeState::kUpgraded), static_cast<int>(order.size()));
  EXPECT_EQ(step, order.size() * 2);
}

TEST_F(ClusterStateTest, AStuckNodeFailsTheRolloutNamingIt) {
  add_cluster_nodes("v1.29.1", "NestOS 22.03-LTS-SP3.20240110");
  fake_.set_node_label("prod-east-control-plane-1", kube::kUpgradingLabel, " ");
  auto result = state().wait_rollout({.kubelet_version = "v1.30.0"}, 200ms,
                                     clock_.steady_now() + 10s);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kTimeout);
  EXPECT_NE(result.error().message.find("prod-east-control-plane-1"), std::string::npos)
      << result.error().message;
}

TEST_F(ClusterStateTest, RolloutDeadlineNamesTheNodesLeft) {
  add_cluster_nodes("v1.29.1", "NestOS 22.03-LTS-SP3.20240110");
  fake_.set_node_versions("prod-east-control-plane-0", "v1.30.0", "x");
  auto result = state().wait_rollout({.kubelet_version = "v1.30.0"}, 10s,
                                     clock_.steady_now() + 200ms);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("prod-east-gpu-0 (pending)"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(result.error().message.find("prod-east-control-plane-0"), std::string::npos);
}

TEST_F(ClusterStateTest, DrainEvictsEveryPodBeforeDeletingTheNode) {
  const std::string node = "prod-east-workers-1";
  fake_.add_node({.name = node});
  fake_.add_pod("default", "web-1", node);
  fake_.add_pod("default", "web-2", node);
  fake_.add_pod("kube-system", "proxy", node, true);
  fake_.block_evictions(2);  // the budget allows nothing at first
  ASSERT_TRUE(state().drain(node, 10s).ok());
  const auto log = fake_.request_log();
  const auto cordon = position(log, "PATCH /api/v1/nodes/" + node);
  const auto delete_node = position(log, "DELETE /api/v1/nodes/" + node);
  ASSERT_LT(delete_node, static_cast<std::ptrdiff_t>(log.size()));
  for (const char* pod : {"web-1", "web-2"}) {
    const std::string eviction =
        std::string("POST /api/v1/namespaces/default/pods/") + pod + "/eviction";
    const auto evicted = position(log, eviction);
    EXPECT_LT(cordon, evicted) << pod;
    EXPECT_LT(evicted, delete_node) << pod;
  }
  EXPECT_EQ(fake_.requests_to("POST", "/api/v1/namespaces/kube-system/pods/proxy/eviction"), 0);
  EXPECT_FALSE(fake_.has_object("/api/v1/nodes/" + node));
}

TEST_F(ClusterStateTest, DrainThatABudgetBlocksKeepsTheNode) {
  const std::string node = "prod-east-workers-1";
  fake_.add_node({.name = node});
  fake_.add_pod("default", "db-0", node);
  fake_.block_evictions(1'000'000);
  auto status = state().drain(node, 300ms);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("db-0"), std::string::npos);
  EXPECT_TRUE(fake_.has_object("/api/v1/nodes/" + node));
  EXPECT_EQ(fake_.requests_to("DELETE", "/api/v1/nodes/" + node), 0);
}

TEST_F(ClusterStateTest, HandEditedOperatorIsDetectedAsDriftAndReapplied) {
  const auto rendered = artifacts();
  auto cluster_state = state();
  apply_all(cluster_state, rendered);
  auto clean = cluster_state.detect_drift(rendered);
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_TRUE(clean->empty()) << (*clean)[0].object.kind << " " << (*clean)[0].field;

  ASSERT_TRUE(fake_.edit_object(kOperatorPath, [](nlohmann::json& deployment) {
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = "hand-edited";
  }));
  auto drift = cluster_state.correct_drift(rendered);
  ASSERT_TRUE(drift.ok()) << drift.error().message;
  ASSERT_EQ(drift->size(), 1u);
  EXPECT_EQ((*drift)[0].object.kind, "Deployment");
  EXPECT_EQ((*drift)[0].field, "spec.template.spec.containers[0].image");
  EXPECT_EQ((*fake_.object(kOperatorPath))["spec"]["template"]["spec"]["containers"][0]["image"],
            "hub.oepkgs.net/nestos/housekeeper/amd64/housekeeper-operator-manager:0.1.0");
  auto after = cluster_state.detect_drift(rendered);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST_F(ClusterStateTest, HandEditedNetworkPluginIsDetectedAsDriftAndReapplied) {
  const auto rendered = artifacts();
  auto cluster_state = state();
  apply_all(cluster_state, rendered);
  const std::string calico_node = "/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node";
  ASSERT_TRUE(fake_.edit_object(calico_node, [](nlohmann::json& daemonset) {
    daemonset["spec"]["template"]["spec"]["containers"][0]["image"] = "hand-edited";
  }));
  auto drift = cluster_state.correct_drift(rendered);
  ASSERT_TRUE(drift.ok()) << drift.error().message;
  ASSERT_EQ(drift->size(), 1u);
  EXPECT_EQ((*drift)[0].object.name, "calico-node");
  EXPECT_NE((*fake_.object(calico_node))["spec"]["template"]["spec"]["containers"][0]["image"],
            "hand-edited");
}

TEST_F(ClusterStateTest, DeletedHousekeeperObjectIsReportedMissing) {
  const auto rendered = artifacts();
  auto cluster_state = state();
  apply_all(cluster_state, rendered);
  const std::string daemonset =
      "/apis/apps/v1/namespaces/housekeeper-system/daemonsets/housekeeper-controller-manager";
  ASSERT_TRUE(fake_.remove_object(daemonset));
  auto drift = cluster_state.detect_drift(rendered);
  ASSERT_TRUE(drift.ok()) << drift.error().message;
  ASSERT_EQ(drift->size(), 1u);
  EXPECT_EQ((*drift)[0].object.kind, "DaemonSet");
  EXPECT_EQ((*drift)[0].reason, "missing from the cluster");
  ASSERT_TRUE(cluster_state.correct_drift(rendered).ok());
  EXPECT_TRUE(fake_.has_object(daemonset));
}

// A cluster as the first control-plane node leaves it: nothing granted but what its bring-up
// files install.
class BringUpAccessTest : public ClusterStateTest {
 protected:
  BringUpAccessTest() : ClusterStateTest(/*granted=*/false) {}

  // The RBAC objects in the init node's bring-up folder (what its first boot applies).
  static std::vector<housekeeper::Manifest> bring_up_access(const render::ClusterRender& rendered) {
    const std::string folder = std::string(ignition::kBringUpDir) + "/access/";
    std::vector<housekeeper::Manifest> access;
    for (const auto& [path, file] :
         testing::ignition_files(nlohmann::json::parse(rendered.nodes.front().ignition))) {
      if (path.starts_with(folder)) access.push_back({.file_name = path, .yaml = file.contents});
    }
    return access;
  }
};

TEST_F(BringUpAccessTest, InitNodesAccessLetsNkdApplyTheNetworkPluginAndHousekeeper) {
  for (const model::NetworkPlugin plugin : {model::NetworkPlugin::kCalico, model::NetworkPlugin::kFlannel}) {
    cluster_.kubernetes.network_plugin = plugin;
    const render::ClusterRender rendered = render::render_cluster(cluster_, pki_, render::RenderOptions{});
    const auto access = bring_up_access(rendered);
    ASSERT_EQ(access.size(), 4u) << model::to_string(plugin);
    fake_.grant(access);
    const auto deadline = clock_.steady_now() + 10s;
    for (const std::string_view folder : {render::kNetworkManifests, render::kHousekeeperManifests}) {
      const Status applied = state().apply_manifests(rendered.artifacts, folder, deadline);
      ASSERT_TRUE(applied.ok()) << model::to_string(plugin) << " " << folder << ": "
                                << applied.error().message;
    }
    EXPECT_GT(kube::manifests_in(rendered.artifacts, render::kNetworkManifests).size(), 5u);
    auto drift = state().detect_drift(rendered.artifacts);
    ASSERT_TRUE(drift.ok()) << drift.error().message;
    EXPECT_TRUE(drift->empty()) << model::to_string(plugin);
  }
}

TEST_F(BringUpAccessTest, BeforeBringUpNkdIsRefusedTheNetworkPlugin) {
  const auto artifacts = render::render_cluster(cluster_, pki_, render::RenderOptions{}).artifacts;
  const Status applied = state().apply_manifests(artifacts, render::kNetworkManifests,
                                                 clock_.steady_now() + 10s);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, ErrorCode::kPermissionDenied) << applied.error().message;
}

}  // namespace
}  // namespace nkd
