// The state store's contract (state/state_store.h and the headers of its parts), one suite run
// against every backend: the SQLite file (Sqlite/...) and a real etcd member (Etcd/...).
// The etcd cases share one member a process (started by the first case, stopped after the
// last; tests/CMakeLists.txt runs every Etcd* suite as one process) and each case writes under
// a prefix of its own, so no case sees another's keys.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "state/etcd_state_store.h"
#include "state/secret_sealer.h"
#include "state/sqlite_state_store.h"
#include "tests/support/etcd_member.h"
#include "tests/support/state_rows.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

using namespace rows;  // NOLINT(google-build-using-namespace): the suite's vocabulary

enum class Backend { kSqlite, kEtcd };
std::string name_of(Backend backend) { return backend == Backend::kSqlite ? "sqlite" : "etcd"; }
void PrintTo(Backend backend, std::ostream* out) { *out << name_of(backend); }

class StateContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void TearDownTestSuite() { etcd_member_.reset(); }

  void SetUp() override {
    if (GetParam() == Backend::kEtcd) {
      if (!etcd_member_) etcd_member_ = std::make_unique<nkd::testing::EtcdMember>();
      ASSERT_TRUE(etcd_member_->ready());
      const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      prefix_ = "/contract/" + name.substr(0, name.find('/'));  // without the parameter's "/0"
    }
    store_ = reopen();
    ASSERT_NE(store_, nullptr);
  }

  // A new store on the same state: what a restarted daemon opens. Sealed, as a daemon with a
  // state key keeps its state (and as the etcd backend always does).
  std::unique_ptr<StateStore> reopen(const std::vector<Secret>& keys = {test_state_key('c')}) {
    if (GetParam() == Backend::kSqlite) {
      auto opened = SqliteStateStore::open((scratch_.path() / "state.db").string(), real_clock(),
                                           test_sealer(keys));
      EXPECT_TRUE(opened.ok()) << opened.error().message;
      return opened.ok() ? std::move(*opened) : nullptr;
    }
    auto opened = EtcdStateStore::open(etcd_member_->settings(prefix_), real_clock(), nullptr,
                                       test_sealer(keys));
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  static inline std::unique_ptr<nkd::testing::EtcdMember> etcd_member_;
  nkd::testing::ScratchDir scratch_;
  std::string prefix_;
  std::unique_ptr<StateStore> store_;
};

TEST_P(StateContractTest, AnswersPing) { EXPECT_TRUE(store_->ping().ok()); }

TEST_P(StateContractTest, HistoryRowsKeepTheReplicaThatRanTheAttemptThroughItsEnd) {
  HistoryRow row = rows::attempt_row("lab", "d1", 1000);
  row.replica = "replica-b";
  const auto begun = store_->begin_attempt(row);
  ASSERT_TRUE(begun.ok()) << begun.error().message;
  ASSERT_TRUE(store_
                  ->finish_attempt(begun->id, Outcome::kApplied, "applied", 2000,
                                   rows::cluster_record("lab", "d1"), {})
                  .ok());
  // The same render applied again by another replica: the row takes its name.
  row.replica = "replica-c";
  const auto again = store_->begin_attempt(row);
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_TRUE(store_
                  ->finish_attempt(again->id, Outcome::kApplied, "applied", 3000,
                                   rows::cluster_record("lab", "d1"), {})
                  .ok());
  const std::vector<HistoryRow> history = rows::history_of(*store_, "lab");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history.front().replica, "replica-c");
}

TEST_P(StateContractTest, PkiRoundTrips) {
  EXPECT_FALSE(store_->load_pki("prod-east").value().has_value());
  const std::string json = R"({"ca":{"key":"-----BEGIN PRIVATE KEY-----\nAAA\n"}})";
  ASSERT_TRUE(store_->save_pki("prod-east", json).ok());
  ASSERT_TRUE(store_->save_pki("staging", "{\"other\":1}").ok());
  EXPECT_EQ(store_->load_pki("prod-east").value(), json);
  ASSERT_TRUE(store_->save_pki("prod-east", "{\"rotated\":true}").ok());
  EXPECT_EQ(store_->load_pki("prod-east").value(), "{\"rotated\":true}");
  EXPECT_EQ(store_->load_pki("staging").value(), "{\"other\":1}");
}

