// SqliteClusterRecords: the ClusterRecordStore part of SqliteStateStore (tables clusters,
// history and suspensions; the history's SQL is in sqlite_history_rows.h).
#pragma once

#include "state/cluster_records.h"
#include "state/sqlite_connection.h"

namespace nkd::state {

class SqliteClusterRecords : public virtual ClusterRecordStore {
 public:
  explicit SqliteClusterRecords(SqliteConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::vector<ClusterRecord>> list_clusters() override;
  [[nodiscard]] Result<std::optional<ClusterRecord>> get_cluster(const std::string& name) override;
  [[nodiscard]] Status save_status(const ClusterRecord& record) override;
  [[nodiscard]] Status note_rejection(const std::string& cluster, const std::string& revision,
                                      const std::string& message, std::int64_t now_ms) override;
  [[nodiscard]] Status note_revision(const std::vector<RevisionNote>& notes,
                                     const std::string& revision, std::int64_t now_ms) override;
  [[nodiscard]] Status delete_cluster(const std::string& name) override;
  [[nodiscard]] Result<HistoryRow> begin_attempt(const HistoryRow& row) override;
  [[nodiscard]] Status finish_attempt(std::int64_t id, Outcome outcome, const std::string& message,
                                      std::int64_t finished_at_ms, const ClusterRecord& cluster,
                                      const std::vector<NodeRecord>& nodes) override;
  [[nodiscard]] Result<std::vector<HistoryRow>> history(const std::string& cluster,
                                                        int limit) override;
  [[nodiscard]] Result<bool> set_suspension(const std::string& cluster,
                                            const std::optional<Suspension>& suspension,
                                            const HistoryRow& row) override;
  [[nodiscard]] Result<std::vector<Suspension>> suspensions() override;

 private:
  SqliteConnection& connection_;
};

}  // namespace nkd::state
