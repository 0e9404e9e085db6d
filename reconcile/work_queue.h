// WorkQueue: keys (cluster names) waiting to be worked on, each at most once in the queue and
// never handed to two workers at once. A key added while it is being worked on is queued again
// when the worker calls done(). Delayed adds implement retry backoff and resync; an earlier add
// wins over a later one. Delays and due times are the injected clock's. Thread-safe; shutdown()
// wakes every waiting worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/clock.h"

namespace nkd::reconcile {

class WorkQueue {
 public:
  using TimePoint = Clock::TimePoint;

  explicit WorkQueue(const Clock& clock) : clock_(clock) {}

  void add(const std::string& key, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // Blocks until a key is due and not running; nullopt after shutdown().
  std::optional<std::string> get();
  void done(const std::string& key);
  void shutdown();
  [[nodiscard]] std::size_t pending() const;
  [[nodiscard]] bool idle() const;  // nothing queued and nothing running
  // Nothing running and nothing due before `horizon` from now (later resyncs may be queued).
  [[nodiscard]] bool quiet(std::chrono::milliseconds horizon) const;

 private:
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, TimePoint> due_;        // queued keys and when they are due
  std::set<std::string> running_;
  std::map<std::string, TimePoint> requeue_;    // added while running
  bool shut_down_ = false;
  std::uint64_t changes_ = 0;  // counts add/done/shutdown, so a timed wait ends at a change
};

}  // namespace nkd::reconcile
