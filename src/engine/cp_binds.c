/* cp_binds.c: the directories bound into a container, as cp sees them.
 *
 * A container sees a volume or a `-v /host/dir:/dir` at /dir, not what
 * its root holds there; a copy to or from /dir must go where the
 * container looks.  The binds come from its config.json (directories
 * only: the per-container /etc files and capsa-init are files), and a
 * path below one is resolved inside the bound directory, never above it
 * (openat2 RESOLVE_IN_ROOT from its fd, as for the root). */
#include "engine/cp.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/spec_mounts.h"
#include "runtime/safepath.h"

static bool is_bind(json_t *m, bool *ro)
{
    bool bind = json_is_string(json_object_get(m, "type")) &&
                strcmp(json_string_value(json_object_get(m, "type")), "bind") == 0;
    size_t i;
    json_t *o;
    *ro = false;
    json_array_foreach(json_object_get(m, "options"), i, o) {
        const char *s = json_string_value(o);
        bind |= s && (strcmp(s, "bind") == 0 || strcmp(s, "rbind") == 0);
        *ro |= s && strcmp(s, "ro") == 0;
    }
    return bind;
}

void cx_ctr_fs_load_binds(struct cx_ctr_fs *fs, json_t *spec)
{
    json_t *mounts = json_object_get(spec, "mounts");
    fs->binds = cx_calloc(json_array_size(mounts) + 1, sizeof *fs->binds);
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m) {
        const char *src = json_string_value(json_object_get(m, "source"));
        const char *dest = json_string_value(json_object_get(m, "destination"));
        bool ro;
        if (!src || !dest || dest[0] != '/' || !is_bind(m, &ro))
            continue;
        int fd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            continue;
        fs->binds[fs->nbinds++] = (struct cx_ctr_bind){ cx_path_clean(dest), fd, ro };
    }
}

void cx_ctr_fs_free_binds(struct cx_ctr_fs *fs)
{
    for (size_t i = 0; i < fs->nbinds; i++) {
        free(fs->binds[i].dest);
        cx_close(fs->binds[i].fd);
    }
    free(fs->binds);
    fs->binds = NULL;
    fs->nbinds = 0;
}

/* The bind holding clean path p (the longest dest), and what is left of
 * p below it ("" for the dest itself). */
static const struct cx_ctr_bind *bind_of(const struct cx_ctr_fs *fs, const char *p,
                                         const char **rest)
{
    const struct cx_ctr_bind *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < fs->nbinds; i++) {
        const char *d = fs->binds[i].dest;
        size_t n = strcmp(d, "/") == 0 ? 0 : strlen(d);
        if (strncmp(p, d, n) == 0 && (p[n] == '\0' || p[n] == '/') &&
            (!best || n >= best_len)) {
            best = &fs->binds[i];
            best_len = n;
        }
    }
    if (best)
        *rest = p + best_len + (p[best_len] == '/');
    return best;
}

int cx_ctr_fs_open_at(const struct cx_ctr_fs *fs, const char *path, int flags)
{
    _cleanup_free_ char *raw = cx_asprintf("/%s", path);
    _cleanup_free_ char *clean = cx_path_clean(raw);
    const char *rest = NULL;
    const struct cx_ctr_bind *b = bind_of(fs, clean, &rest);
    if (!b)
        return sp_open(fs->rootfd, path, flags);
    return sp_open(b->fd, *rest ? rest : ".", flags);
}

bool cx_ctr_fs_readonly(const struct cx_ctr_fs *fs, const char *path)
{
    _cleanup_free_ char *raw = cx_asprintf("/%s", path);
    _cleanup_free_ char *clean = cx_path_clean(raw);
    const char *rest;
    const struct cx_ctr_bind *b = bind_of(fs, clean, &rest);
    return b && b->ro;
}
