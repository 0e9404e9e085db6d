// Helpers for tests of the state store's users: GoogleTest prints the store's enums by name, a
// test can lay down a whole cluster record as the two writers together would leave it, and make
// state keys.
#pragma once

#include <ostream>
#include <stdexcept>
#include <vector>

#include "state/cluster_records.h"
#include "state/node_store.h"
#include "state/secret_sealer.h"

namespace nkd::state {

inline void PrintTo(ClusterPhase phase, std::ostream* out) { *out << to_string(phase); }
inline void PrintTo(NodeState state, std::ostream* out) { *out << to_string(state); }
inline void PrintTo(Outcome outcome, std::ostream* out) { *out << to_string(outcome); }

// A state key of 32 `fill` bytes.
[[nodiscard]] inline Secret test_state_key(char fill) {
  return Secret(std::string(SecretSealer::kKeyBytes, fill));
}

// A sealer with raw `keys`, the first sealing.
[[nodiscard]] inline SecretSealer test_sealer(const std::vector<Secret>& keys) {
  auto sealer = SecretSealer::from_keys(keys);
  if (!sealer) throw std::runtime_error(sealer.error().message);
  return std::move(*sealer);
}

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
