// SqlitePkiStore: the PkiStore part of SqliteStateStore (table pki).
#pragma once

#include "state/pki_store.h"
#include "state/sqlite_connection.h"

namespace nkd::state {

class SqlitePkiStore : public virtual PkiStore {
 public:
  explicit SqlitePkiStore(SqliteConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::optional<std::string>> load_pki(const std::string& cluster) override;
  [[nodiscard]] Status save_pki(const std::string& cluster, const std::string& json) override;
  [[nodiscard]] Result<bool> replace_pki(const std::string& cluster,
                                         const std::optional<std::string>& expected,
                                         const std::string& json) override;

 private:
  SqliteConnection& connection_;
};

}  // namespace nkd::state
