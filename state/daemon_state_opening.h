// How the daemon (and `nkd state rotate-key`) opens its state: the checks that come before any
// read, so a store that is exposed, or sealed with a key this nkd was not given, stops the start
// with a clear error instead of failing cluster by cluster later.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "state/secret_sealer.h"
#include "state/state_settings.h"
#include "state/state_store.h"

namespace nkd::state {

struct OpenedDaemonState {
  std::unique_ptr<StateStore> store;
  // The store's keys, for what the daemon keeps beside it (the listener's TLS keys).
  SecretSealer sealer;
  std::string key_id;  // the key that seals; "" without one
  // Lines for the daemon's log, once each, at start.
  std::vector<std::string> warnings;
  std::vector<std::string> notices;
};

// Reads the key files; refuses (kPermissionDenied, naming the path and the chmod) a state file,
// its -wal/-shm or its directory that other users may read or write; refuses etcd without a key;
// opens the store (etcd when the settings name it, else SQLite); refuses a store holding values
// sealed with a key not given; seals the values stored before a key was given (and says how
// many). Without a key it warns that private keys are stored unencrypted.
[[nodiscard]] Result<OpenedDaemonState> open_daemon_state(const StateSettings& settings,
                                                          const Clock& clock);

}  // namespace nkd::state
