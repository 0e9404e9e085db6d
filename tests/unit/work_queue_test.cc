#include "reconcile/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/fakes/fake_clock.h"
#include "tests/support/test_support.h"

namespace nkd::reconcile {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

TEST(WorkQueue, CoalescesRepeatedAdds) {
  FakeClock clock;
  WorkQueue queue(clock);
  queue.add("a");
  queue.add("a");
  queue.add("b");
  EXPECT_EQ(queue.pending(), 2u);
}

TEST(WorkQueue, NeverHandsOutARunningKeyTwice) {
  FakeClock clock;
  WorkQueue queue(clock);
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.add("a");  // arrives while "a" runs: must wait for done()
  std::optional<std::string> second;
  std::thread taker([&] { second = queue.get(); });
  ASSERT_TRUE(clock.wait_for_sleepers(1));  // the taker waits
  EXPECT_FALSE(second.has_value());
  queue.done("a");
  taker.join();
  EXPECT_EQ(second, "a");
}

TEST(WorkQueue, DelayedKeyIsNotDueEarly) {
  FakeClock clock;
  WorkQueue queue(clock);
  queue.add("late", 120ms);
  queue.add("now");
  EXPECT_EQ(queue.get(), "now");
  std::optional<std::string> late;
  std::thread taker([&] { late = queue.get(); });
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  clock.advance(119ms);
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  EXPECT_FALSE(late.has_value()) << "due 1 ms later";
  clock.advance(1ms);
  taker.join();
  EXPECT_EQ(late, "late");
}

TEST(WorkQueue, EarlierAddWinsOverLaterOne) {
  FakeClock clock;
  WorkQueue queue(clock);
  queue.add("a", 10'000ms);
  queue.add("a");
  EXPECT_FALSE(queue.quiet(1ms)) << "due now, not in 10 s";
  EXPECT_EQ(queue.get(), "a");
}

TEST(WorkQueue, AKeyDueNowWakesAWorkerWaitingForALaterOne) {
  FakeClock clock;
  WorkQueue queue(clock);
  queue.add("resync", 10min);
  std::optional<std::string> got;
  std::thread worker([&] { got = queue.get(); });
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  queue.add("commit");
  worker.join();
  EXPECT_EQ(got, "commit");
}

TEST(WorkQueue, ShutdownWakesWaiters) {
  FakeClock clock;
  WorkQueue queue(clock);
  std::optional<std::string> got = "unset";
  std::thread waiter([&] { got = queue.get(); });
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  queue.shutdown();
  waiter.join();
  EXPECT_FALSE(got.has_value());
}

// Several workers waiting on delayed keys while others take them: the sanitizer build checks
// that no waiter keeps a reference to a queue entry another worker removed.
TEST(WorkQueue, ManyWorkersTakeDelayedKeysSafely) {
  FakeClock clock;
  WorkQueue queue(clock);
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
  EXPECT_TRUE(testing::wait_until(
      [&] {
        clock.advance(1ms);
        return queue.idle();
      },
      std::chrono::seconds(5)));
  queue.shutdown();
  for (auto& worker : workers) worker.join();
  EXPECT_GE(taken.load(), 20);
}

TEST(WorkQueue, QuietIgnoresResyncsScheduledLater) {
  FakeClock clock;
  WorkQueue queue(clock);
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
  clock.advance(std::chrono::minutes(10));
  EXPECT_FALSE(queue.quiet(std::chrono::seconds(1))) << "the resync is due now";
  queue.shutdown();
}

}  // namespace
}  // namespace nkd::reconcile
