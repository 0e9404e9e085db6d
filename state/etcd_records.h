// The etcd state store's key layout and the JSON of each value (DESIGN.md §8). Internal to
// state/: the Etcd* parts build their keys and values only through these.
//
// Under the prefix:
//   clusters/<cluster>              ClusterRecord          (both writers, compare-and-swap)
//   nodes/<cluster>/<node>          NodeRecord
//   history/<cluster>/<id>          HistoryRow             (id zero-padded to 20 digits)
//   history-ids/<id>                the row's cluster      (finish_attempt finds a row by id)
//   suspensions/<cluster>           Suspension
//   pki/<cluster>                   the PKI JSON           (as the PKI part stores it)
//   configs/<cluster>/<node>        digest and content     (as the config part stores it)
//   open-attempts/<cluster>        the id of its pending history row, if it has one
//   intents/pending/<id>            Intent                 (moved to intents/done/ on completion)
//   intents/done/<id>               Intent
//   counters/history, counters/intents   the last id handed out, in decimal
//   replicas/<id>                   a live replica (JSON), on its lease
//   owners/<cluster>                the id of the replica that owns the cluster, on its lease
//   signals/fetch                   written by a webhook on any replica: every replica fetches
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "state/cluster_records.h"
#include "state/intent_log.h"
#include "state/node_store.h"

namespace nkd::state::etcd_records {

[[nodiscard]] std::string padded_id(std::int64_t id);
[[nodiscard]] inline std::string cluster_key(std::string_view cluster) {
  return "clusters/" + std::string(cluster);
}
[[nodiscard]] inline std::string nodes_prefix(std::string_view cluster) {
  return "nodes/" + std::string(cluster) + "/";
}
[[nodiscard]] inline std::string node_key(std::string_view cluster, std::string_view node) {
  return nodes_prefix(cluster) + std::string(node);
}
[[nodiscard]] inline std::string history_prefix(std::string_view cluster) {
  return "history/" + std::string(cluster) + "/";
}
[[nodiscard]] inline std::string history_key(std::string_view cluster, std::int64_t id) {
  return history_prefix(cluster) + padded_id(id);
}
[[nodiscard]] inline std::string history_id_key(std::int64_t id) {
  return "history-ids/" + padded_id(id);
}
[[nodiscard]] inline std::string suspension_key(std::string_view cluster) {
  return "suspensions/" + std::string(cluster);
}
// Sharding (state/etcd_membership.h): each on the lease of the replica that wrote it.
[[nodiscard]] inline std::string owner_key(std::string_view cluster) {
  return "owners/" + std::string(cluster);
}
inline constexpr std::string_view kOwnersPrefix = "owners/";
inline constexpr std::string_view kReplicasPrefix = "replicas/";
inline constexpr std::string_view kFetchSignal = "signals/fetch";
inline constexpr std::string_view kHistoryCounter = "counters/history";
inline constexpr std::string_view kIntentCounter = "counters/intents";

// The reconcile's fields of `from` into `target` (cluster_records.h says who owns which).
void copy_reconcile_fields(const ClusterRecord& from, ClusterRecord& target);
[[nodiscard]] std::string cluster_json(const ClusterRecord& record);
[[nodiscard]] Result<ClusterRecord> parse_cluster(const std::string& text);
[[nodiscard]] std::string node_json(const NodeRecord& node);
[[nodiscard]] Result<NodeRecord> parse_node(const std::string& text);
[[nodiscard]] std::string history_json(const HistoryRow& row);
[[nodiscard]] Result<HistoryRow> parse_history_row(const std::string& text);
[[nodiscard]] std::string suspension_json(const Suspension& suspension);
[[nodiscard]] Result<Suspension> parse_suspension(const std::string& text);
[[nodiscard]] std::string intent_json(const Intent& intent);
[[nodiscard]] Result<Intent> parse_intent(const std::string& text);
// A counter's value (0 when it has none yet).
[[nodiscard]] Result<std::int64_t> parse_counter(const std::optional<std::string>& text);

}  // namespace nkd::state::etcd_records
