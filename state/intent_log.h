// IntentLog: what a provider is about to do to the outside world, written before it does it, so
// a crash at any point is followed by a lookup instead of a duplicate (DESIGN.md §8). Only the
// OpenStack provider is given it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace nkd::state {

struct Intent {
  std::int64_t id = 0;
  std::string cluster;
  std::string kind;     // "create-server", "delete-server", ...
  std::string target;   // node name
  std::string payload;  // JSON the provider needs to resume
  std::int64_t created_at_ms = 0;
};

class IntentLog {
 public:
  virtual ~IntentLog() = default;

  [[nodiscard]] virtual Result<std::int64_t> add_intent(const Intent& intent) = 0;
  [[nodiscard]] virtual Status complete_intent(std::int64_t id) = 0;
  [[nodiscard]] virtual Result<std::vector<Intent>> pending_intents(const std::string& cluster) = 0;
  // Asked right before each call that changes the outside world for `cluster`: an error when this
  // replica may no longer act for it (several replicas on etcd: it lost the cluster, or its lease
  // may have expired). A single replica always may.
  [[nodiscard]] virtual Status confirm_owner(const std::string& cluster) {
    (void)cluster;
    return ok_status();
  }
};

}  // namespace nkd::state
