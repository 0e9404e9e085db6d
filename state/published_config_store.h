// PublishedConfigStore: the Ignition configs bare-metal nodes fetch, kept in the state store
// rather than in memory so the daemon's memory does not grow with the number of nodes. Only the
// bare-metal provider's store adapter (syncd/state_config_store.h) is given it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace nkd::state {

struct PublishedConfig {
  std::string node;
  std::string digest;
  std::string content;
};

class PublishedConfigStore {
 public:
  virtual ~PublishedConfigStore() = default;

  // Stores `changed` (node -> config) and forgets the cluster's nodes not in `nodes`, in one
  // transaction; a config whose digest is unchanged is not rewritten.
  [[nodiscard]] virtual Status save_published_configs(const std::string& cluster,
                                                      const std::vector<PublishedConfig>& changed,
                                                      const std::vector<std::string>& nodes) = 0;
  [[nodiscard]] virtual Result<std::optional<PublishedConfig>> load_published_config(
      const std::string& cluster, const std::string& node) = 0;
  [[nodiscard]] virtual Status delete_published_configs(const std::string& cluster) = 0;
};

}  // namespace nkd::state
