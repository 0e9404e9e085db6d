#include "providers/baremetal/baremetal_provider.h"

#include "common/crypto.h"

namespace nkd::providers {

ObservedNode BareMetalProvider::observed(const std::string& name, const Published& node) {
  return ObservedNode{.name = name,
                      .pool = node.pool,
                      .role = node.role,
                      .provider_id = "baremetal://" + node.mac,
                      .config_digest = node.fetched_digest,
                      .state = node.fetched_digest.empty()           ? "Pending"
                               : node.fetched_digest == node.digest ? "Provisioned"
                                                                     : "Outdated"};
}

Result<ApplyOutcome> BareMetalProvider::apply(const model::Cluster& cluster,
                                              const render::ClusterRender& render) {
  std::map<std::string, Published> published;
  for (const render::NodeRender& node : render.nodes) {
    published[node.node.name] = Published{.pool = node.node.pool,
                                          .role = model::to_string(node.node.role),
                                          .mac = node.node.mac,
                                          .config = node.ignition,
                                          .digest = node.ignition_sha256,
                                          .token = node.fetch_token,
                                          .fetched_digest = ""};
  }
  ApplyOutcome outcome;
  std::lock_guard lock(mutex_);
  auto& previous = clusters_[cluster.name];
  const auto& restored = restored_fetches_[cluster.name];
  for (auto& [name, node] : published) {
    if (auto before = previous.find(name); before != previous.end()) {
      node.fetched_digest = before->second.fetched_digest;
    } else if (auto saved = restored.find(name); saved != restored.end()) {
      node.fetched_digest = saved->second;
    }
    outcome.nodes.push_back(observed(name, node));
  }
  previous = std::move(published);
  outcome.complete = true;  // publishing is the whole of a bare-metal apply
  outcome.message = "published " + std::to_string(outcome.nodes.size()) + " Ignition configs";
  return outcome;
}

Result<std::vector<ObservedNode>> BareMetalProvider::observe(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  std::vector<ObservedNode> nodes;
  if (auto found = clusters_.find(cluster); found != clusters_.end()) {
    for (const auto& [name, node] : found->second) nodes.push_back(observed(name, node));
  }
  return nodes;
}

Status BareMetalProvider::remove(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  clusters_.erase(cluster);
  restored_fetches_.erase(cluster);
  return ok_status();
}

BareMetalProvider::FetchResult BareMetalProvider::fetch(const std::string& cluster,
                                                        const std::string& node,
                                                        const std::string& token) {
  FetchResult result;
  ObservedNode fetched;
  {
    std::lock_guard lock(mutex_);
    auto found_cluster = clusters_.find(cluster);
    if (found_cluster == clusters_.end()) return result;
    auto found_node = found_cluster->second.find(node);
    if (found_node == found_cluster->second.end()) return result;
    Published& published = found_node->second;
    if (!constant_time_equal(token, published.token.reveal())) {
      result.status = FetchStatus::kBadToken;
      return result;
    }
    published.fetched_digest = published.digest;
    result = FetchResult{FetchStatus::kServed, published.config, published.digest};
    fetched = observed(node, published);
  }
  if (listener_) listener_(cluster, fetched);
  return result;
}

void BareMetalProvider::restore_fetched(const std::string& cluster, const std::string& node,
                                        const std::string& digest) {
  std::lock_guard lock(mutex_);
  restored_fetches_[cluster][node] = digest;
}

}  // namespace nkd::providers
