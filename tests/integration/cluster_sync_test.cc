// The reconciler following clusters into their Kubernetes API (clusterAccess: direct, issue #6):
// a real Reconciler, SQLite state file, ClusterSync and curl client against FakeKubeApi (the
// fake API server in tests/fakes/, over mutual TLS with the cluster's own certificates, reached
// through an apiServers entry). The infrastructure provider is a recorder that keeps machines in
// memory, so what is tested is the cluster step: readiness, housekeeper, rollout, drain, drift,
// trust.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "common/crypto.h"
#include "common/curl_http_client.h"
#include "providers/baremetal/baremetal_provider.h"
#include "providers/kube/kube_client.h"
#include "reconcile/reconciler.h"
#include "render/housekeeper/nkd_access.h"
#include "state/sqlite_state_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_api.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::reconcile {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUpdatePath =
    "/apis/housekeeper.io/v1alpha1/namespaces/housekeeper-system/updates/housekeeper-upgrade";
constexpr const char* kOperatorPath =
    "/apis/apps/v1/namespaces/housekeeper-system/deployments/housekeeper-operator-manager";
constexpr const char* kCrdPath =
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/updates.housekeeper.io";

// Machines in memory; logs "delete <node>" when a surplus machine goes, after the drain hook.
class RecordingProvider final : public providers::InfrastructureProvider {
 public:
  std::string name() const override { return "recording"; }
  Result<providers::ApplyOutcome> apply(const model::Cluster&, const render::ClusterRender& render,
                                        const providers::ApplyHooks& hooks) override {
    std::set<std::string> wanted;
    for (const auto& node : render.nodes) wanted.insert(node.node.name);
    std::vector<std::string> surplus;
    {
      std::lock_guard lock(mutex_);
      for (const auto& machine : machines_) {
        if (!wanted.contains(machine)) surplus.push_back(machine);
      }
    }
    std::sort(surplus.rbegin(), surplus.rend());
    for (const auto& node : surplus) {
      if (hooks.before_delete) {
        if (Status drained = hooks.before_delete(node); !drained) return drained.error();
      }
      std::lock_guard lock(mutex_);
      machines_.erase(node);
      log_.push_back("delete " + node);
    }
    providers::ApplyOutcome outcome{.complete = true, .message = "recorded"};
    std::lock_guard lock(mutex_);
    for (const auto& node : render.nodes) {
      machines_.insert(node.node.name);
      outcome.nodes.push_back({.name = node.node.name,
                               .pool = node.node.pool,
                               .role = model::to_string(node.node.role),
                               .provider_id = "m-" + node.node.name,
                               .config_digest = node.ignition_sha256,
                               .state = nkd::state::NodeState::kProvisioned});
    }
    return outcome;
  }
  Result<std::vector<providers::ObservedNode>> observe(const std::string&) override { return std::vector<providers::ObservedNode>{}; }
  Status remove(const std::string&) override { return ok_status(); }
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> machines_;
  std::vector<std::string> log_;
};

class ClusterSyncTest : public ::testing::Test {
 protected:
  ClusterSyncTest() : cluster_(testing::openstack_cluster()), pki_(testing::make_real_pki(cluster_)) {
    auto opened = state::open_sqlite_state_store((scratch_.path() / "state.db").string());
    EXPECT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    EXPECT_TRUE(store_->save_pki(cluster_.name, pki::to_json(pki_).dump()).ok());
  }
  ~ClusterSyncTest() override {
    // A worker may be asleep on the fake clock in the middle of a step.
    if (reconciler_) {
      EXPECT_TRUE(clock_.run_while([&] { reconciler_->stop(); }));
    }
  }

