#include "common/memory.h"

#include <cstdlib>  // defines __GLIBC__ on glibc, which the checks below need

// Under a sanitizer runtime the process allocates from the sanitizer's heap, not glibc's: glibc's
// arenas stay uninitialized, and malloc_trim walking them crashed an ASan daemon (SEGV in mtrim
// when two worker threads went quiet at once). There is nothing of glibc's to tune or trim then.
// GCC says so with __SANITIZE_*__, clang only through __has_feature.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NKD_SANITIZED_HEAP 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NKD_SANITIZED_HEAP 1
#endif
#if defined(__GLIBC__) && !defined(NKD_SANITIZED_HEAP)
#define NKD_TUNES_GLIBC_HEAP 1
#include <malloc.h>
#endif

namespace nkd {

void limit_malloc_arenas() {
#if defined(NKD_TUNES_GLIBC_HEAP)
  mallopt(M_ARENA_MAX, 2);
#endif
}

void release_free_memory() {
#if defined(NKD_TUNES_GLIBC_HEAP)
  malloc_trim(0);
#endif
}

}  // namespace nkd
