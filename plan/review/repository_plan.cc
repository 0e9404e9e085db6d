#include "plan/review/repository_plan.h"

#include <algorithm>
#include <list>
#include <map>
#include <memory>

#include "common/crypto.h"
#include "model/limits.h"
#include "model/loader.h"
#include "model/upgrade_path.h"

namespace nkd::plan {

namespace {

Status hash_directory(const model::TreeReader& tree, const std::string& directory, std::string& digest_input) {
  NKD_ASSIGN_OR_RETURN(auto entries, tree.list(directory));
  for (const auto& entry : entries) {
    const std::string path = directory + entry;
    if (entry.ends_with('/')) {
      NKD_RETURN_IF_ERROR(hash_directory(tree, path, digest_input));
      continue;
    }
    NKD_ASSIGN_OR_RETURN(auto contents, tree.read(path, model::kMaxFingerprintedFileBytes));
    digest_input += path + '\0' + sha256_hex(contents) + '\n';
  }
  return ok_status();
}

// Every secret value of a PKI and a render, for the redactor.
void collect_secrets(const pki::ClusterPki& pki, std::vector<std::string>& secrets) {
  for (const pki::CertKeyPair* pair : {&pki.ca, &pki.front_proxy_ca, &pki.etcd_ca, &pki.admin}) {
    secrets.push_back(pair->key_pem.reveal());
  }
  secrets.push_back(pki.service_account_key_pem.reveal());
  secrets.push_back(pki.bootstrap_token_secret.reveal());
  secrets.push_back(pki.node_token_key.reveal());
}

void collect_secrets(const render::ClusterRender& render, std::vector<std::string>& secrets) {
  for (const auto& node : render.nodes) secrets.push_back(node.fetch_token.reveal());
}

// The renders one changed cluster needs, kept alive while its plan is made.
struct ClusterRenders {
  std::optional<render::ClusterRender> base;
  std::optional<render::ClusterRender> head;
  std::unique_ptr<SecretRedactor> redactor;
};

Result<ClusterRenders> render_both(const model::Cluster* base, const model::Cluster* head,
                                   const RepositoryPlanInputs& inputs) {
  const model::Cluster& any = head != nullptr ? *head : *base;
  std::optional<pki::ClusterPki> stored;
  if (inputs.stored_pki) stored = inputs.stored_pki(any.name);
  ClusterRenders renders;
  std::vector<std::string> secrets;
  std::optional<pki::ClusterPki> base_pki;
  if (base != nullptr) {
    NKD_ASSIGN_OR_RETURN(auto made, pki::ensure_pki(*base, stored, inputs.now_unix));
    base_pki = std::move(made);
    renders.base = render::render_cluster(*base, *base_pki, inputs.render_options);
    collect_secrets(*base_pki, secrets);
    collect_secrets(*renders.base, secrets);
  }
  if (head != nullptr) {
    NKD_ASSIGN_OR_RETURN(auto head_pki,
                         pki::ensure_pki(*head, base_pki ? base_pki : stored, inputs.now_unix));
    renders.head = render::render_cluster(*head, head_pki, inputs.render_options);
    collect_secrets(head_pki, secrets);
    collect_secrets(*renders.head, secrets);
  }
  renders.redactor = std::make_unique<SecretRedactor>(std::move(secrets));
  return renders;
}

std::vector<std::string> cluster_names(const model::TreeReader& base, const model::RepositoryModel& head,
                                       std::vector<std::string>& warnings) {
  std::set<std::string> names;
  for (const auto& cluster : head.clusters) names.insert(cluster.name);
  if (auto listed = model::list_cluster_names(base)) {
    names.insert(listed->begin(), listed->end());
  } else {
    warnings.push_back("cannot list the base's clusters: " + listed.error().message);
  }
  return {names.begin(), names.end()};
}

// With a daemon's view, a cluster whose definition did not change still needs a plan when the
// daemon's nodes are not the ones the head wants (it is behind, or something failed).
bool differs_from_actual(const RepositoryPlanInputs& inputs, const model::Cluster* head,
                         const std::string& name) {
  if (!inputs.actual) return false;
  const auto found = inputs.actual->find(name);
  if (found == inputs.actual->end()) return head != nullptr;
  std::set<std::string> wanted;
  if (head != nullptr) {
    for (const auto& node : model::expand_nodes(*head)) wanted.insert(node.name);
  }
  std::set<std::string> reported;
  for (const auto& [node, reported_node] : found->second.nodes) reported.insert(node);
  return wanted != reported;
}

// What identifies a cluster's definition on one side: the Git tree ids when both sides have
// them (no file is read), else a digest of each side's files (also when the cluster exists on
// one side only); "" when the cluster is absent from that side.
Result<std::string> definition_id(const model::TreeReader& base, const model::TreeReader& head,
                                  const std::string& name, bool base_side) {
  const std::string directory = "clusters/" + name;
  const std::string base_id = base.content_id(directory);
  const std::string head_id = head.content_id(directory);
  if (!base_id.empty() && !head_id.empty()) return base_side ? base_id : head_id;
  return cluster_fingerprint(base_side ? base : head, name);
}

// The head is invalid, as the daemon would find it, when a cluster's Kubernetes version cannot
// follow the base's (kubeadm moves one minor at a time and never back). Only changed clusters
// can differ in version, so only they are compared.
Status check_upgrade_paths(const std::map<std::string, const model::Cluster*>& base,
                           const model::RepositoryModel& head,
                           const std::vector<std::string>& changed,
                           const std::string& base_revision) {
  std::string refused;
  for (const auto& name : changed) {
    const auto found = base.find(name);
    const model::Cluster* before = found != base.end() ? found->second : nullptr;
    const model::Cluster* after = head.find(name);
    if (before == nullptr || after == nullptr) continue;
    if (auto diagnostic = model::check_cluster_transition(*before, *after, "base")) {
      refused += model::format(*diagnostic) + "\n";
    }
  }
  if (refused.empty()) return ok_status();
  return Error{ErrorCode::kInvalidArgument,
               "the head cannot follow the base " + base_revision.substr(0, 12) + ":\n" + refused +
                   "fix the errors above (the daemon would reject this commit and keep the last "
                   "good one)"};
}

}  // namespace

Result<std::string> cluster_fingerprint(const model::TreeReader& tree, const std::string& name) {
  std::string digest_input;
  NKD_RETURN_IF_ERROR(hash_directory(tree, "clusters/" + name + "/", digest_input));
  return digest_input.empty() ? std::string() : sha256_hex(digest_input);
}

Result<RepositoryPlan> plan_repositories(const RepositoryPlanInputs& inputs) {
  RepositoryPlan result;
  result.plan.base_revision = inputs.base_revision;
  result.plan.head_revision = inputs.head_revision;
  std::vector<std::string> changed;
  std::vector<std::string> in_base;
  for (const auto& name : cluster_names(*inputs.base_tree, *inputs.head_model, result.warnings)) {
    NKD_ASSIGN_OR_RETURN(auto before,
                         definition_id(*inputs.base_tree, *inputs.head_tree, name, true));
    NKD_ASSIGN_OR_RETURN(auto after,
                         definition_id(*inputs.base_tree, *inputs.head_tree, name, false));
    if (before != after || differs_from_actual(inputs, inputs.head_model->find(name), name)) {
      changed.push_back(name);
      if (!before.empty()) in_base.push_back(name);
    } else {
      result.plan.clusters.push_back({.name = name});
    }
  }
  const model::LoadResult base = model::load_clusters(*inputs.base_tree, in_base);
  for (const auto& diagnostic : base.diagnostics) {
    if (diagnostic.severity == model::Severity::kError) {
      result.warnings.push_back("base " + model::format(diagnostic));
    }
  }
  // Each changed cluster's definition before: the base's, or where the base's does not load,
  // the one the daemon keeps applied.
  std::map<std::string, const model::Cluster*> before_of;
  std::map<std::string, std::string> last_valid_revision;
  std::list<model::LoadResult> last_valid;  // owns those definitions; a list keeps them in place
  for (const auto& name : in_base) {
    if (const model::Cluster* cluster = base.model.find(name)) {
      before_of[name] = cluster;
      continue;
    }
    if (!inputs.last_valid_base) continue;
    std::optional<RepositoryPlanInputs::LastValid> found = inputs.last_valid_base(name);
    if (!found) continue;
    last_valid.push_back(model::load_clusters(*found->tree, {name}));
    if (const model::Cluster* cluster = last_valid.back().model.find(name)) {
      before_of[name] = cluster;
      last_valid_revision[name] = found->revision;
    }
  }
  NKD_RETURN_IF_ERROR(
      check_upgrade_paths(before_of, *inputs.head_model, changed, inputs.base_revision));
  for (const auto& name : changed) {
    const auto known = before_of.find(name);
    const model::Cluster* before = known != before_of.end() ? known->second : nullptr;
    const model::Cluster* after = inputs.head_model->find(name);
    // A base definition that does not load (see the warnings) leaves its nodes unknown: say so
    // in the plan itself rather than show the cluster as new or drop it.
    const bool base_unreadable =
        before == nullptr && std::find(in_base.begin(), in_base.end(), name) != in_base.end();
    if (before == nullptr && after == nullptr) {
      if (base_unreadable) {
        result.plan.clusters.push_back(
            {.name = name,
             .change = ClusterChange::kRemoved,
             .notes = {"the base's definition does not load, so its nodes are unknown; the cluster "
                       "leaves Git: orphaned by default, its machines deleted with prune: true"}});
      }
      continue;
    }
    NKD_ASSIGN_OR_RETURN(auto renders, render_both(before, after, inputs));
    ClusterInputs cluster{.name = name,
                          .base = before,
                          .base_render = renders.base ? &*renders.base : nullptr,
                          .head = after,
                          .head_render = renders.head ? &*renders.head : nullptr,
                          .redactor = renders.redactor.get(),
                          .now_unix_ms = inputs.now_unix * 1000};
    std::optional<std::string> applied;
    if (inputs.actual) {
      const auto found = inputs.actual->find(name);
      cluster.actual_nodes =
          found != inputs.actual->end() ? found->second.nodes : std::map<std::string, ActualNode>{};
      if (found != inputs.actual->end()) applied = found->second.applied_revision;
    }
    ClusterPlan plan = plan_cluster(cluster);
    if (base_unreadable) {
      plan.change = ClusterChange::kChanged;
      plan.notes.push_back("the base's definition does not load, so every node is shown as "
                           "created; nodes that already exist are kept, not created again");
    }
    if (const auto fallback = last_valid_revision.find(name); fallback != last_valid_revision.end()) {
      plan.notes.push_back("the base's definition does not load (the daemon rejects it and keeps " +
                           fallback->second.substr(0, 12) + " applied): planned against " +
                           fallback->second.substr(0, 12) + ", the newest revision where it loads");
    }
    if (applied && *applied != inputs.base_revision) {
      plan.notes.push_back("the daemon has applied " + (applied->empty() ? "nothing" : applied->substr(0, 12)) +
                           " for this cluster, not the base; node actions are against the nodes it reports");
    }
    result.plan.clusters.push_back(std::move(plan));
  }
  std::sort(result.plan.clusters.begin(), result.plan.clusters.end(),
            [](const ClusterPlan& a, const ClusterPlan& b) { return a.name < b.name; });
  return result;
}

}  // namespace nkd::plan
