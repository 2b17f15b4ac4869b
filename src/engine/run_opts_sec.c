/* run_opts_sec.c: see run_opts.h.  --security-opt and --group-add, as
 * podman reads them: what confines the container's process beyond its
 * capabilities, and the groups it holds besides its user's. */
#include "engine/run_opts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define PROFILE_NAME_MAX 255
#define GROUP_NAME_MAX 256

/* No blank, no control character: the value goes into a file or a label. */
static bool plain(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char) s[i]) || iscntrl((unsigned char) s[i]))
            return false;
    return true;
}

/* mask=/a:/b and unmask=/a:/b (unmask also ALL, and globs as /proc/sys*) */
static int add_paths(char ***v, const char *key, const char *list, bool unmask, cx_error *err)
{
    if (unmask && strcmp(list, "ALL") == 0)
        return cx_strv_push(v, cx_strdup("ALL")), 0;
    _cleanup_free_ char *copy = cx_strdup(list);
    char *save = NULL;
    size_t n = 0;
    for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save), n++) {
        if (p[0] != '/' || !plain(p, 4096))
            return cx_fail(err, 0, "--security-opt %s=%s: \"%s\" is not an absolute path%s",
                           key, list, p, unmask ? " (or ALL)" : "");
        cx_strv_push(v, cx_strdup(p));
    }
    if (n == 0)
        return cx_fail(err, 0, "--security-opt %s: name the paths (/a:/b)", key);
    return 0;
}

static int set_apparmor(struct cx_run_opts *o, const char *v, cx_error *err)
{
    if (!plain(v, PROFILE_NAME_MAX))
        return cx_fail(err, 0, "--security-opt apparmor=%s: not a profile name (or "
                       "unconfined)", v);
    free(o->apparmor);
    o->apparmor = cx_strdup(v);
    return 0;
}

static int set_nnp(struct cx_run_opts *o, const char *v, cx_error *err)
{
    if (v == NULL || strcmp(v, "true") == 0)
        o->no_new_privileges = true;
    else if (strcmp(v, "false") == 0)
        o->no_new_privileges = false;
    else
        return cx_fail(err, 0, "--security-opt no-new-privileges: invalid value \"%s\" (true "
                       "or false)", v);
    return 0;
}

int cx_run_opts_security_opt(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    size_t k = strcspn(arg, "=:");
    const char *v = arg[k] ? arg + k + 1 : NULL;
#define KEY(name) (k == sizeof name - 1 && strncmp(arg, name, k) == 0)
    if (KEY("no-new-privileges"))
        return set_nnp(o, v, err);
    if (KEY("seccomp") && v && v[0]) {
        free(o->seccomp);
        o->seccomp = cx_strdup(v);
        return 0;
    }
    if (KEY("label") && v && strcmp(v, "disable") == 0)
        return 0;  /* no SELinux labelling is done: nothing to disable */
    if (KEY("mask") && v)
        return add_paths(&o->mask, "mask", v, false, err);
    if (KEY("unmask") && v)
        return add_paths(&o->unmask, "unmask", v, true, err);
    if (KEY("apparmor") && v)
        return set_apparmor(o, v, err);
#undef KEY
    return cx_fail(err, 0, "--security-opt: \"%s\" is not supported (no-new-privileges, "
                   "seccomp=unconfined|FILE, label=disable, mask=PATHS, unmask=ALL|PATHS, "
                   "apparmor=unconfined|PROFILE)", arg);
}

/* --group-add GROUP[,GROUP...]: a number, or a name the container's
 * /etc/group must hold (looked up at create, as the user is). */
int cx_run_opts_group_add(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    if (strcmp(arg, "keep-groups") == 0)
        return cx_fail(err, 0, "--group-add keep-groups: for rootless podman only (capsactl "
                       "runs as root)");
    _cleanup_free_ char *copy = cx_strdup(arg);
    char *save = NULL;
    size_t n = 0;
    for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save), n++) {
        if (!plain(g, GROUP_NAME_MAX) || strchr(g, ':') || g[0] == '-')
            return cx_fail(err, 0, "--group-add: \"%s\" is not a group name or number", g);
        cx_strv_push(&o->group_add, cx_strdup(g));
    }
    if (n == 0)
        return cx_fail(err, 0, "--group-add: name a group");
    return 0;
}
