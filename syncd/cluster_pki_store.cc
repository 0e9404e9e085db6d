#include "syncd/cluster_pki_store.h"

namespace nkd::syncd {

Result<std::optional<pki::ClusterPki>> load_stored_pki(state::StateStore& store,
                                                       const std::string& cluster) {
  auto saved = store.load_pki(cluster);
  if (!saved) return saved.error().wrap("loading the PKI of " + cluster);
  if (!saved->has_value()) return std::optional<pki::ClusterPki>();
  const auto json = nlohmann::json::parse(**saved, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Error{ErrorCode::kParse, "the stored PKI of " + cluster +
                                        " is not valid JSON; restore the state database from a backup"};
  }
  auto parsed = pki::pki_from_json(json);
  if (!parsed) return parsed.error().wrap("reading the stored PKI of " + cluster);
  return std::optional<pki::ClusterPki>(std::move(parsed).value());
}

Result<pki::ClusterPki> load_or_create_pki(state::StateStore& store, const model::Cluster& cluster,
                                           std::int64_t now_unix) {
  auto existing = load_stored_pki(store, cluster.name);
  if (!existing) return existing.error();
  auto current = pki::ensure_pki(cluster, *existing, now_unix);
  if (!current) return current.error().wrap("creating the PKI of " + cluster.name);
  // ensure_pki returns the stored PKI field for field when nothing needed changing.
  if (!existing->has_value() || !(**existing == *current)) {
    if (auto status = store.save_pki(cluster.name, pki::to_json(*current).dump()); !status) {
      return status.error().wrap("saving the PKI of " + cluster.name);
    }
  }
  return current;
}

}  // namespace nkd::syncd
