// good: the daemon wires every stage
#include "reconcile/reconciler.h"
#include "source/libgit2_source.h"
#include <httplib.h>
