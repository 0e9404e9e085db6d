// The reconciler's operator side (Suspensions) against a real SQLite state file, the
// in-memory bare-metal provider and a clock the test moves: suspend, resume, sync now, and a
// maintenance window that holds a node's new config until the clock enters it.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "providers/baremetal/baremetal_provider.h"
#include "reconcile/reconciler.h"
#include "state/sqlite_state_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/test_support.h"

namespace nkd::reconcile {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSaturday0300Utc = 1'704'510'000'000;  // 2024-01-06T03:00:00Z
constexpr std::int64_t kHourMs = 3'600'000;

// One bare-metal node whose config is `config`; windows as given (nullopt: the global ones).
DesiredCluster desired(const std::string& revision, const std::string& config,
                       std::optional<std::vector<MaintenanceWindow>> windows = std::nullopt) {
  model::Cluster cluster;
  cluster.name = "lab";
  cluster.platform = model::BareMetalPlatform{};
  cluster.maintenance_windows = std::move(windows);
  auto render = std::make_shared<render::ClusterRender>();
  render->cluster = "lab";
  render->digest = "render-" + config;
  render::NodeRender node;
  node.node.name = "lab-worker-0";
  node.node.pool = "worker";
  node.ignition = config;
  node.ignition_sha256 = "sha-" + config;
  node.fetch_token = Secret("node-token");
  render->nodes.push_back(node);
  std::shared_ptr<const render::ClusterRender> made = render;
  return DesiredCluster{
      .cluster = cluster,
      .render = [made]() -> Result<std::shared_ptr<const render::ClusterRender>> { return made; },
      .commit = source::CommitInfo{.id = revision, .author = "Ops", .committed_at_unix = 1'700'000'000},
      .fetched_at_ms = 1};
}

// Saturday 02:00 to 06:00 UTC.
std::vector<MaintenanceWindow> saturday_night() {
  return {MaintenanceWindow{.weekdays = 1u << 5, .start_minute = 120, .duration_ms = 4 * kHourMs}};
}

class ReconcilerOperatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = state::open_sqlite_state_store((scratch_.path() / "state.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  std::unique_ptr<Reconciler> make() {
    auto made = std::make_unique<Reconciler>(
        *store_, bare_metal_, nullptr, metrics_, clock_,
        ReconcilerOptions{.workers = 2, .retry_base_ms = 20, .retry_cap_ms = 80,
                          .resync_interval_ms = 600'000});
    made->restore_suspensions();
    made->start();
    return made;
  }
  state::ClusterRecord record() { return store_->get_cluster("lab").value().value_or(state::ClusterRecord{}); }
  bool wait_phase(const std::string& phase) {
    return clock_.run_until([&] { return state::to_string(record().phase) == phase; }, 5s);
  }
  std::string served_config() {
    return bare_metal_.fetch("lab", "lab-worker-0", "node-token").config;
  }
  std::vector<state::HistoryRow> history() { return store_->history("lab", 0).value(); }

  testing::ScratchDir scratch_;
  std::unique_ptr<state::StateStore> store_;
  metrics::Metrics metrics_{"test"};
  testing::FakeClock clock_{kSaturday0300Utc - 24 * kHourMs};  // Friday 03:00, no window
  providers::BareMetalProvider bare_metal_;
};

TEST_F(ReconcilerOperatorTest, WindowHoldsAChangedNodeUntilTheClockEntersIt) {
  auto reconciler = make();
  reconciler->submit(desired("rev1", "first", saturday_night()));
  // A node that does not run yet is not disturbed by its config: the first render goes out.
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  EXPECT_EQ(served_config(), "first");  // the node fetches it: now it runs it

  reconciler->submit(desired("rev2", "second", saturday_night()));
  ASSERT_TRUE(wait_phase("WaitingForWindow"));
  EXPECT_EQ(served_config(), "first");
  const auto waiting = record();
  EXPECT_EQ(waiting.applied_revision, "rev1");
  EXPECT_NE(waiting.phase_message.find("held: replace lab-worker-0"), std::string::npos)
      << waiting.phase_message;
  EXPECT_NE(waiting.phase_message.find("next at 2024-01-06T02:00:00.000Z"), std::string::npos)
      << waiting.phase_message;
  ASSERT_EQ(history().front().outcome, state::Outcome::kPending);
  EXPECT_NE(metrics_.serialize().find("nkd_cluster_waiting_for_window{cluster=\"lab\"} 1"),
            std::string::npos);

  clock_.set_unix_ms(kSaturday0300Utc);  // inside the window
  ASSERT_TRUE(reconciler->sync_now("lab").ok());
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  reconciler->stop();
  EXPECT_EQ(served_config(), "second");
  EXPECT_EQ(record().applied_revision, "rev2");
  EXPECT_TRUE(record().phase_message.empty());
  ASSERT_EQ(history().size(), 2u);
  EXPECT_EQ(history().front().outcome, state::Outcome::kApplied);
  EXPECT_EQ(history().front().revision, "rev2");
  EXPECT_NE(metrics_.serialize().find("nkd_cluster_waiting_for_window{cluster=\"lab\"} 0"),
            std::string::npos);
}

TEST_F(ReconcilerOperatorTest, NewNodesAreMadeOutsideAWindowAndLeavingOnesWait) {
  auto reconciler = make();
  reconciler->submit(desired("rev1", "first", saturday_night()));
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  (void)served_config();
  // The same node plus a new one, then without the first one.
  DesiredCluster grown = desired("rev2", "first", saturday_night());
  render::ClusterRender two = *grown.render().value();
  two.digest = "render-two";
  two.nodes.push_back(two.nodes.front());
  two.nodes.back().node.name = "lab-worker-1";
  auto shared_two = std::make_shared<const render::ClusterRender>(two);
  grown.render = [shared_two]() -> Result<std::shared_ptr<const render::ClusterRender>> { return shared_two; };
  reconciler->submit(grown);
  ASSERT_TRUE(clock_.run_until([&] { return record().applied_revision == "rev2"; }, 5s));
  EXPECT_EQ(bare_metal_.fetch("lab", "lab-worker-1", "node-token").config, "first");

  DesiredCluster shrunk = desired("rev3", "first", saturday_night());
  render::ClusterRender one = two;
  one.digest = "render-one";
  one.nodes.erase(one.nodes.begin());
  auto shared_one = std::make_shared<const render::ClusterRender>(one);
  shrunk.render = [shared_one]() -> Result<std::shared_ptr<const render::ClusterRender>> { return shared_one; };
  reconciler->submit(shrunk);
  ASSERT_TRUE(wait_phase("WaitingForWindow"));
  reconciler->stop();
  EXPECT_NE(record().phase_message.find("delete lab-worker-0"), std::string::npos);
  EXPECT_EQ(served_config(), "first");  // still published: it leaves in the window
}

TEST_F(ReconcilerOperatorTest, GlobalWindowsApplyUnlessTheClusterHasItsOwn) {
  auto reconciler = std::make_unique<Reconciler>(
      *store_, bare_metal_, nullptr, metrics_, clock_,
      ReconcilerOptions{.workers = 1, .maintenance_windows = saturday_night()});
  // The notifier hears of each hold (it passes on one per commit).
  std::mutex told_mutex;
  std::vector<std::string> told;
  reconciler->set_window_listener(
      [&](const std::string& cluster, const std::string& commit, const std::string& message) {
        std::lock_guard lock(told_mutex);
        told.push_back(cluster + " " + commit + " " + message);
      });
  reconciler->start();
  reconciler->submit(desired("rev1", "first"));
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  (void)served_config();
  reconciler->submit(desired("rev2", "second"));  // global windows: held
  ASSERT_TRUE(wait_phase("WaitingForWindow"));
  // The listener is told after the phase is stored.
  ASSERT_TRUE(clock_.run_until(
      [&] {
        std::lock_guard lock(told_mutex);
        return !told.empty();
      },
      5s));
  {
    std::lock_guard lock(told_mutex);
    EXPECT_TRUE(told.front().starts_with("lab rev2 ")) << told.front();
    EXPECT_NE(told.front().find("waiting for a maintenance window"), std::string::npos)
        << told.front();
  }
  reconciler->submit(desired("rev3", "third", std::vector<MaintenanceWindow>{}));  // own: none
  ASSERT_TRUE(clock_.run_until([&] { return record().applied_revision == "rev3"; }, 5s));
  reconciler->stop();
  EXPECT_EQ(served_config(), "third");
}

TEST_F(ReconcilerOperatorTest, SuspendStopsAppliesAndResumeAppliesTheNewestRender) {
  auto reconciler = make();
  reconciler->submit(desired("rev1", "first"));
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  auto suspended = reconciler->suspend("lab", "incident 42");
  ASSERT_TRUE(suspended.ok()) << suspended.error().message;
  ASSERT_TRUE(wait_phase("Suspended"));
  EXPECT_EQ(reconciler->suspend("lab", "").value(), "cluster lab is already suspended");

  reconciler->submit(desired("rev2", "second"));
  EXPECT_EQ(record().observed_revision, "rev2") << "noted when it is submitted, before any worker";
  // The worker renders it and opens its row, then stops at the suspension.
  ASSERT_TRUE(clock_.run_until([&] { return history().size() == 3; }, 5s));
  EXPECT_EQ(served_config(), "first");
  EXPECT_EQ(record().applied_revision, "rev1");
  EXPECT_NE(record().phase_message.find("incident 42"), std::string::npos);
  // Newest first: the pending render of rev2, the suspension, the applied rev1.
  auto rows = history();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].outcome, state::Outcome::kPending);
  EXPECT_EQ(rows[0].revision, "rev2");
  EXPECT_EQ(rows[1].outcome, state::Outcome::kSuspended);
  EXPECT_EQ(rows[1].message, "suspended by an operator: incident 42");
  EXPECT_EQ(reconciler->sync_now("lab").error().code, ErrorCode::kConflict);
  EXPECT_NE(metrics_.serialize().find("nkd_cluster_suspended{cluster=\"lab\"} 1"), std::string::npos);

  // A restart keeps the suspension.
  reconciler->stop();
  reconciler = make();
  reconciler->submit(desired("rev2", "second"));
  ASSERT_TRUE(wait_phase("Suspended"));
  EXPECT_EQ(served_config(), "first");

  ASSERT_TRUE(reconciler->resume("lab").ok());
  ASSERT_TRUE(clock_.run_until([&] { return record().applied_revision == "rev2"; }, 5s));
  reconciler->stop();
  EXPECT_EQ(served_config(), "second");
  // Newest first by when each row was opened: the resumption, then rev2's row (opened while
  // suspended, now finished applied), the suspension, rev1.
  rows = history();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].outcome, state::Outcome::kResumed);
  EXPECT_EQ(rows[1].outcome, state::Outcome::kApplied);
  EXPECT_EQ(rows[1].revision, "rev2");
  EXPECT_EQ(rows[2].outcome, state::Outcome::kSuspended);
  EXPECT_EQ(rows[3].revision, "rev1");
  EXPECT_NE(metrics_.serialize().find("nkd_cluster_suspended{cluster=\"lab\"} 0"), std::string::npos);
}

