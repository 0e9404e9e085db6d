// EtcdConnection: what the parts of an EtcdStateStore share: the client, the clock that stamps
// the few times callers do not pass in, the sealer, and the compare-and-swap loop every
// read-modify-write goes through.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/result.h"
#include "state/etcd_client.h"
#include "state/ownership_fences.h"
#include "state/secret_sealer.h"

namespace nkd::state {

class EtcdConnection {
 public:
  // How often a read-modify-write is tried before another writer's changes win: each lost
  // compare means some other write succeeded, so this bounds the wait, not the progress.
  static constexpr int kMaxAttempts = 16;

  EtcdConnection(std::unique_ptr<EtcdClient> client, const Clock& clock, SecretSealer sealer)
      : client_(std::move(client)), clock_(clock), sealer_(std::move(sealer)), fences_(clock) {}
  EtcdConnection(const EtcdConnection&) = delete;
  EtcdConnection& operator=(const EtcdConnection&) = delete;

  [[nodiscard]] EtcdClient& client() const { return *client_; }
  [[nodiscard]] const Clock& clock() const { return clock_; }
  // Seals and opens the values that hold private keys or tokens (secret_sealer.h).
  [[nodiscard]] const SecretSealer& sealer() const { return sealer_; }
  // The ownership this replica holds, when several share the store (ownership_fences.h).
  [[nodiscard]] OwnershipFences& fences() { return fences_; }
  // The replica writing (set when it joins, shard_store.h), stamped on the history rows it
  // opens; "" before.
  void set_replica_id(std::string id) {
    std::lock_guard lock(replica_mutex_);
    replica_id_ = std::move(id);
  }
  [[nodiscard]] std::string replica_id() const {
    std::lock_guard lock(replica_mutex_);
    return replica_id_;
  }

  // Commits a transaction the reconcile of `cluster` makes: with fences enabled, only while this
  // replica holds the cluster, compared in the same transaction. True when written; false when
  // one of the caller's compares failed (read again); kConflict, saying so, when the cluster is
  // not (or no longer) this replica's.
  [[nodiscard]] Result<bool> commit_for(const std::string& cluster, EtcdTxn txn);

  // Runs `attempt` until it returns a value: each attempt reads what it needs and commits one
  // transaction that compares on the mod_revisions it read, and returns nullopt when a compare
  // failed (nothing was written; read again). kConflict after kMaxAttempts lost compares.
  // `attempt` returns Result<std::optional<T>>; Status-like calls use T = Ok.
  template <typename T, typename Attempt>
  Result<T> until_committed(const std::string& what, Attempt attempt) {
    for (int tried = 0; tried < kMaxAttempts; ++tried) {
      if (tried > 0) back_off(tried);
      auto outcome = attempt();
      if (!outcome) return outcome.error();
      if (outcome->has_value()) return std::move(**outcome);
    }
    return Error{ErrorCode::kConflict, "state store (etcd): " + what + " lost to other writers " +
                                           std::to_string(kMaxAttempts) +
                                           " times in a row; try again"};
  }

 private:
  // A short, jittered pause after a lost compare, so writers that collided do not collide again
  // in lockstep (up to 2^tried ms, at most 64 ms).
  static void back_off(int tried);

  std::unique_ptr<EtcdClient> client_;
  const Clock& clock_;
  const SecretSealer sealer_;
  OwnershipFences fences_;
  mutable std::mutex replica_mutex_;
  std::string replica_id_;
};

}  // namespace nkd::state
