// StateStore: everything the daemon must not lose (DESIGN.md §8): per-cluster PKI, the cluster
// records behind /api/v1/clusters, per-node records, pending intents and the applied-version
// history. Every method is atomic (one transaction) and safe to call from several threads.
// Implementations: SQLite (sqlite_state_store.h, the embedded default) and, later, etcd.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace nkd::state {

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
};

struct NodeRecord {
  std::string cluster;
  std::string name;
  std::string pool;
  std::string role;
  std::string provider_id;
  std::string config_digest;   // digest of the config the node should have
  std::string fetched_digest;  // bare metal: digest of the config the node last fetched
  std::string state;
  std::int64_t updated_at_ms = 0;
  // As the cluster's Node object reports them (status.nodeInfo); empty while nkd has not seen
  // the node in the cluster (clusterAccess: none, or not registered yet).
  std::string kubelet_version;
  std::string os_image;
};

struct ClusterRecord {
  std::string name;
  std::string phase = "Pending";
  std::string observed_revision;  // newest commit seen for this cluster
  std::string applied_revision;   // newest commit whose render the provider applied
  std::string cluster_revision;   // newest commit whose manifests the cluster accepted
  std::string render_digest;      // digest of the applied render
  bool ready = false;
  std::string last_error;         // empty: none
  std::int64_t applied_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // What the phase waits for, when that is worth a line (WaitingForWindow: the held changes and
  // the next window); empty otherwise.
  std::string phase_message;
  // The rollout wave of the definition last taken for it (metadata.labels.wave; 0 unlabelled).
  int wave = 0;
};

// Something the reconciler is about to do to the outside world, written before it does it, so a
// crash at any point is followed by a lookup instead of a duplicate.
struct Intent {
  std::int64_t id = 0;
  std::string cluster;
  std::string kind;     // "create-server", "delete-server", ...
  std::string target;   // node name
  std::string payload;  // JSON the provider needs to resume
  std::int64_t created_at_ms = 0;
};

// An operator's suspension of a cluster (`nkd suspend`): the cluster is not reconciled until
// it is resumed. Kept across restarts.
struct Suspension {
  std::string cluster;
  std::string reason;  // as the operator gave it; may be empty
  std::int64_t since_ms = 0;
};

struct PublishedConfig {
  std::string node;
  std::string digest;
  std::string content;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  [[nodiscard]] virtual Status ping() = 0;

  // PKI as the JSON text of pki::to_json; holds private keys.
  [[nodiscard]] virtual Result<std::optional<std::string>> load_pki(const std::string& cluster) = 0;
  [[nodiscard]] virtual Status save_pki(const std::string& cluster, const std::string& json) = 0;
  // Stores `json` only if the stored PKI is still `expected` (nullopt: none is stored); false,
  // with nothing written, when another writer changed it since it was read. The daemon and
  // `nkd rotate-node-tokens` both write PKIs: a blind write of one would undo the other's.
  [[nodiscard]] virtual Result<bool> replace_pki(const std::string& cluster,
                                                 const std::optional<std::string>& expected,
                                                 const std::string& json) = 0;

  [[nodiscard]] virtual Result<std::vector<ClusterRecord>> list_clusters() = 0;  // by name
  [[nodiscard]] virtual Result<std::optional<ClusterRecord>> get_cluster(const std::string& name) = 0;
  [[nodiscard]] virtual Status put_cluster(const ClusterRecord& record) = 0;
  // Notes, in one transaction, that `revision` is the newest commit seen for each cluster and
  // that it left their render unchanged: observed_revision becomes it, and applied_revision too
  // where the cluster is healthy (no error, WaitingForCluster or Ready) and its stored render
  // digest equals `expected_digest` (any digest when that is nullopt). Only those columns are
  // written, so a reconcile finishing meanwhile is never overwritten; a missing record is made.
  struct RevisionNote {
    std::string cluster;
    std::optional<std::string> expected_digest;
  };
  [[nodiscard]] virtual Status note_revision(const std::vector<RevisionNote>& notes,
                                             const std::string& revision, std::int64_t now_ms) = 0;
  [[nodiscard]] virtual Status delete_cluster(const std::string& name) = 0;  // and its nodes

  // Opens an attempt to apply `row.render_digest` to `row.cluster`. If the cluster has an open
  // (pending) row with the same digest, that row is returned unchanged: a restart resumes it.
  // Otherwise every open row of the cluster becomes `superseded` (finished now) and a new pending
  // row is inserted and returned.
  [[nodiscard]] virtual Result<HistoryRow> begin_attempt(const HistoryRow& row) = 0;

  // Closes attempt `id` with `outcome`, and in the same transaction stores `cluster` and replaces
  // the cluster's node records with `nodes`. When the cluster's previous finished row has the same
  // digest and the same outcome, no new row is kept: the pending row is removed and the previous
  // row's message and finished time are updated (history grows only when the digest or the
  // outcome changes).
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

  [[nodiscard]] virtual Result<std::vector<NodeRecord>> nodes(const std::string& cluster) = 0;
  [[nodiscard]] virtual Status put_node(const NodeRecord& node) = 0;

  // The configs bare-metal nodes fetch, kept here rather than in memory so the daemon's memory
  // does not grow with the number of nodes. save: stores `changed` (node -> config) and forgets
  // the cluster's nodes not in `nodes`, in one transaction; a config whose digest is unchanged
  // is not rewritten.
  [[nodiscard]] virtual Status save_published_configs(const std::string& cluster,
                                                      const std::vector<PublishedConfig>& changed,
                                                      const std::vector<std::string>& nodes) = 0;
  [[nodiscard]] virtual Result<std::optional<PublishedConfig>> load_published_config(
      const std::string& cluster, const std::string& node) = 0;
  [[nodiscard]] virtual Status delete_published_configs(const std::string& cluster) = 0;

  [[nodiscard]] virtual Result<std::int64_t> add_intent(const Intent& intent) = 0;
  [[nodiscard]] virtual Status complete_intent(std::int64_t id) = 0;
  [[nodiscard]] virtual Result<std::vector<Intent>> pending_intents(const std::string& cluster) = 0;
};

}  // namespace nkd::state
