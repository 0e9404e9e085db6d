// SqliteStateStore: the embedded StateStore (DESIGN.md §8), one SQLite file in WAL mode with
// synchronous=FULL, so a committed call survives a crash or power loss.
//
// Contract beyond StateStore's:
// - The file and its -wal/-shm companions are created mode 0600 (the PKI holds private keys); an
//   existing file is chmod-ed to 0600 on open. Missing parent directories are created (0700).
// - The schema is versioned (sqlite_schema.h): an older file is upgraded on open, a newer one is
//   refused with an error naming both versions.
// - Thread-safe: one connection behind one mutex; every public method is one BEGIN IMMEDIATE
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
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "state/sqlite_handles.h"
#include "state/state_store.h"

namespace nkd::state {

class SqliteStateStore final : public StateStore {
 public:
  // Opens (creating if needed) and migrates the state file at `path`. `clock` stamps the few
  // times callers do not pass in (an attempt without a start time, PKI saves, intent
  // completion); it must outlive the store.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStateStore>> open(
      const std::string& path, const Clock& clock = real_clock());
  // For tools that only read (nkd plan --state, nkd kubeconfig): never creates, chmods, migrates
  // or writes the file; a schema newer than this nkd knows is refused. Writes then fail.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStateStore>> open_read_only(
      const std::string& path, const Clock& clock = real_clock());

  [[nodiscard]] Status ping() override;

  [[nodiscard]] Result<std::optional<std::string>> load_pki(const std::string& cluster) override;
  [[nodiscard]] Status save_pki(const std::string& cluster, const std::string& json) override;
  [[nodiscard]] Result<bool> replace_pki(const std::string& cluster,
                                         const std::optional<std::string>& expected,
                                         const std::string& json) override;

  [[nodiscard]] Result<std::vector<ClusterRecord>> list_clusters() override;
  [[nodiscard]] Result<std::optional<ClusterRecord>> get_cluster(const std::string& name) override;
  [[nodiscard]] Status note_revision(const std::vector<RevisionNote>& notes, const std::string& revision,
                                     std::int64_t now_ms) override;
  [[nodiscard]] Status note_rejection(const std::string& cluster, const std::string& revision,
                                      const std::string& message, std::int64_t now_ms) override;
  [[nodiscard]] Status save_status(const ClusterRecord& record) override;
  [[nodiscard]] Status save_published_configs(const std::string& cluster,
                                              const std::vector<PublishedConfig>& changed,
                                              const std::vector<std::string>& nodes) override;
  [[nodiscard]] Result<std::optional<PublishedConfig>> load_published_config(
      const std::string& cluster, const std::string& node) override;
  [[nodiscard]] Status delete_published_configs(const std::string& cluster) override;
  [[nodiscard]] Status delete_cluster(const std::string& name) override;

  [[nodiscard]] Result<HistoryRow> begin_attempt(const HistoryRow& row) override;
  [[nodiscard]] Status finish_attempt(std::int64_t id, Outcome outcome, const std::string& message,
                                      std::int64_t finished_at_ms, const ClusterRecord& cluster,
                                      const std::vector<NodeRecord>& nodes) override;
  [[nodiscard]] Result<std::vector<HistoryRow>> history(const std::string& cluster,
                                                        int limit) override;

  [[nodiscard]] Result<bool> set_suspension(const std::string& cluster,
                                            const std::optional<Suspension>& suspension,
                                            const HistoryRow& row) override;
  [[nodiscard]] Result<std::vector<Suspension>> suspensions() override;

  [[nodiscard]] Result<std::vector<NodeRecord>> nodes(const std::string& cluster) override;
  [[nodiscard]] Status put_node(const NodeRecord& node) override;
  [[nodiscard]] Status note_fetch(const NodeRecord& node) override;

  [[nodiscard]] Result<std::int64_t> add_intent(const Intent& intent) override;
  [[nodiscard]] Status complete_intent(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<Intent>> pending_intents(const std::string& cluster) override;

  // `PRAGMA integrity_check`: "ok" for a healthy file, otherwise SQLite's list of problems.
  [[nodiscard]] Result<std::string> integrity_check();

  // The value of a read-only PRAGMA on this store's own connection ("journal_mode",
  // "synchronous", "foreign_keys", "busy_timeout", "user_version"); for tests and `nkd status`.
  // Any other name is kInvalidArgument.
  [[nodiscard]] Result<std::string> pragma_value(std::string_view name);

  [[nodiscard]] const std::string& path() const { return path_; }

  // Only open() can make a key, so only open() constructs; public for std::make_unique.
  class ConstructionKey {
    friend class SqliteStateStore;
    ConstructionKey() = default;
  };
  SqliteStateStore(ConstructionKey, std::string path, sqlite::DatabasePtr db, const Clock& clock)
      : path_(std::move(path)), db_(std::move(db)), clock_(clock) {}

 private:
  std::string path_;
  std::mutex mutex_;  // guards db_: one call, one transaction, at a time
  sqlite::DatabasePtr db_;
  const Clock& clock_;
};

// The factory the daemon and the CLI use.
[[nodiscard]] Result<std::unique_ptr<StateStore>> open_sqlite_state_store(
    const std::string& path, const Clock& clock = real_clock());

}  // namespace nkd::state
