/* unpack_tree.c: the tree beneath the layer directory, for unpack.c:
 * parents opened through no symlink (and made when missing, with the
 * metadata of the lower layers' directory there), the lower layers looked
 * up as overlayfs merges them, hardlink targets copied up from them, and
 * what an entry replaces removed.  See docs/UNPACK.md. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/unpack_internal.h"

#define NO_LINKS (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

bool cx_up_overlay_xattr(const char *name)
{
    return cx_str_has_prefix(name, "trusted.overlay.") || cx_str_has_prefix(name, "user.overlay.");
}

int cx_up_open_nolinks(int dirfd, const char *path, int flags)
{
    struct open_how how = { .flags = (uint64_t) (flags | O_CLOEXEC), .resolve = NO_LINKS };
    int fd;
    int tries = 0;
    do
        fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN && ++tries < 16);
    return fd;
}


/* ---- the lower layers (see docs/UNPACK.md) ---- */


bool cx_up_is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool fd_opaque(int fd)
{
    char v[2], p[32];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    return getxattr(p, OPAQUE_XATTR, v, sizeof v) == 1 && v[0] == 'y';
}

static enum lower_kind kind_of(const struct stat *st)
{
    if (S_ISDIR(st->st_mode))
        return LOWER_DIR;
    if (S_ISREG(st->st_mode))
        return LOWER_FILE;
    if (S_ISLNK(st->st_mode))
        return LOWER_SYMLINK;
    return cx_up_is_whiteout(st) ? LOWER_NONE : LOWER_OTHER;
}

/* One level of the merged lookup: prefix in layers [*bottom, nlower), top
 * first, as overlayfs merges them: the top-most entry decides the kind; a
 * directory lets the layers below it show through unless it is opaque; a
 * whiteout or a non-directory hides them.  *fd: an O_PATH fd of the
 * top-most entry (when not NONE). */
