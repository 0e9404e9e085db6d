#include "cli/state_path.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace nkd::cli {

namespace fs = std::filesystem;

Result<std::string> default_state_file(const std::string& file) {
  const char* state_home = std::getenv("XDG_STATE_HOME");
  if (state_home != nullptr && *state_home == '/') {
    return (fs::path(state_home) / "nkd" / file).string();
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') {
    return (fs::path(home) / ".local" / "state" / "nkd" / file).string();
  }
  return Error{ErrorCode::kInvalidArgument,
               "no place for the state file: neither XDG_STATE_HOME nor HOME is an absolute path;"
               " pass --state FILE (outside the definitions' Git work tree)"};
}

std::optional<std::string> enclosing_work_tree(const std::string& path) {
  std::error_code error;
  fs::path directory = fs::absolute(path, error).parent_path();
  if (error) return std::nullopt;
  // A `.git` directory, or the `.git` file of a linked work tree or submodule.
  for (; !directory.empty(); directory = directory.parent_path()) {
    if (fs::exists(directory / ".git", error)) return directory.string();
    if (directory == directory.root_path()) break;
  }
  return std::nullopt;
}

std::string state_in_work_tree_warning(const std::string& command, const std::string& path) {
  const std::optional<std::string> work_tree = enclosing_work_tree(path);
  if (!work_tree) return "";
  return "nkd " + command + ": warning: the state file " + path + " is inside the Git work tree " +
         *work_tree +
         "; it holds private keys: keep it out of commits (.gitignore) or pass --state outside "
         "the work tree";
}

}  // namespace nkd::cli
