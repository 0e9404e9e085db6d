// EtcdClusterRecords: the ClusterRecordStore part of EtcdStateStore (etcd_records.h has the
// keys). A cluster's record is one key that both writers change in a compare-and-swap loop,
// each copying in only its own fields (cluster_records.h), so neither undoes the other. The
// history lives in etcd_history.cc: one key a row, ids from counters/history, and
// open-attempts/<cluster> naming the one pending row a cluster may have.
//
// Beyond the interface's contract, as SqliteStateStore's (sqlite_state_store.h) with these
// differences: note_revision commits its notes in transactions of at most kNotesPerTxn clusters
// (etcd's default --max-txn-ops is 128), each all-or-nothing; finish_attempt writes only the
// nodes that changed, and a change of more nodes than etcd's --max-txn-ops allows is refused by
// etcd (kInvalidArgument) until that limit is raised.
#pragma once

#include <span>

#include "state/cluster_records.h"
#include "state/etcd_connection.h"

namespace nkd::state {

class EtcdClusterRecords : public virtual ClusterRecordStore {
 public:
  static constexpr std::size_t kNotesPerTxn = 100;

  explicit EtcdClusterRecords(EtcdConnection& connection) : connection_(connection) {}

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
  // One transaction of note_revision over `notes`; nullopt when a compare failed (nothing was
  // written).
  [[nodiscard]] Result<std::optional<Ok>> note_revision_batch(std::span<const RevisionNote> notes,
                                                              const std::string& revision,
                                                              std::int64_t now_ms);

  EtcdConnection& connection_;
};

}  // namespace nkd::state
