#include "state/cluster_pki_store.h"

namespace nkd::state {
namespace {

// A few rounds are plenty: writers of one PKI are the daemon's reconcile of that cluster (one
// at a time) and an operator's command.
constexpr int kUpdateAttempts = 5;

Result<std::optional<pki::ClusterPki>> parse_stored(const std::optional<std::string>& saved,
                                                    const std::string& cluster) {
  if (!saved) return std::optional<pki::ClusterPki>();
  const auto json = nlohmann::json::parse(*saved, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Error{ErrorCode::kParse,
                 "the stored PKI of " + cluster +
                     " is not valid JSON; restore the state database from a backup"};
  }
  NKD_ASSIGN_OR_RETURN_WRAP(auto parsed, pki::pki_from_json(json),
                            "reading the stored PKI of " + cluster);
  return std::optional<pki::ClusterPki>(std::move(parsed));
}

}  // namespace

Result<std::optional<pki::ClusterPki>> load_stored_pki(state::PkiStore& store,
                                                       const std::string& cluster) {
  NKD_ASSIGN_OR_RETURN_WRAP(auto saved, store.load_pki(cluster), "loading the PKI of " + cluster);
  return parse_stored(saved, cluster);
}

Result<pki::ClusterPki> update_stored_pki(state::PkiStore& store, const std::string& cluster,
                                          const PkiChange& change) {
  for (int attempt = 0; attempt < kUpdateAttempts; ++attempt) {
    NKD_ASSIGN_OR_RETURN_WRAP(auto saved, store.load_pki(cluster), "loading the PKI of " + cluster);
    NKD_ASSIGN_OR_RETURN(auto stored, parse_stored(saved, cluster));
    NKD_ASSIGN_OR_RETURN(auto changed, change(stored));
    if (stored.has_value() && *stored == changed) return changed;
    NKD_ASSIGN_OR_RETURN_WRAP(auto replaced,
                              store.replace_pki(cluster, saved, pki::to_json(changed).dump()),
                              "saving the PKI of " + cluster);
    if (replaced) return changed;
  }
  return Error{ErrorCode::kConflict, "the PKI of " + cluster +
                                         " kept changing while it was being saved (" +
                                         std::to_string(kUpdateAttempts) + " attempts); try again"};
}

Result<pki::ClusterPki> load_or_create_pki(state::PkiStore& store, const model::Cluster& cluster,
                                           std::int64_t now_unix) {
  return update_stored_pki(
      store, cluster.name,
      [&](const std::optional<pki::ClusterPki>& stored) -> Result<pki::ClusterPki> {
        NKD_ASSIGN_OR_RETURN_WRAP(auto current, pki::ensure_pki(cluster, stored, now_unix),
                                  "creating the PKI of " + cluster.name);
        return current;
      });
}

Result<pki::ClusterPki> rotate_stored_node_tokens(state::PkiStore& store,
                                                  const std::string& cluster, std::int64_t now_unix,
                                                  std::int64_t grace_seconds) {
  return update_stored_pki(
      store, cluster, [&](const std::optional<pki::ClusterPki>& stored) -> Result<pki::ClusterPki> {
        if (!stored) {
          return Error{ErrorCode::kNotFound, "no PKI is stored for cluster " + cluster +
                                                 ": it was never rendered or deployed with "
                                                 "this state, so it has no node tokens yet"};
        }
        return pki::with_rotated_node_tokens(*stored, now_unix, grace_seconds);
      });
}

}  // namespace nkd::state
