// CommitInfo: what the daemon records about a commit it applies (history rows, commit statuses,
// notifications). A plain value with no libgit2 type in it, so later stages (reconcile, state)
// take it without depending on libgit2.
#pragma once

#include <cstdint>
#include <string>

namespace nkd::source {

struct CommitInfo {
  std::string id;  // full hex object id
  std::string author;
  std::string author_email;
  std::int64_t committed_at_unix = 0;
  std::string summary;  // first line of the message
};

}  // namespace nkd::source
