// The SQLite state file's schema, as an ordered list of migrations keyed by `PRAGMA user_version`.
// Migration N takes a file from version N-1 to N inside one transaction, so a crash mid-upgrade
// leaves the file at N-1 and the next start simply repeats the step. A file written by a newer nkd
// (user_version above kSqliteSchemaVersion) is refused rather than guessed at.
//
// To change the schema: append a migration to the list in sqlite_schema.cc (never edit a released
// one) and bump kSqliteSchemaVersion; a static_assert keeps the two in step.
#pragma once

#include <sqlite3.h>

#include <string>

#include "common/result.h"

namespace nkd::state {

// The version this build writes and the newest it can read.
inline constexpr int kSqliteSchemaVersion = 8;

// Brings the database on `db` (a file at `path`, named in errors) up to kSqliteSchemaVersion.
[[nodiscard]] Status migrate_sqlite_schema(sqlite3* db, const std::string& path);

}  // namespace nkd::state
