// PhaseTimer: the time each named step of one piece of work took, for a debug log line such as
// "fetch 41.2 ms, diff 0.8 ms, load 1.9 ms". Reads the injected Clock's monotonic time; not
// thread-safe (one timer belongs to one piece of work on one thread).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace nkd {

class PhaseTimer {
 public:
  explicit PhaseTimer(const Clock& clock) : clock_(clock), last_(clock.steady_now()) {}

  // Ends the current phase under `name`; the next one starts now.
  void lap(const char* name) {
    const auto now = clock_.steady_now();
    phases_.emplace_back(name, std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

  // "name 1.2 ms, name 3.4 ms, ..., total 4.6 ms".
  [[nodiscard]] std::string text() const {
    std::string out;
    double total_ms = 0;
    char figure[32];
    for (const auto& [name, ms] : phases_) {
      std::snprintf(figure, sizeof figure, " %.1f ms, ", ms);
      out += name;
      out += figure;
      total_ms += ms;
    }
    std::snprintf(figure, sizeof figure, "total %.1f ms", total_ms);
    return out + figure;
  }

 private:
  const Clock& clock_;
  std::chrono::steady_clock::time_point last_;
  std::vector<std::pair<const char*, double>> phases_;
};

}  // namespace nkd
