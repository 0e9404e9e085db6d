// ScriptedProvider: an infrastructure provider whose machines always exist and whose applies a
// test steers per cluster: a cluster marked failing fails every apply, one marked building stays
// incomplete (its machines still being made). Records the render digests each cluster was
// applied with. Thread-safe: the
// reconciler's workers call it while the test changes the script.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "providers/provider.h"

namespace nkd::testing {

class ScriptedProvider final : public providers::InfrastructureProvider {
 public:
  std::string name() const override { return "scripted"; }
  Result<providers::ApplyOutcome> apply(const model::Cluster& cluster,
                                        const render::ClusterRender& render,
                                        const providers::ApplyHooks&) override {
    std::lock_guard lock(mutex_);
    applied_[cluster.name].push_back(render.digest);
    if (failing_.contains(cluster.name)) {
      return Error{ErrorCode::kUnavailable, "quota of " + cluster.name + " exceeded"};
    }
    providers::ApplyOutcome outcome{.complete = !building_.contains(cluster.name),
                                    .message = "applied " + render.digest};
    for (const auto& node : render.nodes) {
      outcome.nodes.push_back({.name = node.node.name,
                               .pool = node.node.pool,
                               .role = model::to_string(node.node.role),
                               .provider_id = "m-" + node.node.name,
                               .config_digest = node.ignition_sha256,
                               .state = nkd::state::NodeState::kProvisioned});
    }
    return outcome;
  }
  Result<std::vector<providers::ObservedNode>> observe(const std::string&) override {
    return std::vector<providers::ObservedNode>{};
  }
  Status remove(const std::string&) override { return ok_status(); }

  void set_failing(const std::string& cluster, bool failing) {
    std::lock_guard lock(mutex_);
    if (failing)
      failing_.insert(cluster);
    else
      failing_.erase(cluster);
  }
  void set_building(const std::string& cluster, bool building) {
    std::lock_guard lock(mutex_);
    if (building)
      building_.insert(cluster);
    else
      building_.erase(cluster);
  }
  // Whether a render with `digest` was ever handed to apply for `cluster`.
  bool saw(const std::string& cluster, const std::string& digest) {
    std::lock_guard lock(mutex_);
    const auto& digests = applied_[cluster];
    return std::find(digests.begin(), digests.end(), digest) != digests.end();
  }
  int applies(const std::string& cluster) {
    std::lock_guard lock(mutex_);
    return static_cast<int>(applied_[cluster].size());
  }

 private:
  std::mutex mutex_;
  std::set<std::string> failing_;
  std::set<std::string> building_;
  std::map<std::string, std::vector<std::string>> applied_;  // render digests, in call order
};

}  // namespace nkd::testing
