#include "reconcile/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/support/test_support.h"

namespace nkd::reconcile {
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
}  // namespace nkd::reconcile

namespace nkd::reconcile {
namespace {

// Several workers waiting on delayed keys while others take them: the sanitizer build checks
// that no waiter keeps a reference to a queue entry another worker removed.
TEST(WorkQueue, ManyWorkersTakeDelayedKeysSafely) {
  WorkQueue queue;
  std::atomic<int> taken{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        ++taken;
        queue.done(*key);
      }
    });
  }
  for (int i = 0; i < 200; ++i) queue.add("k" + std::to_string(i % 20), std::chrono::milliseconds(i % 7));
  EXPECT_TRUE(testing::wait_until([&] { return queue.idle(); }, std::chrono::seconds(5)));
  queue.shutdown();
  for (auto& worker : workers) worker.join();
  EXPECT_GE(taken.load(), 20);
}

TEST(WorkQueue, QuietIgnoresResyncsScheduledLater) {
  WorkQueue queue;
  queue.add("later", std::chrono::minutes(10));
  EXPECT_FALSE(queue.idle());
  EXPECT_TRUE(queue.quiet(std::chrono::seconds(1)));
  queue.add("now");
  EXPECT_FALSE(queue.quiet(std::chrono::seconds(1)));
  const auto key = queue.get();
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, "now");
  EXPECT_FALSE(queue.quiet(std::chrono::seconds(1))) << "a key is running";
  queue.done(*key);
  EXPECT_TRUE(queue.quiet(std::chrono::seconds(1)));
  queue.shutdown();
}

}  // namespace
}  // namespace nkd::reconcile
