// The schema 5 migration of the SQLite state store, which lets history rows say suspended and
// resumed while keeping the rows it had. How suspensions are stored is the contract suite's
// (tests/integration/state_contract_test.cc).
#include <gtest/gtest.h>

#include "state/sqlite_handles.h"
#include "state/sqlite_schema.h"
#include "state/sqlite_state_store.h"
#include "tests/support/state_rows.h"
#include "tests/support/state_testing.h"
#include "tests/support/test_support.h"

namespace nkd::state {
namespace {

using testing::ScratchDir;

using rows::marker;

// A version 4 file (history limited to the four attempt outcomes) gains the new outcomes and
// keeps its rows, ids and the cluster records.
TEST(SqliteSuspensions, MigrationFromVersionFourKeepsTheHistory) {
  ScratchDir scratch;
  const std::string path = (scratch.path() / "state.db").string();
  {
    auto store = SqliteStateStore::open(path).value();
    HistoryRow row{.cluster = "prod", .revision = "abc", .render_digest = "d0", .started_at_ms = 5};
    auto opened = store->begin_attempt(row).value();
    ASSERT_TRUE(store
                    ->finish_attempt(
                        opened.id, Outcome::kApplied, "ok", 6,
                        ClusterRecord{.name = "prod", .phase = nkd::state::ClusterPhase::kReady},
                        {})
                    .ok());
  }
  {
    // Back to what version 4 had: no suspensions table, no phase_message, the old check (and
    // no wave, which version 6 adds, nor rejection, which version 7 adds).
    auto db = sqlite::open_database(path, /*create=*/false).value();
    ASSERT_TRUE(
        sqlite::exec(
            db.get(),
            "DROP TABLE suspensions;"
            "ALTER TABLE clusters DROP COLUMN phase_message;"
            "ALTER TABLE clusters DROP COLUMN wave;"
            "ALTER TABLE clusters DROP COLUMN rejection; ALTER TABLE history DROP COLUMN replica;"
            "CREATE TABLE old_history (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "cluster TEXT NOT NULL, revision TEXT NOT NULL DEFAULT '', author TEXT "
            "NOT NULL DEFAULT '', committed_at_ms INTEGER NOT NULL DEFAULT 0, "
            "render_digest TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL CHECK "
            "(outcome IN ('pending', 'applied', 'failed', 'superseded')), message "
            "TEXT NOT NULL DEFAULT '', started_at_ms INTEGER NOT NULL DEFAULT 0, "
            "finished_at_ms INTEGER NOT NULL DEFAULT 0);"
            "INSERT INTO old_history SELECT * FROM history; DROP TABLE history;"
            "ALTER TABLE old_history RENAME TO history; PRAGMA user_version = 4;",
            "downgrading to version 4")
            .ok());
  }
  auto store = SqliteStateStore::open(path).value();
  EXPECT_EQ(store->pragma_value("user_version").value(), std::to_string(kSqliteSchemaVersion));
  auto rows = store->history("prod", 0).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].revision, "abc");
  EXPECT_EQ(store->get_cluster("prod").value()->phase, nkd::state::ClusterPhase::kReady);
  EXPECT_EQ(store->get_cluster("prod").value()->wave, 0);
  EXPECT_TRUE(store->set_suspension("prod", Suspension{.cluster = "prod", .since_ms = 7},
                                    marker("prod", Outcome::kSuspended, 7)).value());
  rows = store->history("prod", 0).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_GT(rows[0].id, rows[1].id);
}

}  // namespace
}  // namespace nkd::state
