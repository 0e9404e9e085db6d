#include "state/sqlite_cluster_records.h"

#include "state/history_rules.h"
#include "state/sqlite_history_rows.h"
#include "state/sqlite_records.h"

namespace nkd::state {

Result<std::vector<ClusterRecord>> SqliteClusterRecords::list_clusters() {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto statement, sqlite::Statement::prepare(connection_.db(),
                                                 std::string("SELECT ") + records::kClusterColumns +
                                                     " FROM clusters ORDER BY name"));
  std::vector<ClusterRecord> clusters;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto row, statement.step());
    if (!row) return clusters;
    NKD_ASSIGN_OR_RETURN(auto cluster, records::read_cluster(statement));
    clusters.push_back(std::move(cluster));
  }
}

Result<std::optional<ClusterRecord>> SqliteClusterRecords::get_cluster(const std::string& name) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto statement, sqlite::Statement::prepare(connection_.db(),
                                                 std::string("SELECT ") + records::kClusterColumns +
                                                     " FROM clusters WHERE name = ?1"));
  statement.bind(1, name);
  NKD_ASSIGN_OR_RETURN(auto row, statement.step());
  if (!row) return std::optional<ClusterRecord>();
  NKD_ASSIGN_OR_RETURN(auto cluster, records::read_cluster(statement));
  return std::optional<ClusterRecord>(std::move(cluster));
}

Status SqliteClusterRecords::save_status(const ClusterRecord& record) {
  if (record.name.empty()) {
    return Error{ErrorCode::kInvalidArgument, "state store: save_status needs a cluster name"};
  }
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(
                                             connection_.db(), "storing cluster " + record.name));
  if (auto stored = records::save_cluster_status(connection_.db(), record); !stored)
    return stored.error();
  return transaction.commit();
}

Status SqliteClusterRecords::note_rejection(const std::string& cluster, const std::string& revision,
                                            const std::string& message, std::int64_t now_ms) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto transaction,
      sqlite::Transaction::begin(connection_.db(), "noting rejected commit for " + cluster));
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "INSERT INTO clusters (name, phase, observed_revision, rejection, updated_at_ms) "
          "VALUES (?1, 'Failed', ?2, ?3, ?4) "
          "ON CONFLICT (name) DO UPDATE SET observed_revision = excluded.observed_revision, "
          "rejection = excluded.rejection, updated_at_ms = excluded.updated_at_ms"));
  statement.bind(1, cluster).bind(2, revision).bind(3, message).bind(4, now_ms);
  NKD_RETURN_IF_ERROR(statement.run());
  return transaction.commit();
}

Status SqliteClusterRecords::note_revision(const std::vector<RevisionNote>& notes,
                                           const std::string& revision, std::int64_t now_ms) {
  if (notes.empty()) return ok_status();
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto transaction,
                       sqlite::Transaction::begin(
                           connection_.db(), "noting commit " + revision.substr(0, 12) + " on " +
                                                 std::to_string(notes.size()) + " clusters"));
  // One statement for every note: a commit notes all the clusters it did not change (999 of
  // 1,000 for a one-cluster commit), and parsing the SQL again for each took most of the time.
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "INSERT INTO clusters (name, observed_revision, updated_at_ms) VALUES (?1, ?2, ?3) "
          "ON CONFLICT (name) DO UPDATE SET observed_revision = excluded.observed_revision, "
          "rejection = '', updated_at_ms = excluded.updated_at_ms, "
          "applied_revision = CASE WHEN ?4 != 2 AND last_error = '' "
          "AND phase IN ('WaitingForCluster', 'Ready') AND render_digest != '' "
          "AND (?4 = 0 OR render_digest = ?5) THEN excluded.observed_revision ELSE "
          "applied_revision "
          "END "
          "WHERE observed_revision != excluded.observed_revision OR rejection != ''"));
  for (const auto& note : notes) {
    statement.reset()
        .bind(1, note.cluster)
        .bind(2, revision)
        .bind(3, now_ms)
        // 0: applied moves whatever the digest, 1: only from this digest, 2: never (changed).
        .bind(4, std::int64_t{!note.unchanged                    ? 2
                              : note.expected_digest.has_value() ? 1
                                                                 : 0})
        .bind(5, note.expected_digest.value_or(""));
    NKD_RETURN_IF_ERROR(statement.run());
  }
  return transaction.commit();
}

Status SqliteClusterRecords::delete_cluster(const std::string& name) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto transaction,
                       sqlite::Transaction::begin(connection_.db(), "deleting cluster " + name));
  if (auto removed = records::delete_nodes(connection_.db(), name); !removed)
    return removed.error();
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(connection_.db(), "DELETE FROM clusters WHERE name = ?1"));
  statement.bind(1, name);
  NKD_RETURN_IF_ERROR(statement.run());
  return transaction.commit();
}

