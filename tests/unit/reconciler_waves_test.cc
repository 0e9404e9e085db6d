// Rollout waves in the reconciler (WaveCoordinator) against a real SQLite state file and a
// scripted provider, clusterAccess: none (a render applied in full is done): a later wave waits
// until the earlier one is done, stops when it fails, ignores clusters whose render did not
// change, and keeps holding across a restart because the gate is read from the state file.
#include <gtest/gtest.h>

#include "reconcile/reconciler.h"
#include "state/sqlite_state_store.h"
#include "tests/support/scripted_provider.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::reconcile {
namespace {

using namespace std::chrono_literals;

DesiredCluster desired_in_wave(const std::string& name, int wave, const std::string& revision,
                       const std::string& digest) {
  model::Cluster cluster;
  cluster.name = name;
  cluster.wave = wave;
  cluster.platform = model::BareMetalPlatform{};
  auto render = std::make_shared<render::ClusterRender>();
  render->cluster = name;
  render->digest = digest;
  render::NodeRender node;
  node.node.name = name + "-worker-0";
  node.node.pool = "workers";
  node.ignition_sha256 = "config-" + digest;
  render->nodes.push_back(node);
  std::shared_ptr<const render::ClusterRender> made = render;
  return DesiredCluster{
      .cluster = cluster,
      .render = [made]() -> Result<std::shared_ptr<const render::ClusterRender>> { return made; },
      .commit =
          source::CommitInfo{.id = revision, .author = "Ops", .committed_at_unix = 1'700'000'000},
      .fetched_at_ms = 1};
}

class ReconcilerWavesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = state::open_sqlite_state_store((scratch_.path() / "state.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    if (reconciler_) reconciler_->stop();
  }
  // The recheck is an hour: every move a test sees comes from a wake-up, not from polling.
  void start() {
    reconciler_ = std::make_unique<Reconciler>(*store_, provider_, nullptr, metrics_, clock_,
                                               ReconcilerOptions{.workers = 2,
                                                                 .retry_base_ms = 20,
                                                                 .retry_cap_ms = 80,
                                                                 .resync_interval_ms = 600'000,
                                                                 .incomplete_requeue_ms = 20,
                                                                 .wave_recheck_ms = 3'600'000});
    reconciler_->restore_suspensions();
    reconciler_->start();
  }
  // One commit's clusters, as the daemon hands them over: in one batch, later waves first here
  // so that a worker could start on one before the earlier wave is known if they were not.
  void submit(std::vector<DesiredCluster> batch) { reconciler_->submit_all(std::move(batch)); }
  state::ClusterRecord record(const std::string& name) {
    return store_->get_cluster(name).value().value_or(state::ClusterRecord{});
  }
  bool wait_for(const std::string& name,
                const std::function<bool(const state::ClusterRecord&)>& test) {
    return testing::wait_until([&] { return test(record(name)); }, 5s);
  }
  bool wait_phase(const std::string& name, const std::string& phase) {
    return wait_for(name,
                    [&](const auto& found) { return state::to_string(found.phase) == phase; });
  }
  bool metric(const std::string& line) {
    return metrics_.serialize().find(line) != std::string::npos;
  }
  // staging (wave 0) and prod (wave 1) applied at rev1.
  void roll_out_first_revision() {
    submit({desired_in_wave("prod", 1, "rev1", "prod-1"), desired_in_wave("staging", 0, "rev1", "staging-1")});
    ASSERT_TRUE(
        wait_for("prod", [](const auto& found) { return found.applied_revision == "rev1"; }));
    ASSERT_TRUE(wait_phase("staging", "WaitingForCluster"));
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<state::StateStore> store_;
  metrics::Metrics metrics_{"test"};
  // The wall clock: on a fake clock moved by run_until, LaterWaveStartsOnlyOnceTheEarlierWaveIsDone
  // now and then (one run in five under ThreadSanitizer) found a third history row.
  SystemClock clock_;
  testing::ScriptedProvider provider_;
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ReconcilerWavesTest, LaterWaveStartsOnlyOnceTheEarlierWaveIsDone) {
  start();
  roll_out_first_revision();
  provider_.set_building("staging", true);  // rev2's machines take a while on staging
  submit({desired_in_wave("prod", 1, "rev2", "prod-2"), desired_in_wave("staging", 0, "rev2", "staging-2")});
  ASSERT_TRUE(wait_phase("prod", "WaitingForWave"));
  ASSERT_TRUE(wait_phase("staging", "Provisioning"));
  ASSERT_TRUE(wait_for("prod", [](const auto& found) {
    return found.phase_message.find("phase Provisioning") != std::string::npos;
  })) << record("prod").phase_message;
  const state::ClusterRecord waiting = record("prod");
  EXPECT_EQ(waiting.applied_revision, "rev1");
  EXPECT_EQ(waiting.wave, 1);
  EXPECT_EQ(waiting.phase_message,
            "waiting for wave 0: cluster staging is not done with its newest render yet (phase "
            "Provisioning)");
  EXPECT_FALSE(provider_.saw("prod", "prod-2"));
  EXPECT_TRUE(metric("nkd_cluster_waiting_for_wave{cluster=\"prod\"} 1"));
  const auto rows = store_->history("prod", 0).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].outcome, state::Outcome::kPending);
  EXPECT_EQ(rows[0].revision, "rev2");

  provider_.set_building("staging", false);
  ASSERT_TRUE(wait_for("prod", [](const auto& found) { return found.applied_revision == "rev2"; }));
  EXPECT_EQ(record("prod").phase, nkd::state::ClusterPhase::kWaitingForCluster);
  EXPECT_TRUE(record("prod").phase_message.empty());
  EXPECT_EQ(record("staging").applied_revision, "rev2");
  EXPECT_TRUE(metric("nkd_cluster_waiting_for_wave{cluster=\"prod\"} 0"));
  const auto finished = store_->history("prod", 0).value();
  ASSERT_EQ(finished.size(), 2u) << "the pending row is the one the apply finished";
  EXPECT_EQ(finished[0].outcome, state::Outcome::kApplied);
}

TEST_F(ReconcilerWavesTest, FailureInAnEarlierWaveStopsTheRolloutUntilItIsFixed) {
  start();
  roll_out_first_revision();
  provider_.set_failing("staging", true);
  submit({desired_in_wave("prod", 1, "rev2", "prod-2"), desired_in_wave("staging", 0, "rev2", "staging-2")});
  ASSERT_TRUE(wait_phase("staging", "Failed"));
  ASSERT_TRUE(wait_for("prod", [](const auto& found) {
    return found.phase_message.find("failed, so the rollout stops") != std::string::npos;
  })) << record("prod").phase_message;
  EXPECT_EQ(record("prod").phase, nkd::state::ClusterPhase::kWaitingForWave);
  EXPECT_NE(record("prod").phase_message.find("cluster staging failed"), std::string::npos);
  EXPECT_NE(record("prod").phase_message.find("quota of staging exceeded"), std::string::npos);
  EXPECT_FALSE(provider_.saw("prod", "prod-2")) << "wave 1 must not start after wave 0 failed";

  // A fix of staging (a newer commit) lets the rollout go on.
  provider_.set_failing("staging", false);
  reconciler_->submit(desired_in_wave("staging", 0, "rev3", "staging-3"));
  ASSERT_TRUE(wait_for("prod", [](const auto& found) { return found.applied_revision == "rev2"; }));
  EXPECT_EQ(record("staging").applied_revision, "rev3");
}

TEST_F(ReconcilerWavesTest, ClustersWhoseRenderDidNotChangeHoldNothing) {
  start();
  roll_out_first_revision();
  // rev2 changes prod only; staging's render is in place and done.
  reconciler_->submit(desired_in_wave("prod", 1, "rev2", "prod-2"));
  ASSERT_TRUE(wait_for("prod", [](const auto& found) { return found.applied_revision == "rev2"; }));
}

TEST_F(ReconcilerWavesTest, SuspendedEarlierClusterHoldsTheLaterWaves) {
  start();
  roll_out_first_revision();
  ASSERT_TRUE(reconciler_->suspend("staging", "disk swap").ok());
  ASSERT_TRUE(wait_phase("staging", "Suspended"));
  reconciler_->submit(desired_in_wave("prod", 1, "rev2", "prod-2"));
  ASSERT_TRUE(wait_phase("prod", "WaitingForWave"));
  EXPECT_NE(record("prod").phase_message.find(
                "cluster staging is suspended (by an operator: disk swap); resume it"),
            std::string::npos)
      << record("prod").phase_message;
  ASSERT_TRUE(reconciler_->resume("staging").ok());
  ASSERT_TRUE(wait_for("prod", [](const auto& found) { return found.applied_revision == "rev2"; }));
}

TEST_F(ReconcilerWavesTest, ARestartKeepsTheGateItReadsFromTheStateFile) {
  start();
  roll_out_first_revision();
  provider_.set_failing("staging", true);
  submit({desired_in_wave("prod", 1, "rev2", "prod-2"), desired_in_wave("staging", 0, "rev2", "staging-2")});
  ASSERT_TRUE(wait_phase("staging", "Failed"));
  ASSERT_TRUE(wait_phase("prod", "WaitingForWave"));
  reconciler_->stop();
  // What the old process wrote of prod's hold is wiped, so only the new process can say it again.
  state::ClusterRecord prod = record("prod");
  prod.phase = nkd::state::ClusterPhase::kPending;
  prod.phase_message.clear();
  ASSERT_TRUE(put_record(*store_, prod).ok());

  // A new process knows nothing of the rollout: the daemon submits every cluster again.
  start();
  submit({desired_in_wave("prod", 1, "rev2", "prod-2"), desired_in_wave("staging", 0, "rev2", "staging-2")});
  ASSERT_TRUE(wait_for("prod", [](const auto& found) {
    return found.phase_message.find("cluster staging failed") != std::string::npos;
  })) << record("prod").phase_message;
  EXPECT_EQ(record("prod").phase, nkd::state::ClusterPhase::kWaitingForWave);
  EXPECT_EQ(record("prod").applied_revision, "rev1");
  // Staging, still failing, is tried again by the new process; prod still does not start.
  const std::int64_t staging_failed_at = record("staging").updated_at_ms;
  ASSERT_TRUE(wait_for("staging", [&](const auto& found) {
    return found.updated_at_ms > staging_failed_at &&
           found.phase == nkd::state::ClusterPhase::kFailed;
  }));
  EXPECT_FALSE(provider_.saw("prod", "prod-2"));
}

}  // namespace
}  // namespace nkd::reconcile
