// The test clock itself (tests/fakes/fake_clock.h): time moves only when advanced, and every
// sleep and wait ends at its deadline, its stop or its condition, as with the real clock.
#include "tests/fakes/fake_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

namespace nkd::testing {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, TimeMovesOnlyWhenAdvanced) {
  FakeClock clock(1'000'000);
  const auto start = clock.steady_now();
  EXPECT_EQ(clock.now_unix_ms(), 1'000'000);
  clock.advance(1500ms);
  EXPECT_EQ(clock.steady_now() - start, 1500ms);
  EXPECT_EQ(clock.now_unix_ms(), 1'001'500);
  clock.set_unix_ms(5'000'000);
  EXPECT_EQ(clock.now_unix_ms(), 5'000'000);
  EXPECT_EQ(clock.steady_now() - start, 1500ms) << "a wall-clock jump leaves the monotonic time";
}

TEST(FakeClock, ASleeperWakesOnceTheTimeReachesItsDeadline) {
  FakeClock clock;
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    EXPECT_TRUE(clock.sleep_for(10s));
    woke = true;
  });
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  clock.advance(9s);
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  EXPECT_FALSE(woke.load());
  clock.advance(1s);
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.sleepers(), 0u);
}

TEST(FakeClock, AStopEndsASleepEarly) {
  FakeClock clock;
  std::stop_source stop;
  bool reached = true;
  std::thread sleeper([&] { reached = clock.sleep_for(1h, stop.get_token()); });
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  stop.request_stop();
  sleeper.join();
  EXPECT_FALSE(reached);
}

TEST(FakeClock, AWaitEndsAtItsConditionOrAtItsDeadline) {
  FakeClock clock;
  std::mutex mutex;
  std::condition_variable changed;
  bool ready = false;
  std::optional<bool> first;
  std::optional<bool> second;
  std::thread waiter([&] {
    std::unique_lock lock(mutex);
    first = clock.wait_for(lock, changed, 1min, [&] { return ready; });
    second = clock.wait_for(lock, changed, 1min, [] { return false; });
  });
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  {
    std::lock_guard lock(mutex);
    ready = true;
  }
  changed.notify_all();
  // The waiter holds the mutex from the end of the first wait until the second one waits: once
  // the first result is visible under it, the second wait has begun.
  while (true) {
    std::lock_guard lock(mutex);
    if (first.has_value()) break;
  }
  clock.advance(1min);
  waiter.join();
  EXPECT_EQ(first, true);
  EXPECT_EQ(second, false);
}

TEST(FakeClock, AutoAdvanceRunsSleepsAtOnceAndKeepsTheirLengths) {
  FakeClock clock;
  clock.set_auto_advance(true);
  const auto start = clock.steady_now();
  EXPECT_TRUE(clock.sleep_for(200ms));
  EXPECT_TRUE(clock.sleep_for(3s));
  EXPECT_EQ(clock.steady_now() - start, 3200ms);
  EXPECT_EQ(clock.sleeps(), (std::vector<Clock::Duration>{200ms, 3s}));
}

TEST(FakeClock, RunUntilLetsTimePassForOtherThreads) {
  FakeClock clock;
  std::atomic<int> ticks{0};
  std::stop_source stop;
  std::thread poller([&] {
    while (clock.sleep_for(20ms, stop.get_token())) ++ticks;
  });
  const auto start = clock.steady_now();
  EXPECT_TRUE(clock.run_until([&] { return ticks.load() >= 5; }));
  EXPECT_GE(clock.steady_now() - start, 100ms);
  stop.request_stop();
  poller.join();
}

}  // namespace
}  // namespace nkd::testing
