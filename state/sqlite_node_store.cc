#include "state/sqlite_node_store.h"

#include "state/sqlite_records.h"

namespace nkd::state {

Result<std::vector<NodeRecord>> SqliteNodeStore::nodes(const std::string& cluster) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto statement,
                       sqlite::Statement::prepare(
                           connection_.db(), std::string("SELECT ") + records::kNodeColumns +
                                                 " FROM nodes WHERE cluster = ?1 ORDER BY name"));
  statement.bind(1, cluster);
  std::vector<NodeRecord> nodes;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto row, statement.step());
    if (!row) return nodes;
    NKD_ASSIGN_OR_RETURN(auto node, records::read_node(statement));
    nodes.push_back(std::move(node));
  }
}

Status SqliteNodeStore::put_node(const NodeRecord& node) {
  if (node.cluster.empty() || node.name.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: put_node needs both a cluster and a node name"};
  }
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto transaction,
                       sqlite::Transaction::begin(
                           connection_.db(), "storing node " + node.cluster + "/" + node.name));
  NKD_RETURN_IF_ERROR(records::upsert_node(connection_.db(), node));
  return transaction.commit();
}

Status SqliteNodeStore::note_fetch(const NodeRecord& node) {
  if (node.cluster.empty() || node.name.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: note_fetch needs both a cluster and a node name"};
  }
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(
                                             connection_.db(), "noting the config fetch of node " +
                                                                   node.cluster + "/" + node.name));
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(), std::string("INSERT INTO nodes (") + records::kNodeColumns +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                                "ON CONFLICT (cluster, name) DO UPDATE SET "
                                "fetched_digest = excluded.fetched_digest, state = excluded.state, "
                                "updated_at_ms = excluded.updated_at_ms"));
  NKD_RETURN_IF_ERROR(records::bind_node(statement, node).run());
  return transaction.commit();
}

}  // namespace nkd::state
