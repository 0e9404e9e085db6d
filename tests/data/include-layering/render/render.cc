// good
#include "model/cluster.h"
// bad: render/ is pure and before syncd/
#include "syncd/daemon.h"
