// TreeReader: read-only view of a repository's files at one revision. The loader reads definitions
// only through it, so the same validation runs on a Git commit's tree (source/'s
// GitTreeReader), a plain directory (DirectoryTreeReader) or an in-memory map in tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace nkd::model {

class TreeReader {
 public:
  virtual ~TreeReader() = default;
  // Names of the direct children of `directory` ("" is the root), sorted; subdirectories end in '/'
  // and symbolic links never do (they are listed as in Git, as files). A missing directory gives
  // an empty list.
  [[nodiscard]] virtual Result<std::vector<std::string>> list(const std::string& directory) const = 0;
  // The bytes of a file, reading no more than `max_bytes` of it. kNotFound when absent;
  // kQuotaExceeded when larger than `max_bytes` (the message gives its size); kPermissionDenied
  // when a symbolic link on the way leads out of the tree (see tree_path.h: links inside it are
  // followed, by every reader alike).
  [[nodiscard]] virtual Result<std::string> read(const std::string& path,
                                                 std::uint64_t max_bytes) const = 0;
  // A label for diagnostics and logs: "commit 1a2b3c4" or "directory examples-repo".
  [[nodiscard]] virtual std::string describe() const = 0;
  // An id of everything under `directory` that changes whenever anything under it changes (a
  // Git tree id), so two revisions compare without reading their files; "" when the reader
  // cannot tell cheaply or the directory is absent.
  [[nodiscard]] virtual std::string content_id(const std::string& directory) const {
    (void)directory;
    return "";
  }
};

// The error every reader gives for a file larger than it may read: kQuotaExceeded, with both sizes.
[[nodiscard]] Error file_too_large(const std::string& path, std::uint64_t size_bytes,
                                   std::uint64_t max_bytes);
// "512 bytes", "1.5 MiB": sizes in diagnostics.
[[nodiscard]] std::string describe_size(std::uint64_t bytes);

// Reads a directory on disk (the working tree, uncommitted files included). Follows no symbolic
// link out of the directory.
class DirectoryTreeReader final : public TreeReader {
 public:
  explicit DirectoryTreeReader(std::string root) : root_(std::move(root)) {}
  Result<std::vector<std::string>> list(const std::string& directory) const override;
  Result<std::string> read(const std::string& path, std::uint64_t max_bytes) const override;
  std::string describe() const override { return "directory " + root_; }

 private:
  // `path` with its links resolved, relative to root_ (tree_path.h).
  Result<std::string> resolve(const std::string& path) const;

  std::string root_;
};

// An in-memory tree: path -> contents (no links). For tests and for the renderer's own callers.
class MapTreeReader final : public TreeReader {
 public:
  explicit MapTreeReader(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  Result<std::vector<std::string>> list(const std::string& directory) const override;
  Result<std::string> read(const std::string& path, std::uint64_t max_bytes) const override;
  std::string describe() const override { return "in-memory tree"; }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace nkd::model
