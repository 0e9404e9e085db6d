// The loader: reads every clusters/<name>/cluster.yaml of a tree (and the files they reference),
// validates them, and builds the immutable RepositoryModel. Reports all problems at once.
#pragma once

#include <vector>

#include "model/cluster.h"
#include "model/diagnostics.h"
#include "model/tree_reader.h"

namespace nkd::model {

struct LoadResult {
  RepositoryModel model;                 // the clusters that loaded without errors
  std::vector<Diagnostic> diagnostics;   // sorted
  [[nodiscard]] bool ok() const { return !has_errors(diagnostics); }
};

[[nodiscard]] LoadResult load_repository(const TreeReader& tree);

// Loads only the named clusters (the daemon re-reads just the subtrees that changed).
[[nodiscard]] LoadResult load_clusters(const TreeReader& tree,
                                       const std::vector<std::string>& names);

// Names of the cluster directories under clusters/ (without checking their contents).
[[nodiscard]] Result<std::vector<std::string>> list_cluster_names(const TreeReader& tree);

}  // namespace nkd::model
