#include "render/model/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "render/model/cluster_parser.h"
#include "render/model/limits.h"
#include "render/model/yaml_fields.h"

namespace nkd::model {

namespace {

constexpr std::string_view kClustersDirectory = "clusters/";

std::optional<Cluster> load_one(const TreeReader& tree, const std::string& name,
                                std::vector<Diagnostic>& diagnostics) {
  const std::string path = std::string(kClustersDirectory) + name + "/cluster.yaml";
  YamlFields fields(path, diagnostics);
  auto text = tree.read(path, kMaxClusterYamlBytes);
  if (!text) {
    diagnostics.push_back(Diagnostic{.path = std::string(kClustersDirectory) + name + "/",
                                     .severity = Severity::kError,
                                     .message = "no cluster.yaml in this cluster directory; add "
                                                "one or remove the directory"});
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& error) {
    fields.error(error.mark, "YAML syntax error: " + error.msg);
    return std::nullopt;
  }
  try {
    return ClusterParser(tree, name, fields).parse(root);
  } catch (const YAML::Exception& error) {
    // yaml-cpp throws on some malformed structures (e.g. a key that is itself a mapping).
    fields.error(error.mark, "cannot read this document: " + error.msg);
    return std::nullopt;
  }
}

}  // namespace

Result<std::vector<std::string>> list_cluster_names(const TreeReader& tree) {
  auto entries = tree.list(std::string(kClustersDirectory));
  if (!entries) return entries.error();
  std::vector<std::string> names;
  for (const std::string& entry : *entries) {
    if (entry.ends_with('/')) names.push_back(entry.substr(0, entry.size() - 1));
  }
  return names;
}

LoadResult load_clusters(const TreeReader& tree, const std::vector<std::string>& names) {
  LoadResult result;
  for (const std::string& name : names) {
    std::vector<Diagnostic> cluster_diagnostics;
    auto cluster = load_one(tree, name, cluster_diagnostics);
    if (cluster && !has_errors(cluster_diagnostics)) {
      result.model.clusters.push_back(std::move(*cluster));
    }
    result.diagnostics.insert(result.diagnostics.end(), cluster_diagnostics.begin(),
                              cluster_diagnostics.end());
  }
  std::sort(result.model.clusters.begin(), result.model.clusters.end(),
            [](const Cluster& left, const Cluster& right) { return left.name < right.name; });
  sort_diagnostics(result.diagnostics);
  return result;
}

LoadResult load_repository(const TreeReader& tree) {
  auto names = list_cluster_names(tree);
  if (!names) {
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{.path = std::string(kClustersDirectory),
                                            .severity = Severity::kError,
                                            .message = names.error().message});
    return result;
  }
  LoadResult result = load_clusters(tree, *names);
  if (names->empty()) {
    result.diagnostics.push_back(Diagnostic{
        .path = std::string(kClustersDirectory),
        .severity = Severity::kWarning,
        .message = "no cluster directories in " + tree.describe() +
                   "; add clusters/<name>/cluster.yaml"});
  }
  return result;
}

}  // namespace nkd::model
