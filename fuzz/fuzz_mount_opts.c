/* fuzz_mount_opts: a mount's "options" array (runtime/mount_opts.c); the
 * input is the options separated by NUL bytes. */
#include "fuzz.h"
#include "runtime/mount_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v[1025], *buf;
    fz_split(data, size, '\0', v, 1024, &buf);
    struct mount_opts mo;
    cx_error err = { 0 };
    if (mount_opts_parse((const char **) v, &mo, &err) < 0)
        fz_failed(&err);
    else
        FZ_CHECK(memchr(mo.data, '\0', sizeof mo.data) != NULL);
    free(buf);
    return 0;
}
