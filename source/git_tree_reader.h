// GitTreeReader: a TreeReader over one commit's tree in a libgit2 repository. Never reads a work
// tree, so what is validated and rendered is exactly what was committed. A symbolic link (a blob
// of mode 120000) is followed inside the commit's tree and refused when it leads out of it, as
// DirectoryTreeReader does on disk (tree_path.h); the link's own text is never read as content.
// Not thread-safe: one reader per thread (libgit2 repositories are not shared across threads).
#pragma once

#include <memory>
#include <string>

#include "model/tree_path.h"
#include "model/tree_reader.h"
#include "source/commit_info.h"
#include "source/git_handles.h"

namespace nkd::source {

class GitTreeReader final : public model::TreeReader {
 public:
  // Opens the repository at `repository_path` (a work tree or a bare repository) and resolves
  // `revision` (anything git rev-parse takes: HEAD, a branch, a tag, an id) to a commit.
  static Result<std::unique_ptr<GitTreeReader>> open(const std::string& repository_path,
                                                     const std::string& revision);

  Result<std::vector<std::string>> list(const std::string& directory) const override;
  Result<std::string> read(const std::string& path, std::uint64_t max_bytes) const override;
  std::string describe() const override;
  std::string content_id(const std::string& directory) const override;

  [[nodiscard]] const CommitInfo& commit() const { return commit_; }

 private:
  GitTreeReader(RepositoryPtr repository, TreePtr tree, CommitInfo commit)
      : repository_(std::move(repository)), tree_(std::move(tree)), commit_(std::move(commit)) {}

  // What is at `path` (every component a real tree), without following a link there.
  Result<model::TreeEntryInfo> lookup(const std::string& path) const;
  // `path` with its links resolved inside the commit's tree.
  Result<std::string> resolve(const std::string& path) const;
  // The size of a blob from its header, without inflating it.
  Result<std::uint64_t> blob_size(const git_oid& id, const std::string& path) const;

  RepositoryPtr repository_;
  TreePtr tree_;
  CommitInfo commit_;
};

// True when `path` is the root of a Git work tree or a bare repository.
bool is_repository_root(const std::string& path);

}  // namespace nkd::source
