#include "state/sqlite_published_config_store.h"

#include <set>

#include "state/sqlite_records.h"

namespace nkd::state {

Status SqlitePublishedConfigStore::save_published_configs(
    const std::string& cluster, const std::vector<PublishedConfig>& changed,
    const std::vector<std::string>& nodes) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto transaction,
      sqlite::Transaction::begin(connection_.db(), "storing the configs of " + cluster));
  NKD_ASSIGN_OR_RETURN(
      auto upsert,
      sqlite::Statement::prepare(
          connection_.db(),
          "INSERT INTO published_configs (cluster, node, digest, content) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (cluster, node) DO UPDATE SET digest = excluded.digest, "
          "content = excluded.content WHERE digest != excluded.digest"));
  for (const auto& config : changed) {
    // Ignition configs embed the node's keys and tokens: sealed like the PKI.
    NKD_ASSIGN_OR_RETURN(
        const std::string stored,
        connection_.sealer().seal(config.content, config_place(cluster, config.node)));
    upsert.reset().bind(1, cluster).bind(2, config.node).bind(3, config.digest).bind(4, stored);
    NKD_RETURN_IF_ERROR(upsert.run());
  }
  NKD_ASSIGN_OR_RETURN(auto existing, sqlite::Statement::prepare(
                                          connection_.db(),
                                          "SELECT node FROM published_configs WHERE cluster = ?1"));
  existing.bind(1, cluster);
  const std::set<std::string> keep(nodes.begin(), nodes.end());
  std::vector<std::string> gone;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto row, existing.step());
    if (!row) break;
    if (!keep.contains(existing.text(0))) gone.push_back(existing.text(0));
  }
  for (const auto& node : gone) {
    NKD_ASSIGN_OR_RETURN(
        auto removal,
        sqlite::Statement::prepare(
            connection_.db(), "DELETE FROM published_configs WHERE cluster = ?1 AND node = ?2"));
    removal.bind(1, cluster).bind(2, node);
    NKD_RETURN_IF_ERROR(removal.run());
  }
  return transaction.commit();
}

Result<std::optional<PublishedConfig>> SqlitePublishedConfigStore::load_published_config(
    const std::string& cluster, const std::string& node) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(
      auto statement,
      sqlite::Statement::prepare(
          connection_.db(),
          "SELECT digest, content FROM published_configs WHERE cluster = ?1 AND node = ?2"));
  statement.bind(1, cluster).bind(2, node);
  NKD_ASSIGN_OR_RETURN(auto row, statement.step());
  if (!row) return std::optional<PublishedConfig>();
  NKD_ASSIGN_OR_RETURN(std::string content,
                       connection_.sealer().unseal(statement.text(1), config_place(cluster, node)));
  return std::optional<PublishedConfig>(
      PublishedConfig{.node = node, .digest = statement.text(0), .content = std::move(content)});
}

Status SqlitePublishedConfigStore::delete_published_configs(const std::string& cluster) {
  const auto lock = connection_.lock();
  NKD_ASSIGN_OR_RETURN(auto statement,
                       sqlite::Statement::prepare(
                           connection_.db(), "DELETE FROM published_configs WHERE cluster = ?1"));
  statement.bind(1, cluster);
  return statement.run();
}

}  // namespace nkd::state
