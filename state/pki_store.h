// PkiStore: each cluster's PKI (CA, service-account key, bootstrap and node tokens) as the JSON
// text of pki::to_json. It holds private keys: only the render's PKI step (cluster_pki_store.h),
// the Ignition endpoint's token check and `nkd rotate-node-tokens` are given it.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"

namespace nkd::state {

class PkiStore {
 public:
  virtual ~PkiStore() = default;

  [[nodiscard]] virtual Result<std::optional<std::string>> load_pki(const std::string& cluster) = 0;
  [[nodiscard]] virtual Status save_pki(const std::string& cluster, const std::string& json) = 0;
  // Stores `json` only if the stored PKI is still `expected` (nullopt: none is stored); false,
  // with nothing written, when another writer changed it since it was read. The daemon and
  // `nkd rotate-node-tokens` both write PKIs: a blind write of one would undo the other's.
  [[nodiscard]] virtual Result<bool> replace_pki(const std::string& cluster,
                                                 const std::optional<std::string>& expected,
                                                 const std::string& json) = 0;
};

}  // namespace nkd::state
