#include "state/etcd_intent_log.h"

#include "state/etcd_records.h"

namespace nkd::state {
namespace {

constexpr std::string_view kPending = "intents/pending/";
constexpr std::string_view kDone = "intents/done/";

std::string pending_key(std::int64_t id) {
  return std::string(kPending) + etcd_records::padded_id(id);
}
std::string done_key(std::int64_t id) { return std::string(kDone) + etcd_records::padded_id(id); }

}  // namespace

Result<std::int64_t> EtcdIntentLog::add_intent(const Intent& intent) {
  const std::string counter(etcd_records::kIntentCounter);
  return connection_.until_committed<std::int64_t>(
      "recording intent " + intent.kind + " " + intent.target + " of " + intent.cluster,
      [&]() -> Result<std::optional<std::int64_t>> {
        NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(counter));
        NKD_ASSIGN_OR_RETURN(auto last,
                             etcd_records::parse_counter(stored ? std::optional(stored->value)
                                                                : std::optional<std::string>()));
        Intent recorded = intent;
        recorded.id = last + 1;
        EtcdTxn txn;
        txn.expect(counter, stored ? stored->mod_revision : 0)
            .put(counter, std::to_string(recorded.id))
            .put(pending_key(recorded.id), etcd_records::intent_json(recorded));
        // The ownership check and the intent are one transaction: a replica that lost the
        // cluster records no intent, so it makes no call the intent would announce.
        NKD_ASSIGN_OR_RETURN(auto written, connection_.commit_for(intent.cluster, txn));
        return written ? std::optional<std::int64_t>(recorded.id) : std::nullopt;
      });
}

Status EtcdIntentLog::complete_intent(std::int64_t id) {
  return connection_.until_committed<Ok>(
      "completing intent " + std::to_string(id), [&]() -> Result<std::optional<Ok>> {
        NKD_ASSIGN_OR_RETURN(auto pending, connection_.client().get(pending_key(id)));
        if (!pending) {
          NKD_ASSIGN_OR_RETURN(auto done, connection_.client().get(done_key(id)));
          if (done) return std::optional<Ok>(Ok{});  // completing again is harmless
          return Error{ErrorCode::kNotFound, "state store: intent " + std::to_string(id) +
                                                 " does not exist; it cannot be completed"};
        }
        NKD_ASSIGN_OR_RETURN(auto intent, etcd_records::parse_intent(pending->value));
        EtcdTxn txn;
        txn.expect(pending_key(id), pending->mod_revision)
            .remove(pending_key(id))
            .put(done_key(id), pending->value);
        NKD_ASSIGN_OR_RETURN(auto written, connection_.commit_for(intent.cluster, txn));
        return written ? std::optional<Ok>(Ok{}) : std::nullopt;
      });
}

Status EtcdIntentLog::confirm_owner(const std::string& cluster) {
  OwnershipFences& fences = connection_.fences();
  if (!fences.enabled() || fences.revision_of(cluster)) return ok_status();
  return Error{ErrorCode::kConflict, "this replica does not own cluster " + cluster +
                                         " (any more): it makes no further call for it"};
}

Result<std::vector<Intent>> EtcdIntentLog::pending_intents(const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().list(kPending));
  std::vector<Intent> intents;
  for (const EtcdKeyValue& entry : stored.values) {  // by key: by id, oldest first
    NKD_ASSIGN_OR_RETURN(auto intent, etcd_records::parse_intent(entry.value));
    if (cluster.empty() || intent.cluster == cluster) intents.push_back(std::move(intent));
  }
  return intents;
}

}  // namespace nkd::state
