#include "state/etcd_node_store.h"

#include "state/etcd_records.h"

namespace nkd::state {
namespace {

Status check_names(const NodeRecord& node, const char* call) {
  if (node.cluster.empty() || node.name.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 std::string("state store: ") + call + " needs both a cluster and a node name"};
  }
  return ok_status();
}

}  // namespace

Result<std::vector<NodeRecord>> EtcdNodeStore::nodes(const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().list(etcd_records::nodes_prefix(cluster)));
  std::vector<NodeRecord> nodes;
  nodes.reserve(stored.values.size());
  for (const EtcdKeyValue& entry : stored.values) {
    NKD_ASSIGN_OR_RETURN(auto node, etcd_records::parse_node(entry.value));
    nodes.push_back(std::move(node));
  }
  return nodes;
}

Status EtcdNodeStore::put_node(const NodeRecord& node) {
  NKD_RETURN_IF_ERROR(check_names(node, "put_node"));
  EtcdTxn txn;
  txn.put(etcd_records::node_key(node.cluster, node.name), etcd_records::node_json(node));
  NKD_ASSIGN_OR_RETURN_WRAP(auto written, connection_.commit_for(node.cluster, txn),
                            "storing node " + node.cluster + "/" + node.name);
  (void)written;  // no compares: it always holds
  return ok_status();
}

Status EtcdNodeStore::note_fetch(const NodeRecord& node) {
  NKD_RETURN_IF_ERROR(check_names(node, "note_fetch"));
  const std::string key = etcd_records::node_key(node.cluster, node.name);
  auto noted = connection_.until_committed<Ok>(
      "noting the config fetch of node " + node.cluster + "/" + node.name,
      [&]() -> Result<std::optional<Ok>> {
        NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(key));
        NodeRecord merged = node;  // a node not recorded yet is recorded whole
        if (stored) {
          NKD_ASSIGN_OR_RETURN(merged, etcd_records::parse_node(stored->value));
          merged.fetched_digest = node.fetched_digest;
          merged.state = node.state;
          merged.updated_at_ms = node.updated_at_ms;
        }
        EtcdTxn txn;
        txn.expect(key, stored ? stored->mod_revision : 0)
            .put(key, etcd_records::node_json(merged));
        NKD_ASSIGN_OR_RETURN(auto written, connection_.client().commit(txn));
        return written ? std::optional<Ok>(Ok{}) : std::nullopt;
      });
  if (!noted) return noted.error();
  return ok_status();
}

}  // namespace nkd::state
