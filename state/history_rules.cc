#include "state/history_rules.h"

namespace nkd::state::history_rules {

Status validate_finish(std::int64_t id, Outcome outcome, const std::optional<HistoryRow>& attempt,
                       const ClusterRecord& cluster, const std::vector<NodeRecord>& nodes) {
  const std::string name = "attempt " + std::to_string(id);
  if (outcome == Outcome::kPending) {
    return Error{ErrorCode::kInvalidArgument, "state store: finishing " + name +
                                                  " with outcome 'pending'; pass applied, "
                                                  "failed or superseded"};
  }
  if (!attempt) {
    return Error{ErrorCode::kNotFound, "state store: finishing " + name +
                                           ": no such history row; call begin_attempt first"};
  }
  if (attempt->outcome != Outcome::kPending) {
    return Error{ErrorCode::kConflict, "state store: finishing " + name + " of cluster " +
                                           attempt->cluster + ": it is already " +
                                           to_string(attempt->outcome) +
                                           "; a newer attempt replaced it, so begin a new one"};
  }
  if (cluster.name != attempt->cluster) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: finishing " + name + " of cluster " + attempt->cluster +
                     " with the record of cluster '" + cluster.name + "'; pass the same cluster"};
  }
  for (const NodeRecord& node : nodes) {
    if (node.cluster != attempt->cluster) {
      return Error{ErrorCode::kInvalidArgument,
                   "state store: finishing " + name + " of cluster " + attempt->cluster +
                       " with node " + node.name + " of cluster '" + node.cluster +
                       "'; every node must belong to the attempt's cluster"};
    }
  }
  return ok_status();
}

Status validate_suspension_row(const std::string& cluster, bool suspending, const HistoryRow& row) {
  const Outcome expected = suspending ? Outcome::kSuspended : Outcome::kResumed;
  if (row.cluster == cluster && row.outcome == expected) return ok_status();
  return Error{ErrorCode::kInvalidArgument,
               "state store: a " + std::string(suspending ? "suspension" : "resumption") + " of " +
                   cluster + " is recorded with a '" + to_string(expected) +
                   "' history row of the same cluster"};
}

}  // namespace nkd::state::history_rules
