#include "state/sqlite_history_rows.h"

#include "state/sqlite_records.h"

namespace nkd::state::history_rows {

Result<std::vector<HistoryRow>> collect_rows(sqlite::Statement& statement) {
  std::vector<HistoryRow> rows;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto stepped, statement.step());
    if (!stepped) return rows;
    NKD_ASSIGN_OR_RETURN(auto row, records::read_history_row(statement));
    rows.push_back(std::move(row));
  }
}

Result<std::vector<HistoryRow>> open_rows(sqlite3* db, const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          db, std::string("SELECT ") + records::kHistoryColumns +
                  " FROM history WHERE cluster = ?1 AND outcome = 'pending' ORDER BY id DESC"));
  statement.bind(1, cluster);
  return collect_rows(statement);
}

Result<std::optional<HistoryRow>> row_by_id(sqlite3* db, std::int64_t id) {
  NKD_ASSIGN_OR_RETURN(auto statement, sqlite::Statement::prepare(
                                           db, std::string("SELECT ") + records::kHistoryColumns +
                                                   " FROM history WHERE id = ?1"));
  statement.bind(1, id);
  NKD_ASSIGN_OR_RETURN(auto rows, collect_rows(statement));
  if (rows.empty()) return std::optional<HistoryRow>();
  return std::optional<HistoryRow>(std::move(rows.front()));
}

// The newest finished row of `cluster` older than attempt `id`: what a new outcome is compared to.
Result<std::optional<HistoryRow>> previous_finished_row(sqlite3* db, const std::string& cluster,
                                                        std::int64_t id) {
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          db, std::string("SELECT ") + records::kHistoryColumns +
                  " FROM history WHERE cluster = ?1 AND id < ?2 AND outcome != 'pending'"
                  " ORDER BY id DESC LIMIT 1"));
  statement.bind(1, cluster).bind(2, id);
  NKD_ASSIGN_OR_RETURN(auto rows, collect_rows(statement));
  if (rows.empty()) return std::optional<HistoryRow>();
  return std::optional<HistoryRow>(std::move(rows.front()));
}

// Closes every open row of `cluster` except `keep_id`: a newer attempt replaced them.
Status supersede_open_rows(sqlite3* db, const std::string& cluster, std::int64_t keep_id,
                           std::int64_t now_ms) {
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          db,
          "UPDATE history SET outcome = 'superseded', finished_at_ms = ?3, message = ?4 "
          "WHERE cluster = ?1 AND outcome = 'pending' AND id != ?2"));
  statement.bind(1, cluster)
      .bind(2, keep_id)
      .bind(3, now_ms)
      .bind(4, "superseded by attempt " + std::to_string(keep_id));
  return statement.run();
}

Result<std::int64_t> insert_pending_row(sqlite3* db, const HistoryRow& row) {
  NKD_ASSIGN_OR_RETURN(
      auto statement, sqlite::Statement::prepare(db,
                                                 "INSERT INTO history (cluster, revision, author, "
                                                 "committed_at_ms, render_digest, outcome, "
                                                 "message, started_at_ms, finished_at_ms, "
                                                 "replica) VALUES "
                                                 "(?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, 0, ?8)"));
  statement.bind(1, row.cluster)
      .bind(2, row.revision)
      .bind(3, row.author)
      .bind(4, row.committed_at_ms)
      .bind(5, row.render_digest)
      .bind(6, row.message)
      .bind(7, row.started_at_ms)
      .bind(8, row.replica);
  NKD_RETURN_IF_ERROR(statement.run());
  return sqlite3_last_insert_rowid(db);
}

// Writes the outcome: either onto the attempt's own row, or, when nothing changed since the
// previous finished row, onto that row while the attempt's row goes away.
Status record_outcome(sqlite3* db, const HistoryRow& attempt, Outcome outcome,
                      const std::string& message, std::int64_t finished_at_ms) {
  NKD_ASSIGN_OR_RETURN(auto previous, previous_finished_row(db, attempt.cluster, attempt.id));
  const bool unchanged = previous.has_value() && previous->render_digest == attempt.render_digest &&
                         previous->outcome == outcome;
  if (unchanged) {
    NKD_ASSIGN_OR_RETURN(auto removed,
                         sqlite::Statement::prepare(db, "DELETE FROM history WHERE id = ?1"));
    removed.bind(1, attempt.id);
    NKD_RETURN_IF_ERROR(removed.run());
  }
  NKD_ASSIGN_OR_RETURN(
      auto updated,
      sqlite::Statement::prepare(
          db,
          "UPDATE history SET outcome = ?2, message = ?3, finished_at_ms = ?4, replica = ?5 "
          "WHERE id = ?1"));
  updated.bind(1, unchanged ? previous->id : attempt.id)
      .bind(2, std::string_view(to_string(outcome)))
      .bind(3, message)
      .bind(4, finished_at_ms)
      .bind(5, attempt.replica);
  return updated.run();
}

Result<bool> is_suspended(sqlite3* db, const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(auto statement, sqlite::Statement::prepare(
                                           db, "SELECT 1 FROM suspensions WHERE cluster = ?1"));
  statement.bind(1, cluster);
  return statement.step();
}

Status insert_finished_row(sqlite3* db, const HistoryRow& row) {
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          db,
          "INSERT INTO history (cluster, revision, author, committed_at_ms, render_digest, "
          "outcome, "
          "message, started_at_ms, finished_at_ms, replica) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
          "?8, ?9, ?10)"));
  statement.bind(1, row.cluster)
      .bind(2, row.revision)
      .bind(3, row.author)
      .bind(4, row.committed_at_ms)
      .bind(5, row.render_digest)
      .bind(6, std::string_view(to_string(row.outcome)))
      .bind(7, row.message)
      .bind(8, row.started_at_ms)
      .bind(9, row.finished_at_ms)
      .bind(10, row.replica);
  return statement.run();
}

}  // namespace nkd::state::history_rows
