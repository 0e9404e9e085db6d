// nkd node-url CLUSTER NODE and nkd rotate-node-tokens CLUSTER: what a bare-metal node needs to
// fetch its Ignition config from the daemon, and revoking every such token of a cluster at once.
// Both work on the daemon's state, its file or its etcd (daemon_state_options.h).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_state_options.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/duration.h"
#include "render/ignition/ignition.h"
#include "render/render.h"
#include "state/cluster_pki_store.h"

namespace nkd::cli {
namespace {

// A longer grace would keep a leaked token usable for longer than the boot it is meant to let
// finish; rotate again instead.
constexpr std::int64_t kMaxGraceMs = 24 * 60 * 60 * 1000LL;

struct NodeUrlOptions {
  std::string cluster;
  std::string node;
  bool pointer = false;
  DaemonStateOptions source;
};

struct RotateOptions {
  std::string cluster;
  std::string grace = "0s";
  DaemonStateOptions source;
};

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined.empty() ? "none" : joined;
}

Error unknown_cluster(state::StateStore& store, const std::string& cluster,
                      const std::string& path) {
  std::vector<std::string> known;
  if (auto clusters = store.list_clusters()) {
    for (const auto& record : *clusters) known.push_back(record.name);
  }
  return Error{ErrorCode::kNotFound, "no cluster named " + cluster + " in " + path +
                                         " (clusters there: " + join_names(known) + ")"};
}

Error unknown_node(state::StateStore& store, const std::string& cluster, const std::string& node) {
  std::vector<std::string> known;
  bool listed = false;
  if (auto nodes = store.nodes(cluster)) {
    for (const auto& record : *nodes) {
      known.push_back(record.name);
      listed = listed || record.name == node;
    }
  }
  if (listed) {
    return Error{ErrorCode::kNotFound,
                 "nkd serves no config for node " + node + " of " + cluster +
                     ": only bare-metal nodes fetch theirs from nkd (OpenStack servers get "
                     "theirs as user data)"};
  }
  return Error{ErrorCode::kNotFound,
               "cluster " + cluster + " has no node named " + node +
                   " with a published config (its nodes: " + join_names(known) + ")"};
}

Result<std::string> node_url_output(const NodeUrlOptions& options) {
  NKD_ASSIGN_OR_RETURN(auto resolved, options.source.resolve(/*need_ignition_url=*/true));
  NKD_ASSIGN_OR_RETURN(auto store, open_resolved_state(resolved, /*writable=*/false));
  NKD_ASSIGN_OR_RETURN(auto pki, state::load_stored_pki(*store, options.cluster));
  if (!pki.has_value()) return unknown_cluster(*store, options.cluster, resolved.state_name());
  NKD_ASSIGN_OR_RETURN(auto published, store->load_published_config(options.cluster, options.node));
  if (!published.has_value()) return unknown_node(*store, options.cluster, options.node);
  const std::string url =
      render::node_config_url(resolved.ignition_base_url, options.cluster, options.node);
  const Secret token = pki::node_fetch_token(*pki, options.node);
  if (options.pointer) {
    return ignition::pointer_config(url, sha512_hex(published->content), token) + "\n";
  }
  return url + "?token=" + token.reveal() + "\n";
}

Result<std::string> rotate(const RotateOptions& options) {
  const auto grace_ms = parse_duration_ms(options.grace);
  if (!grace_ms || *grace_ms < 0 || *grace_ms > kMaxGraceMs) {
    return Error{ErrorCode::kInvalidArgument, "--grace-period '" + options.grace +
                                                  "' must be a duration from 0s to 24h, e.g. 15m"};
  }
  NKD_ASSIGN_OR_RETURN(auto resolved, options.source.resolve(/*need_ignition_url=*/false));
  NKD_ASSIGN_OR_RETURN(auto store, open_resolved_state(resolved, /*writable=*/true));
  const std::int64_t now_unix = real_clock().now_unix_ms() / 1000;
  auto rotated =
      state::rotate_stored_node_tokens(*store, options.cluster, now_unix, *grace_ms / 1000);
  if (!rotated) {
    if (rotated.error().code == ErrorCode::kNotFound) {
      return unknown_cluster(*store, options.cluster, resolved.state_name());
    }
    return rotated.error();
  }
  const std::string previous =
      rotated->previous_node_tokens_valid_until_unix == 0
          ? "the previous tokens are refused from now on"
          : "the previous tokens stay accepted until " +
                format_rfc3339_ms(rotated->previous_node_tokens_valid_until_unix * 1000);
  return "rotated the node fetch tokens of " + options.cluster + " to epoch " +
         std::to_string(rotated->node_token_epoch) + "; " + previous +
         ".\nCertificates and keys are unchanged. Print a node's new URL with: nkd node-url " +
         (options.source.config.empty() ? "--state " + options.source.state + " --ignition-url URL"
                                        : "--config " + options.source.config) +
         " " + options.cluster + " NODE\n";
}

}  // namespace