static int lower_level(struct unpack *u, const char *prefix, size_t *bottom, int *fd,
                       enum lower_kind *kind, cx_error *err)
{
    *kind = LOWER_NONE;
    *fd = -1;
    bool found = false;
    for (size_t i = u->o.nlower; i-- > *bottom;) {
        int f = cx_up_open_nolinks(u->o.lower_fds[i], prefix, O_PATH | O_NOFOLLOW);
        if (f < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
            continue;
        if (f < 0)
            return cx_up_fail(u, err, errno, "look up \"%s\" in lower layer %zu", prefix, i);
        struct stat st;
        if (fstat(f, &st) < 0) {
            cx_close(f);
            return cx_up_fail(u, err, errno, "stat \"%s\" in lower layer %zu", prefix, i);
        }
        enum lower_kind k = kind_of(&st);
        if (!found) {
            found = true;
            *kind = k;
            *fd = f;
        }
        bool stop = k != LOWER_DIR || fd_opaque(f);
        if (f != *fd)
            cx_close(f);
        if (stop) {
            *bottom = k == LOWER_DIR ? i : i + 1;
            break;
        }
    }
    return 0;
}

/* What path is in the merged view of the lower layers.  An ancestor that
 * is not a directory there hides the rest (this layer's own directory
 * replaces it), so only the last component's kind can be other than NONE
 * or DIR.  *fd: O_PATH fd of the top-most instance, or -1. */
int cx_up_lower_lookup(struct unpack *u, const char *path, int *fd, enum lower_kind *kind,
                        cx_error *err)
{
    *fd = -1;
    *kind = LOWER_NONE;
    if (u->o.nlower == 0)
        return 0;
    char prefix[PATH_MAX];
    size_t bottom = 0;
    for (const char *p = path;;) {
        const char *e = strchrnul(p, '/');
        memcpy(prefix, path, (size_t) (e - path));
        prefix[e - path] = '\0';
        int f;
        enum lower_kind k;
        if (lower_level(u, prefix, &bottom, &f, &k, err) < 0)
            return -1;
        if (*e == '\0') {
            *fd = f;
            *kind = k;
            return 0;
        }
        cx_close(f);
        if (k != LOWER_DIR)
            return 0;
        p = e + 1;
    }
}

/* Copy xattrs from one fd to another, leaving overlay's own out. */
static int copy_xattrs(struct unpack *u, int from, int to, cx_error *err)
{
    char names[65536];
    ssize_t n = flistxattr(from, names, sizeof names);
    if (n < 0)
        return errno == ENOTSUP ? 0 : cx_up_fail(u, err, errno, "list the xattrs of a lower file");
    _cleanup_free_ char *val = malloc(65536);
    if (val == NULL)
        return cx_up_fail(u, err, ENOMEM, "allocate an xattr buffer");
    for (char *name = names; name < names + n; name += strlen(name) + 1) {
        if (cx_up_overlay_xattr(name))
            continue;
        ssize_t len = fgetxattr(from, name, val, 65536);
        if (len < 0)
            return cx_up_fail(u, err, errno, "read xattr %s of a lower file", name);
        if (fsetxattr(to, name, val, (size_t) len, 0) < 0 && errno != ENOTSUP)
            return cx_up_fail(u, err, errno, "copy xattr %s", name);
    }
    return 0;
}

/* Owner, mode, xattrs (and time, deferred for directories) of a lower file
 * or directory onto the new one. */
static int copy_meta(struct unpack *u, int from, int to, const char *path, cx_error *err)
{
    struct stat st;
    if (fstat(from, &st) < 0)
        return cx_up_fail(u, err, errno, "stat the lower copy of \"%s\"", path);
    if (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0)
        return cx_up_fail(u, err, errno, "set the owner and mode of \"%s\"", path);
    if (copy_xattrs(u, from, to, err) < 0)
        return -1;
    struct timespec ts[2] = { st.st_atim, st.st_mtim };
    if (S_ISDIR(st.st_mode))
        return cx_up_defer_dir_time(u, path, ts);
    if (futimens(to, ts) < 0)
        return cx_up_fail(u, err, errno, "set the times of \"%s\"", path);
    return 0;
}

static int copy_data(struct unpack *u, int in, int out, uint64_t size, cx_error *err)
{
    uint64_t done = 0;
    bool plain = false;
    while (done < size) {
        size_t want = size - done > READ_BUF ? READ_BUF : (size_t) (size - done);
        ssize_t n = -1;
        if (!plain) {
            n = copy_file_range(in, NULL, out, NULL, want, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                          errno == EOPNOTSUPP)) {
                plain = true;
                continue;
            }
        } else {
            n = read(in, u->buf, want);
            if (n > 0 && cx_write_all(out, u->buf, (size_t) n) < 0)
                return cx_up_fail(u, err, errno, "copy up a lower file");
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cx_up_fail(u, err, errno, "copy up a lower file");
        if (n == 0)
            return cx_up_fail(u, err, EIO, "a lower file shrank while copied up");
        done += (uint64_t) n;
    }
    u->st.bytes += done;
    return 0;
}

int cx_up_count_bytes(struct unpack *u, uint64_t size, cx_error *err)
{
    if (__builtin_add_overflow(u->logical, size, &u->logical) || u->logical > u->o.max_bytes)
        return cx_up_fail(u, err, EFBIG, "files larger than %llu bytes in all; refused",
                          (unsigned long long) u->o.max_bytes);
    return 0;
}

/* Copy the lower file lowerpath (O_PATH fd lfd) into this layer as leaf of
 * dfd: content, owner, mode, xattrs, times. */
int cx_up_copy_up(struct unpack *u, int lfd, const char *lowerpath, int dfd, const char *leaf,
                   cx_error *err)
{
    char p[32];
    snprintf(p, sizeof p, "/proc/self/fd/%d", lfd);
    /* (the fd is a regular file's: cx_up_lower_lookup said so) */
    _cleanup_close_ int in = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (in < 0)
        return cx_up_fail(u, err, errno, "open \"%s\" in a lower layer", lowerpath);
    struct stat st;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
        return cx_up_fail(u, err, errno, "\"%s\" in a lower layer is not a file", lowerpath);
    if (cx_up_count_bytes(u, (uint64_t) st.st_size, err) < 0)
        return -1;
    _cleanup_close_ int out = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                     O_CLOEXEC, 0600);
    if (out < 0)
        return cx_up_fail(u, err, errno, "copy up \"%s\"", lowerpath);
    if (copy_data(u, in, out, (uint64_t) st.st_size, err) < 0 ||
        copy_meta(u, in, out, lowerpath, err) < 0)
        return -1;
    u->st.files++;
    return 0;
}

/* ---- parents ---- */

int cx_up_defer_dir_time(struct unpack *u, const char *path, const struct timespec ts[2])
{
    if (u->ndirs == u->capdirs) {
        u->capdirs = u->capdirs ? 2 * u->capdirs : 64;
        u->dirs = cx_realloc(u->dirs, u->capdirs * sizeof *u->dirs);
    }
    u->dirs[u->ndirs].path = cx_strdup(path);
    u->dirs[u->ndirs].ts[0] = ts[0];
    u->dirs[u->ndirs].ts[1] = ts[1];
    u->ndirs++;
    return 0;
}

void cx_up_cache_drop(struct unpack *u)
{
    u->cache_fd = cx_close(u->cache_fd);
    free(u->cache_path);
    u->cache_path = NULL;
}

void cx_up_cache_set(struct unpack *u, const char *path, size_t len, int fd)
{
    cx_up_cache_drop(u);
    u->cache_path = cx_calloc(1, len + 1);  /* aborts on ENOMEM */
    memcpy(u->cache_path, path, len);
    u->cache_fd = fd;
}

