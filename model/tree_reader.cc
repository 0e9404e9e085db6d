#include "model/tree_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "common/file_descriptor.h"
#include "model/tree_path.h"

namespace nkd::model {

namespace fs = std::filesystem;

namespace {

// What is at `relative` under `root`, without following a link there.
Result<TreeEntryInfo> lookup_on_disk(const fs::path& root, const std::string& relative) {
  const fs::path full = root / relative;
  std::error_code error;
  const fs::file_status status = fs::symlink_status(full, error);
  if (status.type() == fs::file_type::not_found) {
    return TreeEntryInfo{.kind = TreeEntryKind::kMissing};
  }
  if (error) {
    return Error{ErrorCode::kIo, "cannot look at " + full.string() + ": " + error.message()};
  }
  switch (status.type()) {
    case fs::file_type::directory: return TreeEntryInfo{.kind = TreeEntryKind::kDirectory};
    case fs::file_type::regular: return TreeEntryInfo{.kind = TreeEntryKind::kFile};
    case fs::file_type::symlink: {
      const fs::path target = fs::read_symlink(full, error);
      if (error) {
        return Error{ErrorCode::kIo, "cannot read link " + full.string() + ": " + error.message()};
      }
      return TreeEntryInfo{.kind = TreeEntryKind::kSymbolicLink, .link_target = target.string()};
    }
    default: return TreeEntryInfo{.kind = TreeEntryKind::kOther};
  }
}

}  // namespace

Error file_too_large(const std::string& path, std::uint64_t size_bytes, std::uint64_t max_bytes) {
  return Error{ErrorCode::kQuotaExceeded, path + " is " + std::to_string(size_bytes) + " bytes" +
                                              ", more than the " + describe_size(max_bytes) +
                                              " nkd reads of such a file"};
}

std::string describe_size(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  const char* unit = "KiB";
  double value = static_cast<double>(bytes) / 1024.0;
  for (const char* larger : {"MiB", "GiB", "TiB"}) {
    if (value < 1024.0) break;
    value /= 1024.0;
    unit = larger;
  }
  char text[32];
  const bool whole = value == std::floor(value);
  std::snprintf(text, sizeof text, whole ? "%.0f %s" : "%.1f %s", value, unit);
  return text;
}

Result<std::string> DirectoryTreeReader::resolve(const std::string& path) const {
  const fs::path root(root_);
  return resolve_tree_path(path, [&root](const std::string& relative) {
    return lookup_on_disk(root, relative);
  });
}

Result<std::vector<std::string>> DirectoryTreeReader::list(const std::string& directory) const {
  auto resolved = resolve(directory);
  if (!resolved) {
    if (resolved.error().code == ErrorCode::kNotFound) return std::vector<std::string>{};
    return resolved.error();
  }
  const fs::path path = fs::path(root_) / *resolved;
  std::error_code error;
  if (!fs::is_directory(path, error)) return std::vector<std::string>{};
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    std::string name = entry.path().filename().string();
    if (name == ".git") continue;
    // A link is listed as a file, as Git lists it: nothing is entered through a link by listing.
    if (!entry.is_symlink(error) && entry.is_directory(error)) name += '/';
    names.push_back(std::move(name));
  }
  if (error) {
    return Error{ErrorCode::kIo, "cannot list " + path.string() + ": " + error.message()};
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> DirectoryTreeReader::read(const std::string& path,
                                              std::uint64_t max_bytes) const {
  NKD_ASSIGN_OR_RETURN(auto resolved, resolve(path));
  const fs::path full = fs::path(root_) / resolved;
  // O_NOFOLLOW: the last component was checked to be no link; refuse one swapped in since.
  // O_NONBLOCK: a FIFO must not stall the reader; it is refused below as not a file.
  FileDescriptor file(::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (file.get() < 0) {
    return Error{ErrorCode::kIo, "cannot open " + full.string() + ": " + std::strerror(errno)};
  }
  struct stat status {};
  if (::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
    return Error{ErrorCode::kNotFound, path + ": not a file in " + root_};
  }
  const auto size_bytes = static_cast<std::uint64_t>(status.st_size);
  if (size_bytes > max_bytes) return file_too_large(path, size_bytes, max_bytes);
  std::string contents(size_bytes, '\0');
  std::size_t filled = 0;
  while (filled < contents.size()) {
    const ssize_t count = ::read(file.get(), contents.data() + filled, contents.size() - filled);
    if (count < 0) {
      return Error{ErrorCode::kIo, "cannot read " + full.string() + ": " + std::strerror(errno)};
    }
    if (count == 0) break;  // shrank while being read
    filled += static_cast<std::size_t>(count);
  }
  contents.resize(filled);
  return contents;
}

Result<std::vector<std::string>> MapTreeReader::list(const std::string& directory) const {
  const std::string prefix = directory.empty() || directory.ends_with('/') ? directory
                                                                            : directory + "/";
  std::set<std::string> names;
  for (auto it = files_.lower_bound(prefix); it != files_.end(); ++it) {
    if (!it->first.starts_with(prefix)) break;
    const std::string rest = it->first.substr(prefix.size());
    const auto slash = rest.find('/');
    names.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::string> MapTreeReader::read(const std::string& path, std::uint64_t max_bytes) const {
  auto found = files_.find(path);
  if (found == files_.end()) return Error{ErrorCode::kNotFound, path + ": no such file"};
  if (found->second.size() > max_bytes) return file_too_large(path, found->second.size(), max_bytes);
  return found->second;
}

}  // namespace nkd::model
