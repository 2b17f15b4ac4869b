/* cni_confdir.c: see cni_confdir.h. */
#include "net/cni_confdir.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

static bool conf_name(const char *n)
{
    static const char *const ext[] = { ".conf", ".conflist", ".json" };
    size_t len = strlen(n);
    if (n[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t e = strlen(ext[i]);
        if (len > e && strcmp(n + len - e, ext[i]) == 0)
            return true;
    }
    return false;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int candidate(const struct dirent *d)
{
    return conf_name(d->d_name);
}

int cx_cni_confdir_first(const char *dir, struct cx_cni_conf *out, char **path,
                         cx_error *err)
{
    struct dirent **v = NULL;
    int n = scandir(dir, &v, candidate, by_name);
    if (n < 0)
        return cx_fail_errno(err, "CNI configuration directory %s", dir);
    int rc = -1;
    cx_error last = { 0 };
    for (int i = 0; i < n && rc < 0; i++) {
        _cleanup_free_ char *p = cx_asprintf("%s/%s", dir, v[i]->d_name);
        if (cx_cni_conf_load(p, out, &last) == 0) {
            *path = TAKE_PTR(p);
            rc = 0;
        }
    }
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
    if (rc == 0)
        return 0;
    if (last.msg[0])
        return cx_fail(err, 0, "no valid CNI configuration in %s (the last refused: %s)",
                       dir, last.msg);
    return cx_fail(err, 0, "no CNI configuration in %s (*.conf, *.conflist, *.json)",
                   dir);
}
