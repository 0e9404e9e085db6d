#include "state/sqlite_handles.h"

#include <utility>

namespace nkd::state::sqlite {
namespace {

ErrorCode code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT: return ErrorCode::kConflict;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH: return ErrorCode::kPermissionDenied;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR: return ErrorCode::kInternal;
    default: return ErrorCode::kIo;  // IOERR, FULL, CANTOPEN, CORRUPT, NOTADB, NOMEM, ...
  }
}

const char* hint_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return "another process holds the state file locked; stop it or retry";
    case SQLITE_FULL: return "the disk holding the state file is full; free space and retry";
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return "check that the state file and its directory exist and are writable by nkd";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "the file is not a healthy nkd state database; restore it from a backup or move it "
             "away";
    case SQLITE_IOERR: return "the disk reported an I/O error; check the device and retry";
    default: return nullptr;
  }
}

}  // namespace

Error make_error(sqlite3* db, int rc, std::string_view doing) {
  std::string message = "state store: ";
  message += doing;
  message += " failed: ";
  // sqlite3_errmsg describes the most recent failure on the connection, which is ours because
  // every caller serializes access; without a connection only the code's text is known.
  const std::string_view generic = sqlite3_errstr(rc);
  const std::string_view specific = db != nullptr ? sqlite3_errmsg(db) : generic;
  message += specific;
  if (specific != generic) {
    message += " (";
    message += generic;
    message += ")";
  }
  if (const char* hint = hint_for(rc); hint != nullptr) {
    message += "; ";
    message += hint;
  }
  return Error{code_for(rc), std::move(message)};
}

Result<DatabasePtr> open_database(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DatabasePtr db(raw);  // sqlite3_open_v2 may hand back a handle even on failure; it must close
  if (rc != SQLITE_OK) return make_error(db.get(), rc, "opening " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

Result<DatabasePtr> open_database_read_only(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr);
  DatabasePtr db(raw);
  if (rc != SQLITE_OK) return make_error(db.get(), rc, "opening " + path + " read-only");
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

Status exec(sqlite3* db, std::string_view sql, std::string_view doing) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return make_error(db, rc, doing);
  return ok_status();
}

Statement::Statement(sqlite3* db, StatementPtr statement, std::string sql)
    : db_(db), statement_(std::move(statement)), sql_(std::move(sql)) {}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementPtr statement(raw);
  if (rc != SQLITE_OK) return make_error(db, rc, "preparing `" + std::string(sql) + "`");
  return Statement(db, std::move(statement), std::string(sql));
}

void Statement::remember_bind_error(int rc, int index) {
  if (rc == SQLITE_OK || bind_error_) return;
  bind_error_ =
      make_error(db_, rc, "binding parameter " + std::to_string(index) + " of `" + sql_ + "`");
}

Statement& Statement::bind(int index, std::string_view text) {
  remember_bind_error(sqlite3_bind_text64(statement_.get(), index, text.data(), text.size(),
                                          SQLITE_TRANSIENT, SQLITE_UTF8),
                      index);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t number) {
  remember_bind_error(sqlite3_bind_int64(statement_.get(), index, number), index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  remember_bind_error(sqlite3_bind_null(statement_.get(), index), index);
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_) return *bind_error_;
  const int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return make_error(db_, rc, "running `" + sql_ + "`");
}

Status Statement::run() {
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto stepped, step());
    if (!stepped) return ok_status();
  }
}

Statement& Statement::reset() {
  // sqlite3_reset repeats the last step's error, which step() has already reported.
  (void)sqlite3_reset(statement_.get());
  (void)sqlite3_clear_bindings(statement_.get());
  bind_error_.reset();
  return *this;
}

std::string Statement::text(int column) const {
  const unsigned char* data = sqlite3_column_text(statement_.get(), column);
  if (data == nullptr) return {};
  const int size = sqlite3_column_bytes(statement_.get(), column);
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(statement_.get(), column);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::changes() const { return sqlite3_changes64(db_); }

Result<Transaction> Transaction::begin(sqlite3* db, std::string_view what) {
  // IMMEDIATE takes the write lock up front, so a transaction that reads then writes never fails
  // half-way with SQLITE_BUSY; the busy timeout covers the wait for another writer.
  if (auto begun = exec(db, "BEGIN IMMEDIATE", "starting a transaction for " + std::string(what));
      !begun) {
    return begun.error();
  }
  return Transaction(db, std::string(what));
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), what_(std::move(other.what_)) {}

Transaction::~Transaction() {
  // A ROLLBACK failure has nobody to report to here; it only fails when SQLite already rolled the
  // transaction back itself (after an I/O or full-disk error), which is the state we want.
  if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::commit() {
  sqlite3* db = db_;
  const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    // A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY); the destructor rolls it
    // back so the connection is usable for the next call.
    return make_error(db, rc, "committing " + what_);
  }
  db_ = nullptr;
  return ok_status();
}

}  // namespace nkd::state::sqlite
