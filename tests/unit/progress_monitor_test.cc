#include "common/progress_monitor.h"

#include <gtest/gtest.h>

#include <optional>

namespace nkd {
namespace {

using namespace std::chrono_literals;

class ManualClock final : public Clock {
 public:
  std::int64_t now_unix_ms() const override { return 0; }
  std::chrono::steady_clock::time_point steady_now() const override { return now; }
  std::chrono::steady_clock::time_point now{};
};

TEST(ProgressMonitor, IdleLoopsNeverStall) {
  ManualClock clock;
  ProgressMonitor monitor(clock);
  (void)monitor.add("the source loop");
  { ProgressMonitor::Step step(monitor, 0, 10s); }
  clock.now += 24h;
  EXPECT_TRUE(monitor.stalled().empty());
}

TEST(ProgressMonitor, AStepPastItsBoundStallsItsLoopUntilItEnds) {
  ManualClock clock;
  ProgressMonitor monitor(clock);
  const auto source = monitor.add("the source loop");
  const auto worker = monitor.add("reconcile worker 1");
  ProgressMonitor::Step fetching(monitor, source, 90s);
  std::optional<ProgressMonitor::Step> reconciling;
  reconciling.emplace(monitor, worker, 30s);
  clock.now += 30s;
  EXPECT_TRUE(monitor.stalled().empty()) << "a step exactly at its bound is still fresh";
  clock.now += 1s;
  ASSERT_EQ(monitor.stalled().size(), 1u);
  EXPECT_EQ(monitor.stalled()[0], "reconcile worker 1: on one step for 31 s, more than its 30 s");
  reconciling.reset();
  EXPECT_TRUE(monitor.stalled().empty());
  clock.now += 60s;
  ASSERT_EQ(monitor.stalled().size(), 1u);
  EXPECT_EQ(monitor.stalled()[0], "the source loop: on one step for 91 s, more than its 90 s");
}

TEST(ProgressMonitor, ANewStepStartsItsOwnClock) {
  ManualClock clock;
  ProgressMonitor monitor(clock);
  const auto worker = monitor.add("reconcile worker 1");
  for (int step = 0; step < 10; ++step) {
    ProgressMonitor::Step running(monitor, worker, 5s);
    clock.now += 4s;
    EXPECT_TRUE(monitor.stalled().empty()) << step;
  }
}

}  // namespace
}  // namespace nkd
