// RAII owners for SQLite handles and a small statement/transaction layer, so the state store's
// queries read as SQL plus binds. Every sqlite3* and sqlite3_stmt* the project creates is held by
// one of these; nothing closes or finalizes by hand. Errors come back as values carrying the
// operation and SQLite's own message. None of these types is thread-safe: the owner serializes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace nkd::state::sqlite {

struct DatabaseDeleter {
  void operator()(sqlite3* db) const {
    if (db != nullptr) sqlite3_close_v2(db);
  }
};
struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const {
    if (statement != nullptr) sqlite3_finalize(statement);
  }
};

using DatabasePtr = std::unique_ptr<sqlite3, DatabaseDeleter>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// An Error for result code `rc` while `doing` something on `db` (may be null): the message names
// the operation, SQLite's explanation and, for the common cases, what to do about it.
Error make_error(sqlite3* db, int rc, std::string_view doing);

// Opens `path` read-write (creating it when `create`), serialized mode, extended result codes.
Result<DatabasePtr> open_database(const std::string& path, bool create);
// Opens an existing file for reading only: nothing about it (mode, journal, schema) is changed.
Result<DatabasePtr> open_database_read_only(const std::string& path);

// Runs one or more statements that return no rows we need (DDL, PRAGMA writes, BEGIN/COMMIT).
Status exec(sqlite3* db, std::string_view sql, std::string_view doing);

// A prepared statement. Binds are 1-based as in SQL; a bind error is remembered and reported by
// the next step()/run(), so call sites can chain binds without checking each one.
class Statement {
 public:
  static Result<Statement> prepare(sqlite3* db, std::string_view sql);

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t number);
  Statement& bind_null(int index);

  // true: a row is ready to read; false: the statement is done.
  [[nodiscard]] Result<bool> step();
  // Steps until done; for INSERT/UPDATE/DELETE.
  [[nodiscard]] Status run();
  // Makes the statement ready to run again with new bindings (all cleared): a statement run
  // once per row is prepared, and its SQL parsed, only once.
  Statement& reset();

  [[nodiscard]] std::string text(int column) const;    // 0-based; NULL reads as ""
  [[nodiscard]] std::int64_t int64(int column) const;  // 0-based; NULL reads as 0
  [[nodiscard]] bool is_null(int column) const;

  // Rows changed by the last run() on this connection.
  [[nodiscard]] std::int64_t changes() const;

 private:
  Statement(sqlite3* db, StatementPtr statement, std::string sql);
  void remember_bind_error(int rc, int index);

  sqlite3* db_;
  StatementPtr statement_;
  std::string sql_;  // for error messages
  std::optional<Error> bind_error_;
};

// BEGIN IMMEDIATE on construction (via begin()), ROLLBACK in the destructor unless commit() ran:
// any early return on an error leaves the database as it was.
class Transaction {
 public:
  static Result<Transaction> begin(sqlite3* db, std::string_view what);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  [[nodiscard]] Status commit();

 private:
  Transaction(sqlite3* db, std::string what) : db_(db), what_(std::move(what)) {}
  sqlite3* db_;  // null once committed, rolled back or moved from
  std::string what_;
};

}  // namespace nkd::state::sqlite