  // Starts the reconciler against `fake`, which authorizes nkd by the RBAC bring-up installs.
  void start(testing::FakeKubeApi& fake, std::int64_t stall_ms = 600'000) {
    fake.grant(housekeeper::nkd_access_manifests(cluster_));
    start_at(fake.port(), stall_ms);
  }
  // Starts the reconciler with the cluster's API at 127.0.0.1:`port`.
  void start_at(int port, std::int64_t stall_ms = 600'000) {
    sync_ = std::make_unique<ClusterSync>(
        *store_, http_, clock_, &metrics_,
        ClusterSyncOptions{.ready_timeout_ms = 600'000,
                           .rollout_stall_ms = stall_ms,
                           .establish_timeout_ms = 5'000,
                           .api_servers = {{cluster_.name, "127.0.0.1:" + std::to_string(port)}},
                           .client = kube::KubeClientOptions{.retry = RetryPolicy{.max_attempts = 2, .base_delay_ms = 10},
                                                             .eviction_retry_ms = 20},
                           .poll_interval_ms = 20});
    reconciler_ = std::make_unique<Reconciler>(
        *store_, bare_metal_, &provider_, metrics_, clock_,
        ReconcilerOptions{.workers = 2, .retry_base_ms = 50, .retry_cap_ms = 200,
                          .resync_interval_ms = 600'000, .incomplete_requeue_ms = 50,
                          .cluster_access = ClusterAccess::kDirect});
    reconciler_->set_cluster_sync(sync_.get());
    // As the daemon wires it: the init node's config (bring-up manifests) is too large for
    // user_data, so its pointer's target is published first.
    reconciler_->set_pointer_publisher(
        [this](const model::Cluster& cluster, const render::ClusterRender& render) {
          return pointer_targets_.publish_for_pointers(cluster, render);
        });
    reconciler_->start();
  }

  void submit(const model::Cluster& cluster, const std::string& revision) {
    auto render = std::make_shared<const render::ClusterRender>(
        render::render_cluster(cluster, pki_, render::RenderOptions{}));
    reconciler_->submit(DesiredCluster{
        .cluster = cluster,
        .render = [render]() -> Result<std::shared_ptr<const render::ClusterRender>> { return render; },
        .commit = source::CommitInfo{.id = revision, .author = "Ops", .committed_at_unix = 1'700'000'000},
        .fetched_at_ms = 1});
  }

  void add_nodes(testing::FakeKubeApi& fake, const model::Cluster& cluster, bool ready = true) {
    for (const model::Node& node : model::expand_nodes(cluster)) {
      testing::FakeNode fake_node{.name = node.name, .ready = ready};
      if (node.role == model::PoolRole::kControlPlane) fake_node.labels[kube::kControlPlaneLabel] = "";
      fake.add_node(fake_node);
    }
  }

  state::ClusterRecord record() {
    auto found = store_->get_cluster(cluster_.name);
    return found.ok() && found->has_value() ? **found : state::ClusterRecord{};
  }
  // Lets the fake clock run (requeues, polls, retries) until `done()`, for at most `timeout`
  // of real time.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 30s) {
    return clock_.run_until(done, timeout);
  }
  bool wait_for(const std::function<bool(const state::ClusterRecord&)>& test,
                std::chrono::milliseconds timeout = 30s) {
    return run_until([&] { return test(record()); }, timeout);
  }
  // Lets `count` more looks at the cluster happen (each asks the API whether it is ready).
  void let_it_look(testing::FakeKubeApi& fake, int count) {
    const int before = fake.requests_to("GET", "/readyz");
    ASSERT_TRUE(
        run_until([&] { return fake.requests_to("GET", "/readyz") >= before + count; }, 30s));
  }
  bool wait_phase(const std::string& phase, std::chrono::milliseconds timeout = 30s) {
    return wait_for([&](const auto& found) { return state::to_string(found.phase) == phase; },
                    timeout);
  }
  std::vector<state::HistoryRow> history() { return store_->history(cluster_.name, 0).value(); }
  bool metric(const std::string& line) { return metrics_.serialize().find(line) != std::string::npos; }

