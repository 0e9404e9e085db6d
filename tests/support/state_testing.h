// Helpers for tests of the state store's users: GoogleTest prints the store's enums by name, and
// a test can lay down a whole cluster record as the two writers together would leave it.
#pragma once

#include <ostream>

#include "state/cluster_records.h"
#include "state/node_store.h"

namespace nkd::state {

inline void PrintTo(ClusterPhase phase, std::ostream* out) { *out << to_string(phase); }
inline void PrintTo(NodeState state, std::ostream* out) { *out << to_string(state); }
inline void PrintTo(Outcome outcome, std::ostream* out) { *out << to_string(outcome); }

// The reconcile's columns of `record` saved, then its observed revision and rejection noted as
// the source notes them.
[[nodiscard]] inline Status put_record(ClusterRecordStore& store, const ClusterRecord& record) {
  if (Status saved = store.save_status(record); !saved) return saved;
  if (!record.observed_revision.empty()) {
    const std::vector<ClusterRecordStore::RevisionNote> note = {
        {.cluster = record.name, .unchanged = false}};
    if (Status noted = store.note_revision(note, record.observed_revision, record.updated_at_ms);
        !noted) {
      return noted;
    }
  }
  if (record.rejection.empty()) return ok_status();
  return store.note_rejection(record.name, record.observed_revision, record.rejection,
                              record.updated_at_ms);
}

}  // namespace nkd::state
