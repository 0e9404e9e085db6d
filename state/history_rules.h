// The preconditions of ClusterRecordStore's writes that every backend checks the same way, so
// the SQLite and the etcd store refuse the same calls with the same codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "state/cluster_records.h"

namespace nkd::state::history_rules {

// finish_attempt's: kInvalidArgument for outcome kPending or a record or node of another
// cluster than the attempt's, kNotFound when there is no such attempt (nullopt), kConflict
// when it is no longer pending.
[[nodiscard]] Status validate_finish(std::int64_t id, Outcome outcome,
                                     const std::optional<HistoryRow>& attempt,
                                     const ClusterRecord& cluster,
                                     const std::vector<NodeRecord>& nodes);
// set_suspension's: the row is of the same cluster, with outcome kSuspended (suspending) or
// kResumed (resuming).
[[nodiscard]] Status validate_suspension_row(const std::string& cluster, bool suspending,
                                             const HistoryRow& row);

}  // namespace nkd::state::history_rules
