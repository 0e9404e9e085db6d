// The Markdown form of a plan, fit to paste as a pull-request comment.
#include <sstream>

#include "plan/review/plan_format.h"

namespace nkd::plan {

namespace {

// The summary is always shown whole, so it is bounded too: a repository of thousands of clusters
// must still fit a comment.
constexpr std::size_t kMaxTableRows = 200;
constexpr std::size_t kMaxUnchangedNames = 50;
constexpr std::size_t kMaxWaveLines = 20;
constexpr std::size_t kMaxWaveNames = 20;

// Diffs go into fenced blocks; a fence longer than any backtick run inside cannot be closed early.
std::string fenced(const std::string& body, const std::string& language) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  return fence + language + "\n" + body + (body.ends_with('\n') ? "" : "\n") + fence + "\n";
}

std::string table_cell(std::string text) {
  for (std::size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) {
    text.replace(at, 1, "\\|");
  }
  return text.empty() ? "-" : text;
}

std::string summary_table(const Plan& plan) {
  std::ostringstream out;
  out << "### nkd plan: `" << plan.base_revision.substr(0, 12) << "` → `"
      << plan.head_revision.substr(0, 12) << "`\n\n";
  std::vector<std::string> unchanged;
  std::size_t rows = 0;
  std::size_t rows_left_out = 0;
  for (const auto& cluster : plan.clusters) {
    if (cluster.change == ClusterChange::kUnchanged) {
      unchanged.push_back(cluster.name);
      continue;
    }
    if (rows == 0) {
      out << "| Cluster | Change | Create | Replace | Delete | Refused | Upgrade | Manifests |\n"
          << "|---|---|---:|---:|---:|---:|---|---:|\n";
    }
    if (++rows > kMaxTableRows) {
      ++rows_left_out;
      continue;
    }
    out << "| " << table_cell(cluster.name) << " | " << to_string(cluster.change) << " | "
        << cluster.count(NodeAction::kCreate) << " | " << cluster.count(NodeAction::kReplace) << " | "
        << cluster.count(NodeAction::kDelete) << " | " << cluster.count(NodeAction::kRefuse)
        << " | " << table_cell(describe_upgrades(cluster))
        << " | " << cluster.manifests.size() << " |\n";
  }
  if (rows_left_out > 0) out << "| and " << rows_left_out << " more changed clusters | | | | | | | |\n";
  if (rows == 0) out << "**No changes.**\n";
  if (std::vector<PlannedWave> waves = rollout_waves(plan); waves.size() > 1) {
    out << "\n**Rollout in " << waves.size() << " waves** (" << kWaveRule << "):\n";
    for (PlannedWave& wave : waves) {
      if (wave.clusters.size() <= kMaxWaveNames) continue;
      const std::size_t more = wave.clusters.size() - kMaxWaveNames;
      wave.clusters.resize(kMaxWaveNames);
      wave.clusters.push_back("and " + std::to_string(more) + " more");
    }
    for (std::size_t i = 0; i < waves.size() && i < kMaxWaveLines; ++i) {
      out << "- " << describe_wave(waves, i) << "\n";
    }
    if (waves.size() > kMaxWaveLines)
      out << "- and " << waves.size() - kMaxWaveLines << " more waves\n";
  }
  if (!unchanged.empty()) {
    out << "\nUnchanged (" << unchanged.size() << "):";
    for (std::size_t i = 0; i < unchanged.size() && i < kMaxUnchangedNames; ++i) out << " `" << unchanged[i] << "`";
    if (unchanged.size() > kMaxUnchangedNames) out << " and " << unchanged.size() - kMaxUnchangedNames << " more";
    out << "\n";
  }
  return out.str();
}

std::string cluster_section(const ClusterPlan& cluster, bool with_diffs) {
  std::ostringstream out;
  out << "\n<details><summary><b>" << cluster.name << "</b> (" << to_string(cluster.change)
      << "): " << describe_node_counts(cluster) << "</summary>\n\n";
  for (const auto& step : cluster.nodes) {
    out << "- **" << to_string(step.action) << "** `" << step.name << "`";
    if (!step.role.empty()) out << " (pool " << step.pool << ", " << step.role << ")";
    if (!step.port.empty()) {
      out << (step.action == NodeAction::kReplace ? " with a new port `" : " with port `")
          << step.port << "`";
    }
    for (std::size_t i = 0; i < step.volumes.size(); ++i) {
      out << (i > 0 ? ", `"
                    : step.action == NodeAction::kReplace ? " with new volumes `" : " with volumes `")
          << step.volumes[i] << "`";
    }
    out << describe_batch(step);
    for (std::size_t i = 0; i < step.reasons.size(); ++i) {
      out << (i == 0 ? ": " : "; ") << step.reasons[i];
    }
    if (!step.refusal.empty()) out << ". Refused: " << step.refusal;
    out << "\n";
  }
  if (cluster.virtual_ip) {
    out << (cluster.nodes.empty() ? "" : "\n") << "**Virtual IP**: "
        << describe_virtual_ip(*cluster.virtual_ip) << "\n";
  }
  if (!cluster.upgrades.empty()) {
    out << "\n**In-place upgrade** by housekeeper (no node is replaced for it):\n";
    for (const auto& upgrade : cluster.upgrades) {
      out << "- `" << upgrade.field << "`: `" << upgrade.from << "` → `" << upgrade.to << "`\n";
    }
  }
  if (cluster.rollout) {
    out << "- rollout by housekeeper's operator: " << cluster.rollout->steps
        << " pass(es), each starting the next control-plane node and up to "
        << cluster.rollout->max_unavailable
        << " worker(s) together (about 3 minutes apart, not waiting for the previous pass)\n";
  }
  for (const auto& manifest : cluster.manifests) {
    out << "\n" << manifest.change << " `" << manifest.path << "`\n";
    if (with_diffs && !manifest.diff.empty()) out << "\n" << fenced(manifest.diff, "diff");
  }
  for (const auto& group : group_node_diffs(cluster)) {
    out << "\nIgnition of `" << join_names(group.names) << "` " << describe_node_diff(*group.first)
        << "\n";
    if (with_diffs) out << "\n" << fenced(group.first->diff, "diff");
  }
  if (!with_diffs && (!cluster.manifests.empty() || !cluster.node_diffs.empty())) {
    out << "\n_Diffs left out to keep this comment under its size limit._\n";
  }
  for (const auto& note : cluster.notes) out << "\n> " << note << "\n";
  out << "\n</details>\n";
  return out.str();
}

}  // namespace

std::string format_markdown(const Plan& plan, std::size_t limit_bytes) {
  std::string out = summary_table(plan);
  std::vector<std::string> left_out;
  const std::string cut_note_template =
      "\n> The plan is cut here to fit a comment; run `nkd plan` locally for the rest: ";
  for (const auto& cluster : plan.clusters) {
    if (cluster.change == ClusterChange::kUnchanged) continue;
    if (!left_out.empty()) {
      left_out.push_back(cluster.name);
      continue;
    }
    // Keep room for the note that names what was left out.
    const std::size_t reserve = cut_note_template.size() + 512;
    std::string section = cluster_section(cluster, true);
    if (out.size() + section.size() + reserve > limit_bytes) section = cluster_section(cluster, false);
    if (out.size() + section.size() + reserve > limit_bytes) {
      left_out.push_back(cluster.name);
      continue;
    }
    out += section;
  }
  if (!left_out.empty()) {
    out += cut_note_template;
    std::string names;
    for (const auto& name : left_out) {
      if (names.size() > 400) {
        names += " and " + std::to_string(left_out.size()) + " in all";
        break;
      }
      names += (names.empty() ? "`" : ", `") + name + "`";
    }
    out += names + ".\n";
  }
  return out;
}

}  // namespace nkd::plan
