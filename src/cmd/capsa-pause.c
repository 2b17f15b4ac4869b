/* capsa-pause: holds a pod's namespaces; sleeps until SIGINT or SIGTERM,
 * reaping orphans meanwhile (see init/reaper.h). */
#include <stdio.h>
#include <string.h>

#include "init/reaper.h"

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("capsa-pause version %s\n", CAPSA_VERSION);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "capsa-pause: takes no arguments (only -v)\n");
        return 2;
    }
    return pause_run();
}
