// ConfigStore: where the bare-metal provider keeps the configs it serves. The daemon keeps them
// in its state store (syncd/state_config_store.h), so memory does not grow with the number
// of nodes; InMemoryConfigStore serves tests and tools. Implementations are thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace nkd::providers {

struct ServedConfig {
  std::string node;
  std::string digest;
  std::string content;
};

class ConfigStore {
 public:
  virtual ~ConfigStore() = default;
  // Stores `changed` and forgets the cluster's nodes that are not in `nodes`.
  [[nodiscard]] virtual Status save(const std::string& cluster, const std::vector<ServedConfig>& changed,
                                    const std::vector<std::string>& nodes) = 0;
  [[nodiscard]] virtual Result<std::optional<ServedConfig>> load(const std::string& cluster,
                                                                 const std::string& node) = 0;
  [[nodiscard]] virtual Status remove(const std::string& cluster) = 0;
};

class InMemoryConfigStore final : public ConfigStore {
 public:
  Status save(const std::string& cluster, const std::vector<ServedConfig>& changed,
              const std::vector<std::string>& nodes) override;
  Result<std::optional<ServedConfig>> load(const std::string& cluster, const std::string& node) override;
  Status remove(const std::string& cluster) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::map<std::string, ServedConfig>> clusters_;
};

}  // namespace nkd::providers