  testing::ScratchDir scratch_;
  model::Cluster cluster_;
  pki::ClusterPki pki_;
  std::unique_ptr<state::StateStore> store_;
  metrics::Metrics metrics_{"test"};
  // Starts at the real time: the certificates it dates are checked by OpenSSL against that.
  testing::FakeClock clock_{SystemClock().now_unix_ms()};
  CurlHttpClient http_{testing::loopback_only()};
  RecordingProvider provider_;
  RecordingProvider bare_metal_;
  providers::BareMetalProvider pointer_targets_;
  std::unique_ptr<ClusterSync> sync_;
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ClusterSyncTest, AppliedIsRecordedOnlyOnceEveryNodeIsReady) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  fake.set_node_ready("prod-east-workers-1", false);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kWaitingForCluster &&
           found.applied_revision == "rev1";
  }));
  let_it_look(fake, 6);  // several more looks: still waiting, nothing recorded
  EXPECT_EQ(record().phase, nkd::state::ClusterPhase::kWaitingForCluster);
  EXPECT_FALSE(record().ready);
  ASSERT_EQ(history().size(), 1u);
  EXPECT_EQ(history()[0].outcome, state::Outcome::kPending);
  EXPECT_TRUE(metric("nkd_cluster_ready{cluster=\"prod-east\"} 0"));
  EXPECT_TRUE(metric("nkd_cluster_nodes{cluster=\"prod-east\",state=\"NotReady\"} 1"));
  EXPECT_FALSE(fake.has_object(kUpdatePath)) << "housekeeper waits for a ready cluster";

  fake.set_node_ready("prod-east-workers-1", true);
  ASSERT_TRUE(wait_phase("Ready"));
  // The metrics follow the record in the same step.
  ASSERT_TRUE(run_until([&] { return metric("nkd_cluster_ready{cluster=\"prod-east\"} 1"); }));
  const auto found = record();
  EXPECT_TRUE(found.ready);
  EXPECT_EQ(found.cluster_revision, "rev1");
  ASSERT_EQ(history().size(), 1u);
  EXPECT_EQ(history()[0].outcome, state::Outcome::kApplied);
  EXPECT_TRUE(fake.has_object(kCrdPath));
  EXPECT_FALSE(fake.has_object(kUpdatePath))
      << "nodes at the definition's versions get no Update (it would rebase and reboot each)";
  for (const char* node : {"prod-east-control-plane-0", "prod-east-control-plane-2"}) {
    const auto labels = fake.object(std::string("/api/v1/nodes/") + node)->at("metadata").at("labels");
    EXPECT_TRUE(labels.contains("node-role.kubernetes.io/master")) << node;
  }
  EXPECT_FALSE(fake.object("/api/v1/nodes/prod-east-workers-0")
                   ->at("metadata").at("labels").contains("node-role.kubernetes.io/master"));
  for (const auto& request : fake.requests()) EXPECT_NE(request.status, 403) << request.path;
  EXPECT_TRUE(metric("nkd_cluster_ready{cluster=\"prod-east\"} 1"));
  EXPECT_TRUE(metric("nkd_cluster_nodes{cluster=\"prod-east\",state=\"Ready\"} 6"));
  EXPECT_TRUE(metric("nkd_cluster_nodes{cluster=\"prod-east\",state=\"NotReady\"} 0"));
  const auto nodes = store_->nodes(cluster_.name).value();
  ASSERT_EQ(nodes.size(), 6u);
  EXPECT_EQ(nodes[0].kubelet_version, "v1.29.1");
}

// Plays housekeeper's part for `nodes`: the operator labels a node upgrading, the daemon brings
// it to the new versions, the controller swaps the label for upgradeCompleted; at the end the
// operator removes every upgradeCompleted label.
// `clock` runs while the daemon takes each step.
void play_housekeeper(testing::FakeClock& clock, testing::FakeKubeApi& fake,
                      state::StateStore& store, const std::string& cluster,
                      const std::vector<std::string>& nodes, const std::string& kubelet,
                      const std::string& os_image) {
  for (const std::string& node : nodes) {
    fake.set_node_label(node, kube::kUpgradingLabel, " ");
    ASSERT_TRUE(clock.run_until([&] {
      const std::vector<state::NodeRecord> records = store.nodes(cluster).value();
      return std::any_of(records.begin(), records.end(), [&](const auto& n) {
        return n.name == node && n.state == nkd::state::NodeState::kUpgrading;
      });
    }, 10s)) << node;
    fake.set_node_versions(node, kubelet, os_image);
    fake.set_node_label(node, kube::kUpgradingLabel, "");
    fake.set_node_label(node, kube::kUpgradeCompletedLabel, " ");
  }
  for (const std::string& node : nodes) fake.set_node_label(node, kube::kUpgradeCompletedLabel, "");
}

