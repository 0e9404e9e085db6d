// SqliteConnection: the one SQLite connection the parts of a SqliteStateStore share. Each call
// holds lock() for its whole transaction, so calls run one at a time within the process; other
// processes wait for SQLite's own write lock (the busy timeout).
#pragma once

#include <mutex>
#include <string>

#include "common/clock.h"
#include "state/secret_sealer.h"
#include "state/sqlite_handles.h"

namespace nkd::state {

class SqliteConnection {
 public:
  SqliteConnection(std::string path, sqlite::DatabasePtr db, const Clock& clock,
                   SecretSealer sealer)
      : path_(std::move(path)), db_(std::move(db)), clock_(clock), sealer_(std::move(sealer)) {}
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock(mutex_); }
  [[nodiscard]] sqlite3* db() const { return db_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  // Stamps the few times callers do not pass in (PKI saves, intent completion, an attempt
  // without a start time).
  [[nodiscard]] const Clock& clock() const { return clock_; }
  // Seals and opens the values that hold private keys or tokens (secret_sealer.h).
  [[nodiscard]] const SecretSealer& sealer() const { return sealer_; }

 private:
  std::string path_;
  std::mutex mutex_;
  sqlite::DatabasePtr db_;
  const Clock& clock_;
  const SecretSealer sealer_;
};

}  // namespace nkd::state
