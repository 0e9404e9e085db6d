// Loads a cluster's PKI from the state store, brings it up to date with the cluster's
// definition (pki::ensure_pki), and saves it back only when it changed. Shared by the daemon,
// `nkd render --state` and `nkd rotate-node-tokens`, so all of them use the same keys. Every
// write is a compare-and-swap against the record that was read (PkiStore::replace_pki): the
// daemon and a command may change the same PKI at once, and neither may undo the other's change.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "model/cluster.h"
#include "render/pki/cluster_pki.h"
#include "state/pki_store.h"

namespace nkd::state {

// The PKI stored for `cluster`, parsed; nullopt when none is stored. A stored PKI that does not
// parse is an error (the state file is damaged), never silently replaced.
[[nodiscard]] Result<std::optional<pki::ClusterPki>> load_stored_pki(state::PkiStore& store,
                                                                     const std::string& cluster);

// What a change makes of the stored PKI (nullopt: none is stored yet).
using PkiChange =
    std::function<Result<pki::ClusterPki>(const std::optional<pki::ClusterPki>& stored)>;

// Reads the PKI of `cluster`, applies `change` and stores the result unless it equals what was
// read. When another writer changed the record in between, `change` runs again on the new one
// (a few times, then kConflict). Returns the PKI as stored afterwards.
[[nodiscard]] Result<pki::ClusterPki> update_stored_pki(state::PkiStore& store,
                                                        const std::string& cluster,
                                                        const PkiChange& change);

[[nodiscard]] Result<pki::ClusterPki> load_or_create_pki(state::PkiStore& store,
                                                         const model::Cluster& cluster,
                                                         std::int64_t now_unix);

// Moves the cluster's node fetch tokens to the next epoch (pki::with_rotated_node_tokens);
// kNotFound when no PKI is stored for it.
[[nodiscard]] Result<pki::ClusterPki> rotate_stored_node_tokens(state::PkiStore& store,
                                                                const std::string& cluster,
                                                                std::int64_t now_unix,
                                                                std::int64_t grace_seconds);

}  // namespace nkd::state