TEST_P(StateContractTest, ReplacePkiWritesOnlyOverTheRecordItWasGiven) {
  EXPECT_TRUE(store_->replace_pki("lab", std::nullopt, "{\"first\":1}").value());
  EXPECT_FALSE(store_->replace_pki("lab", std::nullopt, "{\"again\":1}").value())
      << "a record exists now";
  EXPECT_FALSE(store_->replace_pki("lab", std::string("{\"stale\":1}"), "{\"lost\":1}").value());
  EXPECT_EQ(store_->load_pki("lab").value(), "{\"first\":1}");
  EXPECT_TRUE(store_->replace_pki("lab", std::string("{\"first\":1}"), "{\"second\":1}").value());
  EXPECT_EQ(store_->load_pki("lab").value(), "{\"second\":1}");
}

TEST_P(StateContractTest, PublishedConfigsKeepTheNewestAndForgetRemovedNodes) {
  ASSERT_TRUE(
      store_
          ->save_published_configs("lab", {{"n0", "d0", "config zero"}, {"n1", "d1", "config one"}},
                                   {"n0", "n1"})
          .ok());
  ASSERT_TRUE(
      store_->save_published_configs("lab", {{"n1", "d1b", "config one, again"}}, {"n1"}).ok());
  EXPECT_FALSE(store_->load_published_config("lab", "n0").value().has_value());
  const auto one = store_->load_published_config("lab", "n1").value();
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->digest, "d1b");
  EXPECT_EQ(one->content, "config one, again");
  ASSERT_TRUE(store_->delete_published_configs("lab").ok());
  EXPECT_FALSE(store_->load_published_config("lab", "n1").value().has_value());
}

TEST_P(StateContractTest, NoteRevisionMovesOnlyHealthyMatchingClustersAndTouchesNothingElse) {
  ASSERT_TRUE(put_record(*store_, ClusterRecord{.name = "ready",
                                                .phase = nkd::state::ClusterPhase::kReady,
                                                .observed_revision = "r1",
                                                .applied_revision = "r1",
                                                .render_digest = "d1"})
                  .ok());
  ASSERT_TRUE(
      put_record(*store_, ClusterRecord{.name = "pending",
                                        .phase = nkd::state::ClusterPhase::kWaitingForCluster,
                                        .observed_revision = "r1",
                                        .applied_revision = "r1",
                                        .render_digest = "d1"})
          .ok());
  ASSERT_TRUE(put_record(*store_, ClusterRecord{.name = "failed",
                                                .phase = nkd::state::ClusterPhase::kFailed,
                                                .observed_revision = "r1",
                                                .applied_revision = "r0",
                                                .render_digest = "d0",
                                                .last_error = "boom"})
                  .ok());
  ASSERT_TRUE(store_
                  ->note_revision({{"ready", std::nullopt},
                                   {"pending", std::string("d2")},
                                   {"failed", std::nullopt},
                                   {"new", std::nullopt}},
                                  "r2", 5)
                  .ok());
  EXPECT_EQ(store_->get_cluster("ready").value()->applied_revision, "r2");
  EXPECT_EQ(store_->get_cluster("pending").value()->applied_revision, "r1")
      << "its newer target is not applied yet";
  EXPECT_EQ(store_->get_cluster("pending").value()->observed_revision, "r2");
  EXPECT_EQ(store_->get_cluster("failed").value()->applied_revision, "r0");
  EXPECT_EQ(store_->get_cluster("failed").value()->last_error, "boom");
  EXPECT_EQ(store_->get_cluster("new").value()->observed_revision, "r2");
  EXPECT_EQ(store_->get_cluster("new").value()->phase, nkd::state::ClusterPhase::kPending);
}

