// The reconciler against a real SQLite state file and a scripted provider.
#include "reconcile/reconciler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "providers/baremetal/baremetal_provider.h"
#include "state/sqlite_state_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::reconcile {
namespace {

using namespace std::chrono_literals;

// Fails the first `failures` applies, then succeeds; counts calls.
class ScriptedProvider final : public providers::InfrastructureProvider {
 public:
  explicit ScriptedProvider(int failures) : failures_(failures) {}
  std::string name() const override { return "scripted"; }
  Result<providers::ApplyOutcome> apply(const model::Cluster&, const render::ClusterRender& render,
                                        const providers::ApplyHooks&) override {
    if (before_apply) before_apply();
    ++calls;
    if (calls <= failures_) return Error{ErrorCode::kUnavailable, "scripted failure " + std::to_string(calls.load())};
    providers::ApplyOutcome outcome;
    for (const auto& node : render.nodes) {
      outcome.nodes.push_back({.name = node.node.name,
                               .pool = node.node.pool,
                               .role = "worker",
                               .provider_id = "x",
                               .config_digest = node.ignition_sha256,
                               .state = nkd::state::NodeState::kProvisioned});
    }
    outcome.complete = true;
    outcome.message = "ok";
    return outcome;
  }
  Result<std::vector<providers::ObservedNode>> observe(const std::string&) override { return std::vector<providers::ObservedNode>{}; }
  Status remove(const std::string&) override {
    if (++removes <= remove_failures) return Error{ErrorCode::kUnavailable, "scripted removal failure"};
    return ok_status();
  }
  std::function<void()> before_apply;  // set before the reconciler starts
  std::atomic<int> calls{0};
  std::atomic<int> removes{0};
  int remove_failures = 0;

