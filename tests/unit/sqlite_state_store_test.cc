// Tests of the SQLite state store against real files. A second, independent SQLite connection
// inspects the file where the store's own answers would not be proof (modes, schema versions).
#include "state/sqlite_state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "state/sqlite_handles.h"
#include "state/sqlite_schema.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

using nkd::testing::ScratchDir;
namespace fs = std::filesystem;

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// Runs `sql` on a fresh connection of its own and returns the first column of the first row.
std::string raw_query(const fs::path& path, const std::string& sql) {
  auto db = sqlite::open_database(path.string(), /*create=*/true);
  EXPECT_TRUE(db.ok()) << db.error().message;
  if (!db) return "";
  auto statement = sqlite::Statement::prepare(db->get(), sql);
  EXPECT_TRUE(statement.ok()) << statement.error().message;
  if (!statement) return "";
  auto row = statement->step();
  EXPECT_TRUE(row.ok()) << row.error().message;
  return row.ok() && *row ? statement->text(0) : "";
}

void raw_exec(const fs::path& path, const std::string& sql) {
  auto db = sqlite::open_database(path.string(), /*create=*/true);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto done = sqlite::exec(db->get(), sql, "test setup");
  ASSERT_TRUE(done.ok()) << done.error().message;
}

std::unique_ptr<SqliteStateStore> open_store(const fs::path& path) {
  auto store = SqliteStateStore::open(path.string());
  EXPECT_TRUE(store.ok()) << store.error().message;
  return store.ok() ? std::move(*store) : nullptr;
}

HistoryRow attempt_row(const std::string& cluster, const std::string& digest,
                       std::int64_t started_at_ms, const std::string& revision = "rev-1") {
  HistoryRow row;
  row.cluster = cluster;
  row.revision = revision;
  row.author = "Ops <ops@example.org>";
  row.committed_at_ms = 1700000000000;
  row.render_digest = digest;
  row.started_at_ms = started_at_ms;
  return row;
}

Intent make_intent(const std::string& cluster, const std::string& kind,
                   const std::string& target = "", const std::string& payload = "",
                   std::int64_t created_at_ms = 0) {
  return Intent{.id = 0,
                .cluster = cluster,
                .kind = kind,
                .target = target,
                .payload = payload,
                .created_at_ms = created_at_ms};
}

ClusterRecord cluster_record(const std::string& name, const std::string& digest) {
  return ClusterRecord{.name = name,
                       .phase = nkd::state::ClusterPhase::kReady,
                       .observed_revision = "rev-obs",
                       .applied_revision = "rev-app",
                       .cluster_revision = "rev-cl",
                       .render_digest = digest,
                       .ready = true,
                       .last_error = "",
                       .applied_at_ms = 1700000001000,
                       .updated_at_ms = 1700000002000};
}

NodeRecord node_record(const std::string& cluster, const std::string& name,
                       NodeState state = NodeState::kReady) {
  return NodeRecord{.cluster = cluster,
                    .name = name,
                    .pool = "workers",
                    .role = "worker",
                    .provider_id = "openstack:///" + name,
                    .config_digest = "cfg-" + name,
                    .fetched_digest = "",
                    .state = state,
                    .updated_at_ms = 1700000003000};
}

// Runs one whole attempt and returns the id begin_attempt handed out.
std::int64_t run_attempt(SqliteStateStore& store, const std::string& cluster,
                         const std::string& digest, Outcome outcome, const std::string& message,
                         std::int64_t at_ms, const std::vector<NodeRecord>& nodes = {}) {
  auto begun = store.begin_attempt(attempt_row(cluster, digest, at_ms));
  EXPECT_TRUE(begun.ok()) << begun.error().message;
  if (!begun) return 0;
  auto finished = store.finish_attempt(begun->id, outcome, message, at_ms + 500,
                                       cluster_record(cluster, digest), nodes);
  EXPECT_TRUE(finished.ok()) << finished.error().message;
  return begun->id;
}

