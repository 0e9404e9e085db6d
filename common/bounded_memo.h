// BoundedMemo: a pure function's results kept by their input, for inputs that repeat across a
// fleet (equal network settings, the same manifest text). Past `limit` entries it starts over
// rather than grow without bound. Safe to call from several threads; two threads that miss on
// the same key both compute it, and either result is the same.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>

namespace nkd {

template <typename Key, typename Value>
class BoundedMemo {
 public:
  explicit BoundedMemo(std::size_t limit) : limit_(limit) {}

  template <typename Compute>
  Value get(const Key& key, Compute&& compute) {
    {
      const std::lock_guard lock(mutex_);
      const auto found = values_.find(key);
      if (found != values_.end()) return found->second;
    }
    Value value = compute(key);
    const std::lock_guard lock(mutex_);
    if (values_.size() >= limit_) values_.clear();
    values_.emplace(key, value);
    return value;
  }

 private:
  const std::size_t limit_;
  std::mutex mutex_;
  std::map<Key, Value> values_;
};

}  // namespace nkd
