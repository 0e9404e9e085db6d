// good
#include "common/result.h"
// bad: common/ is below every stage
#include "syncd/config.h"
