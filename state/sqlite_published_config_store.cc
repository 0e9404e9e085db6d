#include "state/sqlite_published_config_store.h"

#include <set>

#include "state/sqlite_records.h"

namespace nkd::state {

Status SqlitePublishedConfigStore::save_published_configs(
    const std::string& cluster, const std::vector<PublishedConfig>& changed,
    const std::vector<std::string>& nodes) {
  const auto lock = connection_.lock();
  auto transaction =
      sqlite::Transaction::begin(connection_.db(), "storing the configs of " + cluster);
  if (!transaction) return transaction.error();
  auto upsert = sqlite::Statement::prepare(
      connection_.db(),
      "INSERT INTO published_configs (cluster, node, digest, content) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (cluster, node) DO UPDATE SET digest = excluded.digest, "
      "content = excluded.content WHERE digest != excluded.digest");
  if (!upsert) return upsert.error();
  for (const auto& config : changed) {
    upsert->reset()
        .bind(1, cluster)
        .bind(2, config.node)
        .bind(3, config.digest)
        .bind(4, config.content);
    if (auto stored = upsert->run(); !stored) return stored.error();
  }
  auto existing = sqlite::Statement::prepare(
      connection_.db(), "SELECT node FROM published_configs WHERE cluster = ?1");
  if (!existing) return existing.error();
  existing->bind(1, cluster);
  const std::set<std::string> keep(nodes.begin(), nodes.end());
  std::vector<std::string> gone;
  while (true) {
    auto row = existing->step();
    if (!row) return row.error();
    if (!*row) break;
    if (!keep.contains(existing->text(0))) gone.push_back(existing->text(0));
  }
  for (const auto& node : gone) {
    auto removal = sqlite::Statement::prepare(
        connection_.db(), "DELETE FROM published_configs WHERE cluster = ?1 AND node = ?2");
    if (!removal) return removal.error();
    removal->bind(1, cluster).bind(2, node);
    if (auto removed = removal->run(); !removed) return removed.error();
  }
  return transaction->commit();
}

Result<std::optional<PublishedConfig>> SqlitePublishedConfigStore::load_published_config(
    const std::string& cluster, const std::string& node) {
  const auto lock = connection_.lock();
  auto statement = sqlite::Statement::prepare(
      connection_.db(),
      "SELECT digest, content FROM published_configs WHERE cluster = ?1 AND node = ?2");
  if (!statement) return statement.error();
  statement->bind(1, cluster).bind(2, node);
  auto row = statement->step();
  if (!row) return row.error();
  if (!*row) return std::optional<PublishedConfig>();
  return std::optional<PublishedConfig>(
      PublishedConfig{.node = node, .digest = statement->text(0), .content = statement->text(1)});
}

Status SqlitePublishedConfigStore::delete_published_configs(const std::string& cluster) {
  const auto lock = connection_.lock();
  auto statement = sqlite::Statement::prepare(connection_.db(),
                                              "DELETE FROM published_configs WHERE cluster = ?1");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  return statement->run();
}

}  // namespace nkd::state
