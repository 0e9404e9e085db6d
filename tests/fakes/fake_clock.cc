#include "tests/fakes/fake_clock.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace nkd::testing {

namespace {
// Far from the monotonic clock's epoch, so code that subtracts a bound from "now" stays positive.
constexpr Clock::TimePoint kSteadyStart = Clock::TimePoint{} + std::chrono::hours(1000);
}  // namespace

FakeClock::FakeClock(std::int64_t start_unix_ms)
    : wall_offset_ms_(start_unix_ms), steady_start_(kSteadyStart), steady_(kSteadyStart) {}

std::int64_t FakeClock::now_unix_ms() const {
  std::lock_guard lock(mutex_);
  return wall_offset_ms_ +
         std::chrono::duration_cast<std::chrono::milliseconds>(steady_ - steady_start_).count();
}

Clock::TimePoint FakeClock::steady_now() const {
  std::lock_guard lock(mutex_);
  return steady_;
}

bool FakeClock::sleep_until(TimePoint deadline, std::stop_token stop) const {
  std::unique_lock lock(mutex_);
  if (on_sleep_) {
    const std::function<void(Duration)> action = on_sleep_;
    const Duration length = std::max(Duration::zero(), deadline - steady_);
    lock.unlock();
    action(length);
    lock.lock();
  }
  sleeps_.push_back(std::max(Duration::zero(), deadline - steady_));
  if (stop.stop_requested()) return false;
  if (auto_advance_) {
    move_to(lock, deadline);
    return true;
  }
  const auto entry = sleeping_until_.insert(deadline);
  changed_.notify_all();
  const bool reached = changed_.wait(lock, stop, [&] { return steady_ >= deadline; });
  sleeping_until_.erase(entry);
  changed_.notify_all();
  return reached || !stop.stop_requested();
}

bool FakeClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& condition,
                           TimePoint deadline, const std::function<bool()>& done) const {
  if (done()) return true;
  auto waiter = std::make_shared<Waiter>();
  waiter->mutex = lock.mutex();
  waiter->condition = &condition;
  waiter->deadline = deadline;
  {
    std::unique_lock own(mutex_);
    if (auto_advance_) {
      // Single-threaded use: nobody else could make `done` true, so the wait runs out. Other
      // waiters are not woken: this thread holds the mutex they might share.
      if (steady_ < deadline) steady_ = deadline;
      return done();
    }
    waiters_.push_back(waiter);
  }
  changed_.notify_all();
  while (!done() && steady_now() < deadline) condition.wait(lock);
  forget(waiter);
  return done();
}

void FakeClock::forget(const std::shared_ptr<Waiter>& waiter) const {
  {
    std::lock_guard guard(waiter->guard);
    waiter->active = false;
  }
  {
    std::lock_guard lock(mutex_);
    std::erase(waiters_, waiter);
  }
  changed_.notify_all();
}

void FakeClock::advance(Duration by) {
  std::unique_lock lock(mutex_);
  move_to(lock, steady_ + by);
}

void FakeClock::move_to(std::unique_lock<std::mutex>& lock, TimePoint to) const {
  if (to > steady_) steady_ = to;
  const TimePoint now = steady_;
  lock.unlock();
  changed_.notify_all();
  wake_due_waiters(now);
  lock.lock();
}

void FakeClock::wake_due_waiters(TimePoint now) const {
  std::vector<std::shared_ptr<Waiter>> due;
  {
    std::lock_guard lock(mutex_);
    for (const auto& waiter : waiters_) {
      if (waiter->deadline <= now) due.push_back(waiter);
    }
  }
  for (const auto& waiter : due) {
    // Holding the waiter's own mutex while notifying is what makes the wake-up certain: the
    // waiter holds it from its look at the time until it waits. try_lock, not lock: the waiter
    // takes `guard` while holding its mutex (in forget), so blocking here could deadlock.
    while (true) {
      std::unique_lock guard(waiter->guard);
      if (!waiter->active) break;
      if (waiter->mutex->try_lock()) {
        waiter->condition->notify_all();
        waiter->mutex->unlock();
        break;
      }
      guard.unlock();
      std::this_thread::yield();
    }
  }
}

void FakeClock::set_unix_ms(std::int64_t unix_ms) {
  std::lock_guard lock(mutex_);
  wall_offset_ms_ = unix_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                  steady_ - steady_start_).count();
}

std::size_t FakeClock::sleepers() const {
  std::lock_guard lock(mutex_);
  return sleeping_until_.size() + waiters_.size();
}

bool FakeClock::wait_for_sleepers(std::size_t count, std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  // Real time on purpose: this bounds how long the test waits for other threads to get there.
  return changed_.wait_for(lock, limit,
                           [&] { return sleeping_until_.size() + waiters_.size() >= count; });
}

Clock::TimePoint FakeClock::next_deadline() const {
  std::lock_guard lock(mutex_);
  TimePoint earliest = TimePoint::max();
  if (!sleeping_until_.empty()) earliest = *sleeping_until_.begin();
  for (const auto& waiter : waiters_) earliest = std::min(earliest, waiter->deadline);
  return earliest;
}

bool FakeClock::advance_to_next_deadline() {
  const TimePoint next = next_deadline();
  if (next == TimePoint::max()) return false;
  std::unique_lock lock(mutex_);
  move_to(lock, next);
  return true;
}

bool FakeClock::run_until(const std::function<bool()>& done, std::chrono::milliseconds real_limit,
                          Duration max_step) {
  // Real time on purpose: it bounds how long the test lets the other threads work.
  const auto give_up = std::chrono::steady_clock::now() + real_limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    const TimePoint next = next_deadline();
    if (next == TimePoint::max()) {
      // Nobody waits on the clock: the other threads are at work (or idle for good).
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds(1));
      continue;
    }
    std::unique_lock lock(mutex_);
    move_to(lock, std::min(next, steady_ + max_step));
    lock.unlock();
    // Let the woken threads run before looking again.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

bool FakeClock::run_while(const std::function<void()>& action,
                          std::chrono::milliseconds real_limit) {
  std::atomic<bool> finished{false};
  std::thread runner([&] {
    action();
    finished = true;
  });
  const bool in_time = run_until([&] { return finished.load(); }, real_limit);
  // Past the limit the clock is left alone, as a test gives up; the action still has to end.
  runner.join();
  return in_time;
}

void FakeClock::set_auto_advance(bool on) {
  std::lock_guard lock(mutex_);
  auto_advance_ = on;
}

void FakeClock::set_on_sleep(std::function<void(Duration)> action) {
  std::lock_guard lock(mutex_);
  on_sleep_ = std::move(action);
}

std::vector<Clock::Duration> FakeClock::sleeps() const {
  std::lock_guard lock(mutex_);
  return sleeps_;
}

}  // namespace nkd::testing
