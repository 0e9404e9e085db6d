// Clock: wall time for records, a monotonic time for durations and deadlines, and the waits
// that depend on them, behind one interface so tests can drive time (tests/fakes/fake_clock.h)
// and nothing else in nkd reads the time or sleeps. SystemClock is the real one.
//
// Thread-safe: every member may be called from any thread at once. The waits are const so that
// code holding a `const Clock&` can wait; an implementation keeps its waiters in mutable state.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>

namespace nkd {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  [[nodiscard]] virtual std::int64_t now_unix_ms() const = 0;
  [[nodiscard]] virtual TimePoint steady_now() const = 0;

  // Blocks until steady_now() reaches `deadline` or `stop` is requested, whichever is first;
  // false when it returned because of the stop (a shutting-down caller skips its next step).
  virtual bool sleep_until(TimePoint deadline, std::stop_token stop = {}) const = 0;

  // Waits on `condition`, whose mutex `lock` holds on entry and again on return, until `done()`
  // is true or steady_now() reaches `deadline`; returns done(). `done` runs under the lock, as
  // std::condition_variable's predicate does; whoever makes it true notifies `condition`.
  // TimePoint::max() waits for `done` alone.
  virtual bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& condition,
                          TimePoint deadline, const std::function<bool()>& done) const = 0;

  bool sleep_for(Duration duration, std::stop_token stop = {}) const {
    return sleep_until(steady_now() + duration, std::move(stop));
  }
  bool wait_for(std::unique_lock<std::mutex>& lock, std::condition_variable& condition,
                Duration duration, const std::function<bool()>& done) const {
    return wait_until(lock, condition, steady_now() + duration, done);
  }
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_unix_ms() const override;
  TimePoint steady_now() const override { return std::chrono::steady_clock::now(); }
  bool sleep_until(TimePoint deadline, std::stop_token stop = {}) const override;
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& condition,
                  TimePoint deadline, const std::function<bool()>& done) const override;
};

// The process's one real clock, for the wiring code (main, the command-line tools, factories)
// and for defaults of options a caller did not set; everything below the wiring takes a Clock&.
[[nodiscard]] const Clock& real_clock();

// RFC 3339 UTC with milliseconds: "2026-11-25T06:00:00.123Z"; "" for 0.
std::string format_rfc3339_ms(std::int64_t unix_ms);

}  // namespace nkd
