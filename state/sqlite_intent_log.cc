#include "state/sqlite_intent_log.h"

#include "state/sqlite_records.h"

namespace nkd::state {

Result<std::int64_t> SqliteIntentLog::add_intent(const Intent& intent) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto transaction,
      sqlite::Transaction::begin(connection_.db(), "recording intent " + intent.kind + " " +
                                                       intent.target + " of " + intent.cluster));
  NKD_ASSIGN_OR_RETURN(auto statement,
                       sqlite::Statement::prepare(
                           connection_.db(),
                           "INSERT INTO intents (cluster, kind, target, payload, created_at_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)"));
  statement.bind(1, intent.cluster)
      .bind(2, intent.kind)
      .bind(3, intent.target)
      .bind(4, intent.payload)
      .bind(5, intent.created_at_ms);
  NKD_RETURN_IF_ERROR(statement.run());
  const std::int64_t id = sqlite3_last_insert_rowid(connection_.db());
  NKD_RETURN_IF_ERROR(transaction.commit());
  return id;
}

Status SqliteIntentLog::complete_intent(std::int64_t id) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto transaction,
      sqlite::Transaction::begin(connection_.db(), "completing intent " + std::to_string(id)));
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "UPDATE intents SET completed_at_ms = coalesce(completed_at_ms, ?2) WHERE id = ?1"));
  statement.bind(1, id).bind(2, connection_.clock().now_unix_ms());
  NKD_RETURN_IF_ERROR(statement.run());
  if (statement.changes() == 0) {
    return Error{ErrorCode::kNotFound, "state store: intent " + std::to_string(id) +
                                           " does not exist; it cannot be completed"};
  }
  return transaction.commit();
}

Result<std::vector<Intent>> SqliteIntentLog::pending_intents(const std::string& cluster) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "SELECT id, cluster, kind, target, payload, created_at_ms FROM intents "
          "WHERE completed_at_ms IS NULL AND (?1 = '' OR cluster = ?1) ORDER BY id"));
  statement.bind(1, cluster);
  std::vector<Intent> intents;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto row, statement.step());
    if (!row) return intents;
    intents.push_back(Intent{.id = statement.int64(0),
                             .cluster = statement.text(1),
                             .kind = statement.text(2),
                             .target = statement.text(3),
                             .payload = statement.text(4),
                             .created_at_ms = statement.int64(5)});
  }
}

}  // namespace nkd::state
