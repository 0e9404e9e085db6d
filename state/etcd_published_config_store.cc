#include "state/etcd_published_config_store.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/json_fields.h"

namespace nkd::state {
namespace {

std::string configs_prefix(const std::string& cluster) { return "configs/" + cluster + "/"; }

// The stored JSON's digest and still-sealed content.
Result<PublishedConfig> parse_stored(const std::string& node, const std::string& stored) {
  const auto value = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return Error{ErrorCode::kParse, "state store (etcd): the published config of node " + node +
                                        " is not a JSON object; delete the key, the next "
                                        "reconcile publishes it again"};
  }
  return PublishedConfig{.node = node,
                         .digest = json_string(value, "digest"),
                         .content = json_string(value, "content")};
}

}  // namespace

// The digest stays plain (a hash of the config reveals nothing), so a save compares digests
// without opening every config of the cluster.
Result<std::string> EtcdPublishedConfigStore::stored_value(const std::string& cluster,
                                                           const PublishedConfig& config) const {
  NKD_ASSIGN_OR_RETURN(
      std::string content,
      connection_.sealer().seal(config.content, config_place(cluster, config.node)));
  return nlohmann::json{{"digest", config.digest}, {"content", std::move(content)}}.dump();
}

Result<PublishedConfig> EtcdPublishedConfigStore::plain_value(const std::string& cluster,
                                                              const std::string& node,
                                                              const std::string& stored) const {
  NKD_ASSIGN_OR_RETURN(PublishedConfig config, parse_stored(node, stored));
  NKD_ASSIGN_OR_RETURN(config.content,
                       connection_.sealer().unseal(config.content, config_place(cluster, node)));
  return config;
}

Status EtcdPublishedConfigStore::save_published_configs(const std::string& cluster,
                                                        const std::vector<PublishedConfig>& changed,
                                                        const std::vector<std::string>& nodes) {
  const std::string prefix = configs_prefix(cluster);
  return connection_.until_committed<Ok>(
      "storing the configs of " + cluster, [&]() -> Result<std::optional<Ok>> {
        NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().list(prefix));
        std::map<std::string, std::string> stored_digests;  // node -> digest
        for (const EtcdKeyValue& entry : stored.values) {
          const std::string node = entry.key.substr(prefix.size());
          NKD_ASSIGN_OR_RETURN(auto config, parse_stored(node, entry.value));
          stored_digests[node] = config.digest;
        }
        // Compared on the whole prefix: a config written meanwhile fails the commit.
        EtcdTxn txn;
        txn.compares.push_back(
            {.key = prefix, .mod_revision = stored.revision, .whole_prefix = true});
        const std::set<std::string> keep(nodes.begin(), nodes.end());
        for (const PublishedConfig& config : changed) {
          const auto found = stored_digests.find(config.node);
          if (found != stored_digests.end() && found->second == config.digest) continue;
          NKD_ASSIGN_OR_RETURN(auto value, stored_value(cluster, config));
          txn.put(prefix + config.node, std::move(value));
        }
        for (const auto& [node, digest] : stored_digests) {
          if (!keep.contains(node)) txn.remove(prefix + node);
        }
        if (txn.writes.empty()) return std::optional<Ok>(Ok{});
        NKD_ASSIGN_OR_RETURN(auto written, connection_.commit_for(cluster, txn));
        return written ? std::optional<Ok>(Ok{}) : std::nullopt;
      });
}

Result<std::optional<PublishedConfig>> EtcdPublishedConfigStore::load_published_config(
    const std::string& cluster, const std::string& node) {
  NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(configs_prefix(cluster) + node));
  if (!stored) return std::optional<PublishedConfig>();
  NKD_ASSIGN_OR_RETURN(auto config, plain_value(cluster, node, stored->value));
  return std::optional<PublishedConfig>(std::move(config));
}

Status EtcdPublishedConfigStore::delete_published_configs(const std::string& cluster) {
  EtcdTxn txn;
  txn.writes.push_back({.kind = EtcdWrite::Kind::kDeletePrefix, .key = configs_prefix(cluster)});
  NKD_ASSIGN_OR_RETURN_WRAP(auto written, connection_.commit_for(cluster, txn),
                            "deleting the configs of " + cluster);
  (void)written;
  return ok_status();
}

}  // namespace nkd::state
