// The applied-version history of EtcdClusterRecords (etcd_cluster_records.h): attempts opened,
// resumed, superseded and finished, and the rows an operator's suspend and resume add. Each call
// is one transaction compared on the mod_revisions of every key it read.
#include <map>

#include "state/etcd_cluster_records.h"
#include "state/etcd_records.h"
#include "state/history_rules.h"

namespace nkd::state {
namespace {

namespace keys = etcd_records;

std::string open_attempt_key(std::string_view cluster) {
  return "open-attempts/" + std::string(cluster);
}

// A key as read: its value, or nullopt, and the mod_revision a compare expects (0: absent).
struct Read {
  std::optional<std::string> value;
  std::int64_t mod_revision = 0;
};

Result<Read> read(EtcdClient& client, const std::string& key) {
  NKD_ASSIGN_OR_RETURN(auto stored, client.get(key));
  if (!stored) return Read{};
  return Read{.value = std::move(stored->value), .mod_revision = stored->mod_revision};
}

// A row with its key's mod_revision.
struct StoredRow {
  HistoryRow row;
  std::int64_t mod_revision = 0;
};

Result<std::optional<StoredRow>> read_row(EtcdClient& client, const std::string& cluster,
                                          std::int64_t id) {
  NKD_ASSIGN_OR_RETURN(auto stored, client.get(keys::history_key(cluster, id)));
  if (!stored) return std::optional<StoredRow>();
  NKD_ASSIGN_OR_RETURN(auto row, keys::parse_history_row(stored->value));
  return std::optional<StoredRow>(
      StoredRow{.row = std::move(row), .mod_revision = stored->mod_revision});
}

// The newest finished row of `cluster` older than attempt `id`: what a new outcome is compared
// to. Rows are read newest first a page at a time; the first page nearly always holds it.
Result<std::optional<StoredRow>> previous_finished_row(EtcdClient& client,
                                                       const std::string& cluster,
                                                       std::int64_t id) {
  constexpr std::int64_t kPage = 8;
  std::string before = keys::history_key(cluster, id);
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto page,
                         client.list(keys::history_prefix(cluster),
                                     {.limit = kPage, .newest_first = true, .before = before}));
    for (const EtcdKeyValue& entry : page.values) {
      NKD_ASSIGN_OR_RETURN(auto row, keys::parse_history_row(entry.value));
      if (row.outcome != Outcome::kPending) {
        return std::optional<StoredRow>(
            StoredRow{.row = std::move(row), .mod_revision = entry.mod_revision});
      }
    }
    if (static_cast<std::int64_t>(page.values.size()) < kPage) return std::optional<StoredRow>();
    before = page.values.back().key;
  }
}

// The next id of counters/history, with the compare that makes it this transaction's alone.
Result<std::int64_t> take_history_id(EtcdClient& client, EtcdTxn& txn) {
  const std::string counter(keys::kHistoryCounter);
  NKD_ASSIGN_OR_RETURN(auto stored, read(client, counter));
  NKD_ASSIGN_OR_RETURN(auto last, keys::parse_counter(stored.value));
  txn.expect(counter, stored.mod_revision).put(counter, std::to_string(last + 1));
  return last + 1;
}

void put_row(EtcdTxn& txn, const HistoryRow& row) {
  txn.put(keys::history_key(row.cluster, row.id), keys::history_json(row));
}

