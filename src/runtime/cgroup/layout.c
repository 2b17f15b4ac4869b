/* layout.c: which cgroup hierarchies this host has and where we are in
 * each: v1, hybrid (v1 plus a v2 hierarchy) or pure v2, read at run time. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/internal.h"

bool cg_has_ctrl(const struct cg_hier *h, const char *ctrl)
{
    size_t n = strlen(ctrl);
    for (const char *p = h->ctrls; *p; ) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, ctrl, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static bool generic_option(const char *opt)
{
    static const char *const generic[] = { "rw", "ro", "clone_children", "noprefix",
                                           "xattr", "cpuset_v2_mode", "nsdelegate",
                                           "memory_recursiveprot", NULL };
    for (const char *const *g = generic; *g; g++)
        if (strcmp(opt, *g) == 0)
            return true;
    return cx_str_has_prefix(opt, "release_agent=");
}

/* One mountinfo line: a cgroup or cgroup2 mount, with its controllers. */
static bool parse_mount(char *line, struct cg_hier *h)
{
    char fstype[32], super[512];
    char *sep = strstr(line, " - ");
    memset(h, 0, sizeof *h);
    if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", h->root, h->mnt) != 2 ||
        sscanf(sep + 3, "%31s %*s %511s", fstype, super) != 2)
        return false;
    if (strcmp(fstype, "cgroup2") == 0) {
        h->v2 = true;
        return true;
    }
    if (strcmp(fstype, "cgroup") != 0)
        return false;
    char *save = NULL;
    for (char *tok = strtok_r(super, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (generic_option(tok))
            continue;
        size_t used = strlen(h->ctrls);
        snprintf(h->ctrls + used, sizeof h->ctrls - used, "%s%s", used ? "," : "", tok);
    }
    return h->ctrls[0] != '\0';
}

/* Each line of a /proc/PID/cgroup file: fn(hierarchy, its cgroup path). */
static void each_proc_cgroup(struct cg_layout *l, const char *file,
                             void (*fn)(struct cg_hier *h, const char *path, void *arg),
                             void *arg)
{
    _cleanup_fclose_ FILE *f = fopen(file, "re");
    char line[PATH_MAX + 256];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c = strchr(line, ':');
        char *p = c ? strchr(c + 1, ':') : NULL;
        if (p == NULL)
            continue;
        *p++ = '\0';
        for (int i = 0; i < l->n; i++)
            if ((l->h[i].v2 && c[1] == '\0') ||
                (!l->h[i].v2 && strcmp(l->h[i].ctrls, c + 1) == 0))
                fn(&l->h[i], p, arg);
    }
}

static void set_own(struct cg_hier *h, const char *path, void *arg)
{
    (void) arg;
    snprintf(h->own, sizeof h->own, "%s", path);
}

/* Our cgroup in each hierarchy, from /proc/self/cgroup. */
static void own_paths(struct cg_layout *l)
{
    each_proc_cgroup(l, "/proc/self/cgroup", set_own, NULL);
}

/* path as a directory below h's mount point (mountinfo's root taken off:
 * a path outside what the mount shows has no directory here) */
static void add_dir(struct cg_hier *h, const char *path, void *arg)
{
    size_t rl = strcmp(h->root, "/") == 0 ? 0 : strlen(h->root);
    if (rl && (strncmp(path, h->root, rl) != 0 || (path[rl] && path[rl] != '/')))
        return;
    char dir[PATH_MAX];
    if ((size_t) snprintf(dir, sizeof dir, "%s%s", h->mnt, path + rl) < sizeof dir)
        json_array_append_new(json_object_get(arg, "dirs"), json_string(dir));
}

int cgroup_dirs_of(pid_t pid, json_t **dirs, cx_error *err)
{
    struct cg_layout l;
    char file[64];
    *dirs = NULL;
    if (cg_layout_detect(&l, err) < 0)
        return -1;
    snprintf(file, sizeof file, "/proc/%d/cgroup", (int) pid);
    if (access(file, R_OK) < 0)
        return cx_fail_errno(err, "cgroup: %s", file);
    *dirs = json_pack("{s:[]}", "dirs");
    each_proc_cgroup(&l, file, add_dir, *dirs);
    return 0;
}

int cg_layout_detect(struct cg_layout *l, cx_error *err)
{
    _cleanup_fclose_ FILE *mi = fopen("/proc/self/mountinfo", "re");
    char line[8192];
    memset(l, 0, sizeof *l);
    if (mi == NULL)
        return cx_fail_errno(err, "cgroup: open /proc/self/mountinfo");
    while (fgets(line, sizeof line, mi) && l->n < CG_MAX) {
        struct cg_hier h;
        if (!parse_mount(line, &h) || !cx_str_has_prefix(h.mnt, "/sys/fs/cgroup"))
            continue;
        bool dup = false; /* the same hierarchy mounted twice: keep the first */
        for (int i = 0; i < l->n; i++)
            dup |= l->h[i].v2 == h.v2 && strcmp(l->h[i].ctrls, h.ctrls) == 0;
        if (!dup)
            l->h[l->n++] = h;
    }
    if (l->n == 0)
        return cx_fail(err, 0, "cgroup: no cgroup hierarchy is mounted under /sys/fs/cgroup");
    l->pure_v2 = l->n == 1 && l->h[0].v2;
    for (int i = 0; i < l->n; i++)
        strcpy(l->h[i].own, "/");
    own_paths(l);
    return 0;
}
