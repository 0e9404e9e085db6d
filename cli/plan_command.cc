// nkd plan: what merging --head into --base would do to every cluster (DESIGN.md §1 Planner, §5).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/daemon_state_options.h"
#include "common/clock.h"
#include "model/loader.h"
#include "plan/review/plan_format.h"
#include "plan/review/repository_plan.h"
#include "source/git_tree_reader.h"
#include "state/cluster_pki_store.h"
#include "state/sqlite_state_store.h"

namespace nkd::cli {

namespace {

constexpr int kExitChanges = 3;  // --detailed-exitcode, as Terraform's plan does

struct PlanCommandOptions {
  std::string repo = ".";
  std::string base;
  std::string head = "HEAD";
  bool worktree = false;
  std::string format = "text";
  std::string server;
  std::string server_ca_file;
  std::string state;
  std::vector<std::string> state_key_files;
  std::string ignition_base_url = "http://127.0.0.1:9480";
  bool detailed_exitcode = false;
};

// The daemon's view of every cluster: its applied revision and the nodes it has (with their pool
// and role, which order a scale-down).
Result<std::map<std::string, plan::ActualCluster>> actual_state(const DaemonEndpoint& server) {
  NKD_ASSIGN_OR_RETURN(auto clusters, get_daemon_json(server, "/api/v1/clusters"));
  std::map<std::string, plan::ActualCluster> actual;
  for (const auto& cluster : clusters) {
    plan::ActualCluster entry;
    if (cluster.contains("appliedRevision") && cluster["appliedRevision"].is_string()) {
      entry.applied_revision = cluster["appliedRevision"].get<std::string>();
    }
    for (const auto& node : cluster.value("nodes", nlohmann::json::array())) {
      if (!node.contains("name") || !node["name"].is_string()) continue;
      const auto text = [&](const char* key) {
        return node.contains(key) && node[key].is_string() ? node[key].get<std::string>() : "";
      };
      entry.nodes[node["name"].get<std::string>()] = {.pool = text("pool"), .role = text("role")};
    }
    actual[cluster.value("name", "")] = std::move(entry);
  }
  return actual;
}

// Reads stored PKIs from a state file when one is given and exists; never creates or writes it.
Result<std::function<std::optional<pki::ClusterPki>(const std::string&)>> stored_pki_reader(
    const std::string& path, const std::vector<std::string>& key_files) {
  if (path.empty()) return std::function<std::optional<pki::ClusterPki>(const std::string&)>{};
  if (!std::filesystem::exists(path)) {
    return Error{ErrorCode::kInvalidArgument, "--state " + path + ": no such file"};
  }
  NKD_ASSIGN_OR_RETURN(auto sealer, state::SecretSealer::from_settings(
                                        state::EncryptionSettings::from_key_files(key_files)));
  NKD_ASSIGN_OR_RETURN(
      auto opened, state::SqliteStateStore::open_read_only(path, real_clock(), std::move(sealer)));
  std::shared_ptr<state::SqliteStateStore> store = std::move(opened);
  return std::function<std::optional<pki::ClusterPki>(const std::string&)>(
      [store](const std::string& cluster) -> std::optional<pki::ClusterPki> {
        auto stored = state::load_stored_pki(*store, cluster);
        if (!stored) return std::nullopt;  // unreadable: a throwaway PKI still plans the change
        return std::move(stored).value();
      });
}

int print_plan(const plan::Plan& plan, const PlanCommandOptions& options) {
  if (options.format == "json") {
    std::cout << plan::to_json(plan).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (options.format == "markdown") {
    std::cout << plan::format_markdown(plan);
  } else {
    std::cout << plan::format_text(plan);
  }
  return options.detailed_exitcode && plan.has_changes() ? kExitChanges : 0;
}

int run_plan(const PlanCommandOptions& options) {
  if (!source::is_repository_root(options.repo)) {
    std::cerr << "nkd plan: --repo " << options.repo
              << " is not the root of a Git repository; plan compares two revisions of one\n";
    return 2;
  }
  auto base_tree = source::GitTreeReader::open(options.repo, options.base);
  if (!base_tree) {
    std::cerr << "nkd plan: --base: " << base_tree.error().message << "\n";
    return 2;
  }
  std::unique_ptr<model::TreeReader> head_tree;
  std::string head_revision = "worktree";
  if (options.worktree) {
    head_tree = std::make_unique<model::DirectoryTreeReader>(options.repo);
  } else {
    auto opened = source::GitTreeReader::open(options.repo, options.head);
    if (!opened) {
      std::cerr << "nkd plan: --head: " << opened.error().message << "\n";
      return 2;
    }
    head_revision = (*opened)->commit().id;
    head_tree = std::move(opened).value();
  }
  const model::LoadResult head = model::load_repository(*head_tree);
  for (const auto& diagnostic : head.diagnostics) std::cerr << model::format(diagnostic) << "\n";
  if (!head.ok()) {
    std::cerr << "nkd plan: " << head_tree->describe() << " is invalid; fix the errors above "
              << "(the daemon would reject this commit and keep the last good one)\n";
    return 1;
  }
  auto stored = stored_pki_reader(options.state, options.state_key_files);
  if (!stored) {
    std::cerr << "nkd plan: " << stored.error().message << "\n";
    return 2;
  }
  plan::RepositoryPlanInputs inputs{
      .base_tree = base_tree->get(),
      .base_revision = (*base_tree)->commit().id,
      .head_tree = head_tree.get(),
      .head_revision = head_revision,
      .head_model = &head.model,
      .stored_pki = *stored,
      .render_options = {.ignition_base_url = options.ignition_base_url},
      .now_unix = real_clock().now_unix_ms() / 1000};
  // A base cluster the daemon would have rejected: find the revision it keeps applied, the newest
  // first-parent ancestor of --base at which the cluster loads (the cluster absent there: none).
  inputs.last_valid_base =
      [&](const std::string& cluster) -> std::optional<plan::RepositoryPlanInputs::LastValid> {
    constexpr int kMaxRevisionsBack = 100;
    for (int back = 1; back <= kMaxRevisionsBack; ++back) {
      auto tree = source::GitTreeReader::open(options.repo, options.base + "~" + std::to_string(back));
      if (!tree) return std::nullopt;  // past the first commit
      const model::LoadResult loaded = model::load_clusters(**tree, {cluster});
      const bool invalid = std::any_of(
          loaded.diagnostics.begin(), loaded.diagnostics.end(),
          [](const model::Diagnostic& d) { return d.severity == model::Severity::kError; });
      if (invalid) continue;
      if (loaded.model.find(cluster) == nullptr) return std::nullopt;
      std::string revision = (*tree)->commit().id;
      return plan::RepositoryPlanInputs::LastValid{.tree = std::move(tree).value(),
                                                   .revision = std::move(revision)};
    }
    return std::nullopt;
  };
  if (!options.server.empty()) {
    auto actual = actual_state({.url = options.server, .ca_file = options.server_ca_file});
    if (!actual) {
      std::cerr << "nkd plan: --server: " << actual.error().message << "\n";
      return 1;
    }
    inputs.actual = std::move(actual).value();
  }
  auto planned = plan::plan_repositories(inputs);
  if (!planned) {
    std::cerr << "nkd plan: " << planned.error().message << "\n";
    return 1;
  }
  for (const auto& warning : planned->warnings) std::cerr << "warning: " << warning << "\n";
  return print_plan(planned->plan, options);
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto options = std::make_shared<PlanCommandOptions>();
  auto* command = app.add_subcommand(
      "plan",
      "Show what merging --head would do, cluster by cluster: clusters added or removed; nodes to\n"
      "create, replace (and which first-boot input forces it) or delete; in-place upgrades and their\n"
      "rollout; housekeeper manifest changes; and a diff of each changed node's Ignition with every\n"
      "secret replaced by a digest. Both revisions are rendered with the same PKI, so only real\n"
      "changes show. Exit 0 plan made, 1 head invalid (diagnostics on stderr), 2 usage;\n"
      "with --detailed-exitcode, 0 no changes and 3 changes.");
  command->add_option("--repo", options->repo, "Git repository holding clusters/")->capture_default_str();
  command->add_option("--base", options->base, "Revision the plan starts from (e.g. origin/main)")->required();
  command->add_option("--head", options->head, "Revision to merge (e.g. the pull request's head)")
      ->capture_default_str();
  command->add_flag("--worktree", options->worktree,
                    "Plan the files on disk (uncommitted changes included) instead of --head");
  command->add_option("--format", options->format, "text, markdown (a pull-request comment) or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}))
      ->capture_default_str();
  command->add_option("--server", options->server,
                      "A running daemon's URL (e.g. " + std::string(kDefaultServer) +
                          "): plan against the nodes it reports, not only against --base");
  command->add_option("--ca-file", options->server_ca_file, kCaFileHelp);
  command->add_option("--state", options->state,
                      "A state file whose cluster PKI to render with (read only); default: a "
                      "throwaway PKI, the same for both revisions");
  add_state_key_file_option(*command, options->state_key_files);
  command->add_option("--ignition-url", options->ignition_base_url,
                      "Base URL nodes fetch configs too large for user_data from (the daemon's publicURL)")
      ->capture_default_str();
  command->add_flag("--detailed-exitcode", options->detailed_exitcode,
                    "Exit 3 when the plan has changes and 0 when it has none");
  command->callback([options] { set_exit_code(run_plan(*options)); });
}

}  // namespace nkd::cli
