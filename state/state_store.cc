#include "state/state_store.h"

namespace nkd::state {

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending: return "pending";
    case Outcome::kApplied: return "applied";
    case Outcome::kFailed: return "failed";
    case Outcome::kSuperseded: return "superseded";
    case Outcome::kSuspended: return "suspended";
    case Outcome::kResumed: return "resumed";
  }
  return "pending";
}

std::optional<Outcome> outcome_from_string(std::string_view text) {
  for (Outcome outcome :
       {Outcome::kPending, Outcome::kApplied, Outcome::kFailed, Outcome::kSuperseded,
        Outcome::kSuspended, Outcome::kResumed}) {
    if (text == to_string(outcome)) return outcome;
  }
  return std::nullopt;
}

}  // namespace nkd::state
