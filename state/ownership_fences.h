// OwnershipFences: the clusters this replica may write for while several replicas share one etcd
// store (DESIGN.md §8), each with the revision it claimed the cluster's ownership key at, and how
// long its lease is surely still alive.
//
// The etcd parts add "owners/<cluster> is still at that revision" to every transaction the
// reconcile makes for a cluster (EtcdConnection::commit_for). A replica that lost a cluster (its
// lease expired while it was stopped, or the cluster moved to a replica that joined) therefore
// cannot write for it: the write fails instead of racing the new owner's. The lease deadline
// closes the gap before etcd is even asked: past it (a replica resumed after SIGSTOP) nothing is
// held until the lease has been renewed and the clusters claimed again.
//
// Disabled (a single replica: SQLite, the CLI), every write passes unfenced. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"

namespace nkd::state {

class OwnershipFences {
 public:
  explicit OwnershipFences(const Clock& clock) : clock_(clock) {}

  // From now on a cluster this replica holds no fence for cannot be written for.
  void enable() {
    std::lock_guard lock(mutex_);
    enabled_ = true;
  }
  [[nodiscard]] bool enabled() const {
    std::lock_guard lock(mutex_);
    return enabled_;
  }
  // The lease is alive at least until `deadline` (renewal sent time + the TTL etcd answered).
  void extend_lease(Clock::TimePoint deadline) {
    std::lock_guard lock(mutex_);
    lease_deadline_ = deadline;
  }
  void hold(const std::string& cluster, std::int64_t claimed_at_revision) {
    std::lock_guard lock(mutex_);
    held_[cluster] = claimed_at_revision;
  }
  // Whether `cluster` is held at `revision`, whatever the lease deadline.
  [[nodiscard]] bool held_at(const std::string& cluster, std::int64_t revision) const {
    std::lock_guard lock(mutex_);
    const auto found = held_.find(cluster);
    return found != held_.end() && found->second == revision;
  }
  void drop(const std::string& cluster) {
    std::lock_guard lock(mutex_);
    held_.erase(cluster);
  }
  void drop_if_held_at(const std::string& cluster, std::int64_t revision) {
    std::lock_guard lock(mutex_);
    const auto found = held_.find(cluster);
    if (found != held_.end() && found->second == revision) held_.erase(found);
  }
  // The lease is gone: nothing is held any more.
  void drop_all() {
    std::lock_guard lock(mutex_);
    held_.clear();
    lease_deadline_ = Clock::TimePoint::min();
  }
  // The revision `cluster`'s ownership key was claimed at, while this replica holds it and its
  // lease is surely alive; nullopt otherwise.
  [[nodiscard]] std::optional<std::int64_t> revision_of(const std::string& cluster) const {
    std::lock_guard lock(mutex_);
    if (clock_.steady_now() >= lease_deadline_) return std::nullopt;
    const auto found = held_.find(cluster);
    if (found == held_.end()) return std::nullopt;
    return found->second;
  }
  [[nodiscard]] bool lease_alive() const {
    std::lock_guard lock(mutex_);
    return clock_.steady_now() < lease_deadline_;
  }

 private:
  const Clock& clock_;
  mutable std::mutex mutex_;
  bool enabled_ = false;
  Clock::TimePoint lease_deadline_ = Clock::TimePoint::min();
  std::map<std::string, std::int64_t> held_;
};

}  // namespace nkd::state
