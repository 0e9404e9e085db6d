// EtcdIntentLog: the IntentLog part of EtcdStateStore. Ids come from counters/intents, raised
// in the same transaction that writes intents/pending/<id>; completion moves the intent to
// intents/done/<id> in one transaction, so pending_intents reads only what is still open.
#pragma once

#include "state/etcd_connection.h"
#include "state/intent_log.h"

namespace nkd::state {

class EtcdIntentLog : public virtual IntentLog {
 public:
  explicit EtcdIntentLog(EtcdConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::int64_t> add_intent(const Intent& intent) override;
  [[nodiscard]] Status complete_intent(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<Intent>> pending_intents(const std::string& cluster) override;
  // Asks the fences only (no request): a claim held within the lease's deadline.
  [[nodiscard]] Status confirm_owner(const std::string& cluster) override;

 private:
  EtcdConnection& connection_;
};

}  // namespace nkd::state
