// FakeClock: the Clock of every test that depends on time. Its wall and monotonic time move
// only when the test calls advance() (or set_unix_ms() for the wall time alone); a thread asleep
// in sleep_until() or waiting in wait_until() wakes once the time passes its deadline, or at
// once for a stop or its condition, as with the real clock. So backoffs, resyncs, poll
// intervals, token expiry and maintenance windows are tested without waiting for them.
//
// What it models: the order of events in time. What not: how long real work takes (a step that
// takes real milliseconds takes no fake time) and the kernel's own timeouts (sockets, libcurl).
//
// Determinism: wait_for_sleepers(n) blocks the test until n threads sleep or wait on this clock,
// so an advance() lands after the wait it is meant to end has begun. An advance wakes exactly
// the waits whose deadline it reaches, and none of them can miss it: it notifies each one's
// condition variable while holding that variable's mutex. With auto_advance, a sleep moves the
// time to its deadline itself and returns at once (single-threaded tests of retry loops), and
// every sleep's length is kept in sleeps().
//
// Thread-safe. A thread must not hold a mutex a waiter of this clock waits with while it calls
// advance() (the advance takes that mutex to wake the waiter).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "common/clock.h"

namespace nkd::testing {

class FakeClock final : public Clock {
 public:
  // 2026-11-25T06:00:00Z: a fixed start keeps times in test output stable.
  static constexpr std::int64_t kDefaultStartUnixMs = 1'795'586'400'000;

  explicit FakeClock(std::int64_t start_unix_ms = kDefaultStartUnixMs);
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  std::int64_t now_unix_ms() const override;
  TimePoint steady_now() const override;
  bool sleep_until(TimePoint deadline, std::stop_token stop = {}) const override;
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& condition,
                  TimePoint deadline, const std::function<bool()>& done) const override;

  // Moves both times forward by `by` and wakes every sleep and wait whose deadline it reaches.
  void advance(Duration by);
  // Sets the wall time alone (a jump of the system clock); the monotonic time does not move.
  void set_unix_ms(std::int64_t unix_ms);

  // Threads now in sleep_until() or wait_until().
  [[nodiscard]] std::size_t sleepers() const;
  // Blocks, for at most `limit` of real time, until at least `count` threads sleep or wait on
  // this clock; false when the limit passed first.
  [[nodiscard]] bool wait_for_sleepers(
      std::size_t count, std::chrono::milliseconds limit = std::chrono::seconds(10)) const;
  // The earliest deadline of a sleeping or waiting thread, or TimePoint::max() when none.
  [[nodiscard]] TimePoint next_deadline() const;
  // Advances to next_deadline() when there is one; false when nothing sleeps.
  bool advance_to_next_deadline();
  // Lets time pass for code running on other threads until `done()`: whenever a thread sleeps or
  // waits on this clock, moves to the earliest deadline, by at most `max_step` at a time (so a
  // long deadline, a resync, does not leap past shorter ones that work in progress is about to
  // set). Returns true once done(), false when `real_limit` of real time passed first.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds real_limit = std::chrono::seconds(10),
                 Duration max_step = std::chrono::milliseconds(50));

  // Runs `action` on a thread of its own while time runs as run_until() moves it, until it
  // returns: for stopping workers that may be asleep on this clock in the middle of a step.
  // False when it took longer than `real_limit` (the thread is then still joined).
  bool run_while(const std::function<void()>& action,
                 std::chrono::milliseconds real_limit = std::chrono::seconds(30));

  // A sleep moves the time to its deadline and returns at once (see the header comment).
  void set_auto_advance(bool on);
  // The length of every sleep_until() so far, in order (with auto_advance or without).
  [[nodiscard]] std::vector<Duration> sleeps() const;
  // Runs `action` with the sleep's length on the sleeping thread at the start of every
  // sleep_until(), under no lock of the clock's: the world a polling loop watches moves on while
  // it sleeps.
  void set_on_sleep(std::function<void(Duration)> action);

 private:
  // One thread in wait_until(): the caller's mutex and condition variable, valid while active.
  struct Waiter {
    std::mutex guard;  // held to read or clear `active` and to use the pointers
    bool active = true;
    std::mutex* mutex = nullptr;
    std::condition_variable* condition = nullptr;
    TimePoint deadline;
  };

  // Moves the time to `to` (if later) under mutex_ held by `lock`, then wakes whoever is due.
  void move_to(std::unique_lock<std::mutex>& lock, TimePoint to) const;
  void wake_due_waiters(TimePoint now) const;
  void forget(const std::shared_ptr<Waiter>& waiter) const;

  mutable std::mutex mutex_;
  mutable std::condition_variable_any changed_;  // time moved, or a sleeper came or went
  // The wall time is the start's plus the monotonic time elapsed, plus what set_unix_ms() moved.
  std::int64_t wall_offset_ms_;
  const TimePoint steady_start_;
  mutable TimePoint steady_;  // moved by sleeps under auto_advance too
  bool auto_advance_ = false;
  std::function<void(Duration)> on_sleep_;
  mutable std::vector<Duration> sleeps_;
  mutable std::multiset<TimePoint> sleeping_until_;  // one entry per thread in sleep_until()
  mutable std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace nkd::testing
