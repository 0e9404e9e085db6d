#include "state/sqlite_pki_store.h"

#include "state/sqlite_records.h"

namespace nkd::state {

Result<std::optional<std::string>> SqlitePkiStore::load_pki(const std::string& cluster) {
  const auto lock = connection_.lock();
  auto statement =
      sqlite::Statement::prepare(connection_.db(), "SELECT json FROM pki WHERE cluster = ?1");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  auto row = statement->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(statement->text(0));
}

Status SqlitePkiStore::save_pki(const std::string& cluster, const std::string& json) {
  const auto lock = connection_.lock();
  auto transaction = sqlite::Transaction::begin(connection_.db(), "saving the PKI of " + cluster);
  if (!transaction) return transaction.error();
  auto statement = sqlite::Statement::prepare(
      connection_.db(),
      "INSERT OR REPLACE INTO pki (cluster, json, updated_at_ms) VALUES (?1, ?2, ?3)");
  if (!statement) return statement.error();
  statement->bind(1, cluster).bind(2, json).bind(3, connection_.clock().now_unix_ms());
  if (auto saved = statement->run(); !saved) return saved.error();
  return transaction->commit();
}

Result<bool> SqlitePkiStore::replace_pki(const std::string& cluster,
                                         const std::optional<std::string>& expected,
                                         const std::string& json) {
  const auto lock = connection_.lock();
  // BEGIN IMMEDIATE takes the write lock first: no other process can write between the
  // comparison and the write.
  auto transaction =
      sqlite::Transaction::begin(connection_.db(), "replacing the PKI of " + cluster);
  if (!transaction) return transaction.error();
  auto current =
      sqlite::Statement::prepare(connection_.db(), "SELECT json FROM pki WHERE cluster = ?1");
  if (!current) return current.error();
  current->bind(1, cluster);
  auto row = current->step();
  if (!row) return row.error();
  const std::optional<std::string> stored =
      *row ? std::optional<std::string>(current->text(0)) : std::nullopt;
  if (stored != expected) return false;
  auto statement = sqlite::Statement::prepare(
      connection_.db(),
      "INSERT OR REPLACE INTO pki (cluster, json, updated_at_ms) VALUES (?1, ?2, ?3)");
  if (!statement) return statement.error();
  statement->bind(1, cluster).bind(2, json).bind(3, connection_.clock().now_unix_ms());
  if (auto saved = statement->run(); !saved) return saved.error();
  if (auto committed = transaction->commit(); !committed) return committed.error();
  return true;
}

}  // namespace nkd::state
