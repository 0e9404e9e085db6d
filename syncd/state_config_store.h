// The bare-metal provider's ConfigStore on top of the daemon's state store: configs served to
// nodes live in the state file, not in memory, and survive restarts.
#pragma once

#include "providers/baremetal/config_store.h"
#include "state/published_config_store.h"

namespace nkd::syncd {

class StateConfigStore final : public providers::ConfigStore {
 public:
  explicit StateConfigStore(state::PublishedConfigStore& store) : store_(store) {}

  Status save(const std::string& cluster, const std::vector<providers::ServedConfig>& changed,
              const std::vector<std::string>& nodes) override;
  Result<std::optional<providers::ServedConfig>> load(const std::string& cluster,
                                                      const std::string& node) override;
  Status remove(const std::string& cluster) override;

 private:
  state::PublishedConfigStore& store_;
};

}  // namespace nkd::syncd
