// good
#include "state/state_store.h"
// bad: the layering violation this check was written for
#include "syncd/state/state_store.h"
// bad: the store's implementation, not its interface
#include "state/sqlite_state_store.h"
