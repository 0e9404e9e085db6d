// The commit step (syncd/commit_step.h) on commits held in memory: what an accepted commit hands
// to the reconciler, that a rejected one changes nothing but the error it records, and that
// clusters a commit did not change are neither loaded nor rendered again.
#include "syncd/commit_step.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "state/sqlite_state_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_source.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::syncd {
namespace {

// What the reconciler would have been told, as "cluster@commit".
class RecordingReceiver final : public CommitReceiver {
 public:
  void submit_all(std::vector<reconcile::DesiredCluster> changed) override {
    for (const reconcile::DesiredCluster& desired : changed) {
      submitted.push_back(desired.cluster.name + "@" + desired.commit.id);
    }
  }
  void observe_revisions(const std::vector<std::string>& unchanged,
                         const source::CommitInfo& commit) override {
    for (const std::string& name : unchanged) observed.push_back(name + "@" + commit.id);
  }
  void prune(const std::string& cluster, const std::string& commit) override {
    pruned.push_back(cluster + "@" + commit);
  }
  void orphan(const std::string& cluster, const std::string& commit) override {
    orphaned.push_back(cluster + "@" + commit);
  }
  void clear() { *this = RecordingReceiver(); }

  std::vector<std::string> submitted;
  std::vector<std::string> observed;
  std::vector<std::string> pruned;
  std::vector<std::string> orphaned;
};

// The example bare-metal cluster as `name`, with MACs of its own (52:54:00:00:<mac_byte>:0n) and
// spec.kubernetes.version `version`.
std::string definition(const std::string& name, const std::string& mac_byte,
                       const std::string& version = "v1.29.1") {
  std::string text =
      testing::read_file(testing::source_dir() + "/examples-repo/clusters/edge-lab/cluster.yaml");
  testing::replace_all(text, "edge-lab", name);
  testing::replace_all(text, "52:54:00:00:00:0", "52:54:00:00:" + mac_byte + ":0");
  testing::replace_all(text, "version: v1.29.1", "version: " + version);
  return text;
}

std::string path_of(const std::string& cluster) { return "clusters/" + cluster + "/cluster.yaml"; }

class CommitStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = state::open_sqlite_state_store((scratch_.path() / "state.db").string(), clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    make_step(/*prune=*/false);
  }

  void make_step(bool prune) {
    step_ = std::make_unique<CommitStep>(
        source_, *store_, receiver_, metrics_, clock_,
        CommitStepOptions{
            .prune = prune,
            .render_for =
                [this](const model::Cluster& cluster) {
                  render_functions_made_.push_back(cluster.name);
                  return reconcile::RenderFunction{};
                },
            .listeners = {
                .started =
                    [this](const std::string& commit, const std::vector<std::string>& changed) {
                      std::string names;
                      for (const auto& name : changed) names += (names.empty() ? "" : ",") + name;
                      events_.push_back("started " + commit + " " + names);
                    },
                .cluster_removed =
                    [this](const std::string& cluster, const std::string& commit) {
                      events_.push_back("removed " + cluster + " at " + commit);
                    },
                .accepted =
                    [this](const std::string& commit, const std::string& summary) {
                      events_.push_back("accepted " + commit + ": " + summary);
                    },
                .rejected =
                    [this](const std::string& commit, const std::string& first_error) {
                      events_.push_back("rejected " + commit + ": " + first_error);
                    }},
            .verify = verify_});
  }

  CommitStep::Outcome take(const std::string& commit, testing::FakeSource::Files files) {
    source_.add_commit(commit, std::move(files));
    return step_->take(commit, clock_.now_unix_ms());
  }

  state::ClusterRecord record(const std::string& name) {
    return store_->get_cluster(name).value().value_or(state::ClusterRecord{});
  }
  bool head_valid(int value) {
    return metrics_.serialize().find("nkd_source_head_valid " + std::to_string(value)) !=
           std::string::npos;
  }
  void forget_what_happened() {
    receiver_.clear();
    render_functions_made_.clear();
    events_.clear();
  }

  testing::ScratchDir scratch_;
  testing::FakeClock clock_;
  std::unique_ptr<state::StateStore> store_;
  testing::FakeSource source_;
  RecordingReceiver receiver_;
  metrics::Metrics metrics_{"test"};
  std::vector<std::string> render_functions_made_;
  std::vector<std::string> events_;
  std::function<source::SignatureCheck(const std::string&, const std::string&)> verify_;
  std::unique_ptr<CommitStep> step_;
};

using Strings = std::vector<std::string>;

