#include "model/tree_path.h"

#include <deque>
#include <vector>

#include "model/limits.h"

namespace nkd::model {

namespace {

std::deque<std::string> split_components(std::string_view path) {
  std::deque<std::string> components;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) components.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return components;
}

std::string join_components(const std::vector<std::string>& components) {
  std::string path;
  for (const std::string& component : components) {
    if (!path.empty()) path += '/';
    path += component;
  }
  return path;
}

Error leaves_tree(std::string_view path, const std::string& link, const std::string& target) {
  // The link is the file asked for, or a directory on its way.
  const std::string where = link == path ? link : std::string(path) + ": " + link;
  return Error{ErrorCode::kPermissionDenied,
               where + " is a symbolic link to '" + target +
                   "', which is outside the repository; nkd reads only files inside it: copy "
                   "the file into the repository or point the link at a file inside"};
}

}  // namespace

Result<std::string> resolve_tree_path(std::string_view path, const TreeEntryLookup& lookup) {
  std::deque<std::string> pending = split_components(path);
  std::vector<std::string> resolved;  // real directories (and, at the end, the final entry)
  TreeEntryKind last_kind = TreeEntryKind::kDirectory;  // the root
  int hops = 0;
  while (!pending.empty()) {
    std::string component = std::move(pending.front());
    pending.pop_front();
    if (last_kind != TreeEntryKind::kDirectory) {
      return Error{ErrorCode::kNotFound,
                   std::string(path) + ": " + join_components(resolved) + " is not a directory"};
    }
    if (component == ".") continue;
    if (component == "..") {
      if (resolved.empty()) {
        return Error{ErrorCode::kPermissionDenied,
                     std::string(path) + ": leads above the root of the repository"};
      }
      resolved.pop_back();
      continue;
    }
    resolved.push_back(std::move(component));
    const std::string candidate = join_components(resolved);
    NKD_ASSIGN_OR_RETURN(auto entry, lookup(candidate));
    last_kind = entry.kind;
    if (entry.kind == TreeEntryKind::kMissing) {
      return Error{ErrorCode::kNotFound, std::string(path) + ": no such file"};
    }
    if (entry.kind != TreeEntryKind::kSymbolicLink) continue;
    if (++hops > kMaxSymbolicLinkHops) {
      return Error{ErrorCode::kPermissionDenied,
                   std::string(path) + ": more than " + std::to_string(kMaxSymbolicLinkHops) +
                       " symbolic links to follow (a loop?); replace a link with the file"};
    }
    const std::string& target = entry.link_target;
    if (target.empty() || target.front() == '/') return leaves_tree(path, candidate, target);
    // A relative target is read from the link's directory; its ".." that would climb above the
    // root is refused when it is met.
    resolved.pop_back();
    last_kind = TreeEntryKind::kDirectory;
    std::deque<std::string> target_components = split_components(target);
    std::size_t depth = resolved.size();
    for (const std::string& part : target_components) {
      if (part == "..") {
        if (depth == 0) return leaves_tree(path, candidate, target);
        --depth;
      } else if (part != ".") {
        ++depth;
      }
    }
    pending.insert(pending.begin(), target_components.begin(), target_components.end());
  }
  return join_components(resolved);
}

}  // namespace nkd::model