TEST_F(ReconcilerOperatorTest, OperatorActionsOnAnUnknownClusterAreNotFound) {
  auto reconciler = make();
  EXPECT_EQ(reconciler->suspend("nowhere", "").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(reconciler->resume("nowhere").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(reconciler->sync_now("nowhere").error().code, ErrorCode::kNotFound);
  reconciler->stop();
  EXPECT_TRUE(store_->suspensions().value().empty());
}

}  // namespace
}  // namespace nkd::reconcile

namespace nkd::reconcile {
namespace {

// What a ShardCoordinator answers, set by the test.
class SettableOwnership final : public ClusterOwnership {
 public:
  bool owns(const std::string& cluster) const override {
    std::lock_guard lock(mutex_);
    return owned_.contains(cluster);
  }
  void give(const std::string& cluster) {
    std::lock_guard lock(mutex_);
    owned_.insert(cluster);
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> owned_;
};

TEST_F(ReconcilerOperatorTest, AnotherReplicasClusterIsNeitherReconciledNorNotedUntilTakenOver) {
  SettableOwnership ownership;
  auto reconciler = std::make_unique<Reconciler>(
      *store_, bare_metal_, nullptr, metrics_, clock_,
      ReconcilerOptions{
          .workers = 2, .retry_base_ms = 20, .retry_cap_ms = 80, .resync_interval_ms = 600'000});
  reconciler->set_ownership(&ownership);
  reconciler->start();
  reconciler->submit(desired("rev1", "first"));
  // Given time to reconcile, a cluster this replica does not own is left alone.
  (void)clock_.run_until([] { return false; }, 1s);
  EXPECT_FALSE(store_->get_cluster("lab").value().has_value())
      << "neither reconciled nor its observed revision noted: that is its owner's";
  EXPECT_EQ(bare_metal_.fetch("lab", "lab-worker-0", "node-token").status,
            providers::BareMetalProvider::FetchStatus::kUnknownNode);
  EXPECT_EQ(reconciler->cluster_names(), std::vector<std::string>{"lab"});

  ownership.give("lab");
  reconciler->take_over({"lab"});
  ASSERT_TRUE(wait_phase("WaitingForCluster"));
  reconciler->stop();
  EXPECT_EQ(record().observed_revision, "rev1");
  EXPECT_EQ(record().applied_revision, "rev1");
  EXPECT_EQ(served_config(), "first");
}

}  // namespace
}  // namespace nkd::reconcile
