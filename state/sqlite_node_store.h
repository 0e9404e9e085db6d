// SqliteNodeStore: the NodeStore part of SqliteStateStore (table nodes).
#pragma once

#include "state/node_store.h"
#include "state/sqlite_connection.h"

namespace nkd::state {

class SqliteNodeStore : public virtual NodeStore {
 public:
  explicit SqliteNodeStore(SqliteConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::vector<NodeRecord>> nodes(const std::string& cluster) override;
  [[nodiscard]] Status put_node(const NodeRecord& node) override;
  [[nodiscard]] Status note_fetch(const NodeRecord& node) override;

 private:
  SqliteConnection& connection_;
};

}  // namespace nkd::state