std::vector<HistoryRow> history_of(SqliteStateStore& store, const std::string& cluster) {
  auto rows = store.history(cluster, 0);
  EXPECT_TRUE(rows.ok()) << rows.error().message;
  return rows.ok() ? *rows : std::vector<HistoryRow>{};
}

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = scratch_.path() / "state.db";
    store_ = open_store(path_);
    ASSERT_NE(store_, nullptr);
  }

  ScratchDir scratch_;
  fs::path path_;
  std::unique_ptr<SqliteStateStore> store_;
};

TEST(SqliteStateStoreFileTest, CreatesPrivateFileAndDirectoriesInWalModeWithFullSync) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "var" / "lib" / "nkd" / "state.db";
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->save_pki("prod-east", "{}").ok());

  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(path.parent_path()), 0700u);
  EXPECT_EQ(mode_of(scratch.path() / "var"), 0700u);
  ASSERT_TRUE(fs::exists(path.string() + "-wal"));
  EXPECT_EQ(mode_of(path.string() + "-wal"), 0600u);
  // WAL is recorded in the file itself, so an independent connection sees it.
  EXPECT_EQ(raw_query(path, "PRAGMA journal_mode"), "wal");
  // synchronous and foreign_keys are per connection: ask the store's own.
  EXPECT_EQ(store->pragma_value("synchronous").value(), "2");
  EXPECT_EQ(store->pragma_value("foreign_keys").value(), "1");
  EXPECT_EQ(store->pragma_value("busy_timeout").value(), "5000");
  EXPECT_EQ(store->pragma_value("user_version").value(), std::to_string(kSqliteSchemaVersion));
  EXPECT_FALSE(store->pragma_value("writable_schema").ok());
  EXPECT_EQ(store->integrity_check().value(), "ok");
  EXPECT_TRUE(store->ping().ok());
}

TEST(SqliteStateStoreFileTest, NarrowsModeOfExistingFileTo0600) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "state.db";
  raw_exec(path, "CREATE TABLE unrelated (x)");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST(SqliteStateStoreFileTest, RejectsFileThatIsNotADatabase) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "state.db";
  nkd::testing::write_file(path, std::string(4096, 'x'));
  auto store = SqliteStateStore::open(path.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(path.string()), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos)
      << store.error().message;
}

TEST_F(SqliteStateStoreTest, PkiRoundTrips) {
  EXPECT_FALSE(store_->load_pki("prod-east").value().has_value());
  const std::string json = R"({"ca":{"key":"-----BEGIN PRIVATE KEY-----\nAAA\n"}})";
  ASSERT_TRUE(store_->save_pki("prod-east", json).ok());
  ASSERT_TRUE(store_->save_pki("staging", "{\"other\":1}").ok());
  EXPECT_EQ(store_->load_pki("prod-east").value(), json);
  ASSERT_TRUE(store_->save_pki("prod-east", "{\"rotated\":true}").ok());
  EXPECT_EQ(store_->load_pki("prod-east").value(), "{\"rotated\":true}");
  EXPECT_EQ(store_->load_pki("staging").value(), "{\"other\":1}");
}

TEST_F(SqliteStateStoreTest, ReplacePkiWritesOnlyOverTheRecordItWasGiven) {
  EXPECT_TRUE(store_->replace_pki("lab", std::nullopt, "{\"first\":1}").value());
  EXPECT_FALSE(store_->replace_pki("lab", std::nullopt, "{\"again\":1}").value())
      << "a record exists now";
  EXPECT_FALSE(store_->replace_pki("lab", std::string("{\"stale\":1}"), "{\"lost\":1}").value());
  EXPECT_EQ(store_->load_pki("lab").value(), "{\"first\":1}");
  EXPECT_TRUE(store_->replace_pki("lab", std::string("{\"first\":1}"), "{\"second\":1}").value());
  EXPECT_EQ(store_->load_pki("lab").value(), "{\"second\":1}");
}

TEST_F(SqliteStateStoreTest, PublishedConfigsKeepTheNewestAndForgetRemovedNodes) {
  ASSERT_TRUE(store_->save_published_configs("lab", {{"n0", "d0", "config zero"}, {"n1", "d1", "config one"}},
                                             {"n0", "n1"}).ok());
  ASSERT_TRUE(store_->save_published_configs("lab", {{"n1", "d1b", "config one, again"}}, {"n1"}).ok());
  EXPECT_FALSE(store_->load_published_config("lab", "n0").value().has_value());
  const auto one = store_->load_published_config("lab", "n1").value();
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->digest, "d1b");
  EXPECT_EQ(one->content, "config one, again");
  ASSERT_TRUE(store_->delete_published_configs("lab").ok());
  EXPECT_FALSE(store_->load_published_config("lab", "n1").value().has_value());
}

