// ProgressMonitor: whether the daemon's loops still make progress, so systemd's watchdog is fed
// only by a daemon that works. A loop marks each step it starts with how long that step may take
// (Step, RAII) and is idle again when the step ends; a loop still on one step past its bound is
// stalled. Idle loops (waiting for work or for the next poll) are never stalled.
// Thread-safe: loops mark their steps from their own threads, the watchdog reads from another.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"

namespace nkd {

class ProgressMonitor {
 public:
  using Loop = std::size_t;

  explicit ProgressMonitor(const Clock& clock) : clock_(clock) {}
  ProgressMonitor(const ProgressMonitor&) = delete;
  ProgressMonitor& operator=(const ProgressMonitor&) = delete;

  // Registers a loop by a name people read in logs ("the source loop"); starts idle.
  [[nodiscard]] Loop add(std::string name);

  // One step of a loop: busy from construction, idle again when it goes.
  class Step {
   public:
    Step(ProgressMonitor& monitor, Loop loop, std::chrono::milliseconds bound);
    ~Step();
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    ProgressMonitor& monitor_;
    Loop loop_;
  };

  // One line per loop whose current step has outlasted its bound ("the source loop: on one step
  // for 95 s, more than its 90 s"); empty while every loop progresses.
  [[nodiscard]] std::vector<std::string> stalled() const;

 private:
  struct LoopState {
    std::string name;
    bool busy = false;
    std::chrono::steady_clock::time_point since;
    std::chrono::milliseconds bound{0};
  };

  const Clock& clock_;
  mutable std::mutex mutex_;
  std::vector<LoopState> loops_;
};

}  // namespace nkd
