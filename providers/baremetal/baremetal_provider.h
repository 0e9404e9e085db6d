// BareMetalProvider: the infrastructure of a bare-metal cluster is its published Ignition
// configs. apply() publishes every node's config (served at GET /ignition/<cluster>/<node>);
// a machine that fetches its config with its bearer token counts as provisioned with that
// config's digest. The configs themselves live in a ConfigStore (only changed ones are written);
// memory holds each node's digest and token. The tokens a fetch must present come from a
// FetchTokenSource when one is given, else from the published render. Thread-safe: one mutex
// guards the node table. It also answers which node a network-booting machine is (by MAC).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/secret.h"
#include "providers/baremetal/config_store.h"
#include "providers/baremetal/fetch_tokens.h"
#include "providers/provider.h"

namespace nkd::providers {

// The token a GET /ignition/<cluster>/<node> presents: the bearer token of its Authorization
// header when that says "Bearer <token>", else its ?token= parameter (`token_parameter`, nullopt
// when the URL has none), else "" (which opens nothing). Pure: the listener and the Ignition
// endpoint's fuzz target (fuzz/ignition_endpoint_fuzzer.cc) both call it.
[[nodiscard]] std::string ignition_fetch_token(std::string_view authorization,
                                               const std::optional<std::string>& token_parameter);

class BareMetalProvider final : public InfrastructureProvider {
 public:
  // Called after a node fetched its config (to persist the fetched digest), outside the lock.
  using FetchListener = std::function<void(const std::string& cluster, const ObservedNode& node)>;

  // Keeps the configs in `configs`; checks tokens against `tokens` when it is not null (it must
  // outlive the provider).
  BareMetalProvider(ConfigStore& configs, FetchListener listener,
                    FetchTokenSource* tokens = nullptr);
  // Keeps the configs in memory (tests, tools).
  explicit BareMetalProvider(FetchListener listener = {});

  std::string name() const override { return "baremetal"; }
  // Carries out the planner's decisions (plan/node_plan.h) against what this provider
  // published before: nodes that leave the definition are drained first (hooks.before_delete),
  // in the planner's scale-down order, then unpublished; every node's config is published. A
  // node whose machine fetched a config with other first-boot content is refused by the planner
  // (nkd does not reinstall bare metal): its new config is published all the same, and the
  // outcome's message names it. When hooks.may_disturb says no, a node that has fetched its
  // config keeps being served that config (a reinstall or PXE boot would otherwise take the new
  // one), and leaving nodes stay published and undrained: both are listed in
  // ApplyOutcome::held. New nodes are published.
  Result<ApplyOutcome> apply(const model::Cluster& cluster, const render::ClusterRender& render,
                             const ApplyHooks& hooks) override;
  Result<std::vector<ObservedNode>> observe(const std::string& cluster) override;
  Status remove(const std::string& cluster) override;
  // Serves the configs of a cluster another provider builds: an OpenStack node whose config is
  // too large for user_data boots a pointer to GET /ignition/<cluster>/<node>. Its fetches are
  // served like any other but reported to no listener: that provider owns the node's record.
  Status publish_for_pointers(const model::Cluster& cluster, const render::ClusterRender& render);

  enum class FetchStatus { kServed, kUnknownNode, kBadToken };
  struct FetchResult {
    FetchStatus status = FetchStatus::kUnknownNode;
    std::string config;
    std::string digest;
  };
  // Serves GET /ignition/<cluster>/<node>; the token is compared in constant time.
  FetchResult fetch(const std::string& cluster, const std::string& node, const std::string& token);

  // A machine that network-boots (GET /boot/...): its node, and the boot section of its
  // cluster's definition.
  struct BootTarget {
    std::string cluster;
    std::string node;
    model::BareMetalBoot boot;
  };
  // The published node whose machine has `mac` (any case, ':' or '-' between the bytes), when
  // its cluster's definition has spec.platform.bareMetal.boot; nullopt otherwise.
  std::optional<BootTarget> boot_target_by_mac(const std::string& mac);
  // The same for a node named by its cluster and name.
  std::optional<BootTarget> boot_target(const std::string& cluster, const std::string& node);
  // The machine GET /boot/<target> names: "<cluster>/<node>" (split at the first '/'), else a
  // MAC (boot_target_by_mac). Any text is safe to pass: unknown and malformed ones are nullopt.
  std::optional<BootTarget> boot_target_of_path(const std::string& target);
  // The token that opens `node`'s config now: the token source's current one (so a rotation
  // applies at once), else the published render's. kNotFound for a node not published.
  Result<Secret> current_token(const std::string& cluster, const std::string& node);

  // Restores what a node had fetched before a restart (from the state store).
  void restore_fetched(const std::string& cluster, const std::string& node,
                       const std::string& digest);

 private:
  struct Published;
  Result<ApplyOutcome> publish(const model::Cluster& cluster, const render::ClusterRender& render,
                               bool report_fetches,
                               const std::map<std::string, Published>& held = {});
  // The nodes a render would disturb, as they are published now: running nodes (they fetched
  // a config) whose config changed, and nodes that leave the definition.
  std::map<std::string, Published> disturbed_nodes(const std::string& cluster,
                                                   const render::ClusterRender& render);
  // The planner's decisions for `render` against the nodes published for `cluster` now.
  plan::NodePlan plan_against_published(const model::Cluster& cluster,
                                        const render::ClusterRender& render, bool drain);
  struct Published {
    std::string pool;
    std::string role;
    std::string mac;
    std::string digest;
    render::LazyString boot_digest;  // of the published config (render.h); computed if asked
    Secret token;
    std::string fetched_digest;
    // The boot digest of the config fetched, when it was this process's published one; empty
    // after a restart (the planner then compares full digests).
    render::LazyString fetched_boot_digest;
    bool report_fetches = true;
  };
  static plan::ObservedMachine machine_of(const std::string& name, const Published& node);
  static ObservedNode observed(const std::string& name, const Published& node);
  // Moves the cluster's MACs from `before` to `after` and keeps its boot section (lock held).
  void index_boot(const model::Cluster& cluster, const std::map<std::string, Published>& before,
                  const std::map<std::string, Published>& after);
  // Whether `token` opens `node`'s config; `published_token` is the render's.
  bool token_accepted(const std::string& cluster, const std::string& node, const std::string& token,
                      const Secret& published_token);

  std::unique_ptr<InMemoryConfigStore> owned_configs_;
  ConfigStore& configs_;
  FetchListener listener_;
  FetchTokenSource* tokens_ = nullptr;
  std::mutex mutex_;
  std::map<std::string, std::map<std::string, Published>> clusters_;
  std::map<std::string, std::map<std::string, std::string>> restored_fetches_;
  std::map<std::string, model::BareMetalBoot> boots_;  // by cluster, those with a boot section
  // MAC -> {cluster, node}, of the published bare-metal nodes (validation keeps MACs unique).
  std::map<std::string, std::pair<std::string, std::string>> macs_;
};

}  // namespace nkd::providers