/* Create the missing directory name in dfd (path: its place in the layer):
 * with the metadata of the lower layers' directory there, if any. */
static int make_parent(struct unpack *u, int dfd, const char *name, const char *path,
                       bool lowers_hidden, cx_error *err)
{
    _cleanup_close_ int lfd = -1;
    enum lower_kind kind = LOWER_NONE;
    if (!lowers_hidden && cx_up_lower_lookup(u, path, &lfd, &kind, err) < 0)
        return -1;
    if (kind == LOWER_SYMLINK || kind == LOWER_FILE || kind == LOWER_OTHER)
        return cx_up_fail(u, err, EPERM, "parent \"%s\" is a %s in a lower layer; refused", path,
                          kind == LOWER_SYMLINK ? "symlink" : "non-directory");
    if (mkdirat(dfd, name, 0755) < 0)
        return cx_up_fail(u, err, errno, "create parent \"%s\"", path);
    _cleanup_close_ int nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (nfd < 0)
        return cx_up_fail(u, err, errno, "open parent \"%s\"", path);
    if (kind == LOWER_NONE) {
        if (fchown(nfd, 0, 0) < 0 || fchmod(nfd, 0755) < 0)
            return cx_up_fail(u, err, errno, "set the owner and mode of parent \"%s\"", path);
        return 0;
    }
    _cleanup_close_ int ldir = openat(lfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ldir < 0)
        return cx_up_fail(u, err, errno, "open parent \"%s\" in a lower layer", path);
    return copy_meta(u, ldir, nfd, path, err);
}

/* The slow path: parent walked one component at a time, missing ones made,
 * a symlink or non-directory among them refused.  Returns a new fd. */
static int walk_parent(struct unpack *u, const char *parent, cx_error *err)
{
    char prefix[PATH_MAX];
    _cleanup_close_ int cur = openat(u->destfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return cx_up_fail(u, err, errno, "open the layer directory");
    bool hidden = fd_opaque(cur);
    for (const char *p = parent; *p;) {
        const char *e = strchrnul(p, '/');
        size_t n = (size_t) (e - p);
        char name[NAME_MAX + 1];
        memcpy(name, p, n);
        name[n] = '\0';
        memcpy(prefix, parent, (size_t) (e - parent));
        prefix[e - parent] = '\0';
        int fd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            if (make_parent(u, cur, name, prefix, hidden, err) < 0)
                return -1;
            fd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            struct stat st;
            int saved = errno;
            if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                return cx_up_fail(u, err, EPERM, "parent \"%s\" is a symlink; refused", prefix);
            if (saved == ENOTDIR || saved == ELOOP)
                return cx_up_fail(u, err, EPERM, "parent \"%s\" is not a directory; refused",
                                  prefix);
            return cx_up_fail(u, err, saved, "open parent \"%s\"", prefix);
        }
        cx_close(cur);
        cur = fd;
        hidden = hidden || fd_opaque(cur);
        p = *e ? e + 1 : e;
    }
    return TAKE_FD(cur);
}

/* A borrowed fd of the directory holding path's leaf (plen: the parent's
 * length in path, 0 for the layer's root), cached across entries. */
int cx_up_parent_fd(struct unpack *u, const char *path, size_t plen, cx_error *err)
{
    if (plen == 0)
        return u->destfd;
    if (u->cache_path && strlen(u->cache_path) == plen && memcmp(u->cache_path, path, plen) == 0)
        return u->cache_fd;
    char parent[PATH_MAX];
    memcpy(parent, path, plen);
    parent[plen] = '\0';
    int fd = cx_up_open_nolinks(u->destfd, parent, O_RDONLY | O_DIRECTORY);
    if (fd < 0 && errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
        return cx_up_fail(u, err, errno, "open parent \"%s\"", parent);
    if (fd < 0)
        fd = walk_parent(u, parent, err);
    if (fd < 0)
        return -1;
    cx_up_cache_set(u, parent, plen, fd);
    return fd;
}


/* ---- replacing ---- */


/* leaf exists in dfd: remove it for the entry that replaces it (a directory
 * with its subtree, beneath dfd, following no symlink). */
int cx_up_make_room(struct unpack *u, int dfd, const char *leaf, cx_error *err)
{
    struct stat st;
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : cx_up_fail(u, err, errno, "stat what it replaces");
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dfd, leaf, 0) < 0)
            return cx_up_fail(u, err, errno, "remove what it replaces");
        return 0;
    }
    if (u->cache_fd != dfd)  /* the cached parent may lie beneath */
        cx_up_cache_drop(u);
    if (cx_rm_rf_at(dfd, leaf) < 0)
        return cx_up_fail(u, err, errno, "remove the directory it replaces");
    return 0;
}
