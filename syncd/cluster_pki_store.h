// Loads a cluster's PKI from the state store, brings it up to date with the cluster's
// definition (pki::ensure_pki), and saves it back only when it changed. Shared by the daemon and
// `nkd render --state`, so both render with the same keys.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "render/model/cluster.h"
#include "render/pki/cluster_pki.h"
#include "syncd/state/state_store.h"

namespace nkd::syncd {

// The PKI stored for `cluster`, parsed; nullopt when none is stored. A stored PKI that does not
// parse is an error (the state file is damaged), never silently replaced.
[[nodiscard]] Result<std::optional<pki::ClusterPki>> load_stored_pki(state::StateStore& store,
                                                                     const std::string& cluster);

[[nodiscard]] Result<pki::ClusterPki> load_or_create_pki(state::StateStore& store,
                                                         const model::Cluster& cluster,
                                                         std::int64_t now_unix);

}  // namespace nkd::syncd
