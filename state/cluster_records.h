// ClusterRecordStore: each cluster's record behind /api/v1/clusters and its applied-version
// history (DESIGN.md §8). Two writers share a record and each writes only its own columns: the
// source (the commit step, on the source thread) writes what it saw of the newest commit, the
// reconcile (the workers) what became of the cluster. A reconcile that read the record before a
// commit was rejected therefore cannot clear the rejection, nor move observed_revision back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "state/node_store.h"

namespace nkd::state {

enum class ClusterPhase {
  kPending,            // known, nothing applied yet
  kProvisioning,       // the provider is still building machines
  kWaitingForCluster,  // machines built; the cluster has not confirmed (or is not asked)
  kUpgrading,          // the housekeeper rolls a new version
  kReady,
  kFailed,
  kWaitingForWindow,  // changes held until a maintenance window opens
  kWaitingForWave,    // held until the earlier rollout waves are done
  kSuspended,         // `nkd suspend` or `spec.suspend`
  kOrphaned,          // gone from Git, machines kept (prune off)
  kDeleting,          // gone from Git, machines being deleted (prune on)
};
const char* to_string(ClusterPhase phase);
std::optional<ClusterPhase> cluster_phase_from_string(std::string_view text);

// kSuspended and kResumed mark an operator's suspend and resume (`nkd suspend`): no render is
// applied by them, they stand between the rows of the renders that were.
enum class Outcome { kPending, kApplied, kFailed, kSuperseded, kSuspended, kResumed };
const char* to_string(Outcome outcome);
std::optional<Outcome> outcome_from_string(std::string_view text);

// One applied-version history row. Times are Unix milliseconds; 0 means "not yet".
struct HistoryRow {
  std::int64_t id = 0;
  std::string cluster;
  std::string revision;
  std::string author;
  std::int64_t committed_at_ms = 0;
  std::string render_digest;
  Outcome outcome = Outcome::kPending;
  std::string message;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  // The replica that ran the attempt (several share an etcd store); "" for a single one. An
  // attempt folded into the previous row (same render, same outcome) gives it its message,
  // finish time and replica: the row then names who applied it last, not who started it.
  std::string replica;
};

// Each field says which writer owns it: the source (note_revision, note_rejection) or the
// reconcile (save_status, finish_attempt).
struct ClusterRecord {
  std::string name;
  ClusterPhase phase = ClusterPhase::kPending;  // reconcile
  std::string observed_revision;                // source: newest commit seen for this cluster
  std::string applied_revision;    // reconcile: newest commit whose render the provider applied
  std::string cluster_revision;    // reconcile: newest commit whose manifests the cluster accepted
  std::string render_digest;       // reconcile: digest of the applied render
  bool ready = false;              // reconcile
  std::string last_error;          // reconcile: its newest failure; empty: none
  std::int64_t applied_at_ms = 0;  // reconcile
  std::int64_t updated_at_ms = 0;  // either writer's last write
  // reconcile: what the phase waits for, when that is worth a line (WaitingForWindow: the held
  // changes and the next window); empty otherwise.
  std::string phase_message;
  // reconcile: the rollout wave of the definition last taken for it (metadata.labels.wave).
  int wave = 0;
  // source: why observed_revision was refused for this cluster; empty once a commit is accepted.
  std::string rejection;
};

// The error an operator should read first: a rejected newest commit, else the reconcile's.
inline const std::string& newest_error(const ClusterRecord& record) {
  return record.rejection.empty() ? record.last_error : record.rejection;
}

// An operator's suspension of a cluster (`nkd suspend`): the cluster is not reconciled until
// it is resumed. Kept across restarts.
struct Suspension {
  std::string cluster;
  std::string reason;  // as the operator gave it; may be empty
  std::int64_t since_ms = 0;
};

class ClusterRecordStore {
 public:
  virtual ~ClusterRecordStore() = default;

  [[nodiscard]] virtual Result<std::vector<ClusterRecord>> list_clusters() = 0;  // by name
  [[nodiscard]] virtual Result<std::optional<ClusterRecord>> get_cluster(
      const std::string& name) = 0;

  // --- The source's writes.
  // Notes, in one transaction, that `revision` is the newest commit seen for each cluster and
  // that it was accepted: observed_revision becomes it and the rejection is cleared. For a
  // cluster the commit left unchanged (`unchanged`), applied_revision moves too where the
  // cluster is healthy (no error, WaitingForCluster or Ready) and its stored render digest
  // equals `expected_digest` (any digest when that is nullopt). A missing record is made.
  struct RevisionNote {
    std::string cluster;
    std::optional<std::string> expected_digest;
    bool unchanged = true;
  };
  [[nodiscard]] virtual Status note_revision(const std::vector<RevisionNote>& notes,
                                             const std::string& revision, std::int64_t now_ms) = 0;
  // `revision` was refused for `cluster` with `message`; the record keeps everything the
  // reconcile wrote. A cluster without a record gets one in phase Failed.
  [[nodiscard]] virtual Status note_rejection(const std::string& cluster,
                                              const std::string& revision,
                                              const std::string& message, std::int64_t now_ms) = 0;

  // --- The reconcile's writes.
  // Stores the reconcile's columns of `record`; the source's stay as stored. A missing record is
  // made.
  [[nodiscard]] virtual Status save_status(const ClusterRecord& record) = 0;
  [[nodiscard]] virtual Status delete_cluster(const std::string& name) = 0;  // and its nodes

  // Opens an attempt to apply `row.render_digest` to `row.cluster`. If the cluster has an open
  // (pending) row with the same digest, that row is returned unchanged: a restart resumes it.
  // Otherwise every open row of the cluster becomes `superseded` (finished now) and a new pending
  // row is inserted and returned.
  [[nodiscard]] virtual Result<HistoryRow> begin_attempt(const HistoryRow& row) = 0;

  // Closes attempt `id` with `outcome`, and in the same transaction stores the reconcile's
  // columns of `cluster` and replaces the cluster's node records with `nodes`. When the
  // cluster's previous finished row has the same digest and the same outcome, no new row is
  // kept: the pending row is removed and the previous row's message and finished time are
  // updated (history grows only when the digest or the outcome changes).
  [[nodiscard]] virtual Status finish_attempt(std::int64_t id, Outcome outcome,
                                              const std::string& message,
                                              std::int64_t finished_at_ms,
                                              const ClusterRecord& cluster,
                                              const std::vector<NodeRecord>& nodes) = 0;

  // Newest first; at most `limit` rows.
  [[nodiscard]] virtual Result<std::vector<HistoryRow>> history(const std::string& cluster,
                                                                int limit) = 0;

  // Suspends (`suspension` set) or resumes (nullopt) `cluster` and appends `row` (finished, with
  // outcome kSuspended or kResumed) to its history, in one transaction. False, with nothing
  // written, when the cluster already is in that state.
  [[nodiscard]] virtual Result<bool> set_suspension(const std::string& cluster,
                                                    const std::optional<Suspension>& suspension,
                                                    const HistoryRow& row) = 0;
  [[nodiscard]] virtual Result<std::vector<Suspension>> suspensions() = 0;  // by cluster
};

}  // namespace nkd::state