Result<HistoryRow> SqliteClusterRecords::begin_attempt(const HistoryRow& row) {
  if (row.cluster.empty()) {
    return Error{ErrorCode::kInvalidArgument, "state store: begin_attempt needs a cluster name"};
  }
  const auto lock = connection_.lock();
  sqlite3* db = connection_.db();
  NKD_ASSIGN_OR_RETURN(auto transaction,
                       sqlite::Transaction::begin(db, "opening an attempt for " + row.cluster));
  NKD_ASSIGN_OR_RETURN(auto open, history_rows::open_rows(db, row.cluster));
  const std::int64_t now_ms =
      row.started_at_ms != 0 ? row.started_at_ms : connection_.clock().now_unix_ms();

  std::optional<HistoryRow> attempt;
  for (const HistoryRow& candidate : open) {
    if (candidate.render_digest == row.render_digest) {
      attempt = candidate;  // a restart resumes the attempt it was in the middle of
      break;
    }
  }
  if (!attempt) {
    NKD_ASSIGN_OR_RETURN(auto id, history_rows::insert_pending_row(db, row));
    attempt = row;
    attempt->id = id;
    attempt->outcome = Outcome::kPending;
    attempt->finished_at_ms = 0;
  }
  if (auto superseded = history_rows::supersede_open_rows(db, row.cluster, attempt->id, now_ms);
      !superseded) {
    return superseded.error();
  }
  NKD_RETURN_IF_ERROR(transaction.commit());
  return *attempt;
}

Status SqliteClusterRecords::finish_attempt(std::int64_t id, Outcome outcome,
                                            const std::string& message, std::int64_t finished_at_ms,
                                            const ClusterRecord& cluster,
                                            const std::vector<NodeRecord>& nodes) {
  const auto lock = connection_.lock();
  sqlite3* db = connection_.db();
  NKD_ASSIGN_OR_RETURN(auto transaction,
                       sqlite::Transaction::begin(db, "finishing attempt " + std::to_string(id)));
  NKD_ASSIGN_OR_RETURN(auto attempt, history_rows::row_by_id(db, id));
  if (auto valid = history_rules::validate_finish(id, outcome, attempt, cluster, nodes); !valid)
    return valid;

  if (auto recorded = history_rows::record_outcome(db, *attempt, outcome, message, finished_at_ms);
      !recorded) {
    return recorded.error();
  }
  NKD_RETURN_IF_ERROR(records::save_cluster_status(db, cluster));
  NKD_RETURN_IF_ERROR(records::delete_nodes(db, cluster.name));
  for (const NodeRecord& node : nodes) {
    NKD_RETURN_IF_ERROR(records::upsert_node(db, node));
  }
  return transaction.commit();
}

Result<std::vector<HistoryRow>> SqliteClusterRecords::history(const std::string& cluster,
                                                              int limit) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(connection_.db(),
                                 std::string("SELECT ") + records::kHistoryColumns +
                                     " FROM history WHERE cluster = ?1 ORDER BY id DESC LIMIT ?2"));
  // SQLite reads a negative LIMIT as "no limit".
  statement.bind(1, cluster).bind(2, std::int64_t{limit > 0 ? limit : -1});
  return history_rows::collect_rows(statement);
}

Result<bool> SqliteClusterRecords::set_suspension(const std::string& cluster,
                                                  const std::optional<Suspension>& suspension,
                                                  const HistoryRow& row) {
  NKD_RETURN_IF_ERROR(history_rules::validate_suspension_row(cluster, suspension.has_value(), row));
  const auto lock = connection_.lock();
  sqlite3* db = connection_.db();
  NKD_ASSIGN_OR_RETURN(auto transaction,
                       sqlite::Transaction::begin(
                           db, std::string(suspension ? "suspending " : "resuming ") + cluster));
  NKD_ASSIGN_OR_RETURN(auto suspended, history_rows::is_suspended(db, cluster));
  if (suspended == suspension.has_value()) return false;
  NKD_ASSIGN_OR_RETURN(
      auto change,
      sqlite::Statement::prepare(
          db, suspension
                  ? "INSERT INTO suspensions (cluster, reason, suspended_at_ms) VALUES (?1, ?2, ?3)"
                  : "DELETE FROM suspensions WHERE cluster = ?1"));
  change.bind(1, cluster);
  if (suspension) change.bind(2, suspension->reason).bind(3, suspension->since_ms);
  NKD_RETURN_IF_ERROR(change.run());
  if (auto recorded = history_rows::insert_finished_row(db, row); !recorded)
    return recorded.error();
  NKD_RETURN_IF_ERROR(transaction.commit());
  return true;
}

Result<std::vector<Suspension>> SqliteClusterRecords::suspensions() {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "SELECT cluster, reason, suspended_at_ms FROM suspensions ORDER BY cluster"));
  std::vector<Suspension> found;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto stepped, statement.step());
    if (!stepped) return found;
    found.push_back(Suspension{
        .cluster = statement.text(0), .reason = statement.text(1), .since_ms = statement.int64(2)});
  }
}

}  // namespace nkd::state
