#include "cli/repository_options.h"

#include <filesystem>

#include "source/git_tree_reader.h"

namespace nkd::cli {

void RepositoryOptions::add_to(CLI::App& command, bool with_rev) {
  command.add_option("--repo", repo,
                     "Repository to read: a Git repository (its committed files) or a plain "
                     "directory holding clusters/ (default: the current directory)");
  if (with_rev) {
    command.add_option("--rev", rev,
                       "Commit, branch or tag to read from a Git repository (default: HEAD); "
                       "a usage error with a plain directory");
  }
  command.add_flag("--worktree", worktree,
                   "Read the files on disk, uncommitted changes included, instead of a commit");
}

Result<std::unique_ptr<model::TreeReader>> RepositoryOptions::open() const {
  return open_revision(rev);
}

Result<std::unique_ptr<model::TreeReader>> RepositoryOptions::open_revision(
    const std::string& revision) const {
  std::error_code error;
  if (!std::filesystem::is_directory(repo, error)) {
    return Error{ErrorCode::kInvalidArgument, "--repo " + repo + ": no such directory"};
  }
  const bool is_git = source::is_repository_root(repo);
  if (worktree || !is_git) {
    if (!revision.empty()) {
      return Error{ErrorCode::kInvalidArgument,
                   worktree ? "--rev cannot be combined with --worktree"
                            : "--rev " + revision + ": " + repo +
                                  " is not the root of a Git repository, so it has no "
                                  "revisions; drop --rev or point --repo at a repository"};
    }
    return std::unique_ptr<model::TreeReader>(std::make_unique<model::DirectoryTreeReader>(repo));
  }
  auto reader = source::GitTreeReader::open(repo, revision.empty() ? "HEAD" : revision);
  if (!reader) return Error{ErrorCode::kInvalidArgument, reader.error().message};
  return std::unique_ptr<model::TreeReader>(std::move(reader).value());
}

}  // namespace nkd::cli
