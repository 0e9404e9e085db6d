// EtcdConnection: what the parts of an EtcdStateStore share: the client, the clock that stamps
// the few times callers do not pass in, the sealer, and the compare-and-swap loop every
// read-modify-write goes through.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/result.h"
#include "state/etcd_client.h"
#include "state/secret_sealer.h"

namespace nkd::state {

class EtcdConnection {
 public:
  // How often a read-modify-write is tried before another writer's changes win: each lost
  // compare means some other write succeeded, so this bounds the wait, not the progress.
  static constexpr int kMaxAttempts = 16;

  EtcdConnection(std::unique_ptr<EtcdClient> client, const Clock& clock, SecretSealer sealer)
      : client_(std::move(client)), clock_(clock), sealer_(std::move(sealer)) {}
  EtcdConnection(const EtcdConnection&) = delete;
  EtcdConnection& operator=(const EtcdConnection&) = delete;

  [[nodiscard]] EtcdClient& client() const { return *client_; }
  [[nodiscard]] const Clock& clock() const { return clock_; }
  // Seals and opens the values that hold private keys or tokens (secret_sealer.h).
  [[nodiscard]] const SecretSealer& sealer() const { return sealer_; }

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
};

}  // namespace nkd::state