// The node writes of finish_attempt: the stored nodes not in `nodes` go, the nodes that differ
// from what is stored are written; the whole prefix is compared, so a node noted meanwhile
// fails the commit.
Status replace_nodes(EtcdClient& client, const std::string& cluster,
                     const std::vector<NodeRecord>& nodes, EtcdTxn& txn) {
  NKD_ASSIGN_OR_RETURN(auto stored, client.list(keys::nodes_prefix(cluster)));
  txn.compares.push_back(
      {.key = keys::nodes_prefix(cluster), .mod_revision = stored.revision, .whole_prefix = true});
  std::map<std::string, std::string> wanted;  // key -> JSON
  for (const NodeRecord& node : nodes) {
    wanted[keys::node_key(cluster, node.name)] = keys::node_json(node);
  }
  for (const EtcdKeyValue& entry : stored.values) {
    const auto found = wanted.find(entry.key);
    if (found == wanted.end()) {
      txn.remove(entry.key);
    } else if (found->second == entry.value) {
      wanted.erase(found);
    }
  }
  for (auto& [key, json] : wanted) txn.put(key, std::move(json));
  return ok_status();
}

}  // namespace

Result<HistoryRow> EtcdClusterRecords::begin_attempt(const HistoryRow& row) {
  if (row.cluster.empty()) {
    return Error{ErrorCode::kInvalidArgument, "state store: begin_attempt needs a cluster name"};
  }
  EtcdClient& client = connection_.client();
  const std::string open_key = open_attempt_key(row.cluster);
  return connection_.until_committed<HistoryRow>(
      "opening an attempt for " + row.cluster, [&]() -> Result<std::optional<HistoryRow>> {
        NKD_ASSIGN_OR_RETURN(auto open, read(client, open_key));
        std::optional<StoredRow> open_row;
        if (open.value) {
          NKD_ASSIGN_OR_RETURN(auto open_id, keys::parse_counter(open.value));
          NKD_ASSIGN_OR_RETURN(open_row, read_row(client, row.cluster, open_id));
        }
        // A restart resumes the attempt it was in the middle of.
        if (open_row && open_row->row.outcome == Outcome::kPending &&
            open_row->row.render_digest == row.render_digest) {
          return std::optional<HistoryRow>(open_row->row);
        }
        EtcdTxn txn;
        NKD_ASSIGN_OR_RETURN(auto id, take_history_id(client, txn));
        HistoryRow attempt = row;
        attempt.id = id;
        attempt.outcome = Outcome::kPending;
        attempt.finished_at_ms = 0;
        if (attempt.replica.empty()) attempt.replica = connection_.replica_id();
        put_row(txn, attempt);
        txn.put(keys::history_id_key(id), row.cluster);
        txn.expect(open_key, open.mod_revision).put(open_key, std::to_string(id));
        if (open_row && open_row->row.outcome == Outcome::kPending) {
          HistoryRow superseded = open_row->row;
          superseded.outcome = Outcome::kSuperseded;
          superseded.finished_at_ms =
              row.started_at_ms != 0 ? row.started_at_ms : connection_.clock().now_unix_ms();
          superseded.message = "superseded by attempt " + std::to_string(id);
          txn.expect(keys::history_key(row.cluster, superseded.id), open_row->mod_revision);
          put_row(txn, superseded);
        }
        NKD_ASSIGN_OR_RETURN(auto written, connection_.commit_for(row.cluster, txn));
        return written ? std::optional<HistoryRow>(attempt) : std::nullopt;
      });
}