std::vector<std::string> node_names(const model::Cluster& cluster) {
  std::vector<std::string> names;
  for (const model::Node& node : model::expand_nodes(cluster)) names.push_back(node.name);
  return names;
}

TEST_F(ClusterSyncTest, NetworkPluginIsAppliedAsSoonAsTheApiAnswers) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_, /*ready=*/false);  // no node is Ready without a network plugin
  start(fake);
  submit(cluster_, "rev1");
  const std::string calico_node = "/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node";
  ASSERT_TRUE(run_until([&] { return fake.has_object(calico_node); }, 10s));
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  EXPECT_FALSE(fake.has_object(kCrdPath)) << "housekeeper waits for a ready cluster";
  const int applies = fake.requests_to("PATCH", calico_node);
  let_it_look(fake, 6);  // more looks: the unchanged plugin is not applied again
  EXPECT_EQ(fake.requests_to("PATCH", calico_node), applies);
  for (const model::Node& node : model::expand_nodes(cluster_)) fake.set_node_ready(node.name, true);
  ASSERT_TRUE(wait_phase("Ready"));
}

TEST_F(ClusterSyncTest, RefusedNkdInstallsItsAccessOnceWithAShortLivedAdminCertificate) {
  testing::FakeKubeApi fake(pki_, cluster_);  // no access: before bring-up, or an older cluster
  add_nodes(fake, cluster_, /*ready=*/false);
  start_at(fake.port());
  submit(cluster_, "rev1");
  const std::string calico_node = "/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node";
  ASSERT_TRUE(run_until([&] { return fake.has_object(calico_node); }, 10s))
      << record().last_error;
  EXPECT_TRUE(fake.has_object(
      "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/nkd:controller"));
  std::set<std::string> admin_paths;
  for (const auto& request : fake.requests()) {
    if (request.client_common_name == kAccessInstallerName) admin_paths.insert(request.path);
  }
  for (const std::string& path : admin_paths) {
    EXPECT_NE(path.find("/apis/rbac.authorization.k8s.io/"), std::string::npos)
        << "the admin certificate installs nkd's RBAC and nothing else: " << path;
  }
  EXPECT_EQ(admin_paths.size(), 4u);
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  EXPECT_EQ(fake.requests_to("PATCH", calico_node), 1);
}

TEST_F(ClusterSyncTest, AccessRemovedByHandIsInstalledAgainForTheNextRender) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));
  const std::string binding = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/nkd:controller";
  ASSERT_TRUE(fake.remove_object(binding));
  model::Cluster changed = cluster_;
  changed.upgrade.max_unavailable = 2;  // a new render: the next step reaches the cluster again
  submit(changed, "rev2");
  ASSERT_TRUE(run_until([&] { return fake.has_object(binding); }, 10s)) << record().last_error;
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kReady && found.cluster_revision == "rev2";
  }));
}

