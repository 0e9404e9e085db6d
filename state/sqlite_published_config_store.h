// SqlitePublishedConfigStore: the PublishedConfigStore part of SqliteStateStore (table
// published_configs).
#pragma once

#include "state/published_config_store.h"
#include "state/sqlite_connection.h"

namespace nkd::state {

class SqlitePublishedConfigStore : public virtual PublishedConfigStore {
 public:
  explicit SqlitePublishedConfigStore(SqliteConnection& connection) : connection_(connection) {}

  [[nodiscard]] Status save_published_configs(const std::string& cluster,
                                              const std::vector<PublishedConfig>& changed,
                                              const std::vector<std::string>& nodes) override;
  [[nodiscard]] Result<std::optional<PublishedConfig>> load_published_config(
      const std::string& cluster, const std::string& node) override;
  [[nodiscard]] Status delete_published_configs(const std::string& cluster) override;

 private:
  SqliteConnection& connection_;
};

}  // namespace nkd::state
