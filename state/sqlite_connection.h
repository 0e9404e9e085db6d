// SqliteConnection: the one SQLite connection the parts of a SqliteStateStore share. Each call
// holds lock() for its whole transaction, so calls run one at a time within the process; other
// processes wait for SQLite's own write lock (the busy timeout).
#pragma once

#include <mutex>
#include <string>

#include "common/clock.h"
#include "state/sqlite_handles.h"

namespace nkd::state {

class SqliteConnection {
 public:
  SqliteConnection(std::string path, sqlite::DatabasePtr db, const Clock& clock)
      : path_(std::move(path)), db_(std::move(db)), clock_(clock) {}
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock(mutex_); }
  [[nodiscard]] sqlite3* db() const { return db_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  // Stamps the few times callers do not pass in (PKI saves, intent completion, an attempt
  // without a start time).
  [[nodiscard]] const Clock& clock() const { return clock_; }

 private:
  std::string path_;
  std::mutex mutex_;
  sqlite::DatabasePtr db_;
  const Clock& clock_;
};

}  // namespace nkd::state