// The source and the reconcile share a record: each writes only its own columns, so a reconcile
// that read the record before a commit was rejected cannot undo the rejection.
TEST_P(StateContractTest, EachWriterWritesOnlyItsOwnColumns) {
  ClusterRecord read_by_the_worker = cluster_record("lab", "d1");
  ASSERT_TRUE(put_record(*store_, read_by_the_worker).ok());
  ASSERT_TRUE(
      store_
          ->note_rejection("lab", "r9", "commit r9 rejected: clusters/lab/cluster.yaml:3:1: x", 10)
          .ok());
  read_by_the_worker.phase = ClusterPhase::kWaitingForCluster;
  read_by_the_worker.last_error = "";
  ASSERT_TRUE(store_->save_status(read_by_the_worker).ok());

  ClusterRecord stored = store_->get_cluster("lab").value().value();
  EXPECT_EQ(stored.observed_revision, "r9");
  EXPECT_EQ(stored.rejection, "commit r9 rejected: clusters/lab/cluster.yaml:3:1: x");
  EXPECT_EQ(stored.phase, ClusterPhase::kWaitingForCluster);
  EXPECT_EQ(newest_error(stored), stored.rejection);

  // A rejection leaves the reconcile's columns alone; an accepted commit clears the rejection.
  read_by_the_worker.last_error = "quota exceeded";
  ASSERT_TRUE(store_->save_status(read_by_the_worker).ok());
  ASSERT_TRUE(store_->note_rejection("lab", "r10", "commit r10 rejected: y", 11).ok());
  EXPECT_EQ(store_->get_cluster("lab").value()->last_error, "quota exceeded");
  ASSERT_TRUE(store_->note_revision({{.cluster = "lab", .unchanged = false}}, "r11", 12).ok());
  stored = store_->get_cluster("lab").value().value();
  EXPECT_EQ(stored.observed_revision, "r11");
  EXPECT_TRUE(stored.rejection.empty());
  EXPECT_EQ(stored.last_error, "quota exceeded");
  EXPECT_EQ(newest_error(stored), "quota exceeded");
  EXPECT_EQ(stored.applied_revision, "rev-app") << "a changed cluster's applied revision waits";

  // A cluster rejected before anything was applied to it is recorded as failed.
  ASSERT_TRUE(store_->note_rejection("new", "r1", "commit r1 rejected: z", 13).ok());
  EXPECT_EQ(store_->get_cluster("new").value()->phase, ClusterPhase::kFailed);
}

TEST_P(StateContractTest, AFetchNotesOnlyWhatItSaw) {
  NodeRecord node = node_record("lab", "n0");
  node.kubelet_version = "v1.29.4";
  node.os_image = "NestOS 24.03";
  ASSERT_TRUE(store_->put_node(node).ok());
  NodeRecord fetched{.cluster = "lab",
                     .name = "n0",
                     .config_digest = "other",
                     .fetched_digest = "f1",
                     .state = NodeState::kProvisioned,
                     .updated_at_ms = 9};
  ASSERT_TRUE(store_->note_fetch(fetched).ok());
  const NodeRecord stored = store_->nodes("lab").value().at(0);
  EXPECT_EQ(stored.fetched_digest, "f1");
  EXPECT_EQ(stored.state, NodeState::kProvisioned);
  EXPECT_EQ(stored.config_digest, "cfg-n0") << "what the node should have is the reconcile's";
  EXPECT_EQ(stored.kubelet_version, "v1.29.4");
  EXPECT_EQ(stored.os_image, "NestOS 24.03");
  EXPECT_EQ(stored.pool, "workers");
  fetched.name = "n1";
  ASSERT_TRUE(store_->note_fetch(fetched).ok());
  EXPECT_EQ(store_->nodes("lab").value().size(), 2u) << "a node not recorded yet is recorded whole";
}

