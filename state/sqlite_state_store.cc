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
  auto statement = sqlite::Statement::prepare(db, sql);
  if (!statement) return statement.error();
  std::string text;
  while (true) {
    auto row = statement->step();
    if (!row) return row.error();
    if (!*row) break;
    if (!text.empty()) text += "\n";
    text += statement->text(0);
  }
  return text;
}

// WAL lets readers (the HTTP API) run beside the writer; FULL syncs the WAL on every commit so an
// acknowledged write survives power loss, not just a process crash.
Status configure_connection(sqlite3* db, const std::string& path) {
  if (const int rc = sqlite3_busy_timeout(db, kBusyTimeoutMs); rc != SQLITE_OK) {
    return sqlite::make_error(db, rc, "setting the busy timeout on " + path);
  }
  auto mode = query_single_text(db, "PRAGMA journal_mode=WAL");
  if (!mode) return mode.error();
  if (*mode != "wal") {
    return Error{ErrorCode::kIo, "state store: " + path + " stayed in journal mode '" + *mode +
                                     "' instead of WAL; put the state file on a local filesystem "
                                     "that supports shared memory (not NFS)"};
  }
  return sqlite::exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                      "configuring synchronous=FULL and foreign keys on " + path);
}

}  // namespace

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open(const std::string& path,
                                                                  const Clock& clock) {
  if (path.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: no SQLite file given; set state.sqlite in the configuration"};
  }
  // The file holds private keys: 0600 from its first byte (made here, not by SQLite), its folders
  // 0700; companions from an older run are narrowed too.
  if (auto made = create_private_directories(fs::path(path).parent_path()); !made) {
    return made.error().wrap("state store");
  }
  if (auto made = prepare_private_file(path); !made) return made.error().wrap("state store");
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string companion = path + suffix;
    if (::chmod(companion.c_str(), kPrivateFileMode) != 0 && errno != ENOENT) {
      return errno_error("setting mode 0600 on " + companion, errno);
    }
  }
  auto db = sqlite::open_database(path, /*create=*/false);
  if (!db) return db.error();
  if (auto configured = configure_connection(db->get(), path); !configured) {
    return in_file(configured.error(), path);
  }
  if (auto migrated = migrate_sqlite_schema(db->get(), path); !migrated) return migrated.error();
  return std::make_unique<SqliteStateStore>(ConstructionKey(), path, std::move(*db), clock);
}

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open_read_only(const std::string& path,
                                                                           const Clock& clock) {
  auto db = sqlite::open_database_read_only(path);
  if (!db) return db.error();
  auto version = query_single_text(db->get(), "PRAGMA user_version");
  if (!version) return in_file(version.error(), path);
  if (std::stoi(*version) > kSqliteSchemaVersion) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: " + path + " has schema version " + *version + ", newer than this nkd "
                 "understands (" + std::to_string(kSqliteSchemaVersion) + "); use the nkd that wrote it"};
  }
  return std::make_unique<SqliteStateStore>(ConstructionKey(), path, std::move(*db), clock);
}

Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path,
                                                            const Clock& clock) {
  auto store = SqliteStateStore::open(path, clock);
  if (!store) return store.error();
  return std::unique_ptr<StateStore>(std::move(*store));
}

Status SqliteStateStore::ping() {
  std::lock_guard lock(mutex_);
  auto result = query_single_text(db_.get(), "SELECT count(*) FROM sqlite_schema");
  if (!result) return result.error();
  return ok_status();
}

Result<std::string> SqliteStateStore::integrity_check() {
  std::lock_guard lock(mutex_);
  return query_single_text(db_.get(), "PRAGMA integrity_check");
}

