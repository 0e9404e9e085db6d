// Where the CLI keeps state when the user names none, and the check that state never lands in a
// Git work tree unnoticed: the state holds every cluster's private keys, and a file in the
// definitions' work tree is one `git add -A` away from being pushed.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"

namespace nkd::cli {

// $XDG_STATE_HOME/nkd/<file>, else $HOME/.local/state/nkd/<file>: outside any checkout.
[[nodiscard]] Result<std::string> default_state_file(const std::string& file);

// The top of the Git work tree that holds `path` (a file that may not exist yet), if any.
[[nodiscard]] std::optional<std::string> enclosing_work_tree(const std::string& path);

// A warning line for stderr when `path` lies in a Git work tree; "" otherwise.
[[nodiscard]] std::string state_in_work_tree_warning(const std::string& command,
                                                     const std::string& path);

}  // namespace nkd::cli
