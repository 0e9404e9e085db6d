// good
#include "render/render.h"
// bad: the pure planner sees no SQLite
#include <sqlite3.h>
// bad: plan/review builds on plan/, not under it
#include "plan/review/plan.h"
