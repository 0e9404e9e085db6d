// How the daemon keeps its resident memory flat. Renders are made and dropped by several worker
// threads; glibc gives each thread its own arena and keeps freed pages in it, which at 1,000
// clusters tripled the resident size without any live data behind it.
#pragma once

namespace nkd {

// Caps malloc arenas at two. Call first thing in main: glibc fixes the limit when the first
// thread makes an arena, so a later call does nothing. A no-op off glibc and under sanitizers.
void limit_malloc_arenas();
// Hands freed heap pages back to the kernel (after a burst of work). A no-op off glibc and
// under sanitizers.
void release_free_memory();

}  // namespace nkd