TEST_P(StateContractTest, NoteRevisionKeepsEachClustersExpectationApart) {
  std::vector<StateStore::RevisionNote> notes;
  for (int i = 0; i < 50; ++i) {
    const std::string name = "c" + std::to_string(i);
    ASSERT_TRUE(put_record(*store_, ClusterRecord{.name = name,
                                                  .phase = nkd::state::ClusterPhase::kReady,
                                                  .observed_revision = "r1",
                                                  .applied_revision = "r1",
                                                  .render_digest = "d"})
                    .ok());
    // Every other note expects a digest the cluster does not have: its bindings must not leak
    // into the next note.
    notes.push_back({name, i % 2 == 0 ? std::optional<std::string>() : std::string("other")});
  }
  ASSERT_TRUE(store_->note_revision(notes, "r2", 7).ok());
  for (int i = 0; i < 50; ++i) {
    const auto record = store_->get_cluster("c" + std::to_string(i)).value();
    EXPECT_EQ(record->observed_revision, "r2") << i;
    EXPECT_EQ(record->applied_revision, i % 2 == 0 ? "r2" : "r1") << i;
  }
}

TEST_P(StateContractTest, ClusterRecordsPutGetListDelete) {
  ClusterRecord west = cluster_record("west", "d-west");
  west.last_error = "quota exceeded on dc1";
  west.ready = false;
  ASSERT_TRUE(put_record(*store_, cluster_record("prod-east", "d-east")).ok());
  ASSERT_TRUE(put_record(*store_, west).ok());
  ASSERT_TRUE(store_->put_node(node_record("west", "west-workers-0")).ok());

  auto got = store_->get_cluster("west").value();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, "west");
  EXPECT_EQ(got->phase, nkd::state::ClusterPhase::kReady);
  EXPECT_EQ(got->observed_revision, "rev-obs");
  EXPECT_EQ(got->applied_revision, "rev-app");
  EXPECT_EQ(got->cluster_revision, "rev-cl");
  EXPECT_EQ(got->render_digest, "d-west");
  EXPECT_FALSE(got->ready);
  EXPECT_EQ(got->last_error, "quota exceeded on dc1");
  EXPECT_EQ(got->applied_at_ms, 1700000001000);
  EXPECT_EQ(got->updated_at_ms, 1700000002000);
  EXPECT_TRUE(store_->get_cluster("prod-east").value()->ready);
  EXPECT_FALSE(store_->get_cluster("absent").value().has_value());

  auto listed = store_->list_clusters().value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "prod-east");
  EXPECT_EQ(listed[1].name, "west");

  west.phase = nkd::state::ClusterPhase::kFailed;
  ASSERT_TRUE(put_record(*store_, west).ok());
  EXPECT_EQ(store_->get_cluster("west").value()->phase, nkd::state::ClusterPhase::kFailed);

  ASSERT_TRUE(store_->delete_cluster("west").ok());
  EXPECT_FALSE(store_->get_cluster("west").value().has_value());
  EXPECT_TRUE(store_->nodes("west").value().empty());
  EXPECT_EQ(store_->list_clusters().value().size(), 1u);
}

TEST_P(StateContractTest, BeginAttemptResumesOpenRowWithSameDigest) {
  auto first = store_->begin_attempt(attempt_row("prod-east", "d1", 1000, "rev-a")).value();
  EXPECT_GT(first.id, 0);
  EXPECT_EQ(first.outcome, Outcome::kPending);
  auto again = store_->begin_attempt(attempt_row("prod-east", "d1", 2000, "rev-b")).value();
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.revision, "rev-a");
  EXPECT_EQ(again.started_at_ms, 1000);
  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, Outcome::kPending);
}