TEST_F(ClusterSyncTest, JoinTokenIsPublishedAsABootstrapTokenSecretWithItsExpiration) {
  testing::FakeKubeApi fake(pki_, cluster_);
  start(fake);
  const pki::ClusterPki renewed = pki::with_new_bootstrap_token(pki_, 1'800'000'000);
  const std::int64_t expires = 1'800'000'000 + 86'400;
  const Status published = sync_->publish_join_token(cluster_, renewed, expires);
  ASSERT_TRUE(published.ok()) << published.error().message;
  const auto secret = fake.object("/api/v1/namespaces/kube-system/secrets/bootstrap-token-" +
                                  renewed.bootstrap_token_id);
  ASSERT_TRUE(secret.has_value()) << "nkd's Role in kube-system lets it create the token";
  EXPECT_EQ(secret->at("type"), "bootstrap.kubernetes.io/token");
  const nlohmann::json& data = secret->at("data");
  EXPECT_EQ(data.at("token-id"), base64_encode(renewed.bootstrap_token_id));
  EXPECT_EQ(data.at("token-secret"), base64_encode(renewed.bootstrap_token_secret.reveal()));
  EXPECT_EQ(data.at("expiration"), base64_encode("2027-01-16T08:00:00Z"));
}

TEST_F(ClusterSyncTest, KubernetesUpgradeSetsKubeVersionAndFollowsTheRollout) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));

  model::Cluster bumped = cluster_;
  bumped.kubernetes.version = "v1.29.2";
  bumped.os.image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP3-k8s1.29.2";
  submit(bumped, "rev2");
  ASSERT_TRUE(wait_phase("Upgrading"));
  const auto spec = fake.object(kUpdatePath)->at("spec");
  EXPECT_EQ(spec.at("kubeVersion"), "v1.29.2");
  EXPECT_EQ(spec.at("osImageURL"), bumped.os.image_url);
  EXPECT_EQ(spec.size(), 4u);
  EXPECT_EQ(history()[0].outcome, state::Outcome::kPending);

  play_housekeeper(clock_, fake, *store_, cluster_.name, node_names(cluster_), "v1.29.2",
                   "NestOS For Container 22.03-LTS-SP3.20240110");
  ASSERT_TRUE(wait_phase("Ready"));
  EXPECT_EQ(record().cluster_revision, "rev2");
  EXPECT_EQ(history()[0].outcome, state::Outcome::kApplied);
  EXPECT_EQ(history()[0].revision, "rev2");
  EXPECT_EQ(fake.object(kUpdatePath)->at("spec").at("kubeVersion"), "v1.29.2")
      << "kept while the nodes run it, so housekeeper's stamps stay what it checks";
  const std::vector<state::NodeRecord> nodes = store_->nodes(cluster_.name).value();
  for (const auto& node : nodes) EXPECT_EQ(node.kubelet_version, "v1.29.2") << node.name;

  // A later OS-only upgrade: housekeeper must check the OS stamps, not the Kubernetes ones that
  // every node already has (it would skip them all).
  model::Cluster os_only = bumped;
  os_only.os.version = "22.03-LTS-SP3.20240301";
  os_only.os.image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP3.20240301";
  submit(os_only, "rev3");
  ASSERT_TRUE(wait_phase("Upgrading"));
  EXPECT_EQ(fake.object(kUpdatePath)->at("spec").at("kubeVersion"), "");
  EXPECT_EQ(fake.object(kUpdatePath)->at("spec").at("osImageURL"), os_only.os.image_url);
}

TEST_F(ClusterSyncTest, OsOnlyUpgradeLeavesKubeVersionEmpty) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));

  model::Cluster bumped = cluster_;
  bumped.os.version = "22.03-LTS-SP3.20240301";
  bumped.os.image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP3.20240301";
  submit(bumped, "rev2");
  ASSERT_TRUE(wait_phase("Upgrading"));
  EXPECT_EQ(fake.object(kUpdatePath)->at("spec").at("kubeVersion"), "")
      << "housekeeper checks the Kubernetes stamp instead of the OS one whenever it is set";
  EXPECT_EQ(fake.object(kUpdatePath)->at("spec").at("osImageURL"), bumped.os.image_url);
  play_housekeeper(clock_, fake, *store_, cluster_.name, node_names(cluster_), "v1.29.1",
                   "NestOS For Container 22.03-LTS-SP3.20240301");
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kReady && found.cluster_revision == "rev2";
  }));
}

