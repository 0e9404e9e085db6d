// The applied-version history half of SqliteStateStore: attempts are opened, resumed, superseded
// and finished here. The rules (state_store.h) keep at most one pending row per cluster and stop
// the history from growing while nothing changes.
#include <optional>

#include "state/sqlite_records.h"
#include "state/sqlite_state_store.h"

namespace nkd::state {
namespace {

using sqlite::Statement;

Result<std::vector<HistoryRow>> collect_rows(Statement& statement) {
  std::vector<HistoryRow> rows;
  while (true) {
    auto stepped = statement.step();
    if (!stepped) return stepped.error();
    if (!*stepped) return rows;
    auto row = records::read_history_row(statement);
    if (!row) return row.error();
    rows.push_back(std::move(*row));
  }
}

Result<std::vector<HistoryRow>> open_rows(sqlite3* db, const std::string& cluster) {
  auto statement = Statement::prepare(
      db, std::string("SELECT ") + records::kHistoryColumns +
              " FROM history WHERE cluster = ?1 AND outcome = 'pending' ORDER BY id DESC");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  return collect_rows(*statement);
}

Result<std::optional<HistoryRow>> row_by_id(sqlite3* db, std::int64_t id) {
  auto statement = Statement::prepare(
      db, std::string("SELECT ") + records::kHistoryColumns + " FROM history WHERE id = ?1");
  if (!statement) return statement.error();
  statement->bind(1, id);
  auto rows = collect_rows(*statement);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<HistoryRow>();
  return std::optional<HistoryRow>(std::move(rows->front()));
}

// The newest finished row of `cluster` older than attempt `id`: what a new outcome is compared to.
Result<std::optional<HistoryRow>> previous_finished_row(sqlite3* db, const std::string& cluster,
                                                        std::int64_t id) {
  auto statement = Statement::prepare(
      db, std::string("SELECT ") + records::kHistoryColumns +
              " FROM history WHERE cluster = ?1 AND id < ?2 AND outcome != 'pending'"
              " ORDER BY id DESC LIMIT 1");
  if (!statement) return statement.error();
  statement->bind(1, cluster).bind(2, id);
  auto rows = collect_rows(*statement);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<HistoryRow>();
  return std::optional<HistoryRow>(std::move(rows->front()));
}

// Closes every open row of `cluster` except `keep_id`: a newer attempt replaced them.
Status supersede_open_rows(sqlite3* db, const std::string& cluster, std::int64_t keep_id,
                           std::int64_t now_ms) {
  auto statement = Statement::prepare(
      db,
      "UPDATE history SET outcome = 'superseded', finished_at_ms = ?3, message = ?4 "
      "WHERE cluster = ?1 AND outcome = 'pending' AND id != ?2");
  if (!statement) return statement.error();
  statement->bind(1, cluster)
      .bind(2, keep_id)
      .bind(3, now_ms)
      .bind(4, "superseded by attempt " + std::to_string(keep_id));
  return statement->run();
}

Result<std::int64_t> insert_pending_row(sqlite3* db, const HistoryRow& row) {
  auto statement = Statement::prepare(
      db,
      "INSERT INTO history (cluster, revision, author, committed_at_ms, render_digest, outcome, "
      "message, started_at_ms, finished_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, 0)");
  if (!statement) return statement.error();
  statement->bind(1, row.cluster)
      .bind(2, row.revision)
      .bind(3, row.author)
      .bind(4, row.committed_at_ms)
      .bind(5, row.render_digest)
      .bind(6, row.message)
      .bind(7, row.started_at_ms);
  if (auto inserted = statement->run(); !inserted) return inserted.error();
  return sqlite3_last_insert_rowid(db);
}

// Writes the outcome: either onto the attempt's own row, or, when nothing changed since the
// previous finished row, onto that row while the attempt's row goes away.
Status record_outcome(sqlite3* db, const HistoryRow& attempt, Outcome outcome,
                      const std::string& message, std::int64_t finished_at_ms) {
  auto previous = previous_finished_row(db, attempt.cluster, attempt.id);
  if (!previous) return previous.error();
  const bool unchanged = previous->has_value() &&
                         (*previous)->render_digest == attempt.render_digest &&
                         (*previous)->outcome == outcome;
  if (unchanged) {
    auto removed = Statement::prepare(db, "DELETE FROM history WHERE id = ?1");
    if (!removed) return removed.error();
    removed->bind(1, attempt.id);
    if (auto done = removed->run(); !done) return done.error();
  }
  auto updated = Statement::prepare(
      db, "UPDATE history SET outcome = ?2, message = ?3, finished_at_ms = ?4 WHERE id = ?1");
  if (!updated) return updated.error();
  updated->bind(1, unchanged ? (*previous)->id : attempt.id)
      .bind(2, std::string_view(to_string(outcome)))
      .bind(3, message)
      .bind(4, finished_at_ms);
  return updated->run();
}

Status validate_finish(std::int64_t id, Outcome outcome, const std::optional<HistoryRow>& attempt,
                       const ClusterRecord& cluster, const std::vector<NodeRecord>& nodes) {
  const std::string name = "attempt " + std::to_string(id);
  if (outcome == Outcome::kPending) {
    return Error{ErrorCode::kInvalidArgument, "state store: finishing " + name +
                                                  " with outcome 'pending'; pass applied, "
                                                  "failed or superseded"};
  }
  if (!attempt) {
    return Error{ErrorCode::kNotFound, "state store: finishing " + name +
                                           ": no such history row; call begin_attempt first"};
  }
  if (attempt->outcome != Outcome::kPending) {
    return Error{ErrorCode::kConflict, "state store: finishing " + name + " of cluster " +
                                           attempt->cluster + ": it is already " +
                                           to_string(attempt->outcome) +
                                           "; a newer attempt replaced it, so begin a new one"};
  }
  if (cluster.name != attempt->cluster) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: finishing " + name + " of cluster " + attempt->cluster +
                     " with the record of cluster '" + cluster.name + "'; pass the same cluster"};
  }
  for (const NodeRecord& node : nodes) {
    if (node.cluster != attempt->cluster) {
      return Error{ErrorCode::kInvalidArgument,
                   "state store: finishing " + name + " of cluster " + attempt->cluster +
                       " with node " + node.name + " of cluster '" + node.cluster +
                       "'; every node must belong to the attempt's cluster"};
    }
  }
  return ok_status();
}

}  // namespace

