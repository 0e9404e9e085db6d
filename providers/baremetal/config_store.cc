#include "providers/baremetal/config_store.h"

#include <set>

namespace nkd::providers {

Status InMemoryConfigStore::save(const std::string& cluster, const std::vector<ServedConfig>& changed,
                                 const std::vector<std::string>& nodes) {
  std::lock_guard lock(mutex_);
  auto& configs = clusters_[cluster];
  for (const auto& config : changed) configs[config.node] = config;
  const std::set<std::string> keep(nodes.begin(), nodes.end());
  std::erase_if(configs, [&](const auto& entry) { return !keep.contains(entry.first); });
  return ok_status();
}

Result<std::optional<ServedConfig>> InMemoryConfigStore::load(const std::string& cluster,
                                                              const std::string& node) {
  std::lock_guard lock(mutex_);
  const auto found_cluster = clusters_.find(cluster);
  if (found_cluster == clusters_.end()) return std::optional<ServedConfig>();
  const auto found = found_cluster->second.find(node);
  if (found == found_cluster->second.end()) return std::optional<ServedConfig>();
  return std::optional<ServedConfig>(found->second);
}

Status InMemoryConfigStore::remove(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  clusters_.erase(cluster);
  return ok_status();
}

}  // namespace nkd::providers
