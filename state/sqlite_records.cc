#include "state/sqlite_records.h"

namespace nkd::state::records {

Result<HistoryRow> read_history_row(const sqlite::Statement& statement) {
  HistoryRow row;
  row.id = statement.int64(0);
  row.cluster = statement.text(1);
  row.revision = statement.text(2);
  row.author = statement.text(3);
  row.committed_at_ms = statement.int64(4);
  row.render_digest = statement.text(5);
  const std::string outcome = statement.text(6);
  const auto parsed = outcome_from_string(outcome);
  if (!parsed) {
    // The schema's CHECK constraint makes this unreachable unless the file was edited by hand.
    return Error{ErrorCode::kParse, "state store: history row " + std::to_string(row.id) +
                                        " has unknown outcome '" + outcome +
                                        "'; repair the row or restore the state file"};
  }
  row.outcome = *parsed;
  row.message = statement.text(7);
  row.started_at_ms = statement.int64(8);
  row.finished_at_ms = statement.int64(9);
  return row;
}

ClusterRecord read_cluster(const sqlite::Statement& statement) {
  return ClusterRecord{
      .name = statement.text(0),
      .phase = statement.text(1),
      .observed_revision = statement.text(2),
      .applied_revision = statement.text(3),
      .cluster_revision = statement.text(4),
      .render_digest = statement.text(5),
      .ready = statement.int64(6) != 0,
      .last_error = statement.text(7),
      .applied_at_ms = statement.int64(8),
      .updated_at_ms = statement.int64(9),
      .phase_message = statement.text(10),
      .wave = static_cast<int>(statement.int64(11)),
  };
}

NodeRecord read_node(const sqlite::Statement& statement) {
  return NodeRecord{
      .cluster = statement.text(0),
      .name = statement.text(1),
      .pool = statement.text(2),
      .role = statement.text(3),
      .provider_id = statement.text(4),
      .config_digest = statement.text(5),
      .fetched_digest = statement.text(6),
      .state = statement.text(7),
      .updated_at_ms = statement.int64(8),
      .kubelet_version = statement.text(9),
      .os_image = statement.text(10),
  };
}

Status upsert_cluster(sqlite3* db, const ClusterRecord& record) {
  auto statement = sqlite::Statement::prepare(
      db, std::string("INSERT OR REPLACE INTO clusters (") + kClusterColumns +
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!statement) return statement.error();
  statement->bind(1, record.name)
      .bind(2, record.phase)
      .bind(3, record.observed_revision)
      .bind(4, record.applied_revision)
      .bind(5, record.cluster_revision)
      .bind(6, record.render_digest)
      .bind(7, std::int64_t{record.ready ? 1 : 0})
      .bind(8, record.last_error)
      .bind(9, record.applied_at_ms)
      .bind(10, record.updated_at_ms)
      .bind(11, record.phase_message)
      .bind(12, std::int64_t{record.wave});
  return statement->run();
}

Status upsert_node(sqlite3* db, const NodeRecord& node) {
  auto statement =
      sqlite::Statement::prepare(db, std::string("INSERT OR REPLACE INTO nodes (") + kNodeColumns +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!statement) return statement.error();
  statement->bind(1, node.cluster)
      .bind(2, node.name)
      .bind(3, node.pool)
      .bind(4, node.role)
      .bind(5, node.provider_id)
      .bind(6, node.config_digest)
      .bind(7, node.fetched_digest)
      .bind(8, node.state)
      .bind(9, node.updated_at_ms)
      .bind(10, node.kubelet_version)
      .bind(11, node.os_image);
  return statement->run();
}

Status delete_nodes(sqlite3* db, const std::string& cluster) {
  auto statement = sqlite::Statement::prepare(db, "DELETE FROM nodes WHERE cluster = ?1");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  return statement->run();
}

}  // namespace nkd::state::records
