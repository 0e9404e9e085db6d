#include "common/memory.h"

// Under a sanitizer runtime the process allocates from the sanitizer's heap, not glibc's: glibc's
// arenas stay uninitialized, and malloc_trim walking them crashed an ASan daemon (SEGV in mtrim
// when two worker threads went quiet at once). There is nothing of glibc's to tune or trim then.
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
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
