#include "syncd/cluster_pki_store.h"

namespace nkd::syncd {

Result<pki::ClusterPki> load_or_create_pki(state::StateStore& store, const model::Cluster& cluster,
                                           std::int64_t now_unix) {
  auto saved = store.load_pki(cluster.name);
  if (!saved) return saved.error().wrap("loading the PKI of " + cluster.name);
  std::optional<pki::ClusterPki> existing;
  std::string saved_text;
  if (saved->has_value()) {
    saved_text = **saved;
    const auto json = nlohmann::json::parse(saved_text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return Error{ErrorCode::kParse, "the stored PKI of " + cluster.name +
                                          " is not valid JSON; restore the state database from a backup"};
    }
    auto parsed = pki::pki_from_json(json);
    if (!parsed) return parsed.error().wrap("reading the stored PKI of " + cluster.name);
    existing = std::move(parsed).value();
  }
  auto current = pki::ensure_pki(cluster, existing, now_unix);
  if (!current) return current.error().wrap("creating the PKI of " + cluster.name);
  const std::string current_text = pki::to_json(*current).dump();
  if (current_text != saved_text) {
    if (auto status = store.save_pki(cluster.name, current_text); !status) {
      return status.error().wrap("saving the PKI of " + cluster.name);
    }
  }
  return current;
}

}  // namespace nkd::syncd
