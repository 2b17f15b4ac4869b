/* path.c: where the container's cgroup goes in a hierarchy.
 *
 * linux.cgroupsPath absolute: taken as is, from the hierarchy's root (the
 * root of our cgroup namespace). Relative: below our own cgroup in that
 * hierarchy. Absent: "/<id>", as runc does. */
#include <stdio.h>
#include <string.h>

#include "runtime/cgroup/internal.h"

static bool safe(const char *p)
{
    /* no ".." component: the path stays inside the hierarchy */
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
            return false;
    return true;
}

int cg_container_path(const struct oci_spec *spec, const char *id, const struct cg_hier *h,
                      char *out, size_t len, cx_error *err)
{
    const char *cp = spec->linux_ ? spec->linux_->cgroups_path : NULL;
    char rel[PATH_MAX];
    if (cp == NULL || cp[0] == '\0')
        snprintf(rel, sizeof rel, "/%s", id);
    else if (cp[0] == '/')
        snprintf(rel, sizeof rel, "%s", cp);
    else
        snprintf(rel, sizeof rel, "%s/%s", strcmp(h->own, "/") ? h->own : "", cp);
    if (!safe(rel) || strchr(rel, ':'))
        return cx_fail(err, 0, "config.json: linux.cgroupsPath: \"%s\" is not a cgroupfs path%s",
                       cp ? cp : "", strchr(rel, ':') ? " (slice:prefix:name is the "
                       "systemd driver's form: pass --systemd-cgroup)" : "");
    if ((size_t) snprintf(out, len, "%s%s", h->mnt, rel) >= len)
        return cx_fail(err, 0, "config.json: linux.cgroupsPath: too long");
    /* trailing slashes would make two names for one directory */
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    return 0;
}
