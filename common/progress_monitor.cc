#include "common/progress_monitor.h"

namespace nkd {

ProgressMonitor::Loop ProgressMonitor::add(std::string name) {
  std::lock_guard lock(mutex_);
  loops_.push_back(LoopState{.name = std::move(name)});
  return loops_.size() - 1;
}

ProgressMonitor::Step::Step(ProgressMonitor& monitor, Loop loop, std::chrono::milliseconds bound)
    : monitor_(monitor), loop_(loop) {
  const auto now = monitor_.clock_.steady_now();
  std::lock_guard lock(monitor_.mutex_);
  LoopState& state = monitor_.loops_.at(loop_);
  state.busy = true;
  state.since = now;
  state.bound = bound;
}

ProgressMonitor::Step::~Step() {
  std::lock_guard lock(monitor_.mutex_);
  monitor_.loops_.at(loop_).busy = false;
}

std::vector<std::string> ProgressMonitor::stalled() const {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  std::vector<std::string> lines;
  for (const LoopState& loop : loops_) {
    if (!loop.busy) continue;
    const auto busy_for = std::chrono::duration_cast<std::chrono::seconds>(now - loop.since);
    if (now - loop.since <= loop.bound) continue;
    lines.push_back(
        loop.name + ": on one step for " + std::to_string(busy_for.count()) + " s, more than its " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(loop.bound).count()) +
        " s");
  }
  return lines;
}

}  // namespace nkd
