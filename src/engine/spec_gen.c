/* spec_gen.c: see spec_gen.h. */
#include "engine/spec_gen.h"
