// SignedCommits: what signature verification reads from a repository (commit_verifier.h): a
// commit's signature with the bytes it signs, and the commits a head adds to an earlier one.
// Implemented by the daemon's Source (its mirror) and by LocalSignedCommits
// (git_signed_commits.h) for `nkd validate --verify`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace nkd::source {

struct CommitSignature {
  std::string signature;    // the gpgsig header: an armored OpenPGP or SSH signature
  std::string signed_data;  // the commit object without that header, as git verifies it
};

class SignedCommits {
 public:
  virtual ~SignedCommits() = default;
  // nullopt when the commit carries no signature; an error when it cannot be read.
  [[nodiscard]] virtual Result<std::optional<CommitSignature>> signature(
      const std::string& commit_id) = 0;
  // Commits reachable from `to_commit` but not from `from_commit`, newest first (git log
  // from..to); an empty `from_commit` gives `to_commit` alone. Bounded: a kQuotaExceeded error
  // beyond 10,000 commits.
  [[nodiscard]] virtual Result<std::vector<std::string>> commits_between(
      const std::string& from_commit, const std::string& to_commit) = 0;
};

}  // namespace nkd::source
