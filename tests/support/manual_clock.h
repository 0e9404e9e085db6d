// ManualClock: a Clock whose wall time a test sets and advances (maintenance windows, token
// expiry); its monotonic time is the real one, so work queues and deadlines still run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace nkd::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now_unix_ms = SystemClock().now_unix_ms())
      : now_ms(now_unix_ms) {}
  std::int64_t now_unix_ms() const override { return now_ms.load(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  void advance(std::chrono::milliseconds by) { now_ms += by.count(); }
  std::atomic<std::int64_t> now_ms;
};

}  // namespace nkd::testing
