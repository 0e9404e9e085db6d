#include "state/sqlite_schema.h"

#include <array>
#include <string_view>

#include "state/sqlite_handles.h"

namespace nkd::state {
namespace {

struct Migration {
  std::string_view description;
  std::string_view sql;
};

// `IF NOT EXISTS` throughout: files from before versioning (user_version 0) may already hold
// some of these tables, and a migration must finish on them rather than fail.
constexpr std::array kMigrations = {
    Migration{"PKI, cluster records and applied-version history",
              R"sql(
CREATE TABLE IF NOT EXISTS pki (
  cluster TEXT PRIMARY KEY NOT NULL,
  json TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS clusters (
  name TEXT PRIMARY KEY NOT NULL,
  phase TEXT NOT NULL DEFAULT 'Pending',
  observed_revision TEXT NOT NULL DEFAULT '',
  applied_revision TEXT NOT NULL DEFAULT '',
  cluster_revision TEXT NOT NULL DEFAULT '',
  render_digest TEXT NOT NULL DEFAULT '',
  ready INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  applied_at_ms INTEGER NOT NULL DEFAULT 0,
  updated_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  revision TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL DEFAULT '',
  committed_at_ms INTEGER NOT NULL DEFAULT 0,
  render_digest TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'applied', 'failed', 'superseded')),
  message TEXT NOT NULL DEFAULT '',
  started_at_ms INTEGER NOT NULL DEFAULT 0,
  finished_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS history_by_cluster ON history (cluster, id);
)sql"},
    Migration{"per-node records and pending intents",
              R"sql(
CREATE TABLE IF NOT EXISTS nodes (
  cluster TEXT NOT NULL,
  name TEXT NOT NULL,
  pool TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  config_digest TEXT NOT NULL DEFAULT '',
  fetched_digest TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT '',
  updated_at_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (cluster, name)
);
CREATE TABLE IF NOT EXISTS intents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL DEFAULT 0,
  completed_at_ms INTEGER NULL
);
CREATE INDEX IF NOT EXISTS intents_pending ON intents (cluster, id) WHERE completed_at_ms IS NULL;
)sql"},
    Migration{"configs served to bare-metal nodes",
              R"sql(
CREATE TABLE IF NOT EXISTS published_configs (
  cluster TEXT NOT NULL,
  node TEXT NOT NULL,
  digest TEXT NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (cluster, node)
);
)sql"},
    Migration{"node versions as the cluster reports them",
              R"sql(
ALTER TABLE nodes ADD COLUMN kubelet_version TEXT NOT NULL DEFAULT '';
ALTER TABLE nodes ADD COLUMN os_image TEXT NOT NULL DEFAULT '';
)sql"},
    // SQLite cannot change a CHECK constraint in place: the history table is copied into one
    // that also admits the suspended and resumed rows, ids kept.
    Migration{"operator suspensions in the history, and what a phase waits for",
              R"sql(
ALTER TABLE clusters ADD COLUMN phase_message TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS suspensions (
  cluster TEXT PRIMARY KEY NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  suspended_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE history_with_suspensions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  revision TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL DEFAULT '',
  committed_at_ms INTEGER NOT NULL DEFAULT 0,
  render_digest TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'applied', 'failed', 'superseded',
                                           'suspended', 'resumed')),
  message TEXT NOT NULL DEFAULT '',
  started_at_ms INTEGER NOT NULL DEFAULT 0,
  finished_at_ms INTEGER NOT NULL DEFAULT 0
);
INSERT INTO history_with_suspensions (id, cluster, revision, author, committed_at_ms,
    render_digest, outcome, message, started_at_ms, finished_at_ms)
  SELECT id, cluster, revision, author, committed_at_ms, render_digest, outcome, message,
    started_at_ms, finished_at_ms FROM history;
DROP TABLE history;
ALTER TABLE history_with_suspensions RENAME TO history;
CREATE INDEX IF NOT EXISTS history_by_cluster ON history (cluster, id);
)sql"},
    Migration{"each cluster's rollout wave",
              R"sql(
ALTER TABLE clusters ADD COLUMN wave INTEGER NOT NULL DEFAULT 0;
)sql"},
    // A rejected commit's error used to go into last_error, which the reconcile also writes; the
    // source now has a column of its own.
    Migration{"a rejected commit's error, the source's own column",
              R"sql(
ALTER TABLE clusters ADD COLUMN rejection TEXT NOT NULL DEFAULT '';
UPDATE clusters SET rejection = last_error, last_error = ''
  WHERE last_error LIKE 'commit % rejected: %';
)sql"},
    Migration{"the replica that ran each attempt",
              R"sql(
ALTER TABLE history ADD COLUMN replica TEXT NOT NULL DEFAULT '';
)sql"},
};

static_assert(kMigrations.size() == kSqliteSchemaVersion,
              "kSqliteSchemaVersion must equal the number of migrations");

Result<int> read_user_version(sqlite3* db) {
  NKD_ASSIGN_OR_RETURN(auto statement, sqlite::Statement::prepare(db, "PRAGMA user_version"));
  NKD_ASSIGN_OR_RETURN(auto row, statement.step());
  return row ? static_cast<int>(statement.int64(0)) : 0;
}

Error newer_file_error(const std::string& path, int version) {
  return Error{ErrorCode::kInvalidArgument,
               "state store: " + path + " has schema version " + std::to_string(version) +
                   ", newer than this nkd understands (" + std::to_string(kSqliteSchemaVersion) +
                   "); it was written by a newer release: run that release, or restore a backup "
                   "made before the upgrade"};
}

// Applies migration `target` (1-based) if the file is still below it. The version is re-read
// inside the write transaction because another process may have migrated the file meanwhile.
Status apply_migration(sqlite3* db, const std::string& path, int target) {
  const Migration& migration = kMigrations[static_cast<std::size_t>(target - 1)];
  const std::string what = "schema migration " + std::to_string(target) + " (" +
                           std::string(migration.description) + ") of " + path;
  NKD_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(db, what));
  NKD_ASSIGN_OR_RETURN(auto version, read_user_version(db));
  if (version > kSqliteSchemaVersion) return newer_file_error(path, version);
  if (version >= target) return transaction.commit();
  NKD_RETURN_IF_ERROR(sqlite::exec(db, migration.sql, what));
  const std::string set_version = "PRAGMA user_version = " + std::to_string(target);
  if (auto stamped = sqlite::exec(db, set_version, "recording " + what); !stamped) {
    return stamped.error();
  }
  return transaction.commit();
}

}  // namespace

Status migrate_sqlite_schema(sqlite3* db, const std::string& path) {
  NKD_ASSIGN_OR_RETURN(auto version, read_user_version(db));
  if (version > kSqliteSchemaVersion) return newer_file_error(path, version);
  for (int target = version + 1; target <= kSqliteSchemaVersion; ++target) {
    NKD_RETURN_IF_ERROR(apply_migration(db, path, target));
  }
  return ok_status();
}

}  // namespace nkd::state
