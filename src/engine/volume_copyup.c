/* volume_copyup.c: a new volume starts with what the image holds where it
 * is mounted, as with docker and podman (`-v NAME:/dir`, `--mount
 * type=volume`, the image's VOLUMEs): a fresh volume directory is marked
 * (<root>/volumes/<name>/copyup), and the first start of a container that
 * mounts it copies the directory of the container's root there -- when
 * the volume is still empty -- then drops the mark.  The root is the
 * container's, so it is hostile: the directory is resolved inside it
 * (openat2, RESOLVE_IN_ROOT), and the copy never follows a symlink nor
 * leaves the root's mount (runtime/copyup.c). */
#include "engine/volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/copyup.h"
#include "runtime/safepath.h"
#include "store/lock.h"

#define MARK "copyup"

void cx_volume_mark_copyup(int voldir)
{
    int fd = openat(voldir, MARK, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

static bool dir_empty(int fd)
{
    int d = dup(fd);
    DIR *dir = d < 0 ? NULL : fdopendir(d);
    if (!dir) {
        if (d >= 0)
            close(d);
        return false;
    }
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(dir)) != NULL)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(dir);
    return empty;
}

/* The image's directory dest copied into the volume's _data, the
 * directory's owner and mode too. */
static int copy_into(int rootfs, const char *dest, int data, const char *name, cx_error *err)
{
    _cleanup_close_ int src = sp_open(rootfs, dest, O_RDONLY | O_DIRECTORY);
    if (src < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0
               : cx_fail_errno(err, "volume %s: open %s in the container", name, dest);
    struct stat st;
    if (!dir_empty(data) || fstat(src, &st) < 0)
        return 0;
    if (copy_tree(src, data, err) < 0)
        return cx_error_prefix(err, "volume %s: copying %s of the image", name, dest);
    if (fchown(data, st.st_uid, st.st_gid) < 0 || fchmod(data, st.st_mode & 07777) < 0)
        return cx_fail_errno(err, "volume %s: owner and mode of its directory", name);
    return 0;
}

static int copy_up(struct cx_engine *e, int vols, int rootfs, const char *name,
                   const char *dest, cx_error *err)
{
    struct cx_lock lock = { .fd = -1 };
    if (cx_lock_take(e->store.locksfd, "vol", name, true, &lock, err) < 0)
        return -1;
    _cleanup_close_ int v = openat(vols, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int data = v < 0 ? -1 : openat(v, "_data", O_RDONLY | O_DIRECTORY |
                                                   O_NOFOLLOW | O_CLOEXEC);
    int r = 0;
    if (data >= 0 && faccessat(v, MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        r = copy_into(rootfs, dest, data, name, err);
        if (r == 0)
            unlinkat(v, MARK, 0);
    }
    cx_lock_release(&lock);
    return r;
}

/* The volume a bind's source names, NULL when it is none. */
static const char *volume_of(const char *source, const char *prefix, char *buf, size_t len)
{
    size_t n = strlen(prefix);
    if (!source || strncmp(source, prefix, n) != 0)
        return NULL;
    const char *name = source + n, *slash = strchr(name, '/');
    if (!slash || strcmp(slash, "/_data") != 0 || (size_t) (slash - name) >= len)
        return NULL;
    memcpy(buf, name, (size_t) (slash - name));
    buf[slash - name] = '\0';
    return buf[0] ? buf : NULL;
}

int cx_volumes_copy_up(struct cx_engine *e, const char *id, const char *rootfs_path,
                       cx_error *err)
{
    _cleanup_free_ char *path = cx_engine_ctr_path(e, id, "config.json");
    _cleanup_free_ char *prefix = cx_asprintf("%s/volumes/", e->store.root);
    _cleanup_(json_decrefp) json_t *spec = json_load_file(path, 0, NULL);
    if (!spec)
        return cx_fail(err, EINVAL, "container %.12s: %s is unreadable", id, path);
    _cleanup_close_ int vols = openat(e->store.rootfd, "volumes", O_RDONLY | O_DIRECTORY |
                                      O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int rootfs = open(rootfs_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (vols < 0 || rootfs < 0)
        return vols < 0 && errno == ENOENT ? 0
               : cx_fail_errno(err, "volume copy-up for %.12s: open %s", id, rootfs_path);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(spec, "mounts"), i, m) {
        char buf[256];
        const char *dest = json_string_value(json_object_get(m, "destination"));
        const char *name = volume_of(json_string_value(json_object_get(m, "source")), prefix,
                                     buf, sizeof buf);
        if (name && dest && cx_volume_name_check(name, &(cx_error){ 0 }) == 0 &&
            copy_up(e, vols, rootfs, name, dest, err) < 0)
            return -1;
    }
    return 0;
}
