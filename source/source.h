// Source: the definitions repository as the daemon sees it (DESIGN.md §1). fetch() brings the
// watched ref's newest commit into a local mirror; files are read only from commit trees.
// Implementations: LibGit2Source (libgit2_source.h); tests may use a fake. Called from the
// daemon's source thread only, except cancel().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/tree_reader.h"
#include "source/commit_info.h"
#include "source/signed_commits.h"

namespace nkd::source {

struct FetchResult {
  std::string commit_id;          // the commit the watched ref resolves to now
  bool moved = false;             // differs from the previous fetch
  bool force_pushed = false;      // the new commit does not descend from the previous one
  std::uint64_t received_bytes = 0;
};

// Also the SignedCommits (signed_commits.h) that repository.verify checks.
class Source : public SignedCommits {
 public:
  // Lists the remote's refs and downloads only when the watched ref moved. A deleted ref is a
  // kNotFound error (the daemon keeps its last applied state).
  [[nodiscard]] virtual Result<FetchResult> fetch() = 0;
  // Ends a fetch running on another thread within moments (it returns an error) and makes later
  // fetches fail at once: for shutdown. The one member callable from any thread.
  virtual void cancel() = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<model::TreeReader>> tree(const std::string& commit_id) = 0;
  [[nodiscard]] virtual Result<CommitInfo> commit_info(const std::string& commit_id) = 0;
  // Names of clusters/<name>/ subtrees that differ between two commits (added, removed,
  // changed); an empty `from_commit` lists every cluster in `to_commit`.
  [[nodiscard]] virtual Result<std::vector<std::string>> changed_clusters(
      const std::string& from_commit, const std::string& to_commit) = 0;
};

}  // namespace nkd::source
