// Daemon, the commit step: validate a new commit and hand the clusters it changed to the
// reconciler (which renders each when it works on it); or reject the commit as a whole and keep
// the last accepted commit in force.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>

#include "model/loader.h"
#include "model/mac_addresses.h"
#include "model/upgrade_path.h"
#include "render/render.h"
#include "state/cluster_pki_store.h"
#include "syncd/daemon.h"

namespace nkd::syncd {

namespace {

std::string cluster_of(const model::Diagnostic& diagnostic) {
  constexpr std::string_view kPrefix = "clusters/";
  if (!diagnostic.path.starts_with(kPrefix)) return "";
  const auto rest = diagnostic.path.substr(kPrefix.size());
  return rest.substr(0, rest.find('/'));
}

// The error, if any, for `cluster` against its definition at `revision`; nullopt when that
// commit or definition cannot be read (an unreadable old revision must never block a new one).
std::optional<model::Diagnostic> refused_against(source::Source& source, const model::Cluster& cluster,
                                                 const std::string& revision,
                                                 std::string_view label) {
  auto tree = source.tree(revision);
  if (!tree) {
    spdlog::debug("upgrade path of {}: cannot read commit {} ({}); not checked", cluster.name,
                  revision.substr(0, 12), tree.error().message);
    return std::nullopt;
  }
  // Most commits keep the version: a look at one field spares the full load of the old one.
  const auto version = model::peek_kubernetes_version(**tree, cluster.name);
  const auto plugin = model::peek_kubernetes_field(**tree, cluster.name, "networkPlugin")
                          .value_or(model::to_string(model::NetworkPlugin::kCalico));
  if (version && *version == cluster.kubernetes.version &&
      plugin == model::to_string(cluster.kubernetes.network_plugin)) {
    return std::nullopt;
  }
  const model::LoadResult loaded = model::load_clusters(**tree, {cluster.name});
  const model::Cluster* before = loaded.model.find(cluster.name);
  if (before == nullptr) {
    spdlog::debug("upgrade path of {}: its definition at {} does not load; not checked",
                  cluster.name, revision.substr(0, 12));
    return std::nullopt;
  }
  return model::check_cluster_transition(*before, cluster, label);
}

// Errors for loaded clusters whose spec.kubernetes.version cannot follow the version of the
// definition they have applied (kubeadm moves one minor at a time and never back), nor, while a
// rollout is still under way, the one the cluster last reached (its clusterRevision): a commit
// pushed mid-rollout must be one step from the nodes that have not moved yet too. A cluster with
// nothing applied is not checked.
std::vector<model::Diagnostic> refused_upgrades(source::Source& source, state::StateStore& store,
                                                const model::RepositoryModel& loaded,
                                                const std::string& commit_id) {
  std::vector<model::Diagnostic> refused;
  for (const model::Cluster& cluster : loaded.clusters) {
    auto record = store.get_cluster(cluster.name);
    if (!record || !record->has_value()) continue;
    const std::pair<const std::string*, std::string_view> compared[] = {
        {&(*record)->applied_revision, "applied"}, {&(*record)->cluster_revision, "running"}};
    for (const auto& [revision, label] : compared) {
      if (revision->empty() || *revision == commit_id) continue;
      if (auto diagnostic = refused_against(source, cluster, *revision, label)) {
        refused.push_back(std::move(*diagnostic));
        break;
      }
    }
  }
  return refused;
}

}  // namespace

reconcile::RenderFunction Daemon::render_function(const model::Cluster& cluster) {
  return [this, cluster]() -> Result<std::shared_ptr<const render::ClusterRender>> {
    const auto started = clock_.steady_now();
    auto pki = state::load_or_create_pki(*store_, cluster, clock_.now_unix_ms() / 1000);
    if (!pki) {
      metrics_.render_errors_total.Add({}).Increment();
      return pki.error();
    }
    auto render = std::make_shared<const render::ClusterRender>(
        render::render_cluster(cluster, *pki,
                               render::RenderOptions{.ignition_base_url = config_.public_url,
                                                     .ignition_ca_pem = ignition_ca_pem_}));
    metrics_.render_duration_seconds.Add({}, metrics::Metrics::fast_buckets())
        .Observe(std::chrono::duration<double>(clock_.steady_now() - started).count());
    return std::shared_ptr<const render::ClusterRender>(std::move(render));
  };
}

std::vector<model::Diagnostic> Daemon::macs_claimed_elsewhere(
    const model::RepositoryModel& loaded, const std::set<std::string>& present) const {
  std::vector<model::MacClaim> checked;
  std::set<std::string> reloaded;
  for (const model::Cluster& cluster : loaded.clusters) {
    const auto claims = model::mac_claims(cluster);
    checked.insert(checked.end(), claims.begin(), claims.end());
    reloaded.insert(cluster.name);
  }
  std::vector<model::MacClaim> established;
  for (const auto& [name, claims] : mac_claims_) {
    if (present.contains(name) && !reloaded.contains(name)) {
      established.insert(established.end(), claims.begin(), claims.end());
    }
  }
  return model::duplicate_macs(checked, established);
}

void Daemon::process_commit(const std::string& commit_id, std::int64_t fetched_at_ms) {
  auto tree = source_->tree(commit_id);
  auto info = source_->commit_info(commit_id);
  if (!tree || !info) {
    spdlog::error("reading commit {}: {}", commit_id.substr(0, 12),
                  !tree ? tree.error().message : info.error().message);
    seen_commit_.clear();  // try again on the next poll
    return;
  }
  auto names = model::list_cluster_names(**tree);
  if (!names && names.error().code == ErrorCode::kQuotaExceeded) {
    // Too many clusters is the commit's fault, not a passing one: reject it, do not retry.
    reject_commit(commit_id, {model::Diagnostic{.path = "clusters/",
                                                .severity = model::Severity::kError,
                                                .message = names.error().message}});
    return;
  }
  if (!names) {
    spdlog::error("listing clusters at {}: {}", commit_id.substr(0, 12), names.error().message);
    seen_commit_.clear();
    return;
  }
  // Only what changed since the last accepted commit is loaded and re-rendered.
  std::vector<std::string> to_load = *names;
  if (!accepted_commit_.empty()) {
    auto changed = source_->changed_clusters(accepted_commit_, commit_id);
    if (changed) {
      to_load.clear();
      const std::set<std::string> present(names->begin(), names->end());
      for (const auto& name : *changed) {
        if (present.contains(name)) to_load.push_back(name);
      }
    }
  }
  const model::LoadResult loaded = model::load_clusters(**tree, to_load);
  for (const auto& diagnostic : loaded.diagnostics) {
    if (diagnostic.severity == model::Severity::kWarning) spdlog::warn("{}", model::format(diagnostic));
  }
  if (!loaded.ok()) {
    reject_commit(commit_id, loaded.diagnostics);
    return;
  }
  if (auto refused = refused_upgrades(*source_, *store_, loaded.model, commit_id); !refused.empty()) {
    reject_commit(commit_id, refused);
    return;
  }
  const std::set<std::string> present(names->begin(), names->end());
  if (auto duplicates = macs_claimed_elsewhere(loaded.model, present); !duplicates.empty()) {
    reject_commit(commit_id, duplicates);
    return;
  }
  // Rendering happens in the reconcile workers (render_function), one cluster at a time.
  std::map<std::string, reconcile::DesiredCluster> rendered;
  for (const model::Cluster& cluster : loaded.model.clusters) {
    rendered.emplace(cluster.name, reconcile::DesiredCluster{.cluster = cluster,
                                                  .render = render_function(cluster),
                                                  .commit = *info,
                                                  .fetched_at_ms = fetched_at_ms});
  }
  if (commit_statuses_) {
    std::vector<std::string> changed;
    for (const auto& [name, desired] : rendered) changed.push_back(name);
    commit_statuses_->commit_started(commit_id, changed);
  }
  std::vector<reconcile::DesiredCluster> batch;
  for (auto& [name, desired] : rendered) batch.push_back(std::move(desired));
  reconciler_->submit_all(std::move(batch));
  std::vector<std::string> unchanged;
  for (const auto& name : *names) {
    if (!rendered.contains(name)) unchanged.push_back(name);
  }
  reconciler_->observe_revisions(unchanged, *info);
  if (auto records = store_->list_clusters()) {
    for (const auto& record : *records) {
      if (present.contains(record.name)) continue;
      if (config_.prune) {
        reconciler_->prune(record.name, commit_id);
      } else {
        reconciler_->orphan(record.name, commit_id);
      }
      if (commit_statuses_) commit_statuses_->cluster_removed(record.name, commit_id);
    }
  }
  known_clusters_ = present;
  std::erase_if(mac_claims_, [&](const auto& entry) { return !present.contains(entry.first); });
  for (const model::Cluster& cluster : loaded.model.clusters) {
    mac_claims_[cluster.name] = model::mac_claims(cluster);
  }
  accepted_commit_ = commit_id;
  metrics_.source_head_valid.Add({}).Set(1);
  if (notifier_) {
    notifier_->commit_accepted(commit_id, std::to_string(loaded.model.clusters.size()) +
                                              " cluster(s) changed, " +
                                              std::to_string(names->size() - loaded.model.clusters.size()) +
                                              " unchanged");
  }
  spdlog::info("accepted commit {} by {}: {} cluster(s) changed, {} unchanged",
               commit_id.substr(0, 12), info->author, loaded.model.clusters.size(),
               names->size() - loaded.model.clusters.size());
}

void Daemon::reject_commit(const std::string& commit_id,
                           const std::vector<model::Diagnostic>& diagnostics) {
  metrics_.render_errors_total.Add({}).Increment();
  metrics_.source_head_valid.Add({}).Set(0);
  std::map<std::string, std::string> errors_by_cluster;
  for (const auto& diagnostic : diagnostics) {
    if (diagnostic.severity != model::Severity::kError) continue;
    spdlog::error("commit {} rejected: {}", commit_id.substr(0, 12), model::format(diagnostic));
    auto& text = errors_by_cluster[cluster_of(diagnostic)];
    if (text.empty()) text = "commit " + commit_id.substr(0, 12) + " rejected: " + model::format(diagnostic);
  }
  const auto first = std::find_if(diagnostics.begin(), diagnostics.end(), [](const auto& diagnostic) {
    return diagnostic.severity == model::Severity::kError;
  });
  if (first != diagnostics.end()) {
    if (commit_statuses_) commit_statuses_->commit_rejected(commit_id, model::format(*first));
    if (notifier_) notifier_->commit_rejected(commit_id, model::format(*first));
  }
  for (const auto& [name, message] : errors_by_cluster) {
    if (name.empty()) continue;
    auto existing = store_->get_cluster(name);
    state::ClusterRecord record;
    if (existing && existing->has_value()) {
      record = **existing;
    } else {
      record.name = name;
      record.phase = "Failed";
    }
    record.observed_revision = commit_id;
    record.last_error = message;
    record.updated_at_ms = clock_.now_unix_ms();
    if (auto status = store_->put_cluster(record); !status) {
      spdlog::error("recording rejected commit for {}: {}", name, status.error().message);
    }
  }
  spdlog::warn("commit {} rejected; {} stays applied", commit_id.substr(0, 12),
               accepted_commit_.empty() ? "nothing" : accepted_commit_.substr(0, 12));
}

}  // namespace nkd::syncd
