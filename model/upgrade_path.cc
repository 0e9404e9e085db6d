#include "model/upgrade_path.h"

#include <yaml-cpp/yaml.h>

#include "common/semver.h"
#include "model/limits.h"

namespace nkd::model {

namespace {

std::string minor_text(long major, long minor) {
  return "v" + std::to_string(major) + "." + std::to_string(minor);
}

std::string refusal(const semver::Version& from, const semver::Version& to,
                    const std::string& from_text, const std::string& to_text,
                    std::string_view label) {
  const std::string prefix = "spec.kubernetes.version " + to_text;
  const std::string applied = " the " + std::string(label) + " " + from_text;
  if (to.major != from.major) {
    return prefix + " changes the major version from" + applied +
           ": kubeadm cannot upgrade across major versions; keep " + minor_text(from.major, from.minor) +
           ".x or go to " + minor_text(from.major, from.minor + 1) + ".x";
  }
  if (to.minor < from.minor) {
    return prefix + " downgrades" + applied + ": kubeadm cannot downgrade a minor version; keep " +
           minor_text(from.major, from.minor) + ".x or go to " +
           minor_text(from.major, from.minor + 1) + ".x";
  }
  std::string skipped = minor_text(from.major, from.minor + 1);
  if (to.minor - from.minor > 2) skipped += " to " + minor_text(from.major, to.minor - 1);
  return prefix + " skips " + skipped + " from" + applied +
         ": kubeadm upgrades one minor version at a time; go to " +
         minor_text(from.major, from.minor + 1) + ".x first";
}

}  // namespace

std::optional<Diagnostic> check_kubernetes_upgrade(const Cluster& applied, const Cluster& next,
                                                   std::string_view applied_label) {
  const auto from = semver::Version::parse(applied.kubernetes.version);
  const auto to = semver::Version::parse(next.kubernetes.version);
  if (!from || !to) return std::nullopt;
  const bool fine = to->major == from->major && to->minor >= from->minor &&
                    to->minor - from->minor <= 1;
  if (fine) return std::nullopt;
  return Diagnostic{.path = "clusters/" + next.name + "/cluster.yaml",
                    .line = next.kubernetes.version_line,
                    .column = next.kubernetes.version_column,
                    .severity = Severity::kError,
                    .message = refusal(*from, *to, applied.kubernetes.version,
                                       next.kubernetes.version, applied_label)};
}

std::optional<Diagnostic> check_network_plugin_change(const Cluster& applied,
                                                      const Cluster& next,
                                                      std::string_view applied_label) {
  const NetworkPlugin from = applied.kubernetes.network_plugin;
  const NetworkPlugin to = next.kubernetes.network_plugin;
  if (from == to) return std::nullopt;
  const std::string message =
      std::string("spec.kubernetes.networkPlugin ") + to_string(to) + " replaces the " +
      std::string(applied_label) + " " + to_string(from) +
      ": a running cluster cannot switch network plugins in place (pods keep the old plugin's "
      "addresses and routes); keep '" + to_string(from) +
      "', or build a new cluster with the new plugin and move the workloads";
  const bool located = next.kubernetes.network_plugin_line > 0;
  return Diagnostic{.path = "clusters/" + next.name + "/cluster.yaml",
                    .line = located ? next.kubernetes.network_plugin_line
                                    : next.kubernetes.version_line,
                    .column = located ? next.kubernetes.network_plugin_column : 0,
                    .severity = Severity::kError,
                    .message = message};
}

std::optional<Diagnostic> check_cluster_transition(const Cluster& applied, const Cluster& next,
                                                   std::string_view applied_label) {
  if (auto refused = check_kubernetes_upgrade(applied, next, applied_label)) return refused;
  return check_network_plugin_change(applied, next, applied_label);
}

std::optional<std::string> peek_kubernetes_version(const TreeReader& tree,
                                                   const std::string& cluster_name) {
  return peek_kubernetes_field(tree, cluster_name, "version");
}

std::optional<std::string> peek_kubernetes_field(const TreeReader& tree,
                                                 const std::string& cluster_name,
                                                 const char* key) {
  auto text = tree.read("clusters/" + cluster_name + "/cluster.yaml", kMaxClusterYamlBytes);
  if (!text) return std::nullopt;
  try {
    const YAML::Node root = YAML::Load(*text);
    const YAML::Node value = root["spec"]["kubernetes"][key];
    if (!value.IsDefined() || !value.IsScalar()) return std::nullopt;
    return value.Scalar();
  } catch (const YAML::Exception&) {
    // A definition yaml-cpp cannot read gives no version to compare; the full load reports why.
    return std::nullopt;
  }
}

}  // namespace nkd::model