void add_node_token_commands(CLI::App& app) {
  auto url_options = std::make_shared<NodeUrlOptions>();
  auto* node_url = app.add_subcommand(
      "node-url",
      "Print the URL a bare-metal NODE of CLUSTER fetches its Ignition config from, with its\n"
      "token (for coreos-installer --ignition-url, the ignition.config.url kernel argument or an\n"
      "iPXE script), or with --pointer a small Ignition config that fetches it with the token in\n"
      "a header and checks its SHA-512. The token opens the node's config, which holds cluster\n"
      "keys: treat the output as a secret. Exit 0, 1 for an unknown cluster or node, 2 on usage "
      "errors.");
  node_url->add_option("cluster", url_options->cluster, "Cluster name")->required();
  node_url->add_option("node", url_options->node, "Node name, as `nkd status` lists it")
      ->required();
  node_url->add_flag("--pointer", url_options->pointer,
                     "Print a pointer Ignition config instead of the URL");
  url_options->source.add_to(*node_url, /*with_ignition_url=*/true);
  node_url->callback([url_options] {
    auto output = node_url_output(*url_options);
    if (!output) {
      std::cerr << "nkd node-url: " << output.error().message << "\n";
      set_exit_code(exit_code_for(output.error()));
      return;
    }
    std::cout << *output;
    set_exit_code(0);
  });

  auto rotate_options = std::make_shared<RotateOptions>();
  auto* rotate_command = app.add_subcommand(
      "rotate-node-tokens",
      "Replace the Ignition fetch token of every node of CLUSTER, so that no URL, pointer config\n"
      "or script made before works any more (after a leak, or when staff leave). The cluster's\n"
      "CAs, keys and node configs stay as they are: running nodes are not touched. A running\n"
      "nkd syncd refuses the old tokens from its next request, and configs it renders from then\n"
      "on carry the new ones; print a node's new URL with nkd node-url. Run it as the user that\n"
      "owns the state file. Exit 0, 1 when the cluster has no PKI in the state, 2 on usage "
      "errors.");
  rotate_command->add_option("cluster", rotate_options->cluster, "Cluster name")->required();
  rotate_command
      ->add_option("--grace-period", rotate_options->grace,
                   "How long the previous tokens stay accepted, so a machine already booting "
                   "with one can finish (at most 24h)")
      ->capture_default_str();
  rotate_options->source.add_to(*rotate_command, /*with_ignition_url=*/false);
  rotate_command->callback([rotate_options] {
    auto output = rotate(*rotate_options);
    if (!output) {
      std::cerr << "nkd rotate-node-tokens: " << output.error().message << "\n";
      set_exit_code(exit_code_for(output.error()));
      return;
    }
    std::cout << *output;
    set_exit_code(0);
  });
}

}  // namespace nkd::cli
