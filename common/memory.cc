#include "common/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace nkd {

void limit_malloc_arenas() {
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, 2);
#endif
}

void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace nkd
