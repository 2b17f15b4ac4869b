/* logread.c: see logread.h. */
#include "engine/logread.h"
