/* dir_usage.c: see dir_usage.h.  Depth first with an explicit stack of
 * open directories, so a deep tree costs heap, not the handler thread's
 * 512 KiB stack. */
#include "cri/dir_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

struct du {
    dev_t dev;
    uint64_t bytes;
    double inodes;
};

static void count(struct du *u, const struct stat *st)
{
    nlink_t links = S_ISDIR(st->st_mode) || st->st_nlink == 0 ? 1 : st->st_nlink;
    u->bytes += (uint64_t) st->st_blocks * 512 / links;
    u->inodes += 1.0 / (double) links;
}

/* The subdirectory name of parent, opened without following anything out
 * of the tree; NULL when it cannot or may not be entered. */
static DIR *open_sub(DIR *parent, const char *name, dev_t dev)
{
    int fd = openat(dirfd(parent), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    DIR *d = NULL;
    /* checked again on the open fd: a mount may have appeared there since */
    if (fstat(fd, &st) == 0 && st.st_dev == dev)
        d = fdopendir(fd);
    if (d == NULL)
        close(fd);
    return d;
}

int cri_dir_usage(int at, const char *path, uint64_t *bytes, uint64_t *inodes,
                  cx_error *err)
{
    int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "open %s", path);
    struct stat st;
    DIR *top;
    if (fstat(fd, &st) < 0 || (top = fdopendir(fd)) == NULL) {
        cx_fail_errno(err, "read %s", path);
        close(fd);
        return -1;
    }
    struct du u = { .dev = st.st_dev };
    count(&u, &st);
    _cleanup_free_ DIR **stack = cx_calloc(CRI_DU_MAX_DEPTH, sizeof *stack);
    int depth = 0;
    stack[0] = top;
    while (depth >= 0) {
        DIR *d = stack[depth];
        struct dirent *de = readdir(d);
        if (de == NULL) {
            closedir(d);
            depth--;
            continue;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != u.dev)
            continue;
        count(&u, &st);
        DIR *sub;
        if (S_ISDIR(st.st_mode) && depth + 1 < CRI_DU_MAX_DEPTH &&
            (sub = open_sub(d, de->d_name, u.dev)) != NULL)
            stack[++depth] = sub;
    }
    *bytes = u.bytes;
    *inodes = (uint64_t) (u.inodes + 0.5);
    return 0;
}
