#include "syncd/stored_fetch_tokens.h"

#include "state/cluster_pki_store.h"

namespace nkd::syncd {

Result<std::vector<Secret>> StoredFetchTokens::accepted(const std::string& cluster,
                                                        const std::string& node) {
  NKD_ASSIGN_OR_RETURN(auto stored, state::load_stored_pki(store_, cluster));
  if (!stored.has_value()) return std::vector<Secret>{};
  return pki::accepted_node_fetch_tokens(*stored, node, clock_.now_unix_ms() / 1000);
}

}  // namespace nkd::syncd
