// LibraryAllocations: around one call into a third-party library that is known to leak inside its
// own code, tells LeakSanitizer (sanitizer builds only) to ignore what this thread allocates, so
// the whole suite can run with leak checking on and no library-wide suppression that would also
// hide nkd's own leaks. Each use names the library's bug it stands for.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace nkd::syncd {

class LibraryAllocations {
 public:
#if defined(__SANITIZE_ADDRESS__)
  LibraryAllocations() { __lsan_disable(); }
  ~LibraryAllocations() { __lsan_enable(); }
#else
  LibraryAllocations() = default;
#endif
  LibraryAllocations(const LibraryAllocations&) = delete;
  LibraryAllocations& operator=(const LibraryAllocations&) = delete;
};

}  // namespace nkd::syncd