// Every day from `from_now` (whole minutes, UTC) for `hours`: closed or open at `clock`'s time.
MaintenanceWindow daily_window_from_now(const Clock& clock, std::chrono::minutes from_now,
                                        int hours) {
  const std::int64_t minute_of_day =
      (clock.now_unix_ms() / 60'000 + from_now.count()) % (24 * 60);
  return MaintenanceWindow{.start_minute = static_cast<int>((minute_of_day + 24 * 60) % (24 * 60)),
                           .duration_ms = hours * 3'600'000LL};
}

TEST_F(ClusterSyncTest, UpgradeStartsOnlyInsideAMaintenanceWindow) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));

  model::Cluster bumped = cluster_;
  bumped.os.version = "22.03-LTS-SP3.20240301";
  bumped.os.image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP3.20240301";
  bumped.maintenance_windows =
      std::vector<MaintenanceWindow>{daily_window_from_now(clock_, 12h, 1)};
  submit(bumped, "rev2");
  ASSERT_TRUE(wait_phase("WaitingForWindow"));
  EXPECT_FALSE(fake.has_object(kUpdatePath)) << "no Update, so housekeeper starts nothing";
  const auto waiting = store_->get_cluster(cluster_.name).value().value();
  EXPECT_NE(waiting.phase_message.find("the upgrade of the OS only (kubeVersion empty) waits for a "
                                       "maintenance window"),
            std::string::npos) << waiting.phase_message;

  bumped.maintenance_windows =
      std::vector<MaintenanceWindow>{daily_window_from_now(clock_, -60min, 3)};
  submit(bumped, "rev3");
  ASSERT_TRUE(wait_phase("Upgrading"));
  EXPECT_EQ(fake.object(kUpdatePath)->at("spec").at("osImageURL"), bumped.os.image_url);
}

TEST_F(ClusterSyncTest, NodeHousekeeperFinishedBelowTheVersionsFailsTheClusterAtOnce) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));
  model::Cluster bumped = cluster_;
  bumped.kubernetes.version = "v1.29.2";
  submit(bumped, "rev2");
  ASSERT_TRUE(wait_phase("Upgrading"));
  // The daemon found its stamp and did nothing; the controller still marked the node done.
  fake.set_node_label("prod-east-workers-0", kube::kUpgradeCompletedLabel, " ");
  ASSERT_TRUE(wait_phase("Failed"));
  EXPECT_NE(record().last_error.find("prod-east-workers-0"), std::string::npos) << record().last_error;
  EXPECT_NE(record().last_error.find("stamp"), std::string::npos) << record().last_error;
}

TEST_F(ClusterSyncTest, CompletedLabelLeftFromTheLastRolloutIsNotTakenForASkip) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  // The operator has not cleared the labels of the last rollout yet.
  for (const std::string& node : node_names(cluster_)) {
    fake.set_node_label(node, kube::kUpgradeCompletedLabel, " ");
  }
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));
  model::Cluster bumped = cluster_;
  bumped.os.version = "22.03-LTS-SP3.20240301";
  bumped.os.image_url = "registry.example.org/nestos/nestos:22.03-LTS-SP3.20240301";
  submit(bumped, "rev2");
  ASSERT_TRUE(wait_phase("Upgrading"));
  let_it_look(fake, 2);  // more looks (each takes seconds: it checks every object for drift)
  EXPECT_EQ(record().phase, nkd::state::ClusterPhase::kUpgrading) << record().last_error;
  for (const std::string& node : node_names(cluster_)) {
    fake.set_node_label(node, kube::kUpgradeCompletedLabel, "");  // the operator catches up
  }
  play_housekeeper(clock_, fake, *store_, cluster_.name, node_names(cluster_), "v1.29.1",
                   "NestOS For Container 22.03-LTS-SP3.20240301");
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kReady && found.cluster_revision == "rev2";
  }));
}