Result<HistoryRow> SqliteStateStore::begin_attempt(const HistoryRow& row) {
  if (row.cluster.empty()) {
    return Error{ErrorCode::kInvalidArgument, "state store: begin_attempt needs a cluster name"};
  }
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto transaction = sqlite::Transaction::begin(db, "opening an attempt for " + row.cluster);
  if (!transaction) return transaction.error();
  auto open = open_rows(db, row.cluster);
  if (!open) return open.error();
  const std::int64_t now_ms = row.started_at_ms != 0 ? row.started_at_ms : clock_.now_unix_ms();

  std::optional<HistoryRow> attempt;
  for (const HistoryRow& candidate : *open) {
    if (candidate.render_digest == row.render_digest) {
      attempt = candidate;  // a restart resumes the attempt it was in the middle of
      break;
    }
  }
  if (!attempt) {
    auto id = insert_pending_row(db, row);
    if (!id) return id.error();
    attempt = row;
    attempt->id = *id;
    attempt->outcome = Outcome::kPending;
    attempt->finished_at_ms = 0;
  }
  if (auto superseded = supersede_open_rows(db, row.cluster, attempt->id, now_ms); !superseded) {
    return superseded.error();
  }
  if (auto committed = transaction->commit(); !committed) return committed.error();
  return *attempt;
}

Status SqliteStateStore::finish_attempt(std::int64_t id, Outcome outcome,
                                        const std::string& message, std::int64_t finished_at_ms,
                                        const ClusterRecord& cluster,
                                        const std::vector<NodeRecord>& nodes) {
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto transaction = sqlite::Transaction::begin(db, "finishing attempt " + std::to_string(id));
  if (!transaction) return transaction.error();
  auto attempt = row_by_id(db, id);
  if (!attempt) return attempt.error();
  if (auto valid = validate_finish(id, outcome, *attempt, cluster, nodes); !valid) return valid;

  if (auto recorded = record_outcome(db, **attempt, outcome, message, finished_at_ms); !recorded) {
    return recorded.error();
  }
  if (auto stored = records::save_cluster_status(db, cluster); !stored) return stored.error();
  if (auto cleared = records::delete_nodes(db, cluster.name); !cleared) return cleared.error();
  for (const NodeRecord& node : nodes) {
    if (auto stored = records::upsert_node(db, node); !stored) return stored.error();
  }
  return transaction->commit();
}

Result<std::vector<HistoryRow>> SqliteStateStore::history(const std::string& cluster, int limit) {
  std::lock_guard lock(mutex_);
  auto statement = Statement::prepare(
      db_.get(), std::string("SELECT ") + records::kHistoryColumns +
                     " FROM history WHERE cluster = ?1 ORDER BY id DESC LIMIT ?2");
  if (!statement) return statement.error();
  // SQLite reads a negative LIMIT as "no limit".
  statement->bind(1, cluster).bind(2, std::int64_t{limit > 0 ? limit : -1});
  return collect_rows(*statement);
}

}  // namespace nkd::state
