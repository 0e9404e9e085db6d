// Rollout waves with clusterAccess: direct: a real Reconciler, SQLite state file and ClusterSync
// against two FakeKubeApi servers (one per cluster, over mutual TLS with each cluster's own
// certificates, reached through apiServers entries). The wave-1 cluster waits (WaitingForWave)
// while a node of the wave-0 cluster is not Ready, and goes once it is.
#include <gtest/gtest.h>

#include "common/curl_http_client.h"
#include "providers/kube/kube_client.h"
#include "reconcile/reconciler.h"
#include "render/housekeeper/nkd_access.h"
#include "state/sqlite_state_store.h"
#include "tests/fakes/fake_kube_api.h"
#include "tests/support/render_fixtures.h"
#include "tests/support/scripted_provider.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::reconcile {
namespace {

using namespace std::chrono_literals;


// One cluster of the rollout: its definition (with its wave), PKI and API server.
struct WaveCluster {
  explicit WaveCluster(const std::string& name, int wave)
      : model(with_wave(testing::openstack_cluster(name), wave)),
        pki(testing::make_real_pki(model)),
        api(pki, model) {
    api.grant(housekeeper::nkd_access_manifests(model));
    for (const model::Node& node : model::expand_nodes(model)) {
      testing::FakeNode fake_node{.name = node.name, .ready = true};
      if (node.role == model::PoolRole::kControlPlane)
        fake_node.labels[kube::kControlPlaneLabel] = "";
      api.add_node(fake_node);
    }
  }
  static model::Cluster with_wave(model::Cluster cluster, int wave) {
    cluster.wave = wave;
    return cluster;
  }
  DesiredCluster desired(const std::string& revision) const {
    auto render = std::make_shared<const render::ClusterRender>(
        render::render_cluster(model, pki, render::RenderOptions{}));
    return DesiredCluster{
        .cluster = model,
        .render = [render]() -> Result<std::shared_ptr<const render::ClusterRender>> {
          return render;
        },
        .commit =
            source::CommitInfo{.id = revision, .author = "Ops", .committed_at_unix = 1'700'000'000},
        .fetched_at_ms = 1};
  }

  model::Cluster model;
  pki::ClusterPki pki;
  testing::FakeKubeApi api;
};

class WaveRolloutTest : public ::testing::Test {
 protected:
  WaveRolloutTest() {
    auto opened = state::open_sqlite_state_store((scratch_.path() / "state.db").string());
    EXPECT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    for (const WaveCluster* cluster : {&staging_, &production_}) {
      EXPECT_TRUE(store_->save_pki(cluster->model.name, pki::to_json(cluster->pki).dump()).ok());
    }
  }
  ~WaveRolloutTest() override {
    if (reconciler_) reconciler_->stop();
  }

  void start() {
    sync_ = std::make_unique<ClusterSync>(
        *store_, http_, clock_, &metrics_,
        ClusterSyncOptions{.ready_timeout_ms = 600'000,
                           .rollout_stall_ms = 600'000,
                           .establish_timeout_ms = 5'000,
                           .api_servers = {{staging_.model.name,
                                            "127.0.0.1:" + std::to_string(staging_.api.port())},
                                           {production_.model.name,
                                            "127.0.0.1:" + std::to_string(production_.api.port())}},
                           .client =
                               kube::KubeClientOptions{
                                   .retry = RetryPolicy{.max_attempts = 2, .base_delay_ms = 10},
                                   .eviction_retry_ms = 20},
                           .poll_interval_ms = 20});
    reconciler_ =
        std::make_unique<Reconciler>(*store_, bare_metal_, &openstack_, metrics_, clock_,
                                     ReconcilerOptions{.workers = 2,
                                                       .retry_base_ms = 50,
                                                       .retry_cap_ms = 200,
                                                       .resync_interval_ms = 600'000,
                                                       .incomplete_requeue_ms = 50,
                                                       .cluster_access = ClusterAccess::kDirect,
                                                       .wave_recheck_ms = 3'600'000});
    reconciler_->set_cluster_sync(sync_.get());
    // The init node's config is too large for user_data: its pointer's target counts as served.
    reconciler_->set_pointer_publisher(
        [](const model::Cluster&, const render::ClusterRender&) { return ok_status(); });
    reconciler_->start();
  }

  state::ClusterRecord record(const std::string& name) {
    auto found = store_->get_cluster(name);
    return found.ok() && found->has_value() ? **found : state::ClusterRecord{};
  }
  // Waits on the wall clock: each step is an answer of two fake API servers over real TLS. On
  // the fake clock, the time run_until moved outran those answers and the rollout never ended.
  bool wait_for(const std::string& name,
                const std::function<bool(const state::ClusterRecord&)>& test) {
    return testing::wait_until([&] { return test(record(name)); }, 20s);
  }

  testing::ScratchDir scratch_;
  WaveCluster staging_{"stage-east", 0};
  WaveCluster production_{"prod-east", 1};
  std::unique_ptr<state::StateStore> store_;
  metrics::Metrics metrics_{"test"};
  SystemClock clock_;
  CurlHttpClient http_{testing::loopback_only()};
  testing::ScriptedProvider openstack_;
  testing::ScriptedProvider bare_metal_;
  std::unique_ptr<ClusterSync> sync_;
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(WaveRolloutTest, SecondWaveWaitsUntilEveryNodeOfTheFirstIsReady) {
  staging_.api.set_node_ready("stage-east-workers-1", false);
  start();
  reconciler_->submit_all({production_.desired("rev1"), staging_.desired("rev1")});
  ASSERT_TRUE(wait_for("stage-east", [](const auto& found) {
    return found.phase == nkd::state::ClusterPhase::kWaitingForCluster &&
           found.applied_revision == "rev1";
  }));
  ASSERT_TRUE(wait_for("prod-east", [](const auto& found) {
    return found.phase_message.find("phase WaitingForCluster") != std::string::npos;
  })) << record("prod-east").phase_message;
  const state::ClusterRecord waiting = record("prod-east");
  EXPECT_EQ(waiting.phase, nkd::state::ClusterPhase::kWaitingForWave);
  EXPECT_EQ(waiting.phase_message,
            "waiting for wave 0: cluster stage-east is not done with its newest render yet (phase "
            "WaitingForCluster)");
  EXPECT_TRUE(waiting.applied_revision.empty());
  EXPECT_EQ(openstack_.applies("prod-east"), 0) << "no machine of wave 1 before wave 0 is Ready";
  EXPECT_TRUE(production_.api.requests().empty()) << "wave 1's API is not touched either";
  EXPECT_NE(metrics_.serialize().find("nkd_cluster_waiting_for_wave{cluster=\"prod-east\"} 1"),
            std::string::npos);

  staging_.api.set_node_ready("stage-east-workers-1", true);
  ASSERT_TRUE(
      wait_for("prod-east",
               [](const auto& found) { return found.phase == nkd::state::ClusterPhase::kReady; }))
      << nkd::state::to_string(record("prod-east").phase) << ": "
      << record("prod-east").phase_message;
  EXPECT_EQ(record("stage-east").phase, nkd::state::ClusterPhase::kReady);
  EXPECT_EQ(record("prod-east").applied_revision, "rev1");
  EXPECT_EQ(record("prod-east").wave, 1);
  EXPECT_NE(metrics_.serialize().find("nkd_cluster_waiting_for_wave{cluster=\"prod-east\"} 0"),
            std::string::npos);
}

}  // namespace
}  // namespace nkd::reconcile
