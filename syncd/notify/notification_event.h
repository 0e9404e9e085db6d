// What nkd tells the outside about (README.md "Notifications"): a commit accepted or rejected, a
// cluster applied or failed, drift found in a cluster, a cluster waiting for its maintenance
// window. Plain values; the names are the ones `notifications[].events` in syncd.yaml takes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nkd::syncd::notify {

enum class EventKind {
  kCommitAccepted,
  kCommitRejected,
  kClusterApplied,
  kClusterFailed,
  kClusterDrift,
  kWaitingForWindow,
};
inline constexpr std::array<EventKind, 6> kEventKinds = {
    EventKind::kCommitAccepted, EventKind::kCommitRejected, EventKind::kClusterApplied,
    EventKind::kClusterFailed,  EventKind::kClusterDrift,   EventKind::kWaitingForWindow};

// "commitAccepted", "commitRejected", "clusterApplied", "clusterFailed", "clusterDrift",
// "waitingForWindow".
[[nodiscard]] const char* to_string(EventKind kind);
[[nodiscard]] std::optional<EventKind> event_kind_from_string(std::string_view name);

struct Event {
  EventKind kind = EventKind::kCommitAccepted;
  std::string cluster;  // "" for the commit events
  std::string commit;   // the full commit id
  std::string message;  // one line: what happened (a diagnostic, an outcome)
  std::int64_t at_unix_ms = 0;
};

// One line for people ("cluster edge-lab applied at 1a2b3c4d5e6f: published 2 Ignition configs").
[[nodiscard]] std::string summary(const Event& event);

}  // namespace nkd::syncd::notify