TEST_P(StateContractTest, BeginAttemptSupersedesOpenRowWithOtherDigest) {
  auto first = store_->begin_attempt(attempt_row("prod-east", "d1", 1000)).value();
  auto other_cluster = store_->begin_attempt(attempt_row("west", "d1", 1000)).value();
  auto second = store_->begin_attempt(attempt_row("prod-east", "d2", 5000)).value();
  EXPECT_NE(second.id, first.id);
  EXPECT_EQ(second.outcome, Outcome::kPending);

  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, second.id);
  EXPECT_EQ(rows[0].outcome, Outcome::kPending);
  EXPECT_EQ(rows[1].id, first.id);
  EXPECT_EQ(rows[1].outcome, Outcome::kSuperseded);
  EXPECT_EQ(rows[1].finished_at_ms, 5000);
  // Another cluster's open attempt is not touched.
  EXPECT_EQ(history_of(*store_, "west").at(0).outcome, Outcome::kPending);
  EXPECT_EQ(history_of(*store_, "west").at(0).id, other_cluster.id);
}

TEST_P(StateContractTest, FinishAttemptCollapsesRepeatedOutcome) {
  const auto first_id = run_attempt(*store_, "prod-east", "d1", Outcome::kFailed, "timeout", 1000);
  run_attempt(*store_, "prod-east", "d1", Outcome::kFailed, "quota", 3000);
  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, first_id);
  EXPECT_EQ(rows[0].outcome, Outcome::kFailed);
  EXPECT_EQ(rows[0].message, "quota");
  EXPECT_EQ(rows[0].started_at_ms, 1000);
  EXPECT_EQ(rows[0].finished_at_ms, 3500);
}

TEST_P(StateContractTest, FinishAttemptKeepsNewRowWhenOutcomeChanges) {
  run_attempt(*store_, "prod-east", "d1", Outcome::kFailed, "timeout", 1000);
  const auto applied_id = run_attempt(*store_, "prod-east", "d1", Outcome::kApplied, "", 3000);
  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, applied_id);
  EXPECT_EQ(rows[0].outcome, Outcome::kApplied);
  EXPECT_EQ(rows[1].outcome, Outcome::kFailed);
}

TEST_P(StateContractTest, FinishAttemptKeepsNewRowWhenDigestChanges) {
  run_attempt(*store_, "prod-east", "d1", Outcome::kApplied, "", 1000);
  run_attempt(*store_, "prod-east", "d2", Outcome::kApplied, "", 3000);
  run_attempt(*store_, "prod-east", "d2", Outcome::kApplied, "again", 5000);
  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].render_digest, "d2");
  EXPECT_EQ(rows[0].message, "again");
  EXPECT_EQ(rows[1].render_digest, "d1");
}

TEST_P(StateContractTest, HistoryIsNewestFirstAndHonoursLimit) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(run_attempt(*store_, "prod-east", "d" + std::to_string(i), Outcome::kApplied, "",
                              1000 * (i + 1)));
  }
  run_attempt(*store_, "west", "w1", Outcome::kApplied, "", 9000);
  auto limited = store_->history("prod-east", 3).value();
  ASSERT_EQ(limited.size(), 3u);
  EXPECT_EQ(limited[0].id, ids[4]);
  EXPECT_EQ(limited[1].id, ids[3]);
  EXPECT_EQ(limited[2].id, ids[2]);
  EXPECT_EQ(limited[0].render_digest, "d4");
  EXPECT_EQ(limited[0].revision, "rev-1");
  EXPECT_EQ(limited[0].author, "Ops <ops@example.org>");
  EXPECT_EQ(limited[0].committed_at_ms, 1700000000000);
  EXPECT_EQ(history_of(*store_, "prod-east").size(), 5u);
  EXPECT_EQ(history_of(*store_, "west").size(), 1u);
  EXPECT_TRUE(history_of(*store_, "absent").empty());
}

