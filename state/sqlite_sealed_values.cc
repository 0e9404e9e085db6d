#include "state/sqlite_sealed_values.h"

#include <vector>

namespace nkd::state {
namespace {

// Enough of a value to read its header (secret_sealer.h) without loading the whole value.
constexpr std::string_view kHeads =
    "SELECT cluster, '', substr(json, 1, 64) FROM pki "
    "UNION ALL SELECT cluster, node, substr(content, 1, 64) FROM published_configs";

struct StoredPlace {
  std::string cluster;
  std::string node;  // "" for a PKI

  [[nodiscard]] std::string place() const {
    return node.empty() ? pki_place(cluster) : config_place(cluster, node);
  }
};

// Callers hold the connection's lock. Calls `visit(place, head)` for every sealed-or-sealable
// value.
template <typename Visit>
Status for_each_head(sqlite3* db, Visit&& visit) {
  NKD_ASSIGN_OR_RETURN(auto heads, sqlite::Statement::prepare(db, kHeads));
  while (true) {
    NKD_ASSIGN_OR_RETURN(auto row, heads.step());
    if (!row) return ok_status();
    visit(StoredPlace{.cluster = heads.text(0), .node = heads.text(1)}, heads.text(2));
  }
}

Status reseal_one(const SqliteConnection& connection, const StoredPlace& stored) {
  const bool is_pki = stored.node.empty();
  NKD_ASSIGN_OR_RETURN(
      auto read,
      sqlite::Statement::prepare(connection.db(), is_pki ? "SELECT json FROM pki WHERE cluster = ?1"
                                                         : "SELECT content FROM published_configs "
                                                           "WHERE cluster = ?1 AND node = ?2"));
  read.bind(1, stored.cluster);
  if (!is_pki) read.bind(2, stored.node);
  NKD_ASSIGN_OR_RETURN(auto row, read.step());
  if (!row) return ok_status();
  const std::string place = stored.place();
  NKD_ASSIGN_OR_RETURN(const std::string plaintext,
                       connection.sealer().unseal_for_resealing(read.text(0), place));
  NKD_ASSIGN_OR_RETURN(const std::string sealed, connection.sealer().seal(plaintext, place));
  NKD_ASSIGN_OR_RETURN(
      auto write, sqlite::Statement::prepare(connection.db(),
                                             is_pki ? "UPDATE pki SET json = ?3 WHERE cluster = ?1"
                                                    : "UPDATE published_configs SET content = ?3 "
                                                      "WHERE cluster = ?1 AND node = ?2"));
  write.bind(1, stored.cluster).bind(3, sealed);
  if (!is_pki) write.bind(2, stored.node);
  return write.run();
}

// Copies the WAL into the file and empties it. SQLite reports a reader that kept the checkpoint
// from finishing (another process reading the state) as a row, busy = 1, not as an error, after
// waiting for it up to the busy timeout (5 s): one more try, then it is reported, since the old
// copies would stay in the WAL.
Status truncate_wal(sqlite3* db, const std::string& path) {
  constexpr int kAttempts = 2;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    NKD_ASSIGN_OR_RETURN(auto checkpoint,
                         sqlite::Statement::prepare(db, "PRAGMA wal_checkpoint(TRUNCATE)"));
    NKD_ASSIGN_OR_RETURN(const bool row, checkpoint.step());
    if (row && checkpoint.int64(0) == 0) return ok_status();
  }
  return Error{ErrorCode::kUnavailable,
               "the values are sealed again, but another reader of " + path +
                   " kept their old copies in its WAL; run `nkd state rotate-key` again when no "
                   "other nkd command reads the state"};
}

}  // namespace

Result<std::map<std::string, std::int64_t>> SqliteSealedValues::sealed_value_counts() {
  const auto lock = connection_.lock();
  std::map<std::string, std::int64_t> counts;
  NKD_RETURN_IF_ERROR(
      for_each_head(connection_.db(), [&](const StoredPlace&, const std::string& head) {
        ++counts[SecretSealer::key_id_of(head).value_or("")];
      }));
  return counts;
}

Result<std::int64_t> SqliteSealedValues::reseal_all() {
  const SecretSealer& sealer = connection_.sealer();
  if (!sealer.seals()) {
    return Error{ErrorCode::kPermissionDenied,
                 "no state key to seal with: set state.encryption.keyFile in syncd.yaml (or pass "
                 "--state-key-file)"};
  }
  const auto lock = connection_.lock();
  std::vector<StoredPlace> stale;
  {
    NKD_ASSIGN_OR_RETURN(auto transaction,
                         sqlite::Transaction::begin(connection_.db(), "sealing the state again"));
    NKD_RETURN_IF_ERROR(
        for_each_head(connection_.db(), [&](const StoredPlace& stored, const std::string& head) {
          if (sealer.needs_resealing(head)) stale.push_back(stored);
        }));
    for (const StoredPlace& stored : stale) {
      NKD_RETURN_IF_ERROR(reseal_one(connection_, stored));
    }
    NKD_RETURN_IF_ERROR(transaction.commit());
  }
  // The old bytes are still in the WAL and, until vacuumed, in the file's free pages. The WAL is
  // emptied even when nothing was stale: a run that a reader stopped here is finished by the next.
  NKD_RETURN_IF_ERROR(truncate_wal(connection_.db(), connection_.path()));
  if (!stale.empty()) {
    NKD_RETURN_IF_ERROR(sqlite::exec(connection_.db(), "VACUUM",
                                     "removing the old copies from " + connection_.path()));
    NKD_RETURN_IF_ERROR(truncate_wal(connection_.db(), connection_.path()));
  }
  return static_cast<std::int64_t>(stale.size());
}

}  // namespace nkd::state
