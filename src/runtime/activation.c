/* activation.c: see activation.h. */
#include "runtime/activation.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"

int activation_fds(void)
{
    const char *lf = getenv("LISTEN_FDS"), *lp = getenv("LISTEN_PID");
    int n = 0, pid = 0;
    if (lf == NULL || lp == NULL || cx_parse_int(lf, &n) < 0 || n <= 0 ||
        cx_parse_int(lp, &pid) < 0 || pid != getpid())
        return 0;
    return n;
}

void activation_env(struct oci_spec *spec)
{
    int n = activation_fds();
    struct oci_process *p = spec->process;
    if (n == 0 || p == NULL)
        return;
    size_t len = cx_strv_len((char *const *) p->env);
    const char **env = jd_alloc(&spec->pool, len + 3, sizeof *env);
    for (size_t i = 0; i < len; i++)
        env[i] = p->env[i];
    char *fds = jd_alloc(&spec->pool, 32, 1);
    snprintf(fds, 32, "LISTEN_FDS=%d", n);
    env[len] = fds;
    env[len + 1] = "LISTEN_PID=1";
    p->env = env;
}
