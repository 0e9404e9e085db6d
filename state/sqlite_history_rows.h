// The SQL behind the applied-version history (SqliteClusterRecords): attempts opened, resumed,
// superseded and finished, and the rows an operator's suspend and resume add. Internal to
// state/: callers hold the connection's lock and an open transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "state/cluster_records.h"
#include "state/sqlite_handles.h"

namespace nkd::state::history_rows {

[[nodiscard]] Result<std::vector<HistoryRow>> collect_rows(sqlite::Statement& statement);
// The cluster's pending rows, newest first.
[[nodiscard]] Result<std::vector<HistoryRow>> open_rows(sqlite3* db, const std::string& cluster);
[[nodiscard]] Result<std::optional<HistoryRow>> row_by_id(sqlite3* db, std::int64_t id);
[[nodiscard]] Result<std::optional<HistoryRow>> previous_finished_row(sqlite3* db,
                                                                      const std::string& cluster,
                                                                      std::int64_t id);
// Every pending row of the cluster but `keep_id` becomes superseded, finished at `now_ms`.
[[nodiscard]] Status supersede_open_rows(sqlite3* db, const std::string& cluster,
                                         std::int64_t keep_id, std::int64_t now_ms);
[[nodiscard]] Result<std::int64_t> insert_pending_row(sqlite3* db, const HistoryRow& row);
// Closes `attempt`, or folds it into the previous finished row with the same digest and outcome.
[[nodiscard]] Status record_outcome(sqlite3* db, const HistoryRow& attempt, Outcome outcome,
                                    const std::string& message, std::int64_t finished_at_ms);
[[nodiscard]] Result<bool> is_suspended(sqlite3* db, const std::string& cluster);
[[nodiscard]] Status insert_finished_row(sqlite3* db, const HistoryRow& row);

}  // namespace nkd::state::history_rows
