// good
#include "source/commit_info.h"
#include "providers/provider.h"
// bad: the libgit2 source itself
#include "source/libgit2_source.h"
#include <git2.h>
