/* seccomp_default.c: see seccomp_default.h. */
#include "engine/seccomp_default.h"
