// Row <-> struct mapping for the SQLite state store, shared by sqlite_state_store.cc and
// sqlite_history.cc. Internal to state/: callers hold the store's mutex and, for writes, an
// open transaction.
#pragma once

#include <cstdint>
#include <string>

#include "state/cluster_records.h"
#include "state/node_store.h"
#include "state/sqlite_handles.h"

namespace nkd::state::records {

// Column lists, in the order the read_* functions expect.
inline constexpr const char* kHistoryColumns =
    "id, cluster, revision, author, committed_at_ms, render_digest, outcome, message, "
    "started_at_ms, finished_at_ms, replica";
inline constexpr const char* kClusterColumns =
    "name, phase, observed_revision, applied_revision, cluster_revision, render_digest, ready, "
    "last_error, applied_at_ms, updated_at_ms, phase_message, wave, rejection";
inline constexpr const char* kNodeColumns =
    "cluster, name, pool, role, provider_id, config_digest, fetched_digest, state, updated_at_ms, "
    "kubelet_version, os_image";

[[nodiscard]] Result<HistoryRow> read_history_row(const sqlite::Statement& statement);
[[nodiscard]] Result<ClusterRecord> read_cluster(const sqlite::Statement& statement);
[[nodiscard]] Result<NodeRecord> read_node(const sqlite::Statement& statement);

// The reconcile's columns of `record` (cluster_records.h); the source's stay as stored.
[[nodiscard]] Status save_cluster_status(sqlite3* db, const ClusterRecord& record);
// Binds ?1..?11 in kNodeColumns' order.
sqlite::Statement& bind_node(sqlite::Statement& statement, const NodeRecord& node);
[[nodiscard]] Status upsert_node(sqlite3* db, const NodeRecord& node);
[[nodiscard]] Status delete_nodes(sqlite3* db, const std::string& cluster);

}  // namespace nkd::state::records
