// good
#include "state/intent_log.h"
// bad: the layering violation this check was written for
#include "syncd/state/state_store.h"
// bad: the store's implementation, not its interface
#include "state/sqlite_state_store.h"
// bad: the whole store, where a provider is given only the intent log
#include "state/state_store.h"
