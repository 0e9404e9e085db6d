#include "model/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>

#include "common/utf8.h"
#include "model/cluster_parser.h"
#include "model/limits.h"
#include "model/mac_addresses.h"
#include "model/yaml_fields.h"

namespace nkd::model {

namespace {

constexpr std::string_view kClustersDirectory = "clusters/";

// What to do about a cluster.yaml the reader would not give.
std::string unreadable_definition_message(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound:
      return "no cluster.yaml in this cluster directory; add one or remove the directory";
    case ErrorCode::kQuotaExceeded:
      return error.message + "; a definition is a few KiB: keep large content in files that "
                             "spec.ignition references, or split the cluster";
    default: return error.message;
  }
}

// The 1-based line and column (in bytes) of `offset` in `text`.
std::pair<int, int> line_and_column(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const auto line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
  const auto last_newline = before.rfind('\n');
  const auto column = offset - (last_newline == std::string_view::npos ? 0 : last_newline + 1);
  return {line, static_cast<int>(column) + 1};
}

std::optional<Cluster> load_one(const TreeReader& tree, const std::string& name,
                                std::vector<Diagnostic>& diagnostics) {
  const std::string path = std::string(kClustersDirectory) + name + "/cluster.yaml";
  YamlFields fields(path, diagnostics);
  auto text = tree.read(path, kMaxClusterYamlBytes);
  if (!text) {
    const bool absent = text.error().code == ErrorCode::kNotFound;
    diagnostics.push_back(Diagnostic{
        .path = absent ? std::string(kClustersDirectory) + name + "/" : path,
        .severity = Severity::kError,
        .message = unreadable_definition_message(text.error())});
    return std::nullopt;
  }
  // Every string of the definition reaches JSON (Ignition, the status API), which takes UTF-8
  // only; YAML requires it too. One check of the whole file covers every field.
  if (const auto invalid = first_invalid_utf8(*text)) {
    const auto [line, column] = line_and_column(*text, *invalid);
    diagnostics.push_back(Diagnostic{
        .path = path, .line = line, .column = column, .severity = Severity::kError,
        .message = "this byte is not valid UTF-8; save cluster.yaml as UTF-8"});
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

// Loads one cluster, turning whatever escapes the loader (an allocation that fails, an exception
// of the YAML library the parser does not expect) into a diagnostic: definitions are untrusted
// input, and the daemon's source thread must survive any of them.
std::optional<Cluster> load_one_guarded(const TreeReader& tree, const std::string& name,
                                        std::vector<Diagnostic>& diagnostics) {
  try {
    return load_one(tree, name, diagnostics);
  } catch (const std::exception& error) {
    diagnostics.push_back(Diagnostic{
        .path = std::string(kClustersDirectory) + name + "/cluster.yaml",
        .severity = Severity::kError,
        .message = std::string("cannot load this definition (") + error.what() +
                   "); check it against the limits in docs/DESIGN.md"});
    return std::nullopt;
  }
}

// MACs are unique across the clusters loaded together (mac_addresses.h); a cluster that claims
// one an earlier cluster (by name) or an earlier machine of its own claims leaves the model.
void drop_duplicate_macs(LoadResult& result) {
  std::vector<MacClaim> established;
  std::vector<Cluster> kept;
  for (Cluster& cluster : result.model.clusters) {
    const std::vector<MacClaim> claims = mac_claims(cluster);
    std::vector<Diagnostic> duplicates = duplicate_macs(claims, established);
    established.insert(established.end(), claims.begin(), claims.end());
    if (duplicates.empty()) {
      kept.push_back(std::move(cluster));
      continue;
    }
    result.diagnostics.insert(result.diagnostics.end(), duplicates.begin(), duplicates.end());
  }
  result.model.clusters = std::move(kept);
}

}  // namespace

Result<std::vector<std::string>> list_cluster_names(const TreeReader& tree) {
  NKD_ASSIGN_OR_RETURN(auto entries, tree.list(std::string(kClustersDirectory)));
  std::vector<std::string> names;
  for (const std::string& entry : entries) {
    if (entry.ends_with('/')) names.push_back(entry.substr(0, entry.size() - 1));
  }
  if (names.size() > kMaxClustersPerRepository) {
    return Error{ErrorCode::kQuotaExceeded,
                 std::to_string(names.size()) + " cluster directories, more than the " +
                     std::to_string(kMaxClustersPerRepository) +
                     " one repository may hold; split the clusters across several repositories"};
  }
  return names;
}

LoadResult load_clusters(const TreeReader& tree, const std::vector<std::string>& names) {
  LoadResult result;
  for (const std::string& name : names) {
    std::vector<Diagnostic> cluster_diagnostics;
    if (!is_valid_utf8(name)) {
      // The name is a path in every diagnostic, log line and API answer: it must be text.
      result.diagnostics.push_back(Diagnostic{
          .path = std::string(kClustersDirectory) + replace_invalid_utf8(name) + "/",
          .severity = Severity::kError,
          .message = "this directory name is not valid UTF-8; rename the directory to its "
                     "cluster's metadata.name"});
      continue;
    }
    auto cluster = load_one_guarded(tree, name, cluster_diagnostics);
    if (cluster && !has_errors(cluster_diagnostics)) {
      result.model.clusters.push_back(std::move(*cluster));
    }
    result.diagnostics.insert(result.diagnostics.end(), cluster_diagnostics.begin(),
                              cluster_diagnostics.end());
  }
  std::sort(result.model.clusters.begin(), result.model.clusters.end(),
            [](const Cluster& left, const Cluster& right) { return left.name < right.name; });
  drop_duplicate_macs(result);
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