TEST_F(ClusterSyncTest, StuckNodeFailsTheClusterNamingIt) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake, /*stall_ms=*/1'500);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));
  model::Cluster bumped = cluster_;
  bumped.kubernetes.version = "v1.29.2";
  submit(bumped, "rev2");
  ASSERT_TRUE(wait_phase("Upgrading"));
  fake.set_node_label("prod-east-control-plane-0", kube::kUpgradingLabel, " ");
  // Once a look has seen the node upgrading, its stall bound passes on the clock.
  ASSERT_TRUE(run_until([&] {
    const std::vector<state::NodeRecord> nodes = store_->nodes(cluster_.name).value();
    return std::any_of(nodes.begin(), nodes.end(), [](const auto& node) {
      return node.name == "prod-east-control-plane-0" &&
             node.state == nkd::state::NodeState::kUpgrading;
    });
  }));
  clock_.advance(1'600ms);
  ASSERT_TRUE(wait_phase("Failed", 15s));
  EXPECT_NE(record().last_error.find("prod-east-control-plane-0"), std::string::npos) << record().last_error;
  EXPECT_NE(record().last_error.find("stalled"), std::string::npos);
  EXPECT_EQ(history()[0].outcome, state::Outcome::kFailed);
  EXPECT_EQ(record().cluster_revision, "rev1");
  const auto nodes = store_->nodes(cluster_.name).value();
  ASSERT_EQ(nodes.size(), 6u) << "a failed cluster still lists its machines";
  const auto stuck = std::find_if(nodes.begin(), nodes.end(), [](const state::NodeRecord& node) {
    return node.name == "prod-east-control-plane-0";
  });
  ASSERT_NE(stuck, nodes.end());
  EXPECT_EQ(stuck->state, nkd::state::NodeState::kUpgrading)
      << "as the cluster showed it when the rollout stalled";
}

TEST_F(ClusterSyncTest, ApiThatStopsAnsweringAfterReadinessIsWaitedForNotFailed) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  fake.set_method_unavailable("PATCH", true);  // the housekeeper apply meets a 503
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kWaitingForCluster &&
           found.applied_revision == "rev1";
  }));
  let_it_look(fake, 6);  // several more looks, each meeting the 503
  EXPECT_EQ(record().phase, nkd::state::ClusterPhase::kWaitingForCluster);
  ASSERT_EQ(history().size(), 1u);
  EXPECT_EQ(history()[0].outcome, state::Outcome::kPending) << history()[0].message;
  EXPECT_EQ(store_->nodes(cluster_.name).value().size(), 6u);

  fake.set_method_unavailable("PATCH", false);
  ASSERT_TRUE(wait_phase("Ready"));
  EXPECT_EQ(history()[0].outcome, state::Outcome::kApplied);
  EXPECT_TRUE(fake.has_object(kOperatorPath));
}

TEST_F(ClusterSyncTest, ScaleDownDrainsTheNodeBeforeTheProviderDeletesIt) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  fake.add_pod("default", "web-0", "prod-east-workers-1");
  fake.block_evictions(2);  // a PodDisruptionBudget holds the eviction for a moment
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));

  model::Cluster smaller = cluster_;
  smaller.pools[1].replicas = 1;  // workers: 2 -> 1 removes prod-east-workers-1
  submit(smaller, "rev2");
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kReady && found.cluster_revision == "rev2";
  }));
  const auto requests = fake.request_log();
  const auto eviction = std::find(requests.begin(), requests.end(),
                                  "POST /api/v1/namespaces/default/pods/web-0/eviction");
  const auto node_deleted = std::find(requests.begin(), requests.end(), "DELETE /api/v1/nodes/prod-east-workers-1");
  ASSERT_NE(eviction, requests.end());
  ASSERT_NE(node_deleted, requests.end());
  EXPECT_LT(eviction, node_deleted);
  EXPECT_EQ(std::count(requests.begin(), requests.end(), *eviction), 3) << "two 429s, then the eviction";
  EXPECT_EQ(provider_.log(), std::vector<std::string>{"delete prod-east-workers-1"});
  EXPECT_FALSE(fake.has_object("/api/v1/nodes/prod-east-workers-1"));
}

TEST_F(ClusterSyncTest, ClusterNeverReadyLosesMachinesWithoutADrainWhenItsApiIsDown) {
  start_at(testing::free_port());  // nothing listens: the API server never came up
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kWaitingForCluster &&
           found.applied_revision == "rev1";
  }));
  model::Cluster smaller = cluster_;
  smaller.pools[1].replicas = 1;
  submit(smaller, "rev2");
  ASSERT_TRUE(wait_for([](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kWaitingForCluster &&
           found.applied_revision == "rev2";
  }));
  EXPECT_EQ(provider_.log(), std::vector<std::string>{"delete prod-east-workers-1"})
      << "a cluster that never came up must stay repairable from Git";
}