Result<std::string> SqliteStateStore::pragma_value(std::string_view name) {
  // A fixed list, because the name is spliced into SQL and some PRAGMAs change the database.
  static constexpr std::array<std::string_view, 5> kReadable = {
      "journal_mode", "synchronous", "foreign_keys", "busy_timeout", "user_version"};
  bool known = false;
  for (std::string_view readable : kReadable) known = known || readable == name;
  if (!known) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: PRAGMA '" + std::string(name) +
                     "' is not one of the readable settings (journal_mode, synchronous, "
                     "foreign_keys, busy_timeout, user_version)"};
  }
  std::lock_guard lock(mutex_);
  return query_single_text(db_.get(), "PRAGMA " + std::string(name));
}

Result<std::optional<std::string>> SqliteStateStore::load_pki(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto statement = sqlite::Statement::prepare(db_.get(), "SELECT json FROM pki WHERE cluster = ?1");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  auto row = statement->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(statement->text(0));
}

Status SqliteStateStore::save_pki(const std::string& cluster, const std::string& json) {
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::begin(db_.get(), "saving the PKI of " + cluster);
  if (!transaction) return transaction.error();
  auto statement = sqlite::Statement::prepare(
      db_.get(), "INSERT OR REPLACE INTO pki (cluster, json, updated_at_ms) VALUES (?1, ?2, ?3)");
  if (!statement) return statement.error();
  statement->bind(1, cluster).bind(2, json).bind(3, clock_.now_unix_ms());
  if (auto saved = statement->run(); !saved) return saved.error();
  return transaction->commit();
}

Result<bool> SqliteStateStore::replace_pki(const std::string& cluster,
                                           const std::optional<std::string>& expected,
                                           const std::string& json) {
  std::lock_guard lock(mutex_);
  // BEGIN IMMEDIATE takes the write lock first: no other process can write between the
  // comparison and the write.
  auto transaction = sqlite::Transaction::begin(db_.get(), "replacing the PKI of " + cluster);
  if (!transaction) return transaction.error();
  auto current = sqlite::Statement::prepare(db_.get(), "SELECT json FROM pki WHERE cluster = ?1");
  if (!current) return current.error();
  current->bind(1, cluster);
  auto row = current->step();
  if (!row) return row.error();
  const std::optional<std::string> stored =
      *row ? std::optional<std::string>(current->text(0)) : std::nullopt;
  if (stored != expected) return false;
  auto statement = sqlite::Statement::prepare(
      db_.get(), "INSERT OR REPLACE INTO pki (cluster, json, updated_at_ms) VALUES (?1, ?2, ?3)");
  if (!statement) return statement.error();
  statement->bind(1, cluster).bind(2, json).bind(3, clock_.now_unix_ms());
  if (auto saved = statement->run(); !saved) return saved.error();
  if (auto committed = transaction->commit(); !committed) return committed.error();
  return true;
}

Result<std::vector<ClusterRecord>> SqliteStateStore::list_clusters() {
  std::lock_guard lock(mutex_);
  auto statement =
      sqlite::Statement::prepare(db_.get(), std::string("SELECT ") + records::kClusterColumns +
                                                " FROM clusters ORDER BY name");
  if (!statement) return statement.error();
  std::vector<ClusterRecord> clusters;
  while (true) {
    auto row = statement->step();
    if (!row) return row.error();
    if (!*row) return clusters;
    auto cluster = records::read_cluster(*statement);
    if (!cluster) return cluster.error();
    clusters.push_back(std::move(*cluster));
  }
}

Result<std::optional<ClusterRecord>> SqliteStateStore::get_cluster(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto statement =
      sqlite::Statement::prepare(db_.get(), std::string("SELECT ") + records::kClusterColumns +
                                                " FROM clusters WHERE name = ?1");
  if (!statement) return statement.error();
  statement->bind(1, name);
  auto row = statement->step();
  if (!row) return row.error();
  if (!*row) return std::optional<ClusterRecord>();
  auto cluster = records::read_cluster(*statement);
  if (!cluster) return cluster.error();
  return std::optional<ClusterRecord>(std::move(*cluster));
}

