#include "reconcile/work_queue.h"

#include <algorithm>

namespace nkd::reconcile {

void WorkQueue::add(const std::string& key, std::chrono::milliseconds delay) {
  const TimePoint due = clock_.steady_now() + delay;
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    auto& target = running_.contains(key) ? requeue_ : due_;
    auto [entry, inserted] = target.emplace(key, due);
    if (!inserted && due < entry->second) entry->second = due;
    ++changes_;
  }
  changed_.notify_all();
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (shut_down_) return std::nullopt;
    const TimePoint now = clock_.steady_now();
    auto earliest = due_.end();
    for (auto it = due_.begin(); it != due_.end(); ++it) {
      if (earliest == due_.end() || it->second < earliest->second) earliest = it;
    }
    if (earliest != due_.end() && earliest->second <= now) {
      std::string key = earliest->first;
      due_.erase(earliest);
      running_.insert(key);
      return key;
    }
    // Until the earliest key is due or the queue changes. A copy of the time: another worker
    // may take (erase) that entry while this one waits.
    const TimePoint wake_at = earliest == due_.end() ? TimePoint::max() : earliest->second;
    const std::uint64_t seen = changes_;
    clock_.wait_until(lock, changed_, wake_at, [&] { return changes_ != seen; });
  }
}

void WorkQueue::done(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    running_.erase(key);
    if (auto again = requeue_.find(key); again != requeue_.end()) {
      auto [entry, inserted] = due_.emplace(key, again->second);
      if (!inserted && again->second < entry->second) entry->second = again->second;
      requeue_.erase(again);
    }
    ++changes_;
  }
  changed_.notify_all();
}

void WorkQueue::shutdown() {
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    ++changes_;
  }
  changed_.notify_all();
}

std::size_t WorkQueue::pending() const {
  std::lock_guard lock(mutex_);
  return due_.size() + requeue_.size();
}

bool WorkQueue::idle() const {
  std::lock_guard lock(mutex_);
  return due_.empty() && requeue_.empty() && running_.empty();
}

bool WorkQueue::quiet(std::chrono::milliseconds horizon) const {
  std::lock_guard lock(mutex_);
  if (!running_.empty() || !requeue_.empty()) return false;
  const TimePoint limit = clock_.steady_now() + horizon;
  return std::none_of(due_.begin(), due_.end(), [&](const auto& entry) { return entry.second < limit; });
}

}  // namespace nkd::reconcile
