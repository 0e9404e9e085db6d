#include "state/sqlite_state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/private_files.h"
#include "state/sqlite_records.h"
#include "state/sqlite_schema.h"

namespace nkd::state {
namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 5000;

Error errno_error(const std::string& doing, int error_number) {
  return Error{ErrorCode::kIo, "state store: " + doing + " failed: " + std::strerror(error_number) +
                                   "; check the path and that nkd may write there"};
}

// Names the file in an error from a statement that does not (the first PRAGMAs are where a file
// that is not a database shows up).
Error in_file(const Error& error, const std::string& path) {
  constexpr std::string_view kPrefix = "state store: ";
  std::string_view rest = error.message;
  if (rest.substr(0, kPrefix.size()) == kPrefix) rest.remove_prefix(kPrefix.size());
  return Error{error.code, std::string(kPrefix) + "opening " + path + ": " + std::string(rest)};
}

Result<std::string> query_single_text(sqlite3* db, const std::string& sql) {
  NKD_ASSIGN_OR_RETURN(auto statement, sqlite::Statement::prepare(db, sql));
  std::string text;
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto row, statement.step());
    if (!row) break;
    if (!text.empty()) text += "\n";
    text += statement.text(0);
  }
  return text;
}

// WAL lets readers (the HTTP API) run beside the writer; FULL syncs the WAL on every commit so an
// acknowledged write survives power loss, not just a process crash.
Status configure_connection(sqlite3* db, const std::string& path) {
  if (const int rc = sqlite3_busy_timeout(db, kBusyTimeoutMs); rc != SQLITE_OK) {
    return sqlite::make_error(db, rc, "setting the busy timeout on " + path);
  }
  NKD_ASSIGN_OR_RETURN(auto mode, query_single_text(db, "PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return Error{ErrorCode::kIo, "state store: " + path + " stayed in journal mode '" + mode +
                                     "' instead of WAL; put the state file on a local filesystem "
                                     "that supports shared memory (not NFS)"};
  }
  return sqlite::exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                      "configuring synchronous=FULL and foreign keys on " + path);
}

}  // namespace

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open(const std::string& path,
                                                                 const Clock& clock,
                                                                 SecretSealer sealer) {
  if (path.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: no SQLite file given; set state.sqlite in the configuration"};
  }
  // The file holds private keys: 0600 from its first byte (made here, not by SQLite), its folders
  // 0700; companions from an older run are narrowed too.
  if (auto made = create_private_directories(fs::path(path).parent_path()); !made) {
    return made.error().wrap("state store");
  }
  NKD_RETURN_IF_ERROR_WRAP(prepare_private_file(path), "state store");
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string companion = path + suffix;
    if (::chmod(companion.c_str(), kPrivateFileMode) != 0 && errno != ENOENT) {
      return errno_error("setting mode 0600 on " + companion, errno);
    }
  }
  NKD_ASSIGN_OR_RETURN(auto db, sqlite::open_database(path, /*create=*/false));
  if (auto configured = configure_connection(db.get(), path); !configured) {
    return in_file(configured.error(), path);
  }
  if (sealer.seals()) {
    NKD_RETURN_IF_ERROR(
        sqlite::exec(db.get(), "PRAGMA secure_delete=ON", "zeroing freed pages of " + path));
  }
  NKD_RETURN_IF_ERROR(migrate_sqlite_schema(db.get(), path));
  return std::make_unique<SqliteStateStore>(
      ConstructionKey(),
      std::make_unique<SqliteConnection>(path, std::move(db), clock, std::move(sealer)));
}

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open_read_only(const std::string& path,
                                                                           const Clock& clock,
                                                                           SecretSealer sealer) {
  NKD_ASSIGN_OR_RETURN(auto db, sqlite::open_database_read_only(path));
  auto version = query_single_text(db.get(), "PRAGMA user_version");
  if (!version) return in_file(version.error(), path);
  if (std::stoi(*version) > kSqliteSchemaVersion) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: " + path + " has schema version " + *version +
                     ", newer than this nkd "
                     "understands (" +
                     std::to_string(kSqliteSchemaVersion) + "); use the nkd that wrote it"};
  }
  return std::make_unique<SqliteStateStore>(
      ConstructionKey(),
      std::make_unique<SqliteConnection>(path, std::move(db), clock, std::move(sealer)));
}

Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path,
                                                            const Clock& clock,
                                                            SecretSealer sealer) {
  NKD_ASSIGN_OR_RETURN(auto store, SqliteStateStore::open(path, clock, std::move(sealer)));
  return std::unique_ptr<StateStore>(std::move(store));
}

Status SqliteStateStore::ping() {
  const auto lock = connection_->lock();
  NKD_ASSIGN_OR_RETURN(auto result,
                       query_single_text(connection_->db(), "SELECT count(*) FROM sqlite_schema"));
  return ok_status();
}

Result<std::string> SqliteStateStore::integrity_check() {
  const auto lock = connection_->lock();
  return query_single_text(connection_->db(), "PRAGMA integrity_check");
}

Result<std::string> SqliteStateStore::pragma_value(std::string_view name) {
  // A fixed list, because the name is spliced into SQL and some PRAGMAs change the database.
  static constexpr std::array<std::string_view, 6> kReadable = {"journal_mode", "synchronous",
                                                                "foreign_keys", "busy_timeout",
                                                                "user_version", "secure_delete"};
  bool known = false;
  for (std::string_view readable : kReadable) known = known || readable == name;
  if (!known) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: PRAGMA '" + std::string(name) +
                     "' is not one of the readable settings (journal_mode, synchronous, "
                     "foreign_keys, busy_timeout, user_version, secure_delete)"};
  }
  const auto lock = connection_->lock();
  return query_single_text(connection_->db(), "PRAGMA " + std::string(name));
}

}  // namespace nkd::state
