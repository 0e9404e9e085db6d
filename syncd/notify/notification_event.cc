#include "syncd/notify/notification_event.h"

namespace nkd::syncd::notify {

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kCommitAccepted:
      return "commitAccepted";
    case EventKind::kCommitRejected:
      return "commitRejected";
    case EventKind::kClusterApplied:
      return "clusterApplied";
    case EventKind::kClusterFailed:
      return "clusterFailed";
    case EventKind::kClusterDrift:
      return "clusterDrift";
    case EventKind::kWaitingForWindow:
      return "waitingForWindow";
  }
  return "commitAccepted";
}

std::optional<EventKind> event_kind_from_string(std::string_view name) {
  for (const EventKind kind : kEventKinds) {
    if (name == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::string summary(const Event& event) {
  const std::string commit = event.commit.substr(0, 12);
  std::string head;
  switch (event.kind) {
    case EventKind::kCommitAccepted:
      head = "commit " + commit + " accepted";
      break;
    case EventKind::kCommitRejected:
      head = "commit " + commit + " rejected";
      break;
    case EventKind::kClusterApplied:
      head = "cluster " + event.cluster + " applied at " + commit;
      break;
    case EventKind::kClusterFailed:
      head = "cluster " + event.cluster + " failed at " + commit;
      break;
    case EventKind::kClusterDrift:
      head = "cluster " + event.cluster + " drifted";
      break;
    case EventKind::kWaitingForWindow:
      head = "cluster " + event.cluster + " waits for its maintenance window to apply " + commit;
      break;
  }
  return event.message.empty() ? head : head + ": " + event.message;
}

}  // namespace nkd::syncd::notify
