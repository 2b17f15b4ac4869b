/* ctr_runtime.c: see ctr_runtime.h.  Each step has two ways: libcapsa on
 * the engine's runtime root, or the container's runtime run through
 * oci_cli.c; the choice is made here only. */
#include "engine/ctr_runtime.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/oci_cli.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"

void cx_rt_of(const struct cx_engine *e, const struct cx_ctr *c, struct cx_rt *rt)
{
    rt->cli = c->runtime != NULL;
    rt->bin = rt->cli ? c->runtime : e->runtime;
    /* a record without its root (edited by hand) makes the runtime say so */
    rt->root = rt->cli ? (c->runtime_root ? c->runtime_root : "") : e->runtime_root;
}

const char *cx_rt_name(const struct cx_ctr *c)
{
    if (c->runtime == NULL)
        return CX_RUNTIME_BUILTIN;
    const char *s = strrchr(c->runtime, '/');
    return s ? s + 1 : c->runtime;
}

static struct cx_oci_cli cli_of(const struct cx_engine *e, const struct cx_ctr *c)
{
    struct cx_rt rt;
    cx_rt_of(e, c, &rt);
    return (struct cx_oci_cli){ .bin = rt.bin, .root = rt.root, .systemd = e->systemd_cgroup };
}

/* ---- create: which runtime ---- */