 private:
  int failures_;
};

DesiredCluster desired(const std::string& name, const std::string& revision, const std::string& digest,
                       bool suspend = false) {
  model::Cluster cluster;
  cluster.name = name;
  cluster.platform = model::BareMetalPlatform{};
  cluster.suspend = suspend;
  auto render = std::make_shared<render::ClusterRender>();
  render->cluster = name;
  render->digest = digest;
  render::NodeRender node;
  node.node.name = name + "-cp-0";
  node.node.pool = "control-plane";
  node.ignition_sha256 = "d-" + digest;
  render->nodes.push_back(node);
  source::CommitInfo commit{.id = revision, .author = "Ops", .author_email = "", .committed_at_unix = 1'700'000'000, .summary = "s"};
  std::shared_ptr<const render::ClusterRender> made = render;
  return DesiredCluster{.cluster = cluster,
                        .render = [made]() -> Result<std::shared_ptr<const render::ClusterRender>> { return made; },
                        .commit = commit,
                        .fetched_at_ms = 1};
}

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = state::open_sqlite_state_store((scratch_.path() / "state.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  std::unique_ptr<Reconciler> make(providers::InfrastructureProvider& provider) {
    return std::make_unique<Reconciler>(*store_, provider, nullptr, metrics_, clock_,
                                        ReconcilerOptions{.workers = 2, .retry_base_ms = 20,
                                                          .retry_cap_ms = 80,
                                                          .resync_interval_ms = 600'000});
  }
  state::ClusterRecord record(const std::string& name) { return store_->get_cluster(name).value().value(); }
  bool wait_phase(const std::string& name, const std::string& phase) {
    return clock_.run_until([&] {
      auto found = store_->get_cluster(name);
      return found.ok() && found->has_value() && state::to_string((*found)->phase) == phase;
    }, 5s);
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<state::StateStore> store_;
  metrics::Metrics metrics_{"test"};
  // Retry backoffs and requeues pass on it while a test waits (run_until).
  testing::FakeClock clock_;
};

TEST_F(ReconcilerTest, AppliesAndRecordsOneRowPerDigest) {
  ScriptedProvider provider(0);
  auto reconciler = make(provider);
  reconciler->start();
  reconciler->submit(desired("alpha", "rev1", "digest1"));
  ASSERT_TRUE(wait_phase("alpha", "WaitingForCluster"));
  reconciler->submit(desired("alpha", "rev2", "digest1"));  // same render from a later commit
  ASSERT_TRUE(clock_.run_until([&] { return record("alpha").applied_revision == "rev2"; }, 5s));
  reconciler->stop();
  const auto rows = store_->history("alpha", 0).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, state::Outcome::kApplied);
  EXPECT_EQ(store_->nodes("alpha").value().size(), 1u);
  EXPECT_NE(metrics_.serialize().find("nkd_cluster_applied_revision_info{cluster=\"alpha\",revision=\"rev2\"} 1"),
            std::string::npos);
  EXPECT_EQ(metrics_.serialize().find("revision=\"rev1\""), std::string::npos);
}

// A worker reads the record, then the source rejects a newer commit while the worker applies.
// The worker used to write the whole record back: the rejection vanished and observedRevision
// went back to the commit it applied.
TEST_F(ReconcilerTest, AReconcileUnderWayKeepsARejectionNotedMeanwhile) {
  ScriptedProvider provider(0);
  const std::string rejection = "commit rev2 rejected: clusters/alpha/cluster.yaml:4:1: bad";
  provider.before_apply = [&] {
    EXPECT_TRUE(store_->note_rejection("alpha", "rev2", rejection, clock_.now_unix_ms()).ok());
  };
  auto reconciler = make(provider);
  reconciler->start();
  reconciler->submit(desired("alpha", "rev1", "digest1"));
  ASSERT_TRUE(wait_phase("alpha", "WaitingForCluster"));
  reconciler->stop();
  const state::ClusterRecord alpha = record("alpha");
  EXPECT_EQ(alpha.observed_revision, "rev2");
  EXPECT_EQ(alpha.applied_revision, "rev1");
  EXPECT_EQ(alpha.rejection, rejection);
  EXPECT_EQ(state::newest_error(alpha), rejection);
}

TEST_F(ReconcilerTest, OpenStackNodesThatBootPointersHaveTheirConfigsPublishedFirst) {
  ScriptedProvider bare_metal(0);
  ScriptedProvider openstack(0);
  Reconciler reconciler(*store_, bare_metal, &openstack, metrics_, clock_,
                        ReconcilerOptions{.workers = 1, .resync_interval_ms = 600'000});
  std::vector<std::string> published;
  int applies_before_publish = -1;
  reconciler.set_pointer_publisher(
      [&](const model::Cluster& cluster, const render::ClusterRender& render) {
        applies_before_publish = openstack.calls.load();
        for (const auto& node : render.nodes) published.push_back(cluster.name + "/" + node.node.name);
        return ok_status();
      });
  DesiredCluster small = desired("small", "rev1", "digest1");
  small.cluster.platform = model::OpenStackPlatform{};
  DesiredCluster large = desired("large", "rev1", "digest2");
  large.cluster.platform = model::OpenStackPlatform{};
  auto render = std::make_shared<render::ClusterRender>(*large.render().value());
  render->nodes[0].needs_pointer = true;
  large.render = [render]() -> Result<std::shared_ptr<const render::ClusterRender>> {
    return std::shared_ptr<const render::ClusterRender>(render);
  };
  reconciler.start();
  reconciler.submit(small);
  reconciler.submit(large);
  ASSERT_TRUE(wait_phase("small", "WaitingForCluster"));
  ASSERT_TRUE(wait_phase("large", "WaitingForCluster"));
  reconciler.stop();
  EXPECT_EQ(published, std::vector<std::string>{"large/large-cp-0"})
      << "only a cluster whose nodes boot pointer configs needs its configs served";
  EXPECT_EQ(bare_metal.calls, 0);
  EXPECT_EQ(openstack.calls, 2);
  EXPECT_LE(applies_before_publish, 1) << "published before that cluster's servers are made";
}

TEST_F(ReconcilerTest, ARestartExportsTheStoredAppliedRevisionBeforeAnyReconcile) {
  ScriptedProvider provider(0);
  {
    auto first = make(provider);
    first->start();
    first->submit(desired("alpha", "rev1", "digest1"));
    ASSERT_TRUE(wait_phase("alpha", "WaitingForCluster"));
    first->stop();
  }
  metrics::Metrics after_restart{"test"};
  Reconciler restarted(*store_, provider, nullptr, after_restart, clock_,
                       ReconcilerOptions{.workers = 1, .resync_interval_ms = 600'000});
  EXPECT_EQ(after_restart.serialize().find("nkd_cluster_applied_revision_info{"), std::string::npos);
  restarted.restore_metrics();
  const std::string exported = after_restart.serialize();
  EXPECT_NE(exported.find("nkd_cluster_applied_revision_info{cluster=\"alpha\",revision=\"rev1\"} 1"),
            std::string::npos)
      << exported;
  EXPECT_NE(exported.find("nkd_cluster_nodes{cluster=\"alpha\""), std::string::npos) << exported;
}

TEST_F(ReconcilerTest, RetriesFailuresWithBackoffAndRecordsOutcomeChanges) {
  ScriptedProvider provider(3);
  auto reconciler = make(provider);
  reconciler->start();
  reconciler->submit(desired("beta", "rev1", "digest1"));
  ASSERT_TRUE(clock_.run_until([&] { return provider.calls >= 4; }, 5s));
  ASSERT_TRUE(wait_phase("beta", "WaitingForCluster"));
  reconciler->stop();
  const auto rows = store_->history("beta", 0).value();
  ASSERT_EQ(rows.size(), 2u);  // failed (three times, one row), then applied
  EXPECT_EQ(rows[0].outcome, state::Outcome::kApplied);
  EXPECT_EQ(rows[1].outcome, state::Outcome::kFailed);
  EXPECT_EQ(record("beta").last_error, "");
}

TEST_F(ReconcilerTest, FailureKeepsLastErrorAndPreviousAppliedRevision) {
  ScriptedProvider healthy(0);
  {
    auto reconciler = make(healthy);
    reconciler->start();
    reconciler->submit(desired("gamma", "rev1", "digest1"));
    ASSERT_TRUE(wait_phase("gamma", "WaitingForCluster"));
  }
  ScriptedProvider broken(1000);
  auto reconciler = make(broken);
  reconciler->start();
  reconciler->submit(desired("gamma", "rev2", "digest2"));
  ASSERT_TRUE(wait_phase("gamma", "Failed"));
  reconciler->stop();
  const auto failed = record("gamma");
  EXPECT_EQ(failed.applied_revision, "rev1");
  EXPECT_NE(failed.last_error.find("scripted failure"), std::string::npos);
}

TEST_F(ReconcilerTest, SuspendedClusterIsNotApplied) {
  ScriptedProvider provider(0);
  auto reconciler = make(provider);
  reconciler->start();
  reconciler->submit(desired("delta", "rev1", "digest1", /*suspend=*/true));
  ASSERT_TRUE(wait_phase("delta", "Suspended"));
  reconciler->stop();
  EXPECT_EQ(provider.calls, 0);
  // The commit is recorded, as a render waiting for the cluster to be resumed.
  const auto rows = store_->history("delta", 0).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, state::Outcome::kPending);
  EXPECT_EQ(rows[0].revision, "rev1");
}

TEST_F(ReconcilerTest, ClusterThatLeftGitIsOrphanedNotDeleted) {
  ScriptedProvider provider(0);
  auto reconciler = make(provider);
  reconciler->start();
  reconciler->submit(desired("eps", "rev1", "digest1"));
  ASSERT_TRUE(wait_phase("eps", "WaitingForCluster"));
  reconciler->orphan("eps", "rev2");
  reconciler->stop();
  EXPECT_EQ(record("eps").phase, nkd::state::ClusterPhase::kOrphaned);
  EXPECT_EQ(store_->nodes("eps").value().size(), 1u);
}

TEST_F(ReconcilerTest, PrunedClusterIsDeletingUntilItsMachinesAreGoneThenItsRecordGoes) {
  ScriptedProvider provider(0);
  provider.remove_failures = 2;
  auto reconciler = make(provider);
  reconciler->start();
  reconciler->submit(desired("eta", "rev1", "digest1"));
  ASSERT_TRUE(wait_phase("eta", "WaitingForCluster"));
  reconciler->prune("eta", "rev2");
  ASSERT_TRUE(wait_phase("eta", "Deleting"));
  ASSERT_TRUE(clock_.run_until([&] {
    auto found = store_->get_cluster("eta");
    return found.ok() && !found->has_value();
  }, 5s));
  reconciler->stop();
  EXPECT_EQ(provider.removes, 3) << "two failures retried with backoff, then removed";
  EXPECT_TRUE(store_->nodes("eta").value().empty());
  EXPECT_EQ(store_->history("eta", 0).value().size(), 1u) << "history outlives the cluster";
}

TEST_F(ReconcilerTest, ARenderThatFailsMarksTheClusterFailedAndIsRetried) {
  ScriptedProvider provider(0);
  auto reconciler = make(provider);
  std::atomic<int> attempts{0};
  DesiredCluster target = desired("zeta", "rev1", "digest1");
  auto working = target.render;
  target.render = [&attempts, working]() -> Result<std::shared_ptr<const render::ClusterRender>> {
    if (++attempts == 1) return Error{ErrorCode::kIo, "state store is read-only"};
    return working();
  };
  reconciler->start();
  reconciler->submit(target);
  ASSERT_TRUE(wait_phase("zeta", "WaitingForCluster"));
  reconciler->stop();
  EXPECT_GE(attempts.load(), 2);
  EXPECT_EQ(record("zeta").last_error, "");
  EXPECT_EQ(provider.calls, 1) << "the provider is not called without a render";
}

TEST_F(ReconcilerTest, OneCommitNotesEveryUnchangedClusterAndMovesHealthyOnesForward) {
  ScriptedProvider provider(0);
  auto reconciler = make(provider);
  reconciler->start();
  for (const char* name : {"c1", "c2", "c3"}) reconciler->submit(desired(name, "rev1", "digest1"));
  ASSERT_TRUE(wait_phase("c3", "WaitingForCluster") && wait_phase("c1", "WaitingForCluster") &&
              wait_phase("c2", "WaitingForCluster"));
  reconciler->stop();
  const source::CommitInfo later{.id = "rev2", .author = "Ops", .author_email = "", .committed_at_unix = 1, .summary = "s"};
  reconciler->observe_revisions({"c1", "c2", "c3"}, later);
  for (const char* name : {"c1", "c2", "c3"}) {
    EXPECT_EQ(record(name).observed_revision, "rev2") << name;
    EXPECT_EQ(record(name).applied_revision, "rev2") << name;
  }
}

TEST_F(ReconcilerTest, ARendererThatThrowsFailsTheClusterNotTheDaemon) {
  ScriptedProvider provider(0);
  auto reconciler = make(provider);
  DesiredCluster target = desired("eta", "rev1", "digest1");
  target.render = []() -> Result<std::shared_ptr<const render::ClusterRender>> {
    throw std::runtime_error("invalid UTF-8 byte at index 3");
  };
  reconciler->start();
  reconciler->submit(target);
  ASSERT_TRUE(wait_phase("eta", "Failed"));
  reconciler->stop();
  EXPECT_NE(record("eta").last_error.find("invalid UTF-8"), std::string::npos) << record("eta").last_error;
  EXPECT_EQ(provider.calls, 0);
}

TEST_F(ReconcilerTest, OutcomesAreReportedForTheCommitThatSubmittedTheTarget) {
  ScriptedProvider provider(1);  // the first attempt fails, the retry works
  auto reconciler = make(provider);
  std::mutex mutex;
  std::vector<std::string> reported;
  reconciler->set_outcome_listener([&](const std::string&, const std::string& commit, bool, const std::string&) {
    std::lock_guard lock(mutex);
    reported.push_back(commit);
  });
  reconciler->submit(desired("theta", "rev1", "digest1"));
  // A later commit that leaves theta unchanged arrives before the worker runs.
  reconciler->observe_revisions({"theta"}, source::CommitInfo{.id = "rev2", .author = "Ops", .author_email = "",
                                                           .committed_at_unix = 1, .summary = "s"});
  reconciler->start();
  ASSERT_TRUE(wait_phase("theta", "WaitingForCluster"));
  reconciler->stop();
  std::lock_guard lock(mutex);
  ASSERT_GE(reported.size(), 2u);
  for (const auto& commit : reported) EXPECT_EQ(commit, "rev1");
  EXPECT_EQ(record("theta").applied_revision, "rev2") << "the applied revision still follows the newest commit";
}

}  // namespace
}  // namespace nkd::reconcile
