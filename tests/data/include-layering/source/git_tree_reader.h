// good
#include "model/tree_reader.h"
#include <git2.h>