Status SqliteStateStore::save_status(const ClusterRecord& record) {
  if (record.name.empty()) {
    return Error{ErrorCode::kInvalidArgument, "state store: save_status needs a cluster name"};
  }
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::begin(db_.get(), "storing cluster " + record.name);
  if (!transaction) return transaction.error();
  if (auto stored = records::save_cluster_status(db_.get(), record); !stored) return stored.error();
  return transaction->commit();
}

Status SqliteStateStore::note_rejection(const std::string& cluster, const std::string& revision,
                                        const std::string& message, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::begin(db_.get(), "noting rejected commit for " + cluster);
  if (!transaction) return transaction.error();
  auto statement = sqlite::Statement::prepare(
      db_.get(),
      "INSERT INTO clusters (name, phase, observed_revision, rejection, updated_at_ms) "
      "VALUES (?1, 'Failed', ?2, ?3, ?4) "
      "ON CONFLICT (name) DO UPDATE SET observed_revision = excluded.observed_revision, "
      "rejection = excluded.rejection, updated_at_ms = excluded.updated_at_ms");
  if (!statement) return statement.error();
  statement->bind(1, cluster).bind(2, revision).bind(3, message).bind(4, now_ms);
  if (auto stored = statement->run(); !stored) return stored.error();
  return transaction->commit();
}

Status SqliteStateStore::note_revision(const std::vector<RevisionNote>& notes, const std::string& revision,
                                       std::int64_t now_ms) {
  if (notes.empty()) return ok_status();
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::begin(
      db_.get(), "noting commit " + revision.substr(0, 12) + " on " + std::to_string(notes.size()) + " clusters");
  if (!transaction) return transaction.error();
  // One statement for every note: a commit notes all the clusters it did not change (999 of
  // 1,000 for a one-cluster commit), and parsing the SQL again for each took most of the time.
  auto statement = sqlite::Statement::prepare(
      db_.get(),
      "INSERT INTO clusters (name, observed_revision, updated_at_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name) DO UPDATE SET observed_revision = excluded.observed_revision, "
      "rejection = '', updated_at_ms = excluded.updated_at_ms, "
      "applied_revision = CASE WHEN ?4 != 2 AND last_error = '' "
      "AND phase IN ('WaitingForCluster', 'Ready') AND render_digest != '' "
      "AND (?4 = 0 OR render_digest = ?5) THEN excluded.observed_revision ELSE applied_revision "
      "END "
      "WHERE observed_revision != excluded.observed_revision OR rejection != ''");
  if (!statement) return statement.error();
  for (const auto& note : notes) {
    statement->reset()
        .bind(1, note.cluster)
        .bind(2, revision)
        .bind(3, now_ms)
        // 0: applied moves whatever the digest, 1: only from this digest, 2: never (changed).
        .bind(4, std::int64_t{!note.unchanged ? 2 : note.expected_digest.has_value() ? 1 : 0})
        .bind(5, note.expected_digest.value_or(""));
    if (auto stored = statement->run(); !stored) return stored.error();
  }
  return transaction->commit();
}

Status SqliteStateStore::delete_cluster(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::begin(db_.get(), "deleting cluster " + name);
  if (!transaction) return transaction.error();
  if (auto removed = records::delete_nodes(db_.get(), name); !removed) return removed.error();
  auto statement = sqlite::Statement::prepare(db_.get(), "DELETE FROM clusters WHERE name = ?1");
  if (!statement) return statement.error();
  statement->bind(1, name);
  if (auto removed = statement->run(); !removed) return removed.error();
  return transaction->commit();
}

Result<std::vector<NodeRecord>> SqliteStateStore::nodes(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto statement =
      sqlite::Statement::prepare(db_.get(), std::string("SELECT ") + records::kNodeColumns +
                                                " FROM nodes WHERE cluster = ?1 ORDER BY name");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  std::vector<NodeRecord> nodes;
  while (true) {
    auto row = statement->step();
    if (!row) return row.error();
    if (!*row) return nodes;
    auto node = records::read_node(*statement);
    if (!node) return node.error();
    nodes.push_back(std::move(*node));
  }
}

