/* gotmpl.c: see gotmpl.h. */
#include "engine/gotmpl.h"
