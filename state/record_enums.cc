// The text of each stored enum: what the SQLite columns and the HTTP API hold.
#include "state/cluster_records.h"
#include "state/node_store.h"

namespace nkd::state {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_enum(std::string_view text, const Enum (&values)[N]) {
  for (Enum value : values) {
    if (text == to_string(value)) return value;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kApplied:
      return "applied";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kSuperseded:
      return "superseded";
    case Outcome::kSuspended:
      return "suspended";
    case Outcome::kResumed:
      return "resumed";
  }
  return "pending";
}

std::optional<Outcome> outcome_from_string(std::string_view text) {
  constexpr Outcome kAll[] = {Outcome::kPending,    Outcome::kApplied,   Outcome::kFailed,
                              Outcome::kSuperseded, Outcome::kSuspended, Outcome::kResumed};
  return parse_enum(text, kAll);
}

const char* to_string(ClusterPhase phase) {
  switch (phase) {
    case ClusterPhase::kPending:
      return "Pending";
    case ClusterPhase::kProvisioning:
      return "Provisioning";
    case ClusterPhase::kWaitingForCluster:
      return "WaitingForCluster";
    case ClusterPhase::kUpgrading:
      return "Upgrading";
    case ClusterPhase::kReady:
      return "Ready";
    case ClusterPhase::kFailed:
      return "Failed";
    case ClusterPhase::kWaitingForWindow:
      return "WaitingForWindow";
    case ClusterPhase::kWaitingForWave:
      return "WaitingForWave";
    case ClusterPhase::kSuspended:
      return "Suspended";
    case ClusterPhase::kOrphaned:
      return "Orphaned";
    case ClusterPhase::kDeleting:
      return "Deleting";
  }
  return "Pending";
}

std::optional<ClusterPhase> cluster_phase_from_string(std::string_view text) {
  constexpr ClusterPhase kAll[] = {ClusterPhase::kPending,
                                   ClusterPhase::kProvisioning,
                                   ClusterPhase::kWaitingForCluster,
                                   ClusterPhase::kUpgrading,
                                   ClusterPhase::kReady,
                                   ClusterPhase::kFailed,
                                   ClusterPhase::kWaitingForWindow,
                                   ClusterPhase::kWaitingForWave,
                                   ClusterPhase::kSuspended,
                                   ClusterPhase::kOrphaned,
                                   ClusterPhase::kDeleting};
  return parse_enum(text, kAll);
}

const char* to_string(NodeState state) {
  switch (state) {
    case NodeState::kPending:
      return "Pending";
    case NodeState::kProvisioning:
      return "Provisioning";
    case NodeState::kProvisioned:
      return "Provisioned";
    case NodeState::kOutdated:
      return "Outdated";
    case NodeState::kError:
      return "Error";
    case NodeState::kDeleting:
      return "Deleting";
    case NodeState::kRegistering:
      return "Registering";
    case NodeState::kReady:
      return "Ready";
    case NodeState::kNotReady:
      return "NotReady";
    case NodeState::kUpgrading:
      return "Upgrading";
  }
  return "Pending";
}

std::optional<NodeState> node_state_from_string(std::string_view text) {
  constexpr NodeState kAll[] = {
      NodeState::kPending,  NodeState::kProvisioning, NodeState::kProvisioned, NodeState::kOutdated,
      NodeState::kError,    NodeState::kDeleting,     NodeState::kRegistering, NodeState::kReady,
      NodeState::kNotReady, NodeState::kUpgrading};
  return parse_enum(text, kAll);
}

}  // namespace nkd::state