TEST_P(StateContractTest, FinishAttemptReplacesNodesAtomically) {
  run_attempt(*store_, "prod-east", "d1", Outcome::kApplied, "", 1000,
              {node_record("prod-east", "a"), node_record("prod-east", "b"),
               node_record("prod-east", "c")});
  ASSERT_TRUE(store_->put_node(node_record("west", "w")).ok());
  run_attempt(
      *store_, "prod-east", "d2", Outcome::kApplied, "", 2000,
      {node_record("prod-east", "b", NodeState::kProvisioning), node_record("prod-east", "d")});
  auto nodes = store_->nodes("prod-east").value();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].name, "b");
  EXPECT_EQ(nodes[0].state, nkd::state::NodeState::kProvisioning);
  EXPECT_EQ(nodes[0].provider_id, "openstack:///b");
  EXPECT_EQ(nodes[0].config_digest, "cfg-b");
  EXPECT_EQ(nodes[1].name, "d");
  EXPECT_EQ(store_->nodes("west").value().size(), 1u);
}

TEST_P(StateContractTest, FinishAttemptRejectsUnknownSupersededAndPendingOutcomes) {
  auto first = store_->begin_attempt(attempt_row("prod-east", "d1", 1000)).value();
  auto second = store_->begin_attempt(attempt_row("prod-east", "d2", 2000)).value();
  const auto record = cluster_record("prod-east", "d1");

  auto superseded = store_->finish_attempt(first.id, Outcome::kApplied, "", 3000, record, {});
  ASSERT_FALSE(superseded.ok());
  EXPECT_EQ(superseded.error().code, ErrorCode::kConflict);
  auto unknown = store_->finish_attempt(4242, Outcome::kApplied, "", 3000, record, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto pending = store_->finish_attempt(second.id, Outcome::kPending, "", 3000, record, {});
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().code, ErrorCode::kInvalidArgument);
  auto wrong_cluster = store_->finish_attempt(second.id, Outcome::kApplied, "", 3000,
                                              cluster_record("west", "d2"), {});
  ASSERT_FALSE(wrong_cluster.ok());
  EXPECT_EQ(wrong_cluster.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(store_->get_cluster("prod-east").value().has_value());
}

TEST_P(StateContractTest, IntentsAreAddedListedAndCompleted) {
  const auto create_a = store_->add_intent(make_intent(
      "prod-east", "create-server", "prod-east-workers-0", "{\"flavor\":\"m1.large\"}", 100));
  const auto delete_b = store_->add_intent(make_intent("prod-east", "delete-server", "b", "", 200));
  const auto west = store_->add_intent(make_intent("west", "create-server", "w"));
  ASSERT_TRUE(create_a.ok() && delete_b.ok() && west.ok());

  auto pending = store_->pending_intents("prod-east").value();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, *create_a);
  EXPECT_EQ(pending[0].kind, "create-server");
  EXPECT_EQ(pending[0].target, "prod-east-workers-0");
  EXPECT_EQ(pending[0].payload, "{\"flavor\":\"m1.large\"}");
  EXPECT_EQ(pending[0].created_at_ms, 100);
  EXPECT_EQ(pending[1].id, *delete_b);

  ASSERT_TRUE(store_->complete_intent(*create_a).ok());
  ASSERT_TRUE(store_->complete_intent(*create_a).ok());  // repeating is harmless
  pending = store_->pending_intents("prod-east").value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, *delete_b);
  EXPECT_EQ(store_->pending_intents("").value().size(), 2u);
  auto unknown = store_->complete_intent(99999);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_P(StateContractTest, ConcurrentCallsFromThreadsAllSucceed) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string cluster = "c" + std::to_string(t);
      for (int i = 0; i < 25; ++i) {
        auto begun = store_->begin_attempt(attempt_row(cluster, "d" + std::to_string(i), i + 1));
        if (!begun) {
          ++failures[t];
          continue;
        }
        auto done = store_->finish_attempt(begun->id, Outcome::kApplied, "", i + 2,
                                           cluster_record(cluster, "d"), {});
        if (!done) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(failures[t], 0);
    EXPECT_EQ(history_of(*store_, "c" + std::to_string(t)).size(), 25u);
  }
}

