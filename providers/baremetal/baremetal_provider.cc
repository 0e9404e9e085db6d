#include "providers/baremetal/baremetal_provider.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include "common/crypto.h"
#include "model/value_checks.h"

namespace nkd::providers {

std::string ignition_fetch_token(std::string_view authorization,
                                 const std::optional<std::string>& token_parameter) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.starts_with(kBearer)) return std::string(authorization.substr(kBearer.size()));
  return token_parameter.value_or("");
}

BareMetalProvider::BareMetalProvider(ConfigStore& configs, FetchListener listener,
                                     FetchTokenSource* tokens)
    : configs_(configs), listener_(std::move(listener)), tokens_(tokens) {}

BareMetalProvider::BareMetalProvider(FetchListener listener)
    : owned_configs_(std::make_unique<InMemoryConfigStore>()),
      configs_(*owned_configs_),
      listener_(std::move(listener)) {}

ObservedNode BareMetalProvider::observed(const std::string& name, const Published& node) {
  return ObservedNode{.name = name,
                      .pool = node.pool,
                      .role = node.role,
                      .provider_id = "baremetal://" + node.mac,
                      .config_digest = node.fetched_digest,
                      .state = node.fetched_digest.empty()          ? state::NodeState::kPending
                               : node.fetched_digest == node.digest ? state::NodeState::kProvisioned
                                                                    : state::NodeState::kOutdated};
}

plan::ObservedMachine BareMetalProvider::machine_of(const std::string& name, const Published& node) {
  plan::ObservedMachine machine{.name = name,
                                .pool = node.pool,
                                .role = node.role == model::to_string(model::PoolRole::kWorker)
                                            ? model::PoolRole::kWorker
                                            : model::PoolRole::kControlPlane};
  // A machine exists once it has fetched a config; what it fetched is what it first booted.
  if (!node.fetched_digest.empty()) {
    machine.recorded = plan::RecordedBoot{.config_digest = node.fetched_digest,
                                          .boot_digest = node.fetched_boot_digest};
  }
  return machine;
}

plan::NodePlan BareMetalProvider::plan_against_published(const model::Cluster& cluster,
                                                         const render::ClusterRender& render,
                                                         bool drain) {
  std::vector<plan::ObservedMachine> machines;
  {
    std::lock_guard lock(mutex_);
    if (auto found = clusters_.find(cluster.name); found != clusters_.end()) {
      for (const auto& [name, node] : found->second) machines.push_back(machine_of(name, node));
    }
  }
  // Outside the lock: a boot digest may be rendered.
  return plan::plan_nodes(plan::desired_nodes(render), machines, plan::policy_for(cluster, drain));
}

Result<ApplyOutcome> BareMetalProvider::apply(const model::Cluster& cluster,
                                              const render::ClusterRender& render,
                                              const ApplyHooks& hooks) {
  if (!hooks.disturbing_allowed()) {
    return publish(cluster, render, /*report_fetches=*/true, disturbed_nodes(cluster.name, render));
  }
  const plan::NodePlan decided =
      plan_against_published(cluster, render, static_cast<bool>(hooks.before_delete));
  // The machine stays (nkd does not own bare metal), but its workloads must move before its
  // config is withdrawn.
  for (const plan::NodeDecision* leaving : decided.of(plan::NodeAction::kDelete)) {
    if (!leaving->drain) continue;
    NKD_RETURN_IF_ERROR_WRAP(hooks.before_delete(leaving->name),
                             "draining " + leaving->name + " before it leaves " + cluster.name);
  }
  NKD_ASSIGN_OR_RETURN(ApplyOutcome outcome, publish(cluster, render, /*report_fetches=*/true));
  if (const auto refused = decided.of(plan::NodeAction::kRefuse); !refused.empty()) {
    std::string names;
    for (const plan::NodeDecision* decision : refused) {
      names += (names.empty() ? "" : ", ") + decision->name;
    }
    outcome.message +=
        "; first-boot config changed for " + names + ": published, booted only when reinstalled";
  }
  outcome.decisions = decided.decisions;
  return outcome;
}

