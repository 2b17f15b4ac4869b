/* capsa-init: a container's PID 1 wrapper (tini's job): see init/reaper.h. */
#include <stdio.h>

#include "init/reaper.h"

int main(int argc, char **argv)
{
    struct init_opts o;
    char msg[256];
    int r = init_parse(argc, argv, &o, msg, sizeof msg);
    if (r != 0) {
        if (r < 0)
            fprintf(stderr, "capsa-init: %s\n", msg);
        return r < 0 ? 2 : 0;
    }
    return init_run(&o);
}
