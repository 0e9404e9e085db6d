// EtcdPublishedConfigStore: the PublishedConfigStore part of EtcdStateStore, one key a node
// (configs/<cluster>/<node>: the digest, and the content as stored_value() makes it). An
// Ignition config holds the node's keys and tokens: stored_value()/plain_value() are the one
// place that seals and opens it, like the PKI's (DESIGN.md §8).
#pragma once

#include "state/etcd_connection.h"
#include "state/published_config_store.h"

namespace nkd::state {

class EtcdPublishedConfigStore : public virtual PublishedConfigStore {
 public:
  explicit EtcdPublishedConfigStore(EtcdConnection& connection) : connection_(connection) {}

  // One transaction, compared on every config of the cluster as read; more configs changed or
  // removed at once than etcd's --max-txn-ops (128 by default) are refused by etcd.
  [[nodiscard]] Status save_published_configs(const std::string& cluster,
                                              const std::vector<PublishedConfig>& changed,
                                              const std::vector<std::string>& nodes) override;
  [[nodiscard]] Result<std::optional<PublishedConfig>> load_published_config(
      const std::string& cluster, const std::string& node) override;
  [[nodiscard]] Status delete_published_configs(const std::string& cluster) override;

 private:
  // What is written to etcd for `config` of a node of `cluster` (its digest, and its content as
  // the sealer makes it, bound to the cluster and node), and back: the one place the sealer is
  // applied. Until it is given, the content itself.
  [[nodiscard]] Result<std::string> stored_value(const std::string& cluster,
                                                 const PublishedConfig& config) const;
  [[nodiscard]] Result<PublishedConfig> plain_value(const std::string& cluster,
                                                    const std::string& node,
                                                    const std::string& stored) const;

  EtcdConnection& connection_;
};

}  // namespace nkd::state
