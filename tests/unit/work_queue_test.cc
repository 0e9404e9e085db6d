#include "syncd/reconcile/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace nkd::syncd {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, CoalescesRepeatedAdds) {
  WorkQueue queue;
  queue.add("a");
  queue.add("a");
  queue.add("b");
  EXPECT_EQ(queue.pending(), 2u);
}

TEST(WorkQueue, NeverHandsOutARunningKeyTwice) {
  WorkQueue queue;
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.add("a");  // arrives while "a" runs: must wait for done()
  std::optional<std::string> second;
  std::thread taker([&] { second = queue.get(); });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(second.has_value());
  queue.done("a");
  taker.join();
  EXPECT_EQ(second, "a");
}

TEST(WorkQueue, DelayedKeyIsNotDueEarly) {
  WorkQueue queue;
  const auto start = std::chrono::steady_clock::now();
  queue.add("late", 120ms);
  queue.add("now");
  EXPECT_EQ(queue.get(), "now");
  EXPECT_EQ(queue.get(), "late");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 110ms);
}

TEST(WorkQueue, EarlierAddWinsOverLaterOne) {
  WorkQueue queue;
  queue.add("a", 10'000ms);
  queue.add("a");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(queue.get(), "a");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1'000ms);
}

TEST(WorkQueue, ShutdownWakesWaiters) {
  WorkQueue queue;
  std::optional<std::string> got = "unset";
  std::thread waiter([&] { got = queue.get(); });
  std::this_thread::sleep_for(20ms);
  queue.shutdown();
  waiter.join();
  EXPECT_FALSE(got.has_value());
}

}  // namespace
}  // namespace nkd::syncd
