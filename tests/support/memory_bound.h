// Memory bounds for the processes the tests start: a daemon or listener that a hostile input
// drives to allocate without limit dies at its bound, and its test fails, instead of taking the
// machine (and every other test on it) down. A plain build bounds the address space
// (RLIMIT_AS). Under the sanitizers, whose shadow memory reserves terabytes of address space,
// the sanitizer's own resident-size limit (hard_rss_limit_mb) bounds the process instead.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace nkd::testing {

// The resident bound under the sanitizers for one `nkd syncd`, or one test process serving a
// listener: many times what a daemon with a few clusters takes (about 40 MiB resident), and far
// below what the CI machine has. Under ThreadSanitizer, whose shadow memory is several times the
// memory it watches, twice that.
#if defined(__SANITIZE_THREAD__)
inline constexpr std::uint64_t kProcessMemoryBytes = 2048ull << 20;
#else
inline constexpr std::uint64_t kProcessMemoryBytes = 1024ull << 20;
#endif
// The address-space bound of a plain build, which also counts what is only reserved: each
// thread's 8 MiB stack (the listener alone keeps 68 workers) and malloc's 64 MiB arenas.
inline constexpr std::uint64_t kProcessAddressSpaceBytes = 4096ull << 20;

// The NAME=VALUE environment entry that makes a sanitized child end itself past `bytes`
// resident (the inherited sanitizer options plus hard_rss_limit_mb); empty in a plain build.
[[nodiscard]] std::string sanitizer_memory_bound(std::uint64_t bytes);

// Limits the address space of process `pid` (0: the caller) to `bytes` in a plain build;
// nothing under the sanitizers. Returns false if the limit could not be set.
bool bound_address_space(pid_t pid, std::uint64_t bytes) noexcept;

}  // namespace nkd::testing
