// The real clock's waits (common/clock.h); everything else in the tests runs on the fake one.
#include "common/clock.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace nkd {
namespace {

using namespace std::chrono_literals;

TEST(SystemClock, AStopEndsASleepAtOnce) {
  const SystemClock clock;
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(clock.sleep_for(1h, stop.get_token()));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(SystemClock, AWaitWithoutADeadlineEndsAtItsCondition) {
  const SystemClock clock;
  std::mutex mutex;
  std::condition_variable changed;
  bool ready = false;
  std::thread notifier([&] {
    {
      std::lock_guard lock(mutex);
      ready = true;
    }
    changed.notify_all();
  });
  std::unique_lock lock(mutex);
  EXPECT_TRUE(clock.wait_until(lock, changed, Clock::TimePoint::max(), [&] { return ready; }));
  lock.unlock();
  notifier.join();
}

}  // namespace
}  // namespace nkd
