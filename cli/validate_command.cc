// nkd validate: load and check every cluster definition; diagnostics on stderr (or JSON on stdout).
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/repository_options.h"
#include "model/loader.h"
#include "model/secret_scan.h"
#include "model/upgrade_path.h"
#include "source/commit_verifier.h"
#include "source/git_signed_commits.h"
#include "source/git_tree_reader.h"

namespace nkd::cli {

namespace {

struct ValidateOptions {
  RepositoryOptions repository;
  std::string format = "text";
  std::string base;  // empty: no upgrade-path check
  // --verify: the commit must be signed by a key of --allowed-signers (SSH) or --keyring
  // (OpenPGP), and with --verify-since so must every commit after that revision.
  bool verify = false;
  std::string allowed_signers;
  std::string keyring;
  std::string verify_since;
};

// The signature check the daemon makes with repository.verify, on the validated commit: "" when
// trusted (said on stderr), else why not. An error is a usage error (exit 2).
Result<std::string> signature_refusal(const ValidateOptions& options) {
  if (options.allowed_signers.empty() == options.keyring.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "--verify needs exactly one of --allowed-signers FILE (SSH signatures) or "
                 "--keyring DIR (OpenPGP signatures)"};
  }
  if (options.repository.worktree) {
    return Error{ErrorCode::kInvalidArgument, "--verify checks a commit; drop --worktree"};
  }
  auto verifier = source::CommitVerifier::open(source::VerifySettings{
      .mode = options.keyring.empty() ? source::VerifySettings::Mode::kSsh
                                      : source::VerifySettings::Mode::kOpenPgp,
      .allowed_signers_file = options.allowed_signers,
      .keyring_directory = options.keyring,
      .all_commits = !options.verify_since.empty()});
  if (!verifier) return Error{ErrorCode::kInvalidArgument, verifier.error().message};
  auto commits = source::LocalSignedCommits::open(options.repository.repo);
  if (!commits) return Error{ErrorCode::kInvalidArgument, "--verify: " + commits.error().message};
  auto head = (*commits)->resolve(options.repository.rev.empty() ? "HEAD" : options.repository.rev);
  if (!head) return Error{ErrorCode::kInvalidArgument, head.error().message};
  std::string since;
  if (!options.verify_since.empty()) {
    auto resolved = (*commits)->resolve(options.verify_since);
    if (!resolved)
      return Error{ErrorCode::kInvalidArgument, "--verify-since: " + resolved.error().message};
    since = *resolved;
  }
  const auto now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const source::SignatureCheck check = (*verifier)->verify(**commits, *head, since, now_unix);
  if (check.trusted()) {
    std::cerr << "commit " << head->substr(0, 12) << " is signed by " << check.detail << "\n";
    return std::string();
  }
  return "commit " + head->substr(0, 12) + ": signature not trusted (" +
         source::rejection_label(*check.rejection) + "): " + check.detail;
}

// Errors for clusters whose Kubernetes version cannot follow the one they have at --base, as the
// daemon refuses them against the commit it has applied. A base cluster that does not load is
// not compared (its own problems are the base's, not this revision's).
Result<std::vector<model::Diagnostic>> upgrade_path_errors(const ValidateOptions& options,
                                                           const model::RepositoryModel& head) {
  if (!source::is_repository_root(options.repository.repo)) {
    return Error{ErrorCode::kInvalidArgument,
                 "--base " + options.base + ": " + options.repository.repo +
                     " is not the root of a Git repository, so it has no revisions; drop --base "
                     "or point --repo at a repository"};
  }
  auto base_tree = source::GitTreeReader::open(options.repository.repo, options.base);
  if (!base_tree) return Error{ErrorCode::kInvalidArgument, "--base: " + base_tree.error().message};
  auto base_names = model::list_cluster_names(**base_tree);
  if (!base_names) return std::vector<model::Diagnostic>{};
  const model::LoadResult base = model::load_clusters(**base_tree, *base_names);
  std::vector<model::Diagnostic> errors;
  for (const model::Cluster& cluster : head.clusters) {
    const model::Cluster* before = base.model.find(cluster.name);
    if (before == nullptr) continue;
    if (auto diagnostic = model::check_cluster_transition(*before, cluster, "base")) {
      errors.push_back(std::move(*diagnostic));
    }
  }
  return errors;
}

int run_validate(const ValidateOptions& options) {
  auto tree = options.repository.open();
  if (!tree) {
    std::cerr << "nkd validate: " << tree.error().message << "\n";
    return 2;
  }
  std::string untrusted;
  if (options.verify) {
    auto refusal = signature_refusal(options);
    if (!refusal) {
      std::cerr << "nkd validate: " << refusal.error().message << "\n";
      return 2;
    }
    untrusted = std::move(*refusal);
  }
  model::LoadResult result = model::load_repository(**tree);
  const std::vector<model::Diagnostic> key_material = model::find_key_material(**tree);
  result.diagnostics.insert(result.diagnostics.end(), key_material.begin(), key_material.end());
  model::sort_diagnostics(result.diagnostics);
  if (!options.base.empty()) {
    auto refused = upgrade_path_errors(options, result.model);
    if (!refused) {
      std::cerr << "nkd validate: " << refused.error().message << "\n";
      return 2;
    }
    result.diagnostics.insert(result.diagnostics.end(), refused->begin(), refused->end());
    model::sort_diagnostics(result.diagnostics);
  }
  if (options.format == "json") {
    std::cout << model::to_json(result.diagnostics).dump(2) << "\n";
  } else {
    for (const auto& diagnostic : result.diagnostics) std::cerr << model::format(diagnostic) << "\n";
  }
  std::size_t errors = 0;
  for (const auto& diagnostic : result.diagnostics) {
    if (diagnostic.severity == model::Severity::kError) ++errors;
  }
  if (options.format == "text") {
    std::cerr << (*tree)->describe() << ": " << result.model.clusters.size() << " valid cluster(s), "
              << errors << " error(s), " << result.diagnostics.size() - errors << " warning(s)\n";
  }
  if (!untrusted.empty()) {
    std::cerr << "nkd validate: " << untrusted << "\n";
    return 1;
  }
  return result.ok() ? 0 : 1;
}

}  // namespace

