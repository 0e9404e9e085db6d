// Attempt: how one reconcile attempt of a cluster ended, as a step reports it to the reconciler,
// which queues the cluster's next look from it.
#pragma once

#include <cstdint>

#include "common/result.h"

namespace nkd::reconcile {

struct Attempt {
  bool succeeded = false;
  bool complete = false;
  std::int64_t requeue_ms = 0;  // when set, the next look (a wait for a window or a wave)
  Retry retry;                  // when not succeeded: when to try again
};

}  // namespace nkd::reconcile
