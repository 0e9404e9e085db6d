// TreeReader: read-only view of a repository's files at one revision. The loader reads definitions
// only through it, so the same validation runs on a Git commit's tree (syncd/source's
// GitTreeReader), a plain directory (DirectoryTreeReader) or an in-memory map in tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace nkd::model {

class TreeReader {
 public:
  virtual ~TreeReader() = default;
  // Names of the direct children of `directory` ("" is the root), sorted; subdirectories end in '/'.
  // A missing directory gives an empty list.
  [[nodiscard]] virtual Result<std::vector<std::string>> list(const std::string& directory) const = 0;
  // The bytes of a file; kNotFound when absent.
  [[nodiscard]] virtual Result<std::string> read(const std::string& path) const = 0;
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

// Reads a directory on disk (the working tree, uncommitted files included).
class DirectoryTreeReader final : public TreeReader {
 public:
  explicit DirectoryTreeReader(std::string root) : root_(std::move(root)) {}
  Result<std::vector<std::string>> list(const std::string& directory) const override;
  Result<std::string> read(const std::string& path) const override;
  std::string describe() const override { return "directory " + root_; }

 private:
  std::string root_;
};

// An in-memory tree: path -> contents. For tests and for the renderer's own callers.
class MapTreeReader final : public TreeReader {
 public:
  explicit MapTreeReader(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  Result<std::vector<std::string>> list(const std::string& directory) const override;
  Result<std::string> read(const std::string& path) const override;
  std::string describe() const override { return "in-memory tree"; }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace nkd::model