Status SqliteStateStore::put_node(const NodeRecord& node) {
  if (node.cluster.empty() || node.name.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: put_node needs both a cluster and a node name"};
  }
  std::lock_guard lock(mutex_);
  auto transaction =
      sqlite::Transaction::begin(db_.get(), "storing node " + node.cluster + "/" + node.name);
  if (!transaction) return transaction.error();
  if (auto stored = records::upsert_node(db_.get(), node); !stored) return stored.error();
  return transaction->commit();
}

Status SqliteStateStore::note_fetch(const NodeRecord& node) {
  if (node.cluster.empty() || node.name.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "state store: note_fetch needs both a cluster and a node name"};
  }
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::begin(
      db_.get(), "noting the config fetch of node " + node.cluster + "/" + node.name);
  if (!transaction) return transaction.error();
  auto statement = sqlite::Statement::prepare(
      db_.get(), std::string("INSERT INTO nodes (") + records::kNodeColumns +
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                     "ON CONFLICT (cluster, name) DO UPDATE SET "
                     "fetched_digest = excluded.fetched_digest, state = excluded.state, "
                     "updated_at_ms = excluded.updated_at_ms");
  if (!statement) return statement.error();
  if (auto stored = records::bind_node(*statement, node).run(); !stored) return stored.error();
  return transaction->commit();
}

Result<std::int64_t> SqliteStateStore::add_intent(const Intent& intent) {
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::begin(
      db_.get(), "recording intent " + intent.kind + " " + intent.target + " of " + intent.cluster);
  if (!transaction) return transaction.error();
  auto statement = sqlite::Statement::prepare(
      db_.get(),
      "INSERT INTO intents (cluster, kind, target, payload, created_at_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!statement) return statement.error();
  statement->bind(1, intent.cluster)
      .bind(2, intent.kind)
      .bind(3, intent.target)
      .bind(4, intent.payload)
      .bind(5, intent.created_at_ms);
  if (auto added = statement->run(); !added) return added.error();
  const std::int64_t id = sqlite3_last_insert_rowid(db_.get());
  if (auto committed = transaction->commit(); !committed) return committed.error();
  return id;
}

Status SqliteStateStore::complete_intent(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto transaction =
      sqlite::Transaction::begin(db_.get(), "completing intent " + std::to_string(id));
  if (!transaction) return transaction.error();
  auto statement = sqlite::Statement::prepare(
      db_.get(),
      "UPDATE intents SET completed_at_ms = coalesce(completed_at_ms, ?2) WHERE id = ?1");
  if (!statement) return statement.error();
  statement->bind(1, id).bind(2, clock_.now_unix_ms());
  if (auto updated = statement->run(); !updated) return updated.error();
  if (statement->changes() == 0) {
    return Error{ErrorCode::kNotFound, "state store: intent " + std::to_string(id) +
                                           " does not exist; it cannot be completed"};
  }
  return transaction->commit();
}

Result<std::vector<Intent>> SqliteStateStore::pending_intents(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto statement = sqlite::Statement::prepare(
      db_.get(),
      "SELECT id, cluster, kind, target, payload, created_at_ms FROM intents "
      "WHERE completed_at_ms IS NULL AND (?1 = '' OR cluster = ?1) ORDER BY id");
  if (!statement) return statement.error();
  statement->bind(1, cluster);
  std::vector<Intent> intents;
  while (true) {
    auto row = statement->step();
    if (!row) return row.error();
    if (!*row) return intents;
    intents.push_back(Intent{.id = statement->int64(0),
                             .cluster = statement->text(1),
                             .kind = statement->text(2),
                             .target = statement->text(3),
                             .payload = statement->text(4),
                             .created_at_ms = statement->int64(5)});
  }
}

}  // namespace nkd::state