Status EtcdClusterRecords::finish_attempt(std::int64_t id, Outcome outcome,
                                          const std::string& message, std::int64_t finished_at_ms,
                                          const ClusterRecord& cluster,
                                          const std::vector<NodeRecord>& nodes) {
  EtcdClient& client = connection_.client();
  return connection_.until_committed<Ok>(
      "finishing attempt " + std::to_string(id), [&]() -> Result<std::optional<Ok>> {
        NKD_ASSIGN_OR_RETURN(auto owner, read(client, keys::history_id_key(id)));
        std::optional<StoredRow> attempt;
        if (owner.value) {
          NKD_ASSIGN_OR_RETURN(attempt, read_row(client, *owner.value, id));
        }
        NKD_RETURN_IF_ERROR(history_rules::validate_finish(
            id, outcome, attempt ? std::optional(attempt->row) : std::nullopt, cluster, nodes));
        const std::string& name = attempt->row.cluster;

        EtcdTxn txn;
        txn.expect(keys::history_key(name, id), attempt->mod_revision);
        // History grows only when the digest or the outcome changes: otherwise the previous
        // row takes the new message and time, and the attempt's row goes.
        NKD_ASSIGN_OR_RETURN(auto previous, previous_finished_row(client, name, id));
        const bool unchanged = previous.has_value() &&
                               previous->row.render_digest == attempt->row.render_digest &&
                               previous->row.outcome == outcome;
        HistoryRow finished = unchanged ? previous->row : attempt->row;
        finished.outcome = outcome;
        finished.message = message;
        finished.finished_at_ms = finished_at_ms;
        finished.replica = attempt->row.replica;
        if (unchanged) {
          txn.expect(keys::history_key(name, previous->row.id), previous->mod_revision);
          txn.remove(keys::history_key(name, id)).remove(keys::history_id_key(id));
        }
        put_row(txn, finished);

        const std::string open_key = open_attempt_key(name);
        NKD_ASSIGN_OR_RETURN(auto open, read(client, open_key));
        if (open.value == std::to_string(id))
          txn.expect(open_key, open.mod_revision).remove(open_key);

        const std::string record_key = keys::cluster_key(name);
        NKD_ASSIGN_OR_RETURN(auto stored_record, read(client, record_key));
        ClusterRecord merged{.name = name};
        if (stored_record.value) {
          NKD_ASSIGN_OR_RETURN(merged, keys::parse_cluster(*stored_record.value));
        }
        keys::copy_reconcile_fields(cluster, merged);
        txn.expect(record_key, stored_record.mod_revision)
            .put(record_key, keys::cluster_json(merged));

        NKD_RETURN_IF_ERROR(replace_nodes(client, name, nodes, txn));
        NKD_ASSIGN_OR_RETURN(auto written, connection_.commit_for(name, txn));
        return written ? std::optional<Ok>(Ok{}) : std::nullopt;
      });
}

Result<std::vector<HistoryRow>> EtcdClusterRecords::history(const std::string& cluster, int limit) {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().list(
                                        keys::history_prefix(cluster),
                                        {.limit = limit > 0 ? limit : 0, .newest_first = true}));
  std::vector<HistoryRow> rows;
  rows.reserve(stored.values.size());
  for (const EtcdKeyValue& entry : stored.values) {
    NKD_ASSIGN_OR_RETURN(auto row, keys::parse_history_row(entry.value));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<bool> EtcdClusterRecords::set_suspension(const std::string& cluster,
                                                const std::optional<Suspension>& suspension,
                                                const HistoryRow& row) {
  NKD_RETURN_IF_ERROR(history_rules::validate_suspension_row(cluster, suspension.has_value(), row));
  EtcdClient& client = connection_.client();
  const std::string key = keys::suspension_key(cluster);
  return connection_.until_committed<bool>(
      std::string(suspension ? "suspending " : "resuming ") + cluster,
      [&]() -> Result<std::optional<bool>> {
        NKD_ASSIGN_OR_RETURN(auto stored, read(client, key));
        if (stored.value.has_value() == suspension.has_value()) return std::optional<bool>(false);
        EtcdTxn txn;
        txn.expect(key, stored.mod_revision);
        if (suspension) {
          Suspension recorded = *suspension;
          recorded.cluster = cluster;
          txn.put(key, keys::suspension_json(recorded));
        } else {
          txn.remove(key);
        }
        NKD_ASSIGN_OR_RETURN(auto id, take_history_id(client, txn));
        HistoryRow marker = row;
        marker.id = id;
        if (marker.replica.empty()) marker.replica = connection_.replica_id();
        put_row(txn, marker);
        txn.put(keys::history_id_key(id), cluster);
        NKD_ASSIGN_OR_RETURN(auto written, client.commit(txn));
        return written ? std::optional<bool>(true) : std::nullopt;
      });
}

}  // namespace nkd::state