TEST_F(CommitStepTest, AnAcceptedCommitHandsEveryClusterOverInOneBatch) {
  ASSERT_EQ(take("c1", {{path_of("alpha"), definition("alpha", "01")},
                        {path_of("beta"), definition("beta", "02")}}),
            CommitStep::Outcome::kAccepted);
  EXPECT_EQ(receiver_.submitted, (Strings{"alpha@c1", "beta@c1"}));
  EXPECT_TRUE(receiver_.observed.empty());
  EXPECT_EQ(render_functions_made_, (Strings{"alpha", "beta"}));
  EXPECT_EQ(events_, (Strings{"started c1 alpha,beta",
                              "accepted c1: 2 cluster(s) changed, 0 unchanged"}));
  EXPECT_EQ(step_->accepted_commit(), "c1");
  EXPECT_TRUE(head_valid(1)) << metrics_.serialize();
}

TEST_F(CommitStepTest, UnchangedClustersAreNeitherLoadedNorRenderedAgain) {
  const std::string alpha = definition("alpha", "01");
  ASSERT_EQ(take("c1", {{path_of("alpha"), alpha}, {path_of("beta"), definition("beta", "02")}}),
            CommitStep::Outcome::kAccepted);
  forget_what_happened();
  ASSERT_EQ(take("c2", {{path_of("alpha"), alpha},
                        {path_of("beta"), definition("beta", "02", "v1.29.4")}}),
            CommitStep::Outcome::kAccepted);
  EXPECT_EQ(receiver_.submitted, Strings{"beta@c2"});
  EXPECT_EQ(receiver_.observed, Strings{"alpha@c2"});
  EXPECT_EQ(render_functions_made_, Strings{"beta"});
  EXPECT_EQ(events_.back(), "accepted c2: 1 cluster(s) changed, 1 unchanged");
}

TEST_F(CommitStepTest, ARejectedCommitKeepsTheLastAcceptedOneAndRecordsItsError) {
  const std::string alpha = definition("alpha", "01");
  ASSERT_EQ(take("c1", {{path_of("alpha"), alpha}, {path_of("beta"), definition("beta", "02")}}),
            CommitStep::Outcome::kAccepted);
  forget_what_happened();
  ASSERT_EQ(take("c2", {{path_of("alpha"), alpha},
                        {path_of("beta"), definition("beta", "02") + "  colour: blue\n"}}),
            CommitStep::Outcome::kRejected);
  EXPECT_TRUE(receiver_.submitted.empty());
  EXPECT_TRUE(receiver_.observed.empty());
  EXPECT_EQ(step_->accepted_commit(), "c1");
  EXPECT_TRUE(head_valid(0)) << metrics_.serialize();
  const state::ClusterRecord beta = record("beta");
  EXPECT_EQ(beta.observed_revision, "c2");
  EXPECT_EQ(beta.phase, state::ClusterPhase::kFailed) << "a cluster with nothing applied yet";
  EXPECT_TRUE(beta.rejection.starts_with("commit c2 rejected: clusters/beta/cluster.yaml:"))
      << beta.rejection;
  EXPECT_EQ(state::newest_error(beta), beta.rejection);
  EXPECT_EQ(beta.updated_at_ms, clock_.now_unix_ms());
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(events_[0].starts_with("rejected c2: clusters/beta/cluster.yaml:")) << events_[0];
  EXPECT_TRUE(record("alpha").rejection.empty()) << "an error names only its own cluster";

  // The fix is compared with the last accepted commit, not with the rejected one.
  forget_what_happened();
  ASSERT_EQ(take("c3", {{path_of("alpha"), alpha},
                        {path_of("beta"), definition("beta", "02", "v1.29.4")}}),
            CommitStep::Outcome::kAccepted);
  EXPECT_EQ(receiver_.submitted, Strings{"beta@c3"});
  EXPECT_TRUE(head_valid(1));
}

TEST_F(CommitStepTest, AnUnreadableCommitIsLeftForTheNextPoll) {
  source_.fail_reads(true);
  EXPECT_EQ(take("c1", {{path_of("alpha"), definition("alpha", "01")}}),
            CommitStep::Outcome::kUnread);
  EXPECT_TRUE(receiver_.submitted.empty());
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(step_->accepted_commit(), "");
  source_.fail_reads(false);
  EXPECT_EQ(step_->take("c1", clock_.now_unix_ms()), CommitStep::Outcome::kAccepted);
}

TEST_F(CommitStepTest, WhateverTheCommitThrowsRejectsItAndTheStepLivesOn) {
  source_.throw_on_read(true);
  EXPECT_EQ(take("c1", {{path_of("alpha"), definition("alpha", "01")}}),
            CommitStep::Outcome::kRejected);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_NE(events_[0].find("cannot process this commit (fake source: thrown on read)"),
            std::string::npos)
      << events_[0];
  source_.throw_on_read(false);
  EXPECT_EQ(take("c2", {{path_of("alpha"), definition("alpha", "01")}}),
            CommitStep::Outcome::kAccepted);
}

