// Rows, records and whole attempts for the state store's own tests (the contract suite and the
// SQLite-only cases): every backend is driven through the same calls with the same values.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "state/state_store.h"

namespace nkd::state::rows {

inline HistoryRow attempt_row(const std::string& cluster, const std::string& digest,
                              std::int64_t started_at_ms, const std::string& revision = "rev-1") {
  return HistoryRow{.cluster = cluster,
                    .revision = revision,
                    .author = "Ops <ops@example.org>",
                    .committed_at_ms = 1700000000000,
                    .render_digest = digest,
                    .started_at_ms = started_at_ms};
}

inline Intent make_intent(const std::string& cluster, const std::string& kind,
                          const std::string& target = "", const std::string& payload = "",
                          std::int64_t created_at_ms = 0) {
  return Intent{.cluster = cluster,
                .kind = kind,
                .target = target,
                .payload = payload,
                .created_at_ms = created_at_ms};
}

inline ClusterRecord cluster_record(const std::string& name, const std::string& digest) {
  return ClusterRecord{.name = name,
                       .phase = ClusterPhase::kReady,
                       .observed_revision = "rev-obs",
                       .applied_revision = "rev-app",
                       .cluster_revision = "rev-cl",
                       .render_digest = digest,
                       .ready = true,
                       .applied_at_ms = 1700000001000,
                       .updated_at_ms = 1700000002000};
}

inline NodeRecord node_record(const std::string& cluster, const std::string& name,
                              NodeState state = NodeState::kReady) {
  return NodeRecord{.cluster = cluster,
                    .name = name,
                    .pool = "workers",
                    .role = "worker",
                    .provider_id = "openstack:///" + name,
                    .config_digest = "cfg-" + name,
                    .state = state,
                    .updated_at_ms = 1700000003000};
}

// A suspend or resume marker row as `nkd suspend` writes it.
inline HistoryRow marker(const std::string& cluster, Outcome outcome, std::int64_t at_ms) {
  return HistoryRow{.cluster = cluster,
                    .revision = "rev-1",
                    .render_digest = "d1",
                    .outcome = outcome,
                    .message = to_string(outcome),
                    .started_at_ms = at_ms,
                    .finished_at_ms = at_ms};
}

// Runs one whole attempt and returns the id begin_attempt handed out.
inline std::int64_t run_attempt(StateStore& store, const std::string& cluster,
                                const std::string& digest, Outcome outcome,
                                const std::string& message, std::int64_t at_ms,
                                const std::vector<NodeRecord>& nodes = {}) {
  auto begun = store.begin_attempt(attempt_row(cluster, digest, at_ms));
  EXPECT_TRUE(begun.ok()) << begun.error().message;
  if (!begun) return 0;
  auto finished = store.finish_attempt(begun->id, outcome, message, at_ms + 500,
                                       cluster_record(cluster, digest), nodes);
  EXPECT_TRUE(finished.ok()) << finished.error().message;
  return begun->id;
}

inline std::vector<HistoryRow> history_of(StateStore& store, const std::string& cluster) {
  auto rows = store.history(cluster, 0);
  EXPECT_TRUE(rows.ok()) << rows.error().message;
  return rows.ok() ? *rows : std::vector<HistoryRow>{};
}

}  // namespace nkd::state::rows
