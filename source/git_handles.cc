#include "source/git_handles.h"

#include <mutex>

#include "source/bounded_socket_stream.h"

namespace nkd::source {

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    install_bounded_socket_stream();
    // libgit2 caches trees only up to 4 KiB by default, so the clusters/ tree of a large
    // repository (about 40 bytes an entry) was read and inflated again for every path under it:
    // 90 % of a 1,000-cluster plan. Trees are small next to the 256 MiB cache; keep them.
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, static_cast<size_t>(4u << 20));
  });
}

Error last_error(std::string_view doing, ErrorCode code) {
  const git_error* error = git_error_last();
  std::string message(doing);
  message += ": ";
  message += error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error";
  return Error{code, std::move(message)};
}

}  // namespace nkd::source
