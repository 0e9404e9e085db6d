#include "state/sqlite_pki_store.h"

#include "state/sqlite_records.h"

namespace nkd::state {
namespace {

// Callers hold the connection's lock. The PKI holds the cluster's private keys and tokens: it is
// stored sealed whenever the store has a key.
Result<std::optional<std::string>> read_pki(const SqliteConnection& connection,
                                            const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(connection.db(), "SELECT json FROM pki WHERE cluster = ?1"));
  statement.bind(1, cluster);
  NKD_ASSIGN_OR_RETURN(auto row, statement.step());
  if (!row) return std::optional<std::string>();
  NKD_ASSIGN_OR_RETURN(std::string json,
                       connection.sealer().unseal(statement.text(0), pki_place(cluster)));
  return std::optional<std::string>(std::move(json));
}

Status write_pki(const SqliteConnection& connection, const std::string& cluster,
                 const std::string& json) {
  NKD_ASSIGN_OR_RETURN(const std::string stored,
                       connection.sealer().seal(json, pki_place(cluster)));
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection.db(),
          "INSERT OR REPLACE INTO pki (cluster, json, updated_at_ms) VALUES (?1, ?2, ?3)"));
  statement.bind(1, cluster).bind(2, stored).bind(3, connection.clock().now_unix_ms());
  return statement.run();
}

}  // namespace

Result<std::optional<std::string>> SqlitePkiStore::load_pki(const std::string& cluster) {
  const auto lock = connection_.lock();
  return read_pki(connection_, cluster);
}

Status SqlitePkiStore::save_pki(const std::string& cluster, const std::string& json) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(
                                             connection_.db(), "saving the PKI of " + cluster));
  NKD_RETURN_IF_ERROR(write_pki(connection_, cluster, json));
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
  NKD_ASSIGN_OR_RETURN(const std::optional<std::string> stored, read_pki(connection_, cluster));
  if (stored != expected) return false;
  NKD_RETURN_IF_ERROR(write_pki(connection_, cluster, json));
  NKD_RETURN_IF_ERROR(transaction.commit());
  return true;
}

}  // namespace nkd::state
