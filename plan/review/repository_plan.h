// Plans a whole repository: which clusters a head revision adds, removes or changes against a
// base revision (or against what a running daemon reports), rendered with one PKI per cluster so
// only real changes show. Only clusters whose files differ are loaded and rendered, so a plan
// over a large repository costs what its changed clusters cost.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/cluster.h"
#include "model/tree_reader.h"
#include "plan/review/plan.h"
#include "render/pki/cluster_pki.h"
#include "render/render.h"

namespace nkd::plan {

// What a running daemon reports for a cluster (GET /api/v1/clusters).
struct ActualCluster {
  std::string applied_revision;
  std::map<std::string, ActualNode> nodes;  // by name
};

struct RepositoryPlanInputs {
  const model::TreeReader* base_tree = nullptr;
  std::string base_revision;
  const model::TreeReader* head_tree = nullptr;
  std::string head_revision;
  const model::RepositoryModel* head_model = nullptr;  // the head, loaded and valid
  // The PKI a cluster already has (e.g. from a state file); nullopt: a throwaway one is made,
  // used for both revisions, and never stored.
  std::function<std::optional<pki::ClusterPki>(const std::string& cluster)> stored_pki;
  std::optional<std::map<std::string, ActualCluster>> actual;  // from --server
  // For a cluster whose base definition does not load: the newest earlier revision at which it
  // does (the daemon rejected the later ones and keeps that one applied). Unset, or nullopt: none
  // is known, and the plan says that the base's nodes are unknown.
  struct LastValid {
    std::unique_ptr<model::TreeReader> tree;
    std::string revision;
  };
  std::function<std::optional<LastValid>(const std::string& cluster)> last_valid_base;
  render::RenderOptions render_options;
  std::int64_t now_unix = 0;  // for certificate validity in a throwaway PKI
};

struct RepositoryPlan {
  Plan plan;
  std::vector<std::string> warnings;  // e.g. a base cluster that does not load
};

[[nodiscard]] Result<RepositoryPlan> plan_repositories(const RepositoryPlanInputs& inputs);

// SHA-256 over every file under clusters/<name>/ (paths and contents): equal fingerprints mean
// the cluster's definition did not change. "" when the directory is absent.
[[nodiscard]] Result<std::string> cluster_fingerprint(const model::TreeReader& tree,
                                                      const std::string& name);

}  // namespace nkd::plan
