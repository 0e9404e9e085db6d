#include "state/etcd_records.h"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace nkd::state::etcd_records {
namespace {

using nlohmann::json;

// Values are written only by this file, so a field of the wrong type means the key was edited
// by hand or written by something else: an error naming the key's kind, never an exception.
Result<json> parse_object(const std::string& text, std::string_view what) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return Error{ErrorCode::kParse, "state store (etcd): a " + std::string(what) +
                                        " value is not a JSON object; was the key written by "
                                        "something other than nkd? restore it or delete it"};
  }
  return value;
}

std::int64_t int64_of(const json& object, std::string_view key) {
  const json& member = json_member(object, key);
  return member.is_number_integer() ? member.get<std::int64_t>() : 0;
}

Error unknown_value(std::string_view what, const std::string& value) {
  return Error{ErrorCode::kParse, "state store (etcd): " + std::string(what) +
                                      " has unknown value '" + value +
                                      "'; restore the key or delete it"};
}

}  // namespace

std::string padded_id(std::int64_t id) {
  std::array<char, 24> text{};
  std::snprintf(text.data(), text.size(), "%020lld", static_cast<long long>(id));
  return text.data();
}

// The reconcile's fields of `from` into `target` (cluster_records.h says who owns which).
void copy_reconcile_fields(const ClusterRecord& from, ClusterRecord& target) {
  target.phase = from.phase;
  target.applied_revision = from.applied_revision;
  target.cluster_revision = from.cluster_revision;
  target.render_digest = from.render_digest;
  target.ready = from.ready;
  target.last_error = from.last_error;
  target.applied_at_ms = from.applied_at_ms;
  target.updated_at_ms = from.updated_at_ms;
  target.phase_message = from.phase_message;
  target.wave = from.wave;
}

std::string cluster_json(const ClusterRecord& record) {
  return json{{"name", record.name},
              {"phase", to_string(record.phase)},
              {"observedRevision", record.observed_revision},
              {"appliedRevision", record.applied_revision},
              {"clusterRevision", record.cluster_revision},
              {"renderDigest", record.render_digest},
              {"ready", record.ready},
              {"lastError", record.last_error},
              {"appliedAtMs", record.applied_at_ms},
              {"updatedAtMs", record.updated_at_ms},
              {"phaseMessage", record.phase_message},
              {"wave", record.wave},
              {"rejection", record.rejection}}
      .dump();
}

Result<ClusterRecord> parse_cluster(const std::string& text) {
  NKD_ASSIGN_OR_RETURN(auto value, parse_object(text, "cluster record"));
  const std::string phase = json_string(value, "phase");
  const auto parsed = cluster_phase_from_string(phase);
  if (!parsed) return unknown_value("the phase of cluster " + json_string(value, "name"), phase);
  return ClusterRecord{
      .name = json_string(value, "name"),
      .phase = *parsed,
      .observed_revision = json_string(value, "observedRevision"),
      .applied_revision = json_string(value, "appliedRevision"),
      .cluster_revision = json_string(value, "clusterRevision"),
      .render_digest = json_string(value, "renderDigest"),
      .ready = json_bool(value, "ready", false),
      .last_error = json_string(value, "lastError"),
      .applied_at_ms = int64_of(value, "appliedAtMs"),
      .updated_at_ms = int64_of(value, "updatedAtMs"),
      .phase_message = json_string(value, "phaseMessage"),
      .wave = static_cast<int>(int64_of(value, "wave")),
      .rejection = json_string(value, "rejection"),
  };
}

std::string node_json(const NodeRecord& node) {
  return json{{"cluster", node.cluster},
              {"name", node.name},
              {"pool", node.pool},
              {"role", node.role},
              {"providerId", node.provider_id},
              {"configDigest", node.config_digest},
              {"fetchedDigest", node.fetched_digest},
              {"state", to_string(node.state)},
              {"updatedAtMs", node.updated_at_ms},
              {"kubeletVersion", node.kubelet_version},
              {"osImage", node.os_image}}
      .dump();
}

