// Clock: wall time for records and a monotonic time for durations and deadlines, behind an
// interface so tests can drive time. SystemClock is the real one.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nkd {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::int64_t now_unix_ms() const = 0;
  [[nodiscard]] virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_unix_ms() const override;
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

// RFC 3339 UTC with milliseconds: "2026-11-25T06:00:00.123Z"; "" for 0.
std::string format_rfc3339_ms(std::int64_t unix_ms);

}  // namespace nkd
