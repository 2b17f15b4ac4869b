/* sub.c: `exec --cgroup`: the sub-cgroups of a container an exec'd
 * process is placed in (see cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/internal.h"

/* "SUB" or "CTRL[,CTRL]:SUB": a relative path of plain names (no "..",
 * ".", empty names or a leading '/'). */
static int parse_sub(const char *arg, const char **ctrls, size_t *n_ctrls, const char **sub,
                     cx_error *err)
{
    const char *colon = strchr(arg, ':');
    *ctrls = colon ? arg : NULL;
    *n_ctrls = colon ? (size_t) (colon - arg) : 0;
    *sub = colon ? colon + 1 : arg;
    if (colon && *n_ctrls == 0)
        return cx_fail(err, 0, "--cgroup %s: no controller before ':'", arg);
    if (**sub == '\0' || **sub == '/')
        return cx_fail(err, 0, "--cgroup %s: the path must be relative to the container's "
                       "cgroup", arg);
    for (const char *p = *sub; *p; ) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2)))
            return cx_fail(err, 0, "--cgroup %s: \"%.*s\" would leave the container's "
                           "cgroup", arg, (int) len, p);
        p += len + (p[len] == '/');
    }
    return 0;
}

/* Does CTRL[,CTRL] name a controller of h?  On a pure v2 host the one tree
 * holds them all; on a hybrid host its v2 side takes bare paths only. */
static bool names_hier(const char *ctrls, size_t n, const struct cg_hier *h, bool pure_v2)
{
    if (h->v2)
        return pure_v2;
    for (const char *p = ctrls; p < ctrls + n; ) {
        size_t len = strcspn(p, ",:");
        char one[64];
        snprintf(one, sizeof one, "%.*s", (int) len, p);
        if (cg_has_ctrl(h, one))
            return true;
        p += len + 1;
    }
    return false;
}

static const struct cg_hier *hier_of(const struct cg_layout *l, const char *dir)
{
    for (int i = 0; i < l->n; i++)
        if (cx_str_has_prefix(dir, l->h[i].mnt) && dir[strlen(l->h[i].mnt)] == '/')
            return &l->h[i];
    return NULL;
}

/* dir/sub must be a directory reached without symlinks, below dir. */
static int resolve(const char *dir, const char *sub, const char *arg, char *out, size_t len,
                   cx_error *err)
{
    _cleanup_close_ int base = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (base < 0)
        return cx_fail_errno(err, "--cgroup %s: open %s", arg, dir);
    struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                       RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
    _cleanup_close_ int fd = (int) syscall(SYS_openat2, base, sub, &how, sizeof how);
    if (fd < 0 && errno == ENOENT)
        return cx_fail(err, 0, "--cgroup %s: %s/%s does not exist (make it first)", arg, dir,
                       sub);
    if (fd < 0)
        return cx_fail_errno(err, "--cgroup %s: %s/%s", arg, dir, sub);
    if ((size_t) snprintf(out, len, "%s/%s", dir, sub) >= len)
        return cx_fail(err, 0, "--cgroup %s: path too long", arg);
    return 0;
}

int cgroup_exec_dirs(json_t *cg, const char *const *subs, size_t n, json_t **out,
                     cx_error *err)
{
    struct cg_layout l;
    *out = json_pack("{s:[]}", "dirs");
    if (n && cg_layout_detect(&l, err) < 0)
        return -1;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(cg, "dirs"), i, d) {
        const char *dir = json_string_value(d), *sub = NULL, *arg = NULL;
        const struct cg_hier *h = n ? hier_of(&l, dir) : NULL;
        for (size_t k = 0; k < n; k++) { /* the last that names this hierarchy */
            const char *ctrls, *s;
            size_t nc;
            if (parse_sub(subs[k], &ctrls, &nc, &s, err) < 0)
                return -1;
            if (ctrls == NULL || (h && names_hier(ctrls, nc, h, l.pure_v2))) {
                sub = s;
                arg = subs[k];
            }
        }
        char path[PATH_MAX];
        if (sub && resolve(dir, sub, arg, path, sizeof path, err) < 0)
            return -1;
        json_array_append_new(json_object_get(*out, "dirs"), json_string(sub ? path : dir));
    }
    return 0;
}
