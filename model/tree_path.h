// Resolving a path inside a repository tree whose entries may be symbolic links, the same way
// for a directory on disk and for a Git commit (where a link is a blob of mode 120000 holding its
// target). A link is followed while it stays inside the tree and refused when it leads out of it
// (an absolute target, or ".." above the root), so a definition can never make nkd read a file
// of the machine it runs on, such as files/motd -> /etc/shadow.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace nkd::model {

enum class TreeEntryKind { kMissing, kDirectory, kFile, kSymbolicLink, kOther };

struct TreeEntryInfo {
  TreeEntryKind kind = TreeEntryKind::kMissing;
  std::string link_target;  // kSymbolicLink only: the link's text, as stored
};

// Describes the entry at a path relative to the root whose components are all real directories
// (never links): the reader's own view of its tree, without following anything.
using TreeEntryLookup = std::function<Result<TreeEntryInfo>(const std::string& path)>;

// `path` with every link in it resolved: a path of real entries relative to the root, whose last
// entry exists (a file, a directory or something else). kNotFound when a component is missing,
// or a file where a directory is needed; kPermissionDenied when a link leads out of the tree or
// more than kMaxSymbolicLinkHops links are followed (a loop); a lookup's own error as it is.
[[nodiscard]] Result<std::string> resolve_tree_path(std::string_view path,
                                                    const TreeEntryLookup& lookup);

}  // namespace nkd::model
