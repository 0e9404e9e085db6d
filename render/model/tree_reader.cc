#include "render/model/tree_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace nkd::model {

namespace fs = std::filesystem;

Result<std::vector<std::string>> DirectoryTreeReader::list(const std::string& directory) const {
  const fs::path path = fs::path(root_) / directory;
  std::error_code error;
  if (!fs::is_directory(path, error)) return std::vector<std::string>{};
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    std::string name = entry.path().filename().string();
    if (name == ".git") continue;
    if (entry.is_directory(error)) name += '/';
    names.push_back(std::move(name));
  }
  if (error) {
    return Error{ErrorCode::kIo, "cannot list " + path.string() + ": " + error.message()};
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> DirectoryTreeReader::read(const std::string& path) const {
  const fs::path full = fs::path(root_) / path;
  std::error_code error;
  if (!fs::is_regular_file(full, error)) {
    return Error{ErrorCode::kNotFound, path + ": no such file in " + root_};
  }
  std::ifstream input(full, std::ios::binary);
  if (!input) return Error{ErrorCode::kIo, "cannot open " + full.string()};
  std::ostringstream contents;
  contents << input.rdbuf();
  return contents.str();
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

Result<std::string> MapTreeReader::read(const std::string& path) const {
  auto found = files_.find(path);
  if (found == files_.end()) return Error{ErrorCode::kNotFound, path + ": no such file"};
  return found->second;
}

}  // namespace nkd::model