TEST_P(StateContractTest, ReopeningKeepsEverything) {
  ASSERT_TRUE(store_->save_pki("prod-east", "{\"ca\":1}").ok());
  run_attempt(*store_, "prod-east", "d1", Outcome::kFailed, "boom", 1000);
  run_attempt(*store_, "prod-east", "d1", Outcome::kApplied, "", 2000,
              {node_record("prod-east", "a")});
  ASSERT_TRUE(store_->begin_attempt(attempt_row("prod-east", "d2", 3000)).ok());
  const std::int64_t intent_id =
      store_->add_intent(make_intent("prod-east", "create-server")).value();
  store_.reset();

  store_ = reopen();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->load_pki("prod-east").value(), "{\"ca\":1}");
  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].outcome, Outcome::kPending);
  EXPECT_EQ(rows[1].outcome, Outcome::kApplied);
  EXPECT_EQ(rows[2].message, "boom");
  EXPECT_EQ(store_->get_cluster("prod-east").value()->render_digest, "d1");
  EXPECT_EQ(store_->nodes("prod-east").value().size(), 1u);
  ASSERT_EQ(store_->pending_intents("prod-east").value().size(), 1u);
  EXPECT_EQ(store_->pending_intents("prod-east").value()[0].id, intent_id);
  // The pending attempt resumes after the restart.
  EXPECT_EQ(store_->begin_attempt(attempt_row("prod-east", "d2", 4000)).value().id, rows[0].id);
}

TEST_P(StateContractTest, SuspendAndResumeAreStoredWithTheirHistoryRows) {
  const Suspension suspension{.cluster = "prod", .reason = "incident", .since_ms = 1000};
  EXPECT_TRUE(store_->set_suspension("prod", suspension, marker("prod", Outcome::kSuspended, 1000))
                  .value());
  // Already suspended: nothing written, not even a row.
  EXPECT_FALSE(store_->set_suspension("prod", suspension, marker("prod", Outcome::kSuspended, 2000))
                   .value());
  EXPECT_EQ(store_->history("prod", 0).value().size(), 1u);

  store_ = reopen();
  ASSERT_NE(store_, nullptr);
  auto stored = store_->suspensions().value();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].cluster, "prod");
  EXPECT_EQ(stored[0].reason, "incident");
  EXPECT_EQ(stored[0].since_ms, 1000);
  EXPECT_TRUE(store_->set_suspension("prod", std::nullopt, marker("prod", Outcome::kResumed, 3000))
                  .value());
  EXPECT_FALSE(store_->set_suspension("prod", std::nullopt, marker("prod", Outcome::kResumed, 4000))
                   .value());
  EXPECT_TRUE(store_->suspensions().value().empty());
  const auto rows = store_->history("prod", 0).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].outcome, Outcome::kResumed);
  EXPECT_EQ(rows[1].outcome, Outcome::kSuspended);
  EXPECT_EQ(rows[1].finished_at_ms, 1000);
}

TEST_P(StateContractTest, SuspensionRefusesARowThatDoesNotMatchTheChange) {
  const Suspension suspension{.cluster = "prod", .since_ms = 1};
  EXPECT_EQ(
      store_->set_suspension("prod", suspension, marker("prod", Outcome::kApplied, 1)).error().code,
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->set_suspension("prod", suspension, marker("other", Outcome::kSuspended, 1))
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->suspensions().value().empty());
  EXPECT_TRUE(store_->history("prod", 0).value().empty());
}

