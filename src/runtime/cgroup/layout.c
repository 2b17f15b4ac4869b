/* layout.c: which cgroup hierarchies this host has and where we are in
 * each: v1, hybrid (v1 plus a v2 hierarchy) or pure v2, read at run time. */
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
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

/* Our cgroup in each hierarchy, from /proc/self/cgroup. */
static void own_paths(struct cg_layout *l)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
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
                snprintf(l->h[i].own, sizeof l->h[i].own, "%s", p);
    }
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
