// Leak checking around third-party calls that leak inside their own code, so the whole suite runs
// with LeakSanitizer on and no library-wide suppression (which would also hide nkd's leaks).
//   LibraryAllocations: while alive, what this thread allocates is not reported as leaked. Each
//     use names the library's bug it stands for.
//   OwnAllocations: at the top of every callback nkd hands such a library (streams, credentials,
//     certificate checks), checks nkd's own allocations again, inside a LibraryAllocations too.
// Both do nothing outside AddressSanitizer builds.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace nkd::source {

class LibraryAllocations {
 public:
  // User-provided in every build, so that a scope of one is not an unused variable.
  LibraryAllocations() {
#if defined(__SANITIZE_ADDRESS__)
    if (depth()++ == 0) __lsan_disable();
#endif
  }
  ~LibraryAllocations() {
#if defined(__SANITIZE_ADDRESS__)
    if (--depth() == 0) __lsan_enable();
#endif
  }
  LibraryAllocations(const LibraryAllocations&) = delete;
  LibraryAllocations& operator=(const LibraryAllocations&) = delete;

 private:
  friend class OwnAllocations;
  static int& depth() {
    thread_local int open_scopes = 0;
    return open_scopes;
  }
};

class OwnAllocations {
 public:
  OwnAllocations() : inside_library_(LibraryAllocations::depth() > 0) {
#if defined(__SANITIZE_ADDRESS__)
    if (inside_library_) __lsan_enable();
#endif
  }
  ~OwnAllocations() {
#if defined(__SANITIZE_ADDRESS__)
    if (inside_library_) __lsan_disable();
#endif
  }
  OwnAllocations(const OwnAllocations&) = delete;
  OwnAllocations& operator=(const OwnAllocations&) = delete;

 private:
  [[maybe_unused]] bool inside_library_;
};

}  // namespace nkd::source
