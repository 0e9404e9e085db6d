#include "common/progress_monitor.h"

#include <gtest/gtest.h>

#include <optional>

#include "tests/fakes/fake_clock.h"

namespace nkd {
namespace {

using namespace std::chrono_literals;

using testing::FakeClock;

TEST(ProgressMonitor, IdleLoopsNeverStall) {
  FakeClock clock;
  ProgressMonitor monitor(clock);
  (void)monitor.add("the source loop");
  { ProgressMonitor::Step step(monitor, 0, 10s); }
  clock.advance(24h);
  EXPECT_TRUE(monitor.stalled().empty());
}

TEST(ProgressMonitor, AStepPastItsBoundStallsItsLoopUntilItEnds) {
  FakeClock clock;
  ProgressMonitor monitor(clock);
  const auto source = monitor.add("the source loop");
  const auto worker = monitor.add("reconcile worker 1");
  ProgressMonitor::Step fetching(monitor, source, 90s);
  std::optional<ProgressMonitor::Step> reconciling;
  reconciling.emplace(monitor, worker, 30s);
  clock.advance(30s);
  EXPECT_TRUE(monitor.stalled().empty()) << "a step exactly at its bound is still fresh";
  clock.advance(1s);
  ASSERT_EQ(monitor.stalled().size(), 1u);
  EXPECT_EQ(monitor.stalled()[0], "reconcile worker 1: on one step for 31 s, more than its 30 s");
  reconciling.reset();
  EXPECT_TRUE(monitor.stalled().empty());
  clock.advance(60s);
  ASSERT_EQ(monitor.stalled().size(), 1u);
  EXPECT_EQ(monitor.stalled()[0], "the source loop: on one step for 91 s, more than its 90 s");
}

TEST(ProgressMonitor, ANewStepStartsItsOwnClock) {
  FakeClock clock;
  ProgressMonitor monitor(clock);
  const auto worker = monitor.add("reconcile worker 1");
  for (int step = 0; step < 10; ++step) {
    ProgressMonitor::Step running(monitor, worker, 5s);
    clock.advance(4s);
    EXPECT_TRUE(monitor.stalled().empty()) << step;
  }
}

}  // namespace
}  // namespace nkd
