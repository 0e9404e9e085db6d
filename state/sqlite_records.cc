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
  row.replica = statement.text(10);
  return row;
}

namespace {

// Only a file edited by hand holds a value this nkd does not know: a newer nkd's file is refused
// by its schema version first.
Error unknown_value(const std::string& what, const std::string& value) {
  return Error{ErrorCode::kParse, "state store: " + what + " has unknown value '" + value +
                                      "'; repair the row or restore the state file"};
}

}  // namespace

Result<ClusterRecord> read_cluster(const sqlite::Statement& statement) {
  const std::string phase = statement.text(1);
  const std::optional<ClusterPhase> parsed = cluster_phase_from_string(phase);
  if (!parsed) return unknown_value("the phase of cluster " + statement.text(0), phase);
  return ClusterRecord{
      .name = statement.text(0),
      .phase = *parsed,
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
      .rejection = statement.text(12),
  };
}

Result<NodeRecord> read_node(const sqlite::Statement& statement) {
  const std::string state = statement.text(7);
  const std::optional<NodeState> parsed = node_state_from_string(state);
  if (!parsed) {
    return unknown_value("the state of node " + statement.text(0) + "/" + statement.text(1), state);
  }
  return NodeRecord{
      .cluster = statement.text(0),
      .name = statement.text(1),
      .pool = statement.text(2),
      .role = statement.text(3),
      .provider_id = statement.text(4),
      .config_digest = statement.text(5),
      .fetched_digest = statement.text(6),
      .state = *parsed,
      .updated_at_ms = statement.int64(8),
      .kubelet_version = statement.text(9),
      .os_image = statement.text(10),
  };
}

Status save_cluster_status(sqlite3* db, const ClusterRecord& record) {
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          db,
          "INSERT INTO clusters (name, phase, applied_revision, cluster_revision, render_digest, "
          "ready, last_error, applied_at_ms, updated_at_ms, phase_message, wave) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
          "ON CONFLICT (name) DO UPDATE SET phase = excluded.phase, "
          "applied_revision = excluded.applied_revision, cluster_revision = "
          "excluded.cluster_revision, "
          "render_digest = excluded.render_digest, ready = excluded.ready, "
          "last_error = excluded.last_error, applied_at_ms = excluded.applied_at_ms, "
          "updated_at_ms = excluded.updated_at_ms, phase_message = excluded.phase_message, "
          "wave = excluded.wave"));
  statement.bind(1, record.name)
      .bind(2, to_string(record.phase))
      .bind(3, record.applied_revision)
      .bind(4, record.cluster_revision)
      .bind(5, record.render_digest)
      .bind(6, std::int64_t{record.ready ? 1 : 0})
      .bind(7, record.last_error)
      .bind(8, record.applied_at_ms)
      .bind(9, record.updated_at_ms)
      .bind(10, record.phase_message)
      .bind(11, std::int64_t{record.wave});
  return statement.run();
}

sqlite::Statement& bind_node(sqlite::Statement& statement, const NodeRecord& node) {
  return statement.bind(1, node.cluster)
      .bind(2, node.name)
      .bind(3, node.pool)
      .bind(4, node.role)
      .bind(5, node.provider_id)
      .bind(6, node.config_digest)
      .bind(7, node.fetched_digest)
      .bind(8, to_string(node.state))
      .bind(9, node.updated_at_ms)
      .bind(10, node.kubelet_version)
      .bind(11, node.os_image);
}

Status upsert_node(sqlite3* db, const NodeRecord& node) {
  NKD_ASSIGN_OR_RETURN(auto statement,
                       sqlite::Statement::prepare(
                           db, std::string("INSERT OR REPLACE INTO nodes (") + kNodeColumns +
                                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  return bind_node(statement, node).run();
}

Status delete_nodes(sqlite3* db, const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(auto statement,
                       sqlite::Statement::prepare(db, "DELETE FROM nodes WHERE cluster = ?1"));
  statement.bind(1, cluster);
  return statement.run();
}

}  // namespace nkd::state::records