std::map<std::string, BareMetalProvider::Published> BareMetalProvider::disturbed_nodes(
    const std::string& cluster, const render::ClusterRender& render) {
  std::map<std::string, Published> published;
  std::map<std::string, std::string> restored;
  {
    std::lock_guard lock(mutex_);
    if (auto found = clusters_.find(cluster); found != clusters_.end()) published = found->second;
    if (auto found = restored_fetches_.find(cluster); found != restored_fetches_.end()) restored = found->second;
  }
  // After a restart the node table is empty: what is served comes from the config store, and
  // which nodes run from the fetches restored out of the state store.
  auto current = [&](const std::string& name) -> std::optional<Published> {
    if (auto found = published.find(name); found != published.end()) return found->second;
    auto stored = configs_.load(cluster, name);
    if (!stored || !stored->has_value()) return std::nullopt;
    Published entry{.digest = (*stored)->digest};
    if (auto fetched = restored.find(name); fetched != restored.end()) entry.fetched_digest = fetched->second;
    return entry;
  };
  std::map<std::string, Published> disturbed;
  std::set<std::string> wanted;
  for (const render::NodeRender& node : render.nodes) {
    wanted.insert(node.node.name);
    std::optional<Published> before = current(node.node.name);
    // A node that never fetched its config runs nothing yet: its new config disturbs no one.
    if (!before || before->fetched_digest.empty() || before->digest == node.ignition_sha256) continue;
    before->pool = node.node.pool;
    before->role = model::to_string(node.node.role);
    before->mac = node.node.mac;
    before->token = node.fetch_token;
    disturbed[node.node.name] = std::move(*before);
  }
  std::set<std::string> known;
  for (const auto& [name, node] : published) known.insert(name);
  for (const auto& [name, digest] : restored) known.insert(name);
  for (const std::string& name : known) {
    if (wanted.contains(name)) continue;
    if (std::optional<Published> before = current(name)) disturbed[name] = std::move(*before);
  }
  return disturbed;
}

Status BareMetalProvider::publish_for_pointers(const model::Cluster& cluster,
                                               const render::ClusterRender& render) {
  NKD_RETURN_IF_ERROR(publish(cluster, render, /*report_fetches=*/false));
  return ok_status();
}

Result<ApplyOutcome> BareMetalProvider::publish(const model::Cluster& cluster,
                                                const render::ClusterRender& render,
                                                bool report_fetches,
                                                const std::map<std::string, Published>& held) {
  std::map<std::string, Published> published = held;
  std::vector<std::string> names;
  std::vector<std::string> held_lines;
  // Not a structured binding: clang before 16 (the fuzz build's) cannot capture one in a lambda.
  for (const auto& held_node : held) {
    const std::string& name = held_node.first;
    names.push_back(name);
    const bool stays = std::any_of(render.nodes.begin(), render.nodes.end(),
                                   [&](const render::NodeRender& wanted) { return wanted.node.name == name; });
    held_lines.push_back((stays ? "replace " : "delete ") + name);
  }
  for (const render::NodeRender& node : render.nodes) {
    if (held.contains(node.node.name)) continue;
    published[node.node.name] = Published{.pool = node.node.pool,
                                          .role = model::to_string(node.node.role),
                                          .mac = node.node.mac,
                                          .digest = node.ignition_sha256,
                                          .boot_digest = node.boot_digest,
                                          .token = node.fetch_token,
                                          .fetched_digest = "",
                                          .report_fetches = report_fetches};
    names.push_back(node.node.name);
  }
  // Only configs whose digest differs from what is published go to the store.
  std::vector<ServedConfig> changed;
  {
    std::lock_guard lock(mutex_);
    const auto& previous = clusters_[cluster.name];
    for (const render::NodeRender& node : render.nodes) {
      if (held.contains(node.node.name)) continue;
      const auto before = previous.find(node.node.name);
      if (before == previous.end() || before->second.digest != node.ignition_sha256) {
        changed.push_back(
            {.node = node.node.name, .digest = node.ignition_sha256, .content = node.ignition});
      }
    }
  }
  NKD_RETURN_IF_ERROR_WRAP(configs_.save(cluster.name, changed, names),
                           "publishing the configs of " + cluster.name);
  ApplyOutcome outcome;
  std::lock_guard lock(mutex_);
  auto& previous = clusters_[cluster.name];
  const auto& restored = restored_fetches_[cluster.name];
  for (auto& [name, node] : published) {
    if (auto before = previous.find(name); before != previous.end()) {
      node.fetched_digest = before->second.fetched_digest;
      node.fetched_boot_digest = before->second.fetched_boot_digest;
    } else if (auto saved = restored.find(name); saved != restored.end()) {
      node.fetched_digest = saved->second;
    }
    outcome.nodes.push_back(observed(name, node));
  }
  if (report_fetches) index_boot(cluster, previous, published);
  previous = std::move(published);
  // Publishing is the whole of a bare-metal apply, unless changes wait for a window.
  outcome.complete = held_lines.empty();
  outcome.held = std::move(held_lines);
  outcome.message = "published " + std::to_string(outcome.nodes.size()) + " Ignition configs (" +
                    std::to_string(changed.size()) + " changed" +
                    (outcome.held.empty() ? "" : ", " + std::to_string(outcome.held.size()) +
                                                     " held for a maintenance window") + ")";
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
  {
    std::lock_guard lock(mutex_);
    if (auto found = clusters_.find(cluster); found != clusters_.end()) {
      index_boot(model::Cluster{.name = cluster}, found->second, {});
    }
    clusters_.erase(cluster);
    restored_fetches_.erase(cluster);
  }
  return configs_.remove(cluster);
}

