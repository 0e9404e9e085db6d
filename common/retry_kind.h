// What a failed step should do next, as Flux's controllers decide it: an Error says not only what
// failed but whether trying again soon can help. The code gives a default (default_retry() in
// result.h); a call site that knows better overrides it (Error::with_retry): a Retry-After turns
// a refusal into Waiting with that delay, a refused control-plane replacement is Stalled.
// A small value type; no state, thread-safe.
#pragma once

#include <cstdint>

namespace nkd {

enum class RetryKind {
  // Expected to clear by itself (network, timeout, 5xx, a conflict): exponential backoff with
  // jitter, a streak of them backing off further.
  kTransient,
  // Expected to clear after a known delay (Retry-After, a maintenance window, a wave, readiness):
  // try again after `delay_ms`; not a failure streak.
  kWaiting,
  // Will not succeed until the input changes (an invalid definition, permission denied, bad
  // credentials, a refused replacement, a quota): no fast retry; the next commit or the slow
  // resync tries again.
  kStalled,
};

struct Retry {
  RetryKind kind = RetryKind::kTransient;
  std::int64_t delay_ms = 0;  // kWaiting only: how long to wait before the next try

  [[nodiscard]] static Retry transient() { return Retry{RetryKind::kTransient, 0}; }
  [[nodiscard]] static Retry waiting(std::int64_t delay_ms) {
    return Retry{RetryKind::kWaiting, delay_ms};
  }
  [[nodiscard]] static Retry stalled() { return Retry{RetryKind::kStalled, 0}; }

  bool operator==(const Retry&) const = default;
};

// "transient", "waiting", "stalled".
[[nodiscard]] const char* retry_kind_name(RetryKind kind);

}  // namespace nkd