void add_validate_command(CLI::App& app) {
  auto options = std::make_shared<ValidateOptions>();
  auto* command = app.add_subcommand(
      "validate",
      "Check every clusters/<name>/cluster.yaml; print problems as path:line:col: error: message.\n"
      "Also warns about private keys and state databases anywhere in the repository.\n"
      "Exit 0 when valid (warnings allowed), 1 when any definition is invalid (or, with --verify, "
      "the commit's signature is not trusted), 2 on usage errors.");
  options->repository.add_to(*command);
  command->add_option("--format", options->format, "Output: text (stderr) or json (stdout, an array of {path,line,column,severity,message})")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option("--base", options->base,
                      "Also refuse a Kubernetes version that cannot follow the one each cluster has "
                      "at this revision (kubeadm goes one minor up at a time, never down), as the "
                      "daemon does against the commit it has applied");
  command->add_flag("--verify", options->verify,
                    "Also require the commit to be signed by a trusted key, as the daemon does "
                    "with repository.verify (exit 1 when it is not)");
  command->add_option("--allowed-signers", options->allowed_signers,
                      "With --verify: SSH signatures, keys in git's allowed signers format");
  command->add_option("--keyring", options->keyring,
                      "With --verify: OpenPGP signatures, keys in this GnuPG home directory");
  command->add_option("--verify-since", options->verify_since,
                      "With --verify: every commit after this revision must be signed too "
                      "(repository.verify.allCommits)");
  command->callback([options] { set_exit_code(run_validate(*options)); });
}

}  // namespace nkd::cli
