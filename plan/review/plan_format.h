// The three forms `nkd plan` prints a Plan in. Text for a terminal; Markdown for a pull-request
// comment (summary table first, details in collapsible sections, cut to a size limit with a note);
// JSON with a stable schema (README "nkd plan JSON"). All deterministic.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "plan/review/plan.h"

namespace nkd::plan {

// GitHub and Gitea refuse comments over 65,536 characters; leave room for a bot's own header.
inline constexpr std::size_t kDefaultMarkdownLimitBytes = 60'000;

[[nodiscard]] std::string format_text(const Plan& plan);
[[nodiscard]] std::string format_markdown(const Plan& plan,
                                          std::size_t limit_bytes = kDefaultMarkdownLimitBytes);
[[nodiscard]] nlohmann::json to_json(const Plan& plan);

// "kubernetes.version v1.29.1 → v1.30.0, os.version a → b"
[[nodiscard]] std::string describe_upgrades(const ClusterPlan& cluster);
// "replace 1, create 2, delete 0" or "no node changes", then "; virtual IP added" when it is
[[nodiscard]] std::string describe_node_counts(const ClusterPlan& cluster);
// "reserve port c-vip with 10.0.0.5 + floating IP", "release port c-vip (10.0.0.5) and its
// floating IP", "change port c-vip from 10.0.0.5 to 10.0.0.6"
[[nodiscard]] std::string describe_virtual_ip(const VirtualIpChange& change);
// " with port x" (create, delete), " with a new port x" (replace), "" when the node has none
[[nodiscard]] std::string describe_port(const NodeStep& step);
// ", batch 2 of maxUnavailable" (replace), "" otherwise
[[nodiscard]] std::string describe_batch(const NodeStep& step);
// "(replaced)", "(refused: ...)", "(new nodes get it; upgraded in place)"
[[nodiscard]] std::string describe_node_diff(const NodeDiff& diff);
// The node actions a plan lists, in the order it lists them.
inline constexpr NodeAction kListedActions[] = {NodeAction::kCreate, NodeAction::kReplace,
                                                NodeAction::kDelete, NodeAction::kRefuse};

// Nodes whose Ignition changed in the same way (the same hunks), shown once with every name.
struct NodeDiffGroup {
  std::vector<std::string> names;
  const NodeDiff* first = nullptr;
};
[[nodiscard]] std::vector<NodeDiffGroup> group_node_diffs(const ClusterPlan& cluster);
// "a, b, c"
[[nodiscard]] std::string join_names(const std::vector<std::string>& names);
// "wave 1 (2 of 3): prod-east, prod-west (after wave 0 is Ready)" for waves[index]
[[nodiscard]] std::string describe_wave(const std::vector<PlannedWave>& waves, std::size_t index);

}  // namespace nkd::plan
