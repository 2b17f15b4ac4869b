/* run_opts.c: see run_opts.h. */
#include "engine/run_opts.h"