BareMetalProvider::FetchResult BareMetalProvider::fetch(const std::string& cluster,
                                                        const std::string& node,
                                                        const std::string& token) {
  Secret published_token;
  {
    std::lock_guard lock(mutex_);
    auto found_cluster = clusters_.find(cluster);
    if (found_cluster == clusters_.end()) return {};
    auto found_node = found_cluster->second.find(node);
    if (found_node == found_cluster->second.end()) return {};
    published_token = found_node->second.token;
  }
  // Outside the lock: the token source may read the state store.
  if (!token_accepted(cluster, node, token, published_token)) {
    return {.status = FetchStatus::kBadToken};
  }
  auto config = configs_.load(cluster, node);
  if (!config || !config->has_value()) return {};
  ObservedNode fetched;
  bool report = false;
  {
    // What was served is what the node now runs, even if a newer render landed meanwhile.
    std::lock_guard lock(mutex_);
    auto& nodes = clusters_[cluster];
    auto found_node = nodes.find(node);
    if (found_node == nodes.end()) return {};
    found_node->second.fetched_digest = (*config)->digest;
    found_node->second.fetched_boot_digest = (*config)->digest == found_node->second.digest
                                                 ? found_node->second.boot_digest
                                                 : render::LazyString();
    fetched = observed(node, found_node->second);
    report = found_node->second.report_fetches;
  }
  if (listener_ && report) listener_(cluster, fetched);
  return FetchResult{FetchStatus::kServed, std::move((*config)->content), (*config)->digest};
}

bool BareMetalProvider::token_accepted(const std::string& cluster, const std::string& node,
                                       const std::string& token, const Secret& published_token) {
  if (tokens_ == nullptr) return constant_time_equal(token, published_token.reveal());
  auto accepted = tokens_->accepted(cluster, node);
  if (!accepted) return false;
  bool matched = false;
  // Every candidate is compared, so the time taken does not tell which one matched.
  for (const Secret& candidate : *accepted) {
    matched = constant_time_equal(token, candidate.reveal()) || matched;
  }
  return matched;
}

void BareMetalProvider::index_boot(const model::Cluster& cluster,
                                   const std::map<std::string, Published>& before,
                                   const std::map<std::string, Published>& after) {
  for (const auto& [name, node] : before) {
    auto found = macs_.find(node.mac);
    if (found != macs_.end() && found->second.first == cluster.name) macs_.erase(found);
  }
  for (const auto& [name, node] : after) {
    if (!node.mac.empty()) macs_[node.mac] = {cluster.name, name};
  }
  const auto* bare_metal = std::get_if<model::BareMetalPlatform>(&cluster.platform);
  if (bare_metal != nullptr && bare_metal->boot && !after.empty()) {
    boots_[cluster.name] = *bare_metal->boot;
  } else {
    boots_.erase(cluster.name);
  }
}

std::optional<BareMetalProvider::BootTarget> BareMetalProvider::boot_target_by_mac(
    const std::string& mac) {
  std::string cluster;
  std::string node;
  {
    std::lock_guard lock(mutex_);
    auto found = macs_.find(model::normalize_mac(mac));
    if (found == macs_.end()) return std::nullopt;
    std::tie(cluster, node) = found->second;
  }
  return boot_target(cluster, node);
}

std::optional<BareMetalProvider::BootTarget> BareMetalProvider::boot_target(
    const std::string& cluster, const std::string& node) {
  std::lock_guard lock(mutex_);
  auto boot = boots_.find(cluster);
  if (boot == boots_.end()) return std::nullopt;
  auto nodes = clusters_.find(cluster);
  if (nodes == clusters_.end() || !nodes->second.contains(node)) return std::nullopt;
  return BootTarget{.cluster = cluster, .node = node, .boot = boot->second};
}

std::optional<BareMetalProvider::BootTarget> BareMetalProvider::boot_target_of_path(
    const std::string& target) {
  const auto slash = target.find('/');
  if (slash == std::string::npos) return boot_target_by_mac(target);
  return boot_target(target.substr(0, slash), target.substr(slash + 1));
}

Result<Secret> BareMetalProvider::current_token(const std::string& cluster,
                                                const std::string& node) {
  Secret published_token;
  {
    std::lock_guard lock(mutex_);
    auto nodes = clusters_.find(cluster);
    if (nodes == clusters_.end() || !nodes->second.contains(node)) {
      return Error{ErrorCode::kNotFound, "no published config for " + cluster + "/" + node};
    }
    published_token = nodes->second.at(node).token;
  }
  if (tokens_ == nullptr) return published_token;
  // Outside the lock: the token source may read the state store.
  NKD_ASSIGN_OR_RETURN(auto accepted, tokens_->accepted(cluster, node));
  if (accepted.empty()) {
    return Error{ErrorCode::kNotFound, "no fetch token for " + cluster + "/" + node};
  }
  return accepted.front();
}

void BareMetalProvider::restore_fetched(const std::string& cluster, const std::string& node,
                                        const std::string& digest) {
  std::lock_guard lock(mutex_);
  restored_fetches_[cluster][node] = digest;
}

}  // namespace nkd::providers
