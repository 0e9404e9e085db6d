#include "syncd/source/git_handles.h"

#include <mutex>

namespace nkd::git {

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

Error last_error(std::string_view doing, ErrorCode code) {
  const git_error* error = git_error_last();
  std::string message(doing);
  message += ": ";
  message += error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error";
  return Error{code, std::move(message)};
}

}  // namespace nkd::git
