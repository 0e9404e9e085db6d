// SqliteIntentLog: the IntentLog part of SqliteStateStore (table intents).
#pragma once

#include "state/intent_log.h"
#include "state/sqlite_connection.h"

namespace nkd::state {

class SqliteIntentLog : public virtual IntentLog {
 public:
  explicit SqliteIntentLog(SqliteConnection& connection) : connection_(connection) {}

  [[nodiscard]] Result<std::int64_t> add_intent(const Intent& intent) override;
  [[nodiscard]] Status complete_intent(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<Intent>> pending_intents(const std::string& cluster) override;

 private:
  SqliteConnection& connection_;
};

}  // namespace nkd::state
