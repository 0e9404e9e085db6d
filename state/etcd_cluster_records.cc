#include "state/etcd_cluster_records.h"

#include <map>

#include "state/etcd_records.h"

namespace nkd::state {
namespace {

using etcd_records::cluster_key;

// What note_revision makes of one cluster's record; nullopt when it would not change.
std::optional<ClusterRecord> noted(const std::optional<ClusterRecord>& stored,
                                   const ClusterRecordStore::RevisionNote& note,
                                   const std::string& revision, std::int64_t now_ms) {
  if (!stored) {
    return ClusterRecord{
        .name = note.cluster, .observed_revision = revision, .updated_at_ms = now_ms};
  }
  if (stored->observed_revision == revision && stored->rejection.empty()) return std::nullopt;
  ClusterRecord record = *stored;
  const bool healthy =
      record.last_error.empty() &&
      (record.phase == ClusterPhase::kWaitingForCluster || record.phase == ClusterPhase::kReady) &&
      !record.render_digest.empty();
  const bool digest_matches =
      !note.expected_digest.has_value() || *note.expected_digest == record.render_digest;
  if (note.unchanged && healthy && digest_matches) record.applied_revision = revision;
  record.observed_revision = revision;
  record.rejection.clear();
  record.updated_at_ms = now_ms;
  return record;
}

}  // namespace

Result<std::vector<ClusterRecord>> EtcdClusterRecords::list_clusters() {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().list("clusters/"));
  std::vector<ClusterRecord> clusters;
  clusters.reserve(stored.values.size());
  for (const EtcdKeyValue& entry : stored.values) {  // by key: by name
    NKD_ASSIGN_OR_RETURN(auto record, etcd_records::parse_cluster(entry.value));
    clusters.push_back(std::move(record));
  }
  return clusters;
}

Result<std::optional<ClusterRecord>> EtcdClusterRecords::get_cluster(const std::string& name) {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(cluster_key(name)));
  if (!stored) return std::optional<ClusterRecord>();
  NKD_ASSIGN_OR_RETURN(auto record, etcd_records::parse_cluster(stored->value));
  return std::optional<ClusterRecord>(std::move(record));
}

Status EtcdClusterRecords::save_status(const ClusterRecord& record) {
  if (record.name.empty()) {
    return Error{ErrorCode::kInvalidArgument, "state store: save_status needs a cluster name"};
  }
  const std::string key = cluster_key(record.name);
  return connection_.until_committed<Ok>(
      "storing cluster " + record.name, [&]() -> Result<std::optional<Ok>> {
        NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(key));
        ClusterRecord merged{.name = record.name};
        if (stored) {
          NKD_ASSIGN_OR_RETURN(merged, etcd_records::parse_cluster(stored->value));
        }
        etcd_records::copy_reconcile_fields(record, merged);
        EtcdTxn txn;
        txn.expect(key, stored ? stored->mod_revision : 0)
            .put(key, etcd_records::cluster_json(merged));
        NKD_ASSIGN_OR_RETURN(auto written, connection_.commit_for(record.name, txn));
        return written ? std::optional<Ok>(Ok{}) : std::nullopt;
      });
}

Status EtcdClusterRecords::note_rejection(const std::string& cluster, const std::string& revision,
                                          const std::string& message, std::int64_t now_ms) {
  const std::string key = cluster_key(cluster);
  return connection_.until_committed<Ok>(
      "noting rejected commit for " + cluster, [&]() -> Result<std::optional<Ok>> {
        NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(key));
        // A cluster rejected before anything was applied to it is recorded as failed.
        ClusterRecord merged{.name = cluster, .phase = ClusterPhase::kFailed};
        if (stored) {
          NKD_ASSIGN_OR_RETURN(merged, etcd_records::parse_cluster(stored->value));
        }
        merged.observed_revision = revision;
        merged.rejection = message;
        merged.updated_at_ms = now_ms;
        EtcdTxn txn;
        txn.expect(key, stored ? stored->mod_revision : 0)
            .put(key, etcd_records::cluster_json(merged));
        NKD_ASSIGN_OR_RETURN(auto written, connection_.client().commit(txn));
        return written ? std::optional<Ok>(Ok{}) : std::nullopt;
      });
}

Status EtcdClusterRecords::note_revision(const std::vector<RevisionNote>& notes,
                                         const std::string& revision, std::int64_t now_ms) {
  const std::span<const RevisionNote> all(notes);
  for (std::size_t first = 0; first < all.size(); first += kNotesPerTxn) {
    const auto batch = all.subspan(first, std::min(kNotesPerTxn, all.size() - first));
    NKD_RETURN_IF_ERROR(connection_.until_committed<Ok>(
        "noting commit " + revision.substr(0, 12) + " on " + std::to_string(batch.size()) +
            " clusters",
        [&] { return note_revision_batch(batch, revision, now_ms); }));
  }
  return ok_status();
}

Result<std::optional<Ok>> EtcdClusterRecords::note_revision_batch(
    std::span<const RevisionNote> notes, const std::string& revision, std::int64_t now_ms) {
  // One read of every record serves the whole batch (a commit notes nearly every cluster).
  NKD_ASSIGN_OR_RETURN(auto listed, connection_.client().list("clusters/"));
  std::map<std::string, const EtcdKeyValue*, std::less<>> by_key;
  for (const EtcdKeyValue& entry : listed.values) by_key[entry.key] = &entry;
  EtcdTxn txn;
  for (const RevisionNote& note : notes) {
    const std::string key = cluster_key(note.cluster);
    const auto found = by_key.find(key);
    std::optional<ClusterRecord> stored;
    if (found != by_key.end()) {
      NKD_ASSIGN_OR_RETURN(stored, etcd_records::parse_cluster(found->second->value));
    }
    const auto changed = noted(stored, note, revision, now_ms);
    if (!changed) continue;
    txn.expect(key, found != by_key.end() ? found->second->mod_revision : 0)
        .put(key, etcd_records::cluster_json(*changed));
  }
  if (txn.writes.empty()) return std::optional<Ok>(Ok{});
  NKD_ASSIGN_OR_RETURN(auto written, connection_.client().commit(txn));
  return written ? std::optional<Ok>(Ok{}) : std::nullopt;
}

Status EtcdClusterRecords::delete_cluster(const std::string& name) {
  EtcdTxn txn;
  txn.remove(cluster_key(name));
  txn.writes.push_back(
      {.kind = EtcdWrite::Kind::kDeletePrefix, .key = etcd_records::nodes_prefix(name)});
  NKD_ASSIGN_OR_RETURN_WRAP(auto written, connection_.commit_for(name, txn),
                            "deleting cluster " + name);
  (void)written;  // no compares: it always holds
  return ok_status();
}

Result<std::vector<Suspension>> EtcdClusterRecords::suspensions() {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().list("suspensions/"));
  std::vector<Suspension> found;
  for (const EtcdKeyValue& entry : stored.values) {  // by key: by cluster
    NKD_ASSIGN_OR_RETURN(auto suspension, etcd_records::parse_suspension(entry.value));
    found.push_back(std::move(suspension));
  }
  return found;
}

}  // namespace nkd::state
