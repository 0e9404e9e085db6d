#include "syncd/state_config_store.h"

namespace nkd::syncd {

Status StateConfigStore::save(const std::string& cluster,
                              const std::vector<providers::ServedConfig>& changed,
                              const std::vector<std::string>& nodes) {
  std::vector<state::PublishedConfig> configs;
  configs.reserve(changed.size());
  for (const auto& config : changed) {
    configs.push_back({.node = config.node, .digest = config.digest, .content = config.content});
  }
  return store_.save_published_configs(cluster, configs, nodes);
}

Result<std::optional<providers::ServedConfig>> StateConfigStore::load(const std::string& cluster,
                                                                      const std::string& node) {
  NKD_ASSIGN_OR_RETURN(auto loaded, store_.load_published_config(cluster, node));
  if (!loaded.has_value()) return std::optional<providers::ServedConfig>();
  return std::optional<providers::ServedConfig>(providers::ServedConfig{
      .node = node, .digest = loaded->digest, .content = std::move(loaded->content)});
}

Status StateConfigStore::remove(const std::string& cluster) {
  return store_.delete_published_configs(cluster);
}

}  // namespace nkd::syncd
