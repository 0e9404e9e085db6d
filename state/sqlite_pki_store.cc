#include "state/sqlite_pki_store.h"

#include "state/sqlite_records.h"

namespace nkd::state {

Result<std::optional<std::string>> SqlitePkiStore::load_pki(const std::string& cluster) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(connection_.db(), "SELECT json FROM pki WHERE cluster = ?1"));
  statement.bind(1, cluster);
  NKD_ASSIGN_OR_RETURN(auto row, statement.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(statement.text(0));
}

Status SqlitePkiStore::save_pki(const std::string& cluster, const std::string& json) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(
                                             connection_.db(), "saving the PKI of " + cluster));
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "INSERT OR REPLACE INTO pki (cluster, json, updated_at_ms) VALUES (?1, ?2, ?3)"));
  statement.bind(1, cluster).bind(2, json).bind(3, connection_.clock().now_unix_ms());
  NKD_RETURN_IF_ERROR(statement.run());
  return transaction.commit();
}

Result<bool> SqlitePkiStore::replace_pki(const std::string& cluster,
                                         const std::optional<std::string>& expected,
                                         const std::string& json) {
  const auto lock = connection_.lock();
  // BEGIN IMMEDIATE takes the write lock first: no other process can write between the
  // comparison and the write.
  NKD_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(
                                             connection_.db(), "replacing the PKI of " + cluster));
  NKD_ASSIGN_OR_RETURN(
      auto current,
      sqlite::Statement::prepare(connection_.db(), "SELECT json FROM pki WHERE cluster = ?1"));
  current.bind(1, cluster);
  NKD_ASSIGN_OR_RETURN(auto row, current.step());
  const std::optional<std::string> stored =
      row ? std::optional<std::string>(current.text(0)) : std::nullopt;
  if (stored != expected) return false;
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "INSERT OR REPLACE INTO pki (cluster, json, updated_at_ms) VALUES (?1, ?2, ?3)"));
  statement.bind(1, cluster).bind(2, json).bind(3, connection_.clock().now_unix_ms());
  NKD_RETURN_IF_ERROR(statement.run());
  NKD_RETURN_IF_ERROR(transaction.commit());
  return true;
}

}  // namespace nkd::state
