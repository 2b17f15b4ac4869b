/* ctl_archive.c: (to be written) */
#include "cmd/ctl.h"

int ctl_load(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) g, (void) argc, (void) argv;
    return cx_fail(err, ENOSYS, "load: not implemented yet");
}

int ctl_save(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) g, (void) argc, (void) argv;
    return cx_fail(err, ENOSYS, "save: not implemented yet");
}

int ctl_import(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) g, (void) argc, (void) argv;
    return cx_fail(err, ENOSYS, "import: not implemented yet");
}

int ctl_push_layout(const struct ctl_global *g, struct cx_store *s, const char *image,
                    const char *dest, cx_error *err)
{
    (void) g, (void) s, (void) image, (void) dest;
    return cx_fail(err, ENOSYS, "push to an OCI layout: not implemented yet");
}