TEST_F(ClusterSyncTest, ClusterThatWasReadyKeepsTheMachineWhileItsApiCannotDrainIt) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));
  fake.set_method_unavailable("PATCH", true);  // the cordon meets a 503
  model::Cluster smaller = cluster_;
  smaller.pools[1].replicas = 1;
  submit(smaller, "rev2");
  ASSERT_TRUE(wait_phase("Failed"));
  EXPECT_NE(record().last_error.find("prod-east-workers-1"), std::string::npos) << record().last_error;
  EXPECT_TRUE(provider_.log().empty()) << "no delete without its drain";

  fake.set_method_unavailable("PATCH", false);
  ASSERT_TRUE(wait_for(
      [](const auto& found) {
        return found.phase == nkd::state::ClusterPhase::kReady && found.cluster_revision == "rev2";
      },
      15s));
  EXPECT_EQ(provider_.log(), std::vector<std::string>{"delete prod-east-workers-1"});
}

TEST_F(ClusterSyncTest, HandEditedOperatorIsReappliedUnderDriftPolicyCorrect) {
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));
  ASSERT_TRUE(fake.edit_object(kOperatorPath, [](nlohmann::json& deployment) { deployment["spec"]["replicas"] = 3; }));
  submit(cluster_, "rev1");  // what the resync does
  ASSERT_TRUE(run_until([&] {
    return history()[0].message.find("corrected drift: Deployment/housekeeper-operator-manager spec.replicas") != std::string::npos;
  }, 10s)) << history()[0].message;
  EXPECT_EQ(fake.object(kOperatorPath)->at("spec").at("replicas"), 1);
  EXPECT_TRUE(metric("nkd_cluster_drift{cluster=\"prod-east\"} 1"));
  EXPECT_EQ(record().phase, nkd::state::ClusterPhase::kReady);
}

TEST_F(ClusterSyncTest, DriftPolicyReportLeavesTheEditAndSaysSo) {
  cluster_.drift_policy = model::DriftPolicy::kReport;
  testing::FakeKubeApi fake(pki_, cluster_);
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Ready"));
  ASSERT_TRUE(fake.edit_object(kOperatorPath, [](nlohmann::json& deployment) { deployment["spec"]["replicas"] = 3; }));
  submit(cluster_, "rev1");
  // The attempt that found the drift has ended once its outcome names it.
  ASSERT_TRUE(run_until([&] {
    return history()[0].message.find("drift (driftPolicy: report)") != std::string::npos;
  })) << history()[0].message;
  EXPECT_TRUE(metric("nkd_cluster_drift{cluster=\"prod-east\"} 1"));
  EXPECT_EQ(fake.object(kOperatorPath)->at("spec").at("replicas"), 3);
  EXPECT_EQ(record().phase, nkd::state::ClusterPhase::kReady);
}

TEST_F(ClusterSyncTest, RefusesAnApiServerWhoseCertificateIsNotTheClusterCa) {
  const pki::ClusterPki impostor = testing::make_real_pki(testing::openstack_cluster("prod-east"));
  testing::FakeKubeApi fake(impostor, cluster_);  // same names, another CA
  add_nodes(fake, cluster_);
  start(fake);
  submit(cluster_, "rev1");
  ASSERT_TRUE(wait_phase("Failed"));
  const std::string error = record().last_error;
  EXPECT_NE(error.find("prod-east"), std::string::npos) << error;
  EXPECT_TRUE(fake.request_log().empty()) << "no request may pass an untrusted TLS handshake";
  EXPECT_FALSE(record().ready);
  EXPECT_EQ(history()[0].outcome, state::Outcome::kFailed);
}

}  // namespace
}  // namespace nkd::reconcile
