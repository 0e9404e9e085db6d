// EtcdNodeStore: the NodeStore part of EtcdStateStore, one key a node (nodes/<cluster>/<node>).
// put_node writes the whole record; note_fetch merges its three fields into the stored record
// in a compare-and-swap loop, so the reconcile's fields stay as they are.
#pragma once

#include "state/etcd_connection.h"
#include "state/node_store.h"

namespace nkd::state {

class EtcdNodeStore : public virtual NodeStore {
 public:
  explicit EtcdNodeStore(EtcdConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::vector<NodeRecord>> nodes(const std::string& cluster) override;
  [[nodiscard]] Status put_node(const NodeRecord& node) override;
  [[nodiscard]] Status note_fetch(const NodeRecord& node) override;

 private:
  EtcdConnection& connection_;
};

}  // namespace nkd::state
