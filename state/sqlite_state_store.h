// SqliteStateStore: the embedded StateStore (DESIGN.md §8), one SQLite file in WAL mode with
// synchronous=FULL, so a committed call survives a crash or power loss.
//
// Contract beyond StateStore's:
// - The file and its -wal/-shm companions are created mode 0600 (the PKI holds private keys); an
//   existing file is chmod-ed to 0600 on open. Missing parent directories are created (0700).
// - The schema is versioned (sqlite_schema.h): an older file is upgraded on open, a newer one is
//   refused with an error naming both versions.
// - Thread-safe: one connection (sqlite_connection.h) behind one mutex, shared by the parts
//   below; every public method is one BEGIN IMMEDIATE
//   transaction, rolled back on any error. Other processes may open the same file; they wait up
//   to 5 s for the write lock, then fail with ErrorCode::kUnavailable.
// - begin_attempt supersedes open rows at `row.started_at_ms` (the wall clock when that is 0).
// - finish_attempt fails with kNotFound for an unknown id, kConflict for an attempt that is no
//   longer pending (superseded or finished), and kInvalidArgument for outcome kPending or a
//   ClusterRecord/NodeRecord whose cluster differs from the attempt's; nothing is written then.
// - history(cluster, limit): limit <= 0 means every row.
// - pending_intents(""): the pending intents of every cluster, oldest first.
// - delete_cluster removes the record and its nodes; PKI and history stay, so a cluster that
//   returns keeps its CA and its past.
// - complete_intent on an already completed intent succeeds; on an unknown id it is kNotFound.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "state/sqlite_cluster_records.h"
#include "state/sqlite_connection.h"
#include "state/sqlite_intent_log.h"
#include "state/sqlite_node_store.h"
#include "state/sqlite_pki_store.h"
#include "state/sqlite_published_config_store.h"
#include "state/sqlite_sealed_values.h"
#include "state/state_store.h"

namespace nkd::state {

// One part a concern, each in its own file, all on one connection. The interfaces are virtual
// bases, so each part's methods are the store's.
class SqliteStateStore final : public StateStore,
                               public SqlitePkiStore,
                               public SqliteClusterRecords,
                               public SqliteNodeStore,
                               public SqlitePublishedConfigStore,
                               public SqliteIntentLog,
                               public SqliteSealedValues {
 public:
  // Opens (creating if needed) and migrates the state file at `path`. `clock` must outlive the
  // store (sqlite_connection.h says what it stamps). `sealer` seals the PKIs and published
  // configs (secret_sealer.h); with a key, SQLite's secure_delete is on, so freed pages are
  // zeroed rather than left holding what was replaced.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStateStore>> open(
      const std::string& path, const Clock& clock = real_clock(), SecretSealer sealer = {});
  // For tools that only read (nkd plan --state, nkd kubeconfig): never creates, chmods, migrates
  // or writes the file; a schema newer than this nkd knows is refused. Writes then fail.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStateStore>> open_read_only(
      const std::string& path, const Clock& clock = real_clock(), SecretSealer sealer = {});

  [[nodiscard]] Status ping() override;

  // `PRAGMA integrity_check`: "ok" for a healthy file, otherwise SQLite's list of problems.
  [[nodiscard]] Result<std::string> integrity_check();

  // The value of a read-only PRAGMA on this store's own connection ("journal_mode",
  // "synchronous", "foreign_keys", "busy_timeout", "user_version", "secure_delete"); for tests
  // and `nkd status`. Any other name is kInvalidArgument.
  [[nodiscard]] Result<std::string> pragma_value(std::string_view name);

  [[nodiscard]] const std::string& path() const { return connection_->path(); }

  // Only open() can make a key, so only open() constructs; public for std::make_unique.
  class ConstructionKey {
    friend class SqliteStateStore;
    ConstructionKey() = default;
  };
  // The parts are given the connection before `connection_` takes it over; it does not move.
  SqliteStateStore(ConstructionKey, std::unique_ptr<SqliteConnection> connection)
      : SqlitePkiStore(*connection),
        SqliteClusterRecords(*connection),
        SqliteNodeStore(*connection),
        SqlitePublishedConfigStore(*connection),
        SqliteIntentLog(*connection),
        SqliteSealedValues(*connection),
        connection_(std::move(connection)) {}

 private:
  std::unique_ptr<SqliteConnection> connection_;
};

// The factory the daemon and the CLI use.
[[nodiscard]] Result<std::unique_ptr<StateStore>> open_sqlite_state_store(
    const std::string& path, const Clock& clock = real_clock(), SecretSealer sealer = {});

}  // namespace nkd::state
