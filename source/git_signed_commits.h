// SignedCommits over libgit2: the functions LibGit2Source uses on its mirror, and
// LocalSignedCommits, which opens a repository on disk for `nkd validate --verify`.
// Not thread-safe (one git_repository per thread).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "source/git_handles.h"
#include "source/signed_commits.h"

namespace nkd::source {

[[nodiscard]] Result<std::optional<CommitSignature>> read_commit_signature(
    git_repository& repository, const std::string& commit_id);
[[nodiscard]] Result<std::vector<std::string>> list_commits_between(git_repository& repository,
                                                                    const std::string& from_commit,
                                                                    const std::string& to_commit);

class LocalSignedCommits final : public SignedCommits {
 public:
  // Opens the repository at (or above) `path`.
  static Result<std::unique_ptr<LocalSignedCommits>> open(const std::string& path);
  explicit LocalSignedCommits(RepositoryPtr repository) : repository_(std::move(repository)) {}
  // The full id of the commit `revision` (HEAD, a branch, a hex id) names.
  [[nodiscard]] Result<std::string> resolve(const std::string& revision);

  Result<std::optional<CommitSignature>> signature(const std::string& commit_id) override {
    return read_commit_signature(*repository_, commit_id);
  }
  Result<std::vector<std::string>> commits_between(const std::string& from_commit,
                                                   const std::string& to_commit) override {
    return list_commits_between(*repository_, from_commit, to_commit);
  }

 private:
  RepositoryPtr repository_;
};

}  // namespace nkd::source