Result<NodeRecord> parse_node(const std::string& text) {
  NKD_ASSIGN_OR_RETURN(auto value, parse_object(text, "node record"));
  const std::string state = json_string(value, "state");
  const auto parsed = node_state_from_string(state);
  if (!parsed) {
    return unknown_value(
        "the state of node " + json_string(value, "cluster") + "/" + json_string(value, "name"),
        state);
  }
  return NodeRecord{
      .cluster = json_string(value, "cluster"),
      .name = json_string(value, "name"),
      .pool = json_string(value, "pool"),
      .role = json_string(value, "role"),
      .provider_id = json_string(value, "providerId"),
      .config_digest = json_string(value, "configDigest"),
      .fetched_digest = json_string(value, "fetchedDigest"),
      .state = *parsed,
      .updated_at_ms = int64_of(value, "updatedAtMs"),
      .kubelet_version = json_string(value, "kubeletVersion"),
      .os_image = json_string(value, "osImage"),
  };
}

std::string history_json(const HistoryRow& row) {
  return json{{"id", row.id},
              {"cluster", row.cluster},
              {"revision", row.revision},
              {"author", row.author},
              {"committedAtMs", row.committed_at_ms},
              {"renderDigest", row.render_digest},
              {"outcome", to_string(row.outcome)},
              {"message", row.message},
              {"startedAtMs", row.started_at_ms},
              {"finishedAtMs", row.finished_at_ms},
              {"replica", row.replica}}
      .dump();
}

Result<HistoryRow> parse_history_row(const std::string& text) {
  NKD_ASSIGN_OR_RETURN(auto value, parse_object(text, "history row"));
  const std::string outcome = json_string(value, "outcome");
  const auto parsed = outcome_from_string(outcome);
  if (!parsed) {
    return unknown_value("history row " + std::to_string(int64_of(value, "id")), outcome);
  }
  return HistoryRow{
      .id = int64_of(value, "id"),
      .cluster = json_string(value, "cluster"),
      .revision = json_string(value, "revision"),
      .author = json_string(value, "author"),
      .committed_at_ms = int64_of(value, "committedAtMs"),
      .render_digest = json_string(value, "renderDigest"),
      .outcome = *parsed,
      .message = json_string(value, "message"),
      .started_at_ms = int64_of(value, "startedAtMs"),
      .finished_at_ms = int64_of(value, "finishedAtMs"),
      .replica = json_string(value, "replica"),
  };
}

std::string suspension_json(const Suspension& suspension) {
  return json{{"cluster", suspension.cluster},
              {"reason", suspension.reason},
              {"sinceMs", suspension.since_ms}}
      .dump();
}

Result<Suspension> parse_suspension(const std::string& text) {
  NKD_ASSIGN_OR_RETURN(auto value, parse_object(text, "suspension"));
  return Suspension{.cluster = json_string(value, "cluster"),
                    .reason = json_string(value, "reason"),
                    .since_ms = int64_of(value, "sinceMs")};
}

std::string intent_json(const Intent& intent) {
  return json{{"id", intent.id},           {"cluster", intent.cluster},
              {"kind", intent.kind},       {"target", intent.target},
              {"payload", intent.payload}, {"createdAtMs", intent.created_at_ms}}
      .dump();
}

Result<Intent> parse_intent(const std::string& text) {
  NKD_ASSIGN_OR_RETURN(auto value, parse_object(text, "intent"));
  return Intent{.id = int64_of(value, "id"),
                .cluster = json_string(value, "cluster"),
                .kind = json_string(value, "kind"),
                .target = json_string(value, "target"),
                .payload = json_string(value, "payload"),
                .created_at_ms = int64_of(value, "createdAtMs")};
}

Result<std::int64_t> parse_counter(const std::optional<std::string>& text) {
  if (!text) return std::int64_t{0};
  std::int64_t value = 0;
  for (char digit : *text) {
    if (digit < '0' || digit > '9' || value > (INT64_MAX - 9) / 10) {
      return Error{ErrorCode::kParse, "state store (etcd): an id counter holds '" + *text +
                                          "', not a decimal number; restore the key"};
    }
    value = value * 10 + (digit - '0');
  }
  return value;
}

}  // namespace nkd::state::etcd_records