TEST_F(SqliteStateStoreTest, NoteRevisionMovesOnlyHealthyMatchingClustersAndTouchesNothingElse) {
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
  ASSERT_TRUE(store_->note_revision({{"ready", std::nullopt}, {"pending", std::string("d2")},
                                     {"failed", std::nullopt}, {"new", std::nullopt}},
                                    "r2", 5).ok());
  EXPECT_EQ(store_->get_cluster("ready").value()->applied_revision, "r2");
  EXPECT_EQ(store_->get_cluster("pending").value()->applied_revision, "r1") << "its newer target is not applied yet";
  EXPECT_EQ(store_->get_cluster("pending").value()->observed_revision, "r2");
  EXPECT_EQ(store_->get_cluster("failed").value()->applied_revision, "r0");
  EXPECT_EQ(store_->get_cluster("failed").value()->last_error, "boom");
  EXPECT_EQ(store_->get_cluster("new").value()->observed_revision, "r2");
  EXPECT_EQ(store_->get_cluster("new").value()->phase, nkd::state::ClusterPhase::kPending);
}

// The source and the reconcile share a record: each writes only its own columns, so a reconcile
// that read the record before a commit was rejected cannot undo the rejection.
TEST_F(SqliteStateStoreTest, EachWriterWritesOnlyItsOwnColumns) {
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

TEST_F(SqliteStateStoreTest, AFetchNotesOnlyWhatItSaw) {
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

// Version 6 kept a rejected commit's error in last_error; version 7 moves it to its own column.
TEST_F(SqliteStateStoreTest, MigrationToVersionSevenMovesRejectionsToTheirColumn) {
  ASSERT_TRUE(put_record(*store_, cluster_record("rejected", "d1")).ok());
  ClusterRecord failing = cluster_record("failing", "d1");
  failing.last_error = "quota exceeded";
  ASSERT_TRUE(put_record(*store_, failing).ok());
  const std::string path = store_->path();
  store_.reset();
  {
    auto db = sqlite::open_database(path, /*create=*/false).value();
    ASSERT_TRUE(
        sqlite::exec(db.get(),
                     "ALTER TABLE clusters DROP COLUMN rejection;"
                     "UPDATE clusters SET last_error = 'commit abc rejected: x.yaml:1:1: y' "
                     "WHERE name = 'rejected'; PRAGMA user_version = 6;",
                     "downgrading to version 6")
            .ok());
  }
  store_ = SqliteStateStore::open(path).value();
  EXPECT_EQ(store_->get_cluster("rejected").value()->rejection,
            "commit abc rejected: x.yaml:1:1: y");
  EXPECT_TRUE(store_->get_cluster("rejected").value()->last_error.empty());
  EXPECT_EQ(store_->get_cluster("failing").value()->last_error, "quota exceeded");
  EXPECT_TRUE(store_->get_cluster("failing").value()->rejection.empty());
}

TEST_F(SqliteStateStoreTest, NoteRevisionReusesOneStatementForEveryCluster) {
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

TEST_F(SqliteStateStoreTest, ClusterRecordsPutGetListDelete) {
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

TEST_F(SqliteStateStoreTest, BeginAttemptResumesOpenRowWithSameDigest) {
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

TEST_F(SqliteStateStoreTest, BeginAttemptSupersedesOpenRowWithOtherDigest) {
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

TEST_F(SqliteStateStoreTest, FinishAttemptCollapsesRepeatedOutcome) {
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

TEST_F(SqliteStateStoreTest, FinishAttemptKeepsNewRowWhenOutcomeChanges) {
  run_attempt(*store_, "prod-east", "d1", Outcome::kFailed, "timeout", 1000);
  const auto applied_id = run_attempt(*store_, "prod-east", "d1", Outcome::kApplied, "", 3000);
  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, applied_id);
  EXPECT_EQ(rows[0].outcome, Outcome::kApplied);
  EXPECT_EQ(rows[1].outcome, Outcome::kFailed);
}

TEST_F(SqliteStateStoreTest, FinishAttemptKeepsNewRowWhenDigestChanges) {
  run_attempt(*store_, "prod-east", "d1", Outcome::kApplied, "", 1000);
  run_attempt(*store_, "prod-east", "d2", Outcome::kApplied, "", 3000);
  run_attempt(*store_, "prod-east", "d2", Outcome::kApplied, "again", 5000);
  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].render_digest, "d2");
  EXPECT_EQ(rows[0].message, "again");
  EXPECT_EQ(rows[1].render_digest, "d1");
}

TEST_F(SqliteStateStoreTest, HistoryIsNewestFirstAndHonoursLimit) {
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

TEST_F(SqliteStateStoreTest, FinishAttemptReplacesNodesAtomically) {
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

TEST_F(SqliteStateStoreTest, FailedFinishLeavesEverythingAsItWas) {
  run_attempt(*store_, "prod-east", "d1", Outcome::kApplied, "", 1000,
              {node_record("prod-east", "a")});
  // A trigger makes the last node insert fail after the history row and cluster were written, so
  // only a real rollback can restore them.
  raw_exec(path_,
           "CREATE TRIGGER poison BEFORE INSERT ON nodes WHEN NEW.name = 'poison' "
           "BEGIN SELECT RAISE(ABORT, 'poisoned node'); END");
  auto begun = store_->begin_attempt(attempt_row("prod-east", "d2", 2000)).value();
  auto finished = store_->finish_attempt(
      begun.id, Outcome::kApplied, "", 2500, cluster_record("prod-east", "d2"),
      {node_record("prod-east", "b"), node_record("prod-east", "poison")});
  ASSERT_FALSE(finished.ok());
  EXPECT_NE(finished.error().message.find("poisoned node"), std::string::npos);

  auto rows = history_of(*store_, "prod-east");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].outcome, Outcome::kPending);
  EXPECT_EQ(store_->get_cluster("prod-east").value()->render_digest, "d1");
  auto nodes = store_->nodes("prod-east").value();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].name, "a");
  // The connection is usable afterwards: the failed transaction did not stay open.
  EXPECT_TRUE(store_->save_pki("prod-east", "{}").ok());
}

TEST_F(SqliteStateStoreTest, FinishAttemptRejectsUnknownSupersededAndPendingOutcomes) {
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

TEST_F(SqliteStateStoreTest, IntentsAreAddedListedAndCompleted) {
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

TEST_F(SqliteStateStoreTest, ConcurrentCallsFromThreadsAllSucceed) {
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

TEST(SqliteStateStoreMigrationTest, UpgradesUnversionedFileWithPartialSchema) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "state.db";
  raw_exec(path,
           "CREATE TABLE pki (cluster TEXT PRIMARY KEY NOT NULL, json TEXT NOT NULL, "
           "updated_at_ms INTEGER NOT NULL DEFAULT 0);"
           "INSERT INTO pki VALUES ('prod-east', '{\"old\":true}', 5);");
  ASSERT_EQ(raw_query(path, "PRAGMA user_version"), "0");

  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(raw_query(path, "PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(store->load_pki("prod-east").value(), "{\"old\":true}");
  run_attempt(*store, "prod-east", "d1", Outcome::kApplied, "", 1000,
              {node_record("prod-east", "a")});
  EXPECT_EQ(store->nodes("prod-east").value().size(), 1u);
  EXPECT_TRUE(store->add_intent(make_intent("prod-east", "create-server")).ok());
}

TEST(SqliteStateStoreMigrationTest, UpgradesVersionOneFileKeepingItsHistory) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "state.db";
  // Version 1 as it shipped: PKI, clusters and history, no nodes or intents yet.
  raw_exec(path,
           "CREATE TABLE pki (cluster TEXT PRIMARY KEY NOT NULL, json TEXT NOT NULL, "
           "updated_at_ms INTEGER NOT NULL DEFAULT 0);"
           "CREATE TABLE clusters (name TEXT PRIMARY KEY NOT NULL, phase TEXT NOT NULL DEFAULT "
           "'Pending', observed_revision TEXT NOT NULL DEFAULT '', applied_revision TEXT NOT NULL "
           "DEFAULT '', cluster_revision TEXT NOT NULL DEFAULT '', render_digest TEXT NOT NULL "
           "DEFAULT '', ready INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', "
           "applied_at_ms INTEGER NOT NULL DEFAULT 0, updated_at_ms INTEGER NOT NULL DEFAULT 0);"
           "CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, cluster TEXT NOT NULL, "
           "revision TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '', committed_at_ms "
           "INTEGER NOT NULL DEFAULT 0, render_digest TEXT NOT NULL DEFAULT '', outcome TEXT NOT "
           "NULL, message TEXT NOT NULL DEFAULT '', started_at_ms INTEGER NOT NULL DEFAULT 0, "
           "finished_at_ms INTEGER NOT NULL DEFAULT 0);"
           "INSERT INTO history (cluster, revision, render_digest, outcome, started_at_ms, "
           "finished_at_ms) VALUES ('prod-east', 'abc123', 'd0', 'applied', 10, 20);"
           "INSERT INTO clusters (name, phase) VALUES ('prod-east', 'Ready');"
           "PRAGMA user_version = 1;");

  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(raw_query(path, "PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  auto rows = history_of(*store, "prod-east");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].revision, "abc123");
  EXPECT_EQ(rows[0].outcome, Outcome::kApplied);
  EXPECT_EQ(store->get_cluster("prod-east").value()->phase, nkd::state::ClusterPhase::kReady);
  ASSERT_TRUE(store->put_node(node_record("prod-east", "a")).ok());
  EXPECT_TRUE(store->add_intent(make_intent("prod-east", "create-server")).ok());
}

TEST(SqliteStateStoreMigrationTest, RefusesFileFromNewerVersionAndLeavesItAlone) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "state.db";
  raw_exec(path, "CREATE TABLE future (x); PRAGMA user_version = 999;");
  auto store = SqliteStateStore::open(path.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("999"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find(path.string()), std::string::npos);
  EXPECT_EQ(raw_query(path, "PRAGMA user_version"), "999");
  EXPECT_EQ(raw_query(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'history'"), "0");
}

TEST(SqliteStateStoreReopenTest, ReopeningKeepsEverything) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "state.db";
  std::int64_t intent_id = 0;
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->save_pki("prod-east", "{\"ca\":1}").ok());
    run_attempt(*store, "prod-east", "d1", Outcome::kFailed, "boom", 1000);
    run_attempt(*store, "prod-east", "d1", Outcome::kApplied, "", 2000,
                {node_record("prod-east", "a")});
    ASSERT_TRUE(store->begin_attempt(attempt_row("prod-east", "d2", 3000)).ok());
    intent_id = store->add_intent(make_intent("prod-east", "create-server")).value();
  }
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->load_pki("prod-east").value(), "{\"ca\":1}");
  auto rows = history_of(*store, "prod-east");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].outcome, Outcome::kPending);
  EXPECT_EQ(rows[1].outcome, Outcome::kApplied);
  EXPECT_EQ(rows[2].message, "boom");
  EXPECT_EQ(store->get_cluster("prod-east").value()->render_digest, "d1");
  EXPECT_EQ(store->nodes("prod-east").value().size(), 1u);
  ASSERT_EQ(store->pending_intents("prod-east").value().size(), 1u);
  EXPECT_EQ(store->pending_intents("prod-east").value()[0].id, intent_id);
  // The pending attempt resumes after the restart.
  EXPECT_EQ(store->begin_attempt(attempt_row("prod-east", "d2", 4000)).value().id, rows[0].id);
}

TEST(OutcomeTest, NamesRoundTrip) {
  for (Outcome outcome :
       {Outcome::kPending, Outcome::kApplied, Outcome::kFailed, Outcome::kSuperseded}) {
    EXPECT_EQ(outcome_from_string(to_string(outcome)), outcome);
  }
  EXPECT_STREQ(to_string(Outcome::kSuperseded), "superseded");
  EXPECT_STREQ(to_string(Outcome::kApplied), "applied");
  EXPECT_FALSE(outcome_from_string("Applied").has_value());
}

}  // namespace
}  // namespace nkd::state
