// BoundedWorker<Item>: one background thread that hands queued items, oldest first, to a
// delivery function, so that the threads producing them (the source loop, reconcile workers)
// never wait on the network. The queue is bounded: a push onto a full queue drops the oldest
// item and reports it (for outbound reports the newest state is what matters). stop() lets the
// thread deliver what is still queued, each call told it is draining (so it makes one quick try),
// for at most the drain limit; what is left then is dropped and reported as a count.
//
// Time (the waits between retries, the drain limit) is the injected clock's.
//
// Thread-safe: push(), pause() and stop() from any thread; `deliver` runs on the worker thread
// only. The thread starts in the constructor and calls `deliver` at once: declare the worker
// after every member its callbacks use, so it is built after them and stopped before them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "common/clock.h"

namespace nkd {

template <typename Item>
class BoundedWorker {
 public:
  struct Callbacks {
    // Sends one item; `draining` is true once stop() was called.
    std::function<void(Item& item, bool draining)> deliver;
    // A full queue dropped `oldest` to make room (called under no lock of the worker's).
    std::function<void(const Item& oldest)> overflowed;
    // stop() gave up on `count` queued items when the drain limit passed.
    std::function<void(std::size_t count)> abandoned;
  };

  BoundedWorker(std::size_t capacity, std::chrono::milliseconds drain_limit, const Clock& clock,
                Callbacks callbacks)
      : clock_(clock),
        capacity_(capacity < 1 ? 1 : capacity),
        drain_limit_(drain_limit),
        callbacks_(std::move(callbacks)),
        thread_([this] { run(); }) {}
  ~BoundedWorker() { stop(); }
  BoundedWorker(const BoundedWorker&) = delete;
  BoundedWorker& operator=(const BoundedWorker&) = delete;

  // Queues `item`; false (and the item discarded) once stop() was called. Never blocks on delivery.
  bool push(Item item) {
    std::optional<Item> dropped;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      if (queue_.size() >= capacity_) {
        dropped = std::move(queue_.front());
        queue_.pop_front();
      }
      queue_.push_back(std::move(item));
    }
    wake_.notify_all();
    if (dropped && callbacks_.overflowed) callbacks_.overflowed(*dropped);
    return true;
  }

  // Waits `duration` or until stop() is called, whichever is first; false when stopping. For
  // the waits between retries, so that a stop does not sit out a backoff.
  bool pause(std::chrono::milliseconds duration) {
    return clock_.sleep_for(duration, stop_.get_token());
  }

  // Requested by stop(): hand it to a RetryPolicy so its backoff ends at the stop.
  [[nodiscard]] std::stop_token stop_token() const { return stop_.get_token(); }

  [[nodiscard]] bool stopping() const { return stop_.stop_requested(); }

  // Delivers what is queued (draining) for at most the drain limit and joins the thread; safe
  // to call twice.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stop_.request_stop();
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  void run() {
    std::optional<Clock::TimePoint> drain_deadline;
    while (true) {
      Item next;
      bool draining = false;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued was delivered
        draining = stopping_;
        const auto now = clock_.steady_now();
        if (draining && !drain_deadline) drain_deadline = now + drain_limit_;
        if (draining && now >= *drain_deadline) {
          const std::size_t left = queue_.size();
          queue_.clear();
          lock.unlock();
          if (callbacks_.abandoned) callbacks_.abandoned(left);
          return;
        }
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      callbacks_.deliver(next, draining);
    }
  }

  const Clock& clock_;
  const std::size_t capacity_;
  const std::chrono::milliseconds drain_limit_;
  Callbacks callbacks_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::stop_source stop_;  // requested with stopping_ set; ends pause() and retry backoffs
  std::thread thread_;  // last: it starts running in the constructor
};

}  // namespace nkd
