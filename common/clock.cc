#include "common/clock.h"

#include <ctime>
#include <cstdio>

namespace nkd {

std::int64_t SystemClock::now_unix_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool SystemClock::sleep_until(TimePoint deadline, std::stop_token stop) const {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  // Nothing notifies `woken` but the stop token, so this returns at the deadline or the stop.
  woken.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested();
}

bool SystemClock::wait_until(std::unique_lock<std::mutex>& lock,
                             std::condition_variable& condition, TimePoint deadline,
                             const std::function<bool()>& done) const {
  if (deadline == TimePoint::max()) {  // no deadline: spare the library the conversion of max
    condition.wait(lock, done);
    return true;
  }
  return condition.wait_until(lock, deadline, done);
}

const Clock& real_clock() {
  static const SystemClock clock;
  return clock;
}

std::string format_rfc3339_ms(std::int64_t unix_ms) {
  if (unix_ms <= 0) return "";
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof(millis), ".%03dZ", static_cast<int>(unix_ms % 1000));
  return std::string(text, length) + millis;
}

}  // namespace nkd
