// Text and JSON forms of a plan.
#include <algorithm>
#include <map>
#include <sstream>

#include "plan/review/plan_format.h"

namespace nkd::plan {

namespace {

std::string short_revision(const std::string& revision) { return revision.substr(0, 12); }

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

char marker(ClusterChange change) {
  switch (change) {
    case ClusterChange::kAdded: return '+';
    case ClusterChange::kRemoved: return '-';
    case ClusterChange::kChanged: return '~';
    case ClusterChange::kUnchanged: return ' ';
  }
  return ' ';
}

void write_cluster_details(std::ostringstream& out, const ClusterPlan& cluster) {
  out << "\n== " << cluster.name << " (" << to_string(cluster.change) << ") ==\n";
  if (!cluster.nodes.empty()) out << "Nodes:\n";
  for (const auto& step : cluster.nodes) {
    out << "  " << to_string(step.action)
        << (step.action == NodeAction::kDelete || step.action == NodeAction::kRefuse ? "  " : " ")
        << step.name;
    if (!step.role.empty()) out << " (pool " << step.pool << ", " << step.role << ")";
    out << describe_port(step) << describe_batch(step) << "\n";
    for (const auto& reason : step.reasons) out << "      because " << reason << "\n";
    if (!step.refusal.empty()) out << "      refused: " << step.refusal << "\n";
  }
  if (cluster.virtual_ip) out << "Virtual IP:\n  " << describe_virtual_ip(*cluster.virtual_ip) << "\n";
  if (!cluster.upgrades.empty()) {
    out << "In-place upgrade by housekeeper (no replacement):\n";
    for (const auto& upgrade : cluster.upgrades) {
      out << "  " << upgrade.field << ": " << upgrade.from << " -> " << upgrade.to << "\n";
    }
  }
  if (cluster.rollout) {
    out << "  rollout by housekeeper's operator: each pass starts the next control-plane node and "
           "up to "
        << cluster.rollout->max_unavailable
        << " worker(s) (maxUnavailable) together; a pass with nodes still waiting ends after "
           "about 3 minutes whether or not they finished; "
        << cluster.rollout->steps << " pass(es):\n";
    for (std::size_t i = 0; i < cluster.rollout->passes.size(); ++i) {
      out << "    " << i + 1 << ":";
      for (const auto& name : cluster.rollout->passes[i]) out << " " << name;
      out << "\n";
    }
    out << "  Update housekeeper-system/housekeeper-upgrade:\n"
        << indent(cluster.rollout->update_yaml, "    ");
  }
  if (!cluster.manifests.empty()) out << "Manifests (nkd's access, network plugin, housekeeper):\n";
  for (const auto& manifest : cluster.manifests) {
    out << "  " << manifest.change << " " << manifest.path << "\n" << indent(manifest.diff, "    ");
  }
  for (const auto& group : group_node_diffs(cluster)) {
    out << "Ignition of " << join_names(group.names) << " " << describe_node_diff(*group.first)
        << ":\n" << indent(group.first->diff, "    ");
  }
  for (const auto& note : cluster.notes) out << "Note: " << note << "\n";
}

}  // namespace

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

std::vector<NodeDiffGroup> group_node_diffs(const ClusterPlan& cluster) {
  // The hunks without the two header lines, which name the node.
  const auto hunks = [](const std::string& diff) {
    const std::size_t first = diff.find('\n');
    const std::size_t second = first == std::string::npos ? first : diff.find('\n', first + 1);
    return second == std::string::npos ? std::string_view(diff) : std::string_view(diff).substr(second);
  };
  std::vector<NodeDiffGroup> groups;
  for (const auto& node : cluster.node_diffs) {
    const auto same = std::find_if(groups.begin(), groups.end(), [&](const NodeDiffGroup& group) {
      return group.first->replaced == node.replaced && group.first->refused == node.refused &&
             hunks(group.first->diff) == hunks(node.diff);
    });
    if (same != groups.end()) {
      same->names.push_back(node.name);
    } else {
      groups.push_back({.names = {node.name}, .first = &node});
    }
  }
  return groups;
}

std::string describe_upgrades(const ClusterPlan& cluster) {
  std::string text;
  for (const auto& upgrade : cluster.upgrades) {
    text += (text.empty() ? "" : ", ") + upgrade.field + " " + upgrade.from + " → " + upgrade.to;
  }
  return text;
}

std::string describe_node_counts(const ClusterPlan& cluster) {
  std::string text;
  for (NodeAction action : kListedActions) {
    if (const std::size_t count = cluster.count(action); count > 0) {
      text += (text.empty() ? "" : ", ") + std::string(to_string(action)) + " " + std::to_string(count);
    }
  }
  if (text.empty()) text = "no node changes";
  if (cluster.virtual_ip) text += "; virtual IP " + cluster.virtual_ip->change;
  return text;
}

std::string describe_virtual_ip(const VirtualIpChange& change) {
  if (!change.from && change.to) {
    return "reserve port " + change.port + " with " + change.to->address +
           (change.to->floating_ip ? " + floating IP" : "");
  }
  if (change.from && !change.to) {
    return "release port " + change.port + " (" + change.from->address + ")" +
           (change.from->floating_ip ? " and its floating IP" : "");
  }
  if (!change.from || !change.to) return "";
  std::string text = change.from->address != change.to->address
                         ? "change port " + change.port + " from " + change.from->address +
                               " to " + change.to->address
                         : "port " + change.port + " (" + change.to->address + ")";
  if (change.to->floating_ip && !change.from->floating_ip) text += ": add a floating IP";
  if (!change.to->floating_ip && change.from->floating_ip) text += ": release its floating IP";
  return text;
}

std::string describe_port(const NodeStep& step) {
  if (!step.volumes.empty()) {
    std::string names;
    for (const std::string& volume : step.volumes) names += (names.empty() ? "" : ", ") + volume;
    return (step.action == NodeAction::kReplace ? " with new volumes " : " with volumes ") + names;
  }
  if (step.port.empty()) return "";
  return (step.action == NodeAction::kReplace ? " with a new port " : " with port ") + step.port;
}

std::string describe_batch(const NodeStep& step) {
  if (step.action != NodeAction::kReplace || step.batch < 0) return "";
  return ", batch " + std::to_string(step.batch + 1);
}

std::string describe_node_diff(const NodeDiff& diff) {
  if (diff.replaced) return "(replaced)";
  if (diff.refused) return "(refused: the machine keeps the config it first booted)";
  return "(new nodes get it; upgraded in place)";
}

std::string describe_wave(const std::vector<PlannedWave>& waves, std::size_t index) {
  const PlannedWave& wave = waves.at(index);
  std::string text = "wave " + std::to_string(wave.wave) + " (" + std::to_string(index + 1) +
                     " of " + std::to_string(waves.size()) + "): " + join_names(wave.clusters);
  if (index > 0) text += " (after wave " + std::to_string(waves[index - 1].wave) + " is done)";
  return text;
}

std::string format_text(const Plan& plan) {
  std::ostringstream out;
  out << "Plan: " << short_revision(plan.base_revision) << " -> " << short_revision(plan.head_revision)
      << "\n";
  std::vector<std::string> unchanged;
  std::map<NodeAction, std::size_t> counts;
  const std::vector<PlannedWave> waves = rollout_waves(plan);
  for (const auto& cluster : plan.clusters) {
    if (cluster.change == ClusterChange::kUnchanged) {
      unchanged.push_back(cluster.name);
      continue;
    }
    out << "  " << marker(cluster.change) << " " << cluster.name << " (" << to_string(cluster.change)
        << "): " << describe_node_counts(cluster);
    if (waves.size() > 1 && cluster.change != ClusterChange::kRemoved)
      out << "; wave " << cluster.wave;
    if (!cluster.upgrades.empty()) out << "; upgrade " << describe_upgrades(cluster);
    if (!cluster.manifests.empty()) out << "; " << cluster.manifests.size() << " manifest(s)";
    out << "\n";
    for (NodeAction action : kListedActions) counts[action] += cluster.count(action);
  }
  if (!unchanged.empty()) {
    out << "  unchanged (" << unchanged.size() << "):";
    for (const auto& name : unchanged) out << " " << name;
    out << "\n";
  }
  // One wave is the usual case (no wave labels): nothing to say about the order then.
  if (waves.size() > 1) {
    out << "\nRollout in " << waves.size() << " waves (" << kWaveRule << "):\n";
    for (std::size_t i = 0; i < waves.size(); ++i) out << "  " << describe_wave(waves, i) << "\n";
  }
  for (const auto& cluster : plan.clusters) {
    if (cluster.change != ClusterChange::kUnchanged) write_cluster_details(out, cluster);
  }
  out << "\n"
      << (plan.has_changes() ? "" : "No changes. ") << counts[NodeAction::kCreate]
      << " to create, " << counts[NodeAction::kReplace] << " to replace, "
      << counts[NodeAction::kDelete] << " to delete";
  if (counts[NodeAction::kRefuse] > 0) out << ", " << counts[NodeAction::kRefuse] << " refused";
  out << ".\n";
  return out.str();
}

nlohmann::json to_json(const Plan& plan) {
  using nlohmann::json;
  json clusters = json::array();
  for (const auto& cluster : plan.clusters) {
    json nodes = json::array();
    for (const auto& step : cluster.nodes) {
      nodes.push_back({{"action", to_string(step.action)}, {"name", step.name}, {"pool", step.pool},
                       {"role", step.role}, {"reasons", step.reasons},
                       {"port", step.port.empty() ? json(nullptr) : json(step.port)},
                       {"batch", step.batch < 0 ? json(nullptr) : json(step.batch)},
                       {"refusal", step.refusal.empty() ? json(nullptr) : json(step.refusal)}});
      if (!step.volumes.empty()) nodes.back()["volumes"] = step.volumes;
    }
    json virtual_ip = nullptr;
    if (cluster.virtual_ip) {
      const auto side = [](const std::optional<VirtualIpPort>& port) {
        return port ? json{{"address", port->address}, {"floatingIp", port->floating_ip}}
                    : json(nullptr);
      };
      virtual_ip = {{"change", cluster.virtual_ip->change}, {"port", cluster.virtual_ip->port},
                    {"from", side(cluster.virtual_ip->from)}, {"to", side(cluster.virtual_ip->to)}};
    }
    json upgrades = json::array();
    for (const auto& upgrade : cluster.upgrades) {
      upgrades.push_back({{"field", upgrade.field}, {"from", upgrade.from}, {"to", upgrade.to}});
    }
    json manifests = json::array();
    for (const auto& manifest : cluster.manifests) {
      manifests.push_back({{"path", manifest.path}, {"change", manifest.change}, {"diff", manifest.diff}});
    }
    json node_diffs = json::array();
    for (const auto& diff : cluster.node_diffs) {
      node_diffs.push_back({{"name", diff.name}, {"replaced", diff.replaced},
                            {"refused", diff.refused}, {"diff", diff.diff}});
    }
    json rollout = nullptr;
    if (cluster.rollout) {
      rollout = {{"order", cluster.rollout->order},
                 {"passes", cluster.rollout->passes},
                 {"maxUnavailable", cluster.rollout->max_unavailable},
                 {"steps", cluster.rollout->steps},
                 {"update", cluster.rollout->update_yaml}};
    }
    clusters.push_back(
        {{"name", cluster.name},
         {"change", to_string(cluster.change)},
         {"baseDigest", cluster.base_digest},
         {"headDigest", cluster.head_digest},
         {"nodes", nodes},
         {"upgrades", upgrades},
         {"rollout", rollout},
         {"manifests", manifests},
         {"nodeDiffs", node_diffs},
         {"virtualIp", virtual_ip},
         {"notes", cluster.notes},
         {"waitsForWindow", cluster.waits_for_window},
         {"wave", cluster.change == ClusterChange::kRemoved ? json(nullptr) : json(cluster.wave)}});
  }
  const std::vector<PlannedWave> planned_waves = rollout_waves(plan);
  json waves = json::array();
  for (std::size_t i = 0; i < planned_waves.size(); ++i) {
    waves.push_back({{"wave", planned_waves[i].wave},
                     {"clusters", planned_waves[i].clusters},
                     {"after", i == 0 ? json(nullptr) : json(planned_waves[i - 1].wave)}});
  }
  return {{"schemaVersion", 1},         {"base", plan.base_revision},
          {"head", plan.head_revision}, {"changed", plan.has_changes()},
          {"clusters", clusters},       {"waves", waves}};
}

}  // namespace nkd::plan
