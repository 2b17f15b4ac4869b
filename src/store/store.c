/* store.c: opening the store's directories and database. */
#include "store/store.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static int open_dir(int dirfd, const char *name, mode_t mode, cx_error *err)
{
    if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "store: mkdir %s", name);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "store: open %s", name);
    return fd;
}

static int open_root(const char *path, cx_error *err)
{
    if (cx_mkdir_p(path, 0700, err) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "store: open %s", path);
    return fd;
}

int cx_store_open(struct cx_store *s, const char *root, const char *runroot, cx_error *err)
{
    memset(s, 0, sizeof *s);
    s->rootfd = s->blobsfd = s->layersfd = s->locksfd = s->runrootfd = -1;
    s->root = cx_strdup(root);
    s->runroot = cx_strdup(runroot);
    _cleanup_close_ int blobs = -1;
    if ((s->rootfd = open_root(root, err)) < 0 || (s->runrootfd = open_root(runroot, err)) < 0 ||
        (blobs = open_dir(s->rootfd, "blobs", 0700, err)) < 0 ||
        (s->blobsfd = open_dir(blobs, "sha256", 0700, err)) < 0 ||
        (s->layersfd = open_dir(s->rootfd, "layers", 0700, err)) < 0 ||
        (s->locksfd = open_dir(s->rootfd, "locks", 0700, err)) < 0 ||
        cx_db_open(&s->db, s->locksfd, root, err) < 0 || cx_store_repair(s, err) < 0) {
        cx_store_close(s);
        return -1;
    }
    return 0;
}

void cx_store_close(struct cx_store *s)
{
    if (!s->root)
        return;  /* never opened */
    cx_db_close(&s->db);
    s->rootfd = cx_close(s->rootfd);
    s->blobsfd = cx_close(s->blobsfd);
    s->layersfd = cx_close(s->layersfd);
    s->locksfd = cx_close(s->locksfd);
    s->runrootfd = cx_close(s->runrootfd);
    free(s->root);
    free(s->runroot);
    s->root = s->runroot = NULL;
}
