// Loads a cluster's PKI from the state store, brings it up to date with the cluster's
// definition (pki::ensure_pki), and saves it back only when it changed. Shared by the daemon and
// `nkd render --state`, so both render with the same keys.
#pragma once

#include "common/result.h"
#include "render/model/cluster.h"
#include "render/pki/cluster_pki.h"
#include "syncd/state/state_store.h"

namespace nkd::syncd {

[[nodiscard]] Result<pki::ClusterPki> load_or_create_pki(state::StateStore& store,
                                                         const model::Cluster& cluster,
                                                         std::int64_t now_unix);

}  // namespace nkd::syncd
