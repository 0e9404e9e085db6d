// Tests of what only the SQLite state store has, against real files: file modes, pragmas,
// schema migrations, a rollback forced by a trigger. What every backend must do is the contract
// suite's (tests/integration/state_contract_test.cc). A second, independent SQLite connection
// inspects the file where the store's own answers would not be proof (modes, schema versions).
#include "state/sqlite_state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "state/sqlite_handles.h"
#include "state/sqlite_schema.h"
#include "tests/support/state_rows.h"
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

using rows::attempt_row;
using rows::cluster_record;
using rows::history_of;
using rows::make_intent;
using rows::node_record;
using rows::run_attempt;

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
        sqlite::exec(
            db.get(),
            "ALTER TABLE clusters DROP COLUMN rejection; ALTER TABLE history DROP COLUMN replica;"
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
