#include "reconcile/reconciler_options.h"

#include <algorithm>

#include "common/duration.h"

namespace nkd::reconcile {

std::int64_t retry_delay_ms(const Retry& retry, int transient_failures,
                            const ReconcilerOptions& options, double jitter_unit) {
  switch (retry.kind) {
    case RetryKind::kStalled:
      return options.resync_interval_ms;
    case RetryKind::kWaiting:
      // A delay of 0 must not spin; one past the resync would outlast what the resync promises.
      return std::clamp(retry.delay_ms, options.retry_base_ms,
                        std::max(options.retry_base_ms, options.resync_interval_ms));
    case RetryKind::kTransient:
      break;
  }
  const std::int64_t ceiling = std::min<std::int64_t>(
      options.retry_cap_ms, options.retry_base_ms << std::clamp(transient_failures - 1, 0, 20));
  // Jitter spreads the retries of many clusters failing together.
  const double unit = std::clamp(jitter_unit, 0.0, 1.0);
  return ceiling / 2 + static_cast<std::int64_t>(unit * static_cast<double>(ceiling - ceiling / 2));
}

std::string retry_message(const Retry& retry, const ReconcilerOptions& options) {
  switch (retry.kind) {
    case RetryKind::kStalled:
      return "stalled: this fails until the definition or what it names changes (see lastError); "
             "nkd tries again at the next commit, at `nkd sync`, or at the resync in " +
             format_duration_ms(options.resync_interval_ms);
    case RetryKind::kWaiting:
      return "asked to wait: nkd tries again in " +
             format_duration_ms(retry_delay_ms(retry, 0, options, 0.0));
    case RetryKind::kTransient:
      break;
  }
  return "";
}

}  // namespace nkd::reconcile