static char *on_path(const char *name)
{
    const char *path = getenv("PATH");
    _cleanup_free_ char *copy = cx_strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *p = cx_asprintf("%s/%s", d, name);
        if (d[0] == '/' && access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

int cx_rt_resolve(struct cx_engine *e, const char *want, const char *root, char **bin,
                  char **root_out, cx_error *err)
{
    *bin = *root_out = NULL;
    if (want == NULL || want[0] == '\0')
        want = e->default_runtime;
    if (want == NULL || want[0] == '\0' || strcmp(want, CX_RUNTIME_BUILTIN) == 0)
        return 0;
    char *path;
    if (strchr(want, '/') == NULL) {
        if ((path = on_path(want)) == NULL)
            return cx_fail(err, ENOENT, "runtime \"%s\": not found on PATH (give its path, "
                           "or capsa)", want);
    } else if (want[0] != '/') {
        return cx_fail(err, EINVAL, "runtime %s: a runtime's path must be absolute", want);
    } else if (access(want, X_OK) < 0) {
        return cx_fail_errno(err, "runtime %s", want);
    } else {
        path = cx_strdup(want);
    }
    if (root && root[0] != '/') {
        free(path);
        return cx_fail(err, EINVAL, "runtime root %s: not an absolute path", root);
    }
    const char *name = strrchr(path, '/') + 1;
    *root_out = root ? cx_strdup(root) : cx_asprintf("%s/runtimes/%s", e->store.runroot, name);
    *bin = path;
    return 0;
}

/* ---- the steps ---- */

static bool capsa_has(struct cx_engine *e, const char *id)
{
    _cleanup_free_ char *p = cx_asprintf("%s/%s", e->runtime_root, id);
    return access(p, F_OK) == 0;
}

int cx_rt_status(struct cx_engine *e, const struct cx_ctr *c)
{
    cx_error ignored = { 0 };
    if (c->runtime) {
        struct cx_oci_cli r = cli_of(e, c);
        struct cx_oci_state st;
        _cleanup_free_ char *dir = cx_asprintf("%s/%s", r.root, c->id);
        if (access(dir, F_OK) < 0 || cx_oci_cli_state(&r, c->id, &st, &ignored) < 0)
            return -1;
        return (int) st.status;
    }
    if (!capsa_has(e, c->id))
        return -1;
    _cleanup_container_ struct cx_container *rc = NULL;
    if (cx_container_load(e->runtime_root, c->id, false, &rc, &ignored) < 0)
        return -1;
    return (int) rc->st->status;
}

int cx_rt_start(struct cx_engine *e, const struct cx_ctr *c, cx_error *err)
{
    if (c->runtime) {
        struct cx_oci_cli r = cli_of(e, c);
        return cx_oci_cli_start(&r, c->id, err);
    }
    return cx_start(e->runtime_root, c->id, err);
}

int cx_rt_kill(struct cx_engine *e, const struct cx_ctr *c, int sig, bool all, cx_error *err)
{
    if (c->runtime) {
        struct cx_oci_cli r = cli_of(e, c);
        return cx_oci_cli_kill(&r, c->id, sig, all, err);
    }
    return cx_kill(e->runtime_root, c->id, sig, all, err);
}

int cx_rt_pause(struct cx_engine *e, const struct cx_ctr *c, bool pause, cx_error *err)
{
    if (c->runtime) {
        struct cx_oci_cli r = cli_of(e, c);
        return cx_oci_cli_pause(&r, c->id, pause, err);
    }
    return cx_pause(e->runtime_root, c->id, pause, err);
}

int cx_rt_update(struct cx_engine *e, const struct cx_ctr *c, json_t *res, cx_error *err)
{
    if (c->runtime) {
        struct cx_oci_cli r = cli_of(e, c);
        return cx_oci_cli_update(&r, c->id, res, err);
    }
    return cx_update(e->runtime_root, c->id, res, err);
}

int cx_rt_delete(struct cx_engine *e, const struct cx_ctr *c, cx_error *err)
{
    int rc = 0;
    if (c->runtime) {
        /* runc and crun keep <root>/<id>: none there, nothing to delete
           (and no error to tell from a real one) */
        struct cx_oci_cli r = cli_of(e, c);
        _cleanup_free_ char *dir = cx_asprintf("%s/%s", r.root, c->id);
        if (access(dir, F_OK) == 0)
            rc = cx_oci_cli_delete(&r, c->id, true, err);
    } else if (capsa_has(e, c->id)) {
        rc = cx_delete(e->runtime_root, c->id, true, err);
    }
    return rc < 0 ? cx_error_prefix(err, "deleting the runtime's container") : 0;
}

int cx_rt_pids(struct cx_engine *e, const struct cx_ctr *c, pid_t **pids, size_t *n,
               cx_error *err)
{
    if (c->runtime) {
        struct cx_oci_cli r = cli_of(e, c);
        return cx_oci_cli_ps(&r, c->id, pids, n, err);
    }
    _cleanup_container_ struct cx_container *rc = NULL;
    if (cx_container_load(e->runtime_root, c->id, false, &rc, err) < 0)
        return -1;
    return cx_pids(rc, pids, n, err);
}

int cx_rt_cgroups(struct cx_engine *e, const struct cx_ctr *c, json_t **cg, json_t **config,
                  cx_error *err)
{
    *cg = *config = NULL;
    if (c->runtime) {
        /* its cgroups are where its init is; its config, the bundle's */
        struct cx_oci_cli r = cli_of(e, c);
        struct cx_oci_state st;
        if (cx_oci_cli_state(&r, c->id, &st, err) < 0)
            return -1;
        if (st.pid <= 0)
            return cx_fail(err, ESRCH, "container %.12s is not running", c->id);
        if (cgroup_dirs_of(st.pid, cg, err) < 0)
            return -1;
        _cleanup_free_ char *path = cx_engine_ctr_path(e, c->id, "config.json");
        *config = json_load_file(path, 0, NULL);
        return 0;
    }
    _cleanup_container_ struct cx_container *rc = NULL;
    if (cx_container_load(e->runtime_root, c->id, false, &rc, err) < 0)
        return -1;
    if (rc->st->cgroups == NULL)
        return cx_fail(err, 0, "container %.12s has no cgroup to read its usage from", c->id);
    *cg = json_incref(rc->st->cgroups);
    *config = json_incref(cx_container_config(rc));
    return 0;
}
