// SealedValues on the SQLite store: the PKI and published-config rows, resealed in one
// transaction, then the WAL checkpointed and truncated and the file vacuumed, so the old bytes
// survive neither in the WAL nor in free pages (secure_delete is on whenever the store seals).
#pragma once

#include "state/sealed_values.h"
#include "state/sqlite_connection.h"

namespace nkd::state {

class SqliteSealedValues : public virtual SealedValues {
 public:
  explicit SqliteSealedValues(SqliteConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::map<std::string, std::int64_t>> sealed_value_counts() override;
  [[nodiscard]] Result<std::int64_t> reseal_all() override;

 private:
  SqliteConnection& connection_;
};

}  // namespace nkd::state
