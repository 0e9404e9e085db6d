#include "tests/support/memory_bound.h"

#include <sys/resource.h>

#include <cstdlib>

namespace nkd::testing {

namespace {

// The options variable of the sanitizer this build links, or nullptr for a plain build.
constexpr const char* sanitizer_options_variable() {
#if defined(__SANITIZE_ADDRESS__)
  return "ASAN_OPTIONS";
#elif defined(__SANITIZE_THREAD__)
  return "TSAN_OPTIONS";
#else
  return nullptr;
#endif
}

}  // namespace

std::string sanitizer_memory_bound(std::uint64_t bytes) {
  const char* variable = sanitizer_options_variable();
  if (variable == nullptr) return "";
  const char* inherited = std::getenv(variable);
  std::string options = inherited ? inherited : "";
  if (!options.empty()) options += ':';
  return std::string(variable) + "=" + options + "hard_rss_limit_mb=" + std::to_string(bytes >> 20);
}

bool bound_address_space(pid_t pid, std::uint64_t bytes) noexcept {
  if (sanitizer_options_variable() != nullptr) return true;
  const rlimit limit{.rlim_cur = bytes, .rlim_max = bytes};
  return prlimit(pid, RLIMIT_AS, &limit, nullptr) == 0;
}

}  // namespace nkd::testing
