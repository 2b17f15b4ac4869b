/* passwd.c: see passwd.h. */
#include "engine/passwd.h"
