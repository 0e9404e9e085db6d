// Linked into the hostile test executable: the listeners its tests serve in process are
// bounded in memory as the daemons they start are (tests/support/memory_bound.h), so a body or
// a connection pattern that made a listener buffer without limit ends the test, not the machine.
#include "tests/support/memory_bound.h"

namespace {

#if defined(__SANITIZE_THREAD__)
#define NKD_PROCESS_MEMORY_MIB "2048"
#else
#define NKD_PROCESS_MEMORY_MIB "1024"
#endif
static_assert(nkd::testing::kProcessMemoryBytes >> 20 == 1024 ||
              nkd::testing::kProcessMemoryBytes >> 20 == 2048);

// A plain build limits its own address space before any test runs.
[[maybe_unused]] const bool kAddressSpaceBound =
    nkd::testing::bound_address_space(0, nkd::testing::kProcessAddressSpaceBytes);

}  // namespace

// The sanitizer runtimes read these before main; options in the environment come on top.
// AddressSanitizer keeps freed memory unusable in a quarantine (256 MiB by default), so a
// listener that frees each chunk of a flooded body would still grow by the whole flood and fail
// the tests that measure its growth; a small quarantine still catches a use of what was just
// freed.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=1:hard_rss_limit_mb=" NKD_PROCESS_MEMORY_MIB;
}
#elif defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_options() {
  return "hard_rss_limit_mb=" NKD_PROCESS_MEMORY_MIB;
}
#endif
