/* fault.c: see fault.h; empty unless built with -Dfault_injection=true. */
#include "common/fault.h"

#ifdef CAPSA_FAULT_INJECTION
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

void cx_fault_point(const char *step)
{
    static int passed;
    int kill_at = 0;
    const char *trace = getenv("CAPSA_FAULT_TRACE");
    const char *at = getenv("CAPSA_FAULT_STEP");
    int n = __atomic_add_fetch(&passed, 1, __ATOMIC_SEQ_CST);  /* pulls have threads */
    if (trace && trace[0]) {
        int fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char line[128];
            int len = snprintf(line, sizeof line, "%d %s\n", n, step);
            (void) cx_write_all(fd, line, (size_t) len);
            close(fd);
        }
    }
    if (at && cx_parse_int(at, &kill_at) == 0 && kill_at == n)
        raise(SIGKILL);
}
#endif
