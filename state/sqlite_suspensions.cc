// Operator suspensions in SqliteStateStore: the suspensions table and the history row that
// records each suspend and resume, written together.
#include "state/sqlite_records.h"
#include "state/sqlite_state_store.h"

namespace nkd::state {
namespace {

using sqlite::Statement;

Result<bool> is_suspended(sqlite3* db, const std::string& cluster) {
  auto statement = Statement::prepare(db, "SELECT 1 FROM suspensions WHERE cluster = ?1");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  return statement->step();
}

Status insert_finished_row(sqlite3* db, const HistoryRow& row) {
  auto statement = Statement::prepare(
      db,
      "INSERT INTO history (cluster, revision, author, committed_at_ms, render_digest, outcome, "
      "message, started_at_ms, finished_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!statement) return statement.error();
  statement->bind(1, row.cluster)
      .bind(2, row.revision)
      .bind(3, row.author)
      .bind(4, row.committed_at_ms)
      .bind(5, row.render_digest)
      .bind(6, std::string_view(to_string(row.outcome)))
      .bind(7, row.message)
      .bind(8, row.started_at_ms)
      .bind(9, row.finished_at_ms);
  return statement->run();
}

}  // namespace

Result<bool> SqliteStateStore::set_suspension(const std::string& cluster,
                                              const std::optional<Suspension>& suspension,
                                              const HistoryRow& row) {
  const Outcome expected = suspension ? Outcome::kSuspended : Outcome::kResumed;
  if (row.cluster != cluster || row.outcome != expected) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: a " + std::string(suspension ? "suspension" : "resumption") +
                     " of " + cluster + " is recorded with a '" + to_string(expected) +
                     "' history row of the same cluster"};
  }
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto transaction = sqlite::Transaction::begin(
      db, std::string(suspension ? "suspending " : "resuming ") + cluster);
  if (!transaction) return transaction.error();
  auto suspended = is_suspended(db, cluster);
  if (!suspended) return suspended.error();
  if (*suspended == suspension.has_value()) return false;
  auto change = Statement::prepare(
      db, suspension ? "INSERT INTO suspensions (cluster, reason, suspended_at_ms) VALUES (?1, ?2, ?3)"
                     : "DELETE FROM suspensions WHERE cluster = ?1");
  if (!change) return change.error();
  change->bind(1, cluster);
  if (suspension) change->bind(2, suspension->reason).bind(3, suspension->since_ms);
  if (auto done = change->run(); !done) return done.error();
  if (auto recorded = insert_finished_row(db, row); !recorded) return recorded.error();
  if (auto committed = transaction->commit(); !committed) return committed.error();
  return true;
}

Result<std::vector<Suspension>> SqliteStateStore::suspensions() {
  std::lock_guard lock(mutex_);
  auto statement = Statement::prepare(
      db_.get(), "SELECT cluster, reason, suspended_at_ms FROM suspensions ORDER BY cluster");
  if (!statement) return statement.error();
  std::vector<Suspension> found;
  while (true) {
    auto stepped = statement->step();
    if (!stepped) return stepped.error();
    if (!*stepped) return found;
    found.push_back(Suspension{.cluster = statement->text(0),
                               .reason = statement->text(1),
                               .since_ms = statement->int64(2)});
  }
}

}  // namespace nkd::state