TEST_F(CommitStepTest, AVersionThatSkipsAMinorPastTheAppliedOneIsRejected) {
  ASSERT_EQ(take("c1", {{path_of("alpha"), definition("alpha", "01")}}),
            CommitStep::Outcome::kAccepted);
  state::ClusterRecord applied{
      .name = "alpha", .phase = state::ClusterPhase::kReady, .applied_revision = "c1"};
  ASSERT_TRUE(put_record(*store_, applied).ok());
  forget_what_happened();
  ASSERT_EQ(take("c2", {{path_of("alpha"), definition("alpha", "01", "v1.31.0")}}),
            CommitStep::Outcome::kRejected);
  EXPECT_TRUE(receiver_.submitted.empty());
  const state::ClusterRecord alpha = record("alpha");
  EXPECT_EQ(alpha.phase, state::ClusterPhase::kReady) << "a rejection keeps the record's state";
  EXPECT_EQ(alpha.applied_revision, "c1");
  EXPECT_TRUE(alpha.last_error.empty()) << "the reconcile's own error is left alone";
  EXPECT_NE(alpha.rejection.find("clusters/alpha/cluster.yaml:18:"), std::string::npos)
      << alpha.rejection;
}

TEST_F(CommitStepTest, AMacAnAcceptedClusterClaimsRejectsTheClusterThatTakesIt) {
  const std::string alpha = definition("alpha", "01");
  ASSERT_EQ(take("c1", {{path_of("alpha"), alpha}, {path_of("beta"), definition("beta", "02")}}),
            CommitStep::Outcome::kAccepted);
  forget_what_happened();
  std::string beta = definition("beta", "02");
  beta.replace(beta.find("52:54:00:00:02:01"), 17, "52:54:00:00:01:01");
  ASSERT_EQ(take("c2", {{path_of("alpha"), alpha}, {path_of("beta"), beta}}),
            CommitStep::Outcome::kRejected);
  EXPECT_NE(record("beta").rejection.find("cluster alpha"), std::string::npos)
      << record("beta").rejection;
}

TEST_F(CommitStepTest, AClusterNoLongerDefinedIsOrphanedOrWithPruneRemoved) {
  ASSERT_TRUE(put_record(*store_, {.name = "gone", .phase = state::ClusterPhase::kReady}).ok());
  ASSERT_EQ(take("c1", {{path_of("alpha"), definition("alpha", "01")}}),
            CommitStep::Outcome::kAccepted);
  EXPECT_EQ(receiver_.orphaned, Strings{"gone@c1"});
  EXPECT_TRUE(receiver_.pruned.empty());
  EXPECT_NE(std::find(events_.begin(), events_.end(), "removed gone at c1"), events_.end());

  make_step(/*prune=*/true);
  forget_what_happened();
  ASSERT_EQ(take("c2", {{path_of("alpha"), definition("alpha", "01")}}),
            CommitStep::Outcome::kAccepted);
  EXPECT_EQ(receiver_.pruned, Strings{"gone@c2"});
  EXPECT_TRUE(receiver_.orphaned.empty());
}

TEST_F(CommitStepTest, AnUntrustedSignatureRejectsTheCommitOnEveryClusterItNames) {
  std::vector<std::string> judged;
  verify_ = [&](const std::string& commit, const std::string& accepted) {
    judged.push_back(commit + " after " + accepted);
    return commit == "c2" ? source::SignatureCheck::rejected(source::Rejection::kUnsigned,
                                                             "the commit is not signed")
                          : source::SignatureCheck::trusted_by("ops");
  };
  make_step(/*prune=*/false);
  const std::string alpha = definition("alpha", "01");
  ASSERT_EQ(take("c1", {{path_of("alpha"), alpha}, {path_of("beta"), definition("beta", "02")}}),
            CommitStep::Outcome::kAccepted);
  forget_what_happened();
  ASSERT_EQ(take("c2", {{path_of("alpha"), alpha},
                        {path_of("beta"), definition("beta", "02", "v1.29.4")}}),
            CommitStep::Outcome::kRejected);
  EXPECT_EQ(judged, (Strings{"c1 after ", "c2 after c1"}));
  EXPECT_TRUE(receiver_.submitted.empty());
  EXPECT_TRUE(render_functions_made_.empty());
  EXPECT_EQ(step_->accepted_commit(), "c1");
  for (const std::string name : {"alpha", "beta"}) {
    EXPECT_EQ(record(name).rejection,
              "commit c2 rejected: clusters/" + name +
                  "/: error: signature not trusted (unsigned): the commit is not signed");
  }
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0],
            "rejected c2: clusters/alpha/: error: signature not trusted (unsigned): "
            "the commit is not signed");
  EXPECT_NE(
      metrics_.serialize().find("nkd_source_verification_failures_total{reason=\"unsigned\"} 1"),
      std::string::npos)
      << metrics_.serialize();
}

}  // namespace
}  // namespace nkd::syncd