// A suspension's marker row counts as the previous finished row: an attempt after it keeps a
// row of its own even with the digest and outcome of the row before the marker.
TEST_P(StateContractTest, AMarkerRowSeparatesAttemptsWithTheSameOutcome) {
  run_attempt(*store_, "prod", "d1", Outcome::kApplied, "", 1000);
  ASSERT_TRUE(store_
                  ->set_suspension("prod", Suspension{.cluster = "prod", .since_ms = 2000},
                                   marker("prod", Outcome::kSuspended, 2000))
                  .value());
  ASSERT_TRUE(store_->set_suspension("prod", std::nullopt, marker("prod", Outcome::kResumed, 3000))
                  .value());
  run_attempt(*store_, "prod", "d1", Outcome::kApplied, "", 4000);
  run_attempt(*store_, "prod", "d1", Outcome::kApplied, "again", 5000);
  const auto rows = history_of(*store_, "prod");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].outcome, Outcome::kApplied);
  EXPECT_EQ(rows[0].message, "again");
  EXPECT_EQ(rows[0].started_at_ms, 4000);
  EXPECT_EQ(rows[1].outcome, Outcome::kResumed);
}

TEST_P(StateContractTest, DeletingAClusterKeepsItsPkiAndHistory) {
  ASSERT_TRUE(store_->save_pki("lab", "{\"ca\":1}").ok());
  run_attempt(*store_, "lab", "d1", Outcome::kApplied, "", 1000, {node_record("lab", "n0")});
  run_attempt(*store_, "lab-two", "d1", Outcome::kApplied, "", 1000,
              {node_record("lab-two", "n0")});
  ASSERT_TRUE(store_->delete_cluster("lab").ok());
  EXPECT_FALSE(store_->get_cluster("lab").value().has_value());
  EXPECT_TRUE(store_->nodes("lab").value().empty());
  EXPECT_EQ(store_->nodes("lab-two").value().size(), 1u) << "a cluster whose name starts alike";
  EXPECT_EQ(store_->load_pki("lab").value(), "{\"ca\":1}");
  EXPECT_EQ(history_of(*store_, "lab").size(), 1u);
}

std::string param_name(const ::testing::TestParamInfo<Backend>& info) {
  return name_of(info.param);
}
TEST_P(StateContractTest, SealedValuesAreCountedAndSealedAgainWithTheCurrentKey) {
  ASSERT_TRUE(store_->save_pki("edge", R"({"ca":"-----BEGIN PRIVATE KEY-----"})").ok());
  ASSERT_TRUE(
      store_
          ->save_published_configs(
              "edge", {{.node = "n0", .digest = "d0", .content = R"({"ignition":{}})"}}, {"n0"})
          .ok());
  const std::string old_id = SecretSealer::key_id_for(test_state_key('c'));
  const std::string new_id = SecretSealer::key_id_for(test_state_key('d'));
  EXPECT_EQ(store_->sealed_value_counts().value(),
            (std::map<std::string, std::int64_t>{{old_id, 2}}));

  store_ = reopen({test_state_key('d'), test_state_key('c')});
  EXPECT_EQ(store_->reseal_all().value(), 2);
  EXPECT_EQ(store_->reseal_all().value(), 0);
  EXPECT_EQ(store_->sealed_value_counts().value(),
            (std::map<std::string, std::int64_t>{{new_id, 2}}));

  store_ = reopen({test_state_key('d')});
  EXPECT_EQ(store_->load_pki("edge").value().value_or(""),
            R"({"ca":"-----BEGIN PRIVATE KEY-----"})");
  EXPECT_EQ(store_->load_published_config("edge", "n0").value().value().content,
            R"({"ignition":{}})");
  store_ = reopen({test_state_key('c')});
  auto refused = store_->load_pki("edge");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(store_->load_published_config("edge", "n0").ok());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StateContractTest, ::testing::Values(Backend::kSqlite),
                         param_name);
INSTANTIATE_TEST_SUITE_P(Etcd, StateContractTest, ::testing::Values(Backend::kEtcd), param_name);

}  // namespace
}  // namespace nkd::state
