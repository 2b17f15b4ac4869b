/* unpack.c: a layer's tar stream into an overlayfs layer directory.
 *
 * libarchive only parses the tar; every file is made here, fd-relative
 * beneath destfd: parents are opened with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) or one
 * O_NOFOLLOW component at a time, leaves are created with O_EXCL /
 * mknodat / symlinkat / linkat (which never follow a final symlink), so no
 * name in the layer, no symlink it plants, can make us write elsewhere.
 * The rules are in docs/UNPACK.md; the lower-layer lookups (parents'
 * metadata, hardlink copy-ups) are in the second half of this file. */
#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/unpack_internal.h"

#define WH_PREFIX ".wh."
#define WH_META ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

/* ---- errors ---- */

static void set_entry(struct unpack *u, const char *name)
{
    size_t i = 0;
    for (; name[i] && i < sizeof u->entry - 4; i++)
        u->entry[i] = (unsigned char) name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    if (name[i]) {
        memcpy(u->entry + i, "...", 3);
        i += 3;
    }
    u->entry[i] = '\0';
}

int cx_up_fail(struct unpack *u, cx_error *err, int errnum, const char *fmt, ...)
{
    char why[CX_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cx_fail(err, errnum, "%s: entry \"%s\": %s", u->name, u->entry, why);
}

/* A tar error: the reader's own when it failed underneath libarchive. */
static int archive_fail(struct unpack *u, cx_error *err, const char *what)
{
    if (u->rfailed) {
        *err = u->rerr;
        return -1;
    }
    const char *s = archive_error_string(u->a);
    return cx_fail(err, EBADMSG, "%s: %s: %s", u->name, what, s ? s : "corrupt tar stream");
}

/* ---- names ---- */

/* raw -> "a/b/c": leading "/" and "./" stripped, empty and "." components
 * collapsed, ".." refused, bounded by PATH_MAX and NAME_MAX. */
static int clean_path(struct unpack *u, const char *raw, char out[static PATH_MAX],
                      const char *what, cx_error *err)
{
    if (strlen(raw) >= PATH_MAX)
        return cx_up_fail(u, err, ENAMETOOLONG, "%sname longer than %d bytes; refused", what,
                          PATH_MAX);
    size_t o = 0;
    for (const char *p = raw; *p;) {
        while (*p == '/')
            p++;
        const char *e = strchrnul(p, '/');
        size_t n = (size_t) (e - p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p = e;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return cx_up_fail(u, err, EPERM, "%sa \"..\" component; refused", what);
        if (n > NAME_MAX)
            return cx_up_fail(u, err, ENAMETOOLONG, "%sa component longer than %d bytes; refused",
                              what, NAME_MAX);
        if (o)
            out[o++] = '/';
        memcpy(out + o, p, n);
        o += n;
        p = e;
    }
    out[o] = '\0';
    return 0;
}

/* The leaf of a cleaned path; *plen gets the parent's length (0: the root). */
static const char *leaf_of(const char *path, size_t *plen)
{
    const char *s = strrchr(path, '/');
    *plen = s ? (size_t) (s - path) : 0;
    return s ? s + 1 : path;
}


static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    ts[0] = ts[1];
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    }
    for (int i = 0; i < 2; i++)
        if (ts[i].tv_nsec < 0 || ts[i].tv_nsec > 999999999)
            ts[i].tv_nsec = 0;
}

static int entry_owner(struct unpack *u, struct archive_entry *e, uid_t *uid, gid_t *gid,
                       cx_error *err)
{
    la_int64_t a = archive_entry_uid(e), b = archive_entry_gid(e);
    if (a < 0 || a >= (la_int64_t) UINT32_MAX || b < 0 || b >= (la_int64_t) UINT32_MAX)
        return cx_up_fail(u, err, ERANGE, "owner %lld:%lld out of range; refused",
                          (long long) a, (long long) b);
    *uid = (uid_t) a;
    *gid = (gid_t) b;
    return 0;
}

/* The entry's xattrs on fd (a real fd, or O_PATH: set through /proc, for
 * device nodes and FIFOs); overlay's own are dropped. */
static int entry_xattrs(struct unpack *u, struct archive_entry *e, int fd, bool opath,
                        cx_error *err)
{
    if (archive_entry_xattr_reset(e) == 0)
        return 0;
    char p[32];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    const char *name;
    const void *val;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
        if (cx_up_overlay_xattr(name)) {
            u->st.skipped++;
            continue;
        }
        int rc = opath ? setxattr(p, name, val, size, 0) : fsetxattr(fd, name, val, size, 0);
        if (rc < 0 && (errno == ENOTSUP || (errno == EPERM && opath))) {
            u->st.skipped++;
            continue;
        }
        if (rc < 0) {
            char shown[64];
            size_t i = 0;
            for (; name[i] && i < sizeof shown - 1; i++)
                shown[i] = (unsigned char) name[i] < 0x20 ? '?' : name[i];
            shown[i] = '\0';
            return cx_up_fail(u, err, errno, "set xattr %s", shown);
        }
    }
    return 0;
}

/* Owner, then mode (so setuid/setgid survive the chown), xattrs, times. */
static int meta_fd(struct unpack *u, struct archive_entry *e, int fd, const char *path,
                   bool dir, cx_error *err)
{
    uid_t uid = 0;
    gid_t gid = 0;
    struct timespec ts[2];
    if (entry_owner(u, e, &uid, &gid, err) < 0)
        return -1;
    if (fchown(fd, uid, gid) < 0)
        return cx_up_fail(u, err, errno, "chown");
    if (fchmod(fd, archive_entry_mode(e) & 07777) < 0)
        return cx_up_fail(u, err, errno, "chmod");
    if (entry_xattrs(u, e, fd, false, err) < 0)
        return -1;
    entry_times(e, ts);
    if (dir)
        return cx_up_defer_dir_time(u, path, ts);
    if (futimens(fd, ts) < 0)
        return cx_up_fail(u, err, errno, "set its times");
    return 0;
}

static int write_data(struct unpack *u, int fd, int64_t size, cx_error *err)
{
    int64_t pos = 0;
    for (;;) {
        const void *b;
        size_t n;
        la_int64_t off;
        int rc = archive_read_data_block(u->a, &b, &n, &off);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN) {
            char what[300];
            snprintf(what, sizeof what, "entry \"%s\"", u->entry);
            return archive_fail(u, err, what);
        }
        if (off < pos || off > size || (int64_t) n > size - off)
            return cx_up_fail(u, err, EBADMSG, "data beyond its size; refused");
        if (off > pos && lseek(fd, off, SEEK_SET) < 0)
            return cx_up_fail(u, err, errno, "seek");
        if (n > 0 && cx_write_all(fd, b, n) < 0)
            return cx_up_fail(u, err, errno, "write");
        pos = off + (int64_t) n;
        u->st.bytes += n;
        u->at_entry_end = pos == size;  /* only its padding may be missing now */
    }
    if (pos < size && ftruncate(fd, size) < 0)  /* a sparse file's hole at the end */
        return cx_up_fail(u, err, errno, "truncate");
    return 0;
}

static int file_entry(struct unpack *u, struct archive_entry *e, int dfd, const char *leaf,
                      cx_error *err)
{
    int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (size < 0 || cx_up_count_bytes(u, (uint64_t) size, err) < 0)
        return size < 0 ? cx_up_fail(u, err, EBADMSG, "negative size") : -1;
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(dfd, leaf, flags, 0600);
    if (fd < 0 && errno == EEXIST) {
        if (cx_up_make_room(u, dfd, leaf, err) < 0)
            return -1;
        fd = openat(dfd, leaf, flags, 0600);
    }
    if (fd < 0)
        return cx_up_fail(u, err, errno, "create");
    _cleanup_close_ int f = fd;
    if (write_data(u, f, size, err) < 0 || meta_fd(u, e, f, NULL, false, err) < 0)
        return -1;
    u->st.files++;
    return 0;
}

static int dir_entry(struct unpack *u, struct archive_entry *e, int dfd, const char *path,
                     const char *leaf, cx_error *err)
{
    if (mkdirat(dfd, leaf, 0700) < 0) {
        struct stat st;
        if (errno != EEXIST)
            return cx_up_fail(u, err, errno, "mkdir");
        if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return cx_up_fail(u, err, errno, "stat");
        if (!S_ISDIR(st.st_mode)) {
            if (cx_up_make_room(u, dfd, leaf, err) < 0)
                return -1;
            if (mkdirat(dfd, leaf, 0700) < 0)
                return cx_up_fail(u, err, errno, "mkdir");
        }
    }
    int fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cx_up_fail(u, err, errno, "open");
    if (meta_fd(u, e, fd, path, true, err) < 0) {
        cx_close(fd);
        return -1;
    }
    cx_up_cache_set(u, path, strlen(path), fd);  /* its children usually follow */
    return 0;
}

static int symlink_entry(struct unpack *u, struct archive_entry *e, int dfd, const char *leaf,
                         cx_error *err)
{
    const char *target = archive_entry_symlink(e);
    uid_t uid = 0;
    gid_t gid = 0;
    struct timespec ts[2];
    if (target == NULL || *target == '\0')
        return cx_up_fail(u, err, EBADMSG, "a symlink without a target; refused");
    if (strlen(target) >= PATH_MAX)
        return cx_up_fail(u, err, ENAMETOOLONG, "a symlink target longer than %d bytes; refused",
                          PATH_MAX);
    if (entry_owner(u, e, &uid, &gid, err) < 0)
        return -1;
    int rc = symlinkat(target, dfd, leaf);
    if (rc < 0 && errno == EEXIST) {
        if (cx_up_make_room(u, dfd, leaf, err) < 0)
            return -1;
        rc = symlinkat(target, dfd, leaf);
    }
    if (rc < 0)
        return cx_up_fail(u, err, errno, "symlink");
    if (fchownat(dfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return cx_up_fail(u, err, errno, "chown");
    /* no xattrs on symlinks: nothing sets them without following it */
    u->st.skipped += (uint64_t) archive_entry_xattr_count(e);
    entry_times(e, ts);
    if (utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return cx_up_fail(u, err, errno, "set its times");
    return 0;
}

/* Device nodes and FIFOs. */
static int node_entry(struct unpack *u, struct archive_entry *e, int dfd, const char *leaf,
                      cx_error *err)
{
    mode_t mode = archive_entry_filetype(e) | (archive_entry_mode(e) & 07777);
    dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (S_ISFIFO(mode))
        dev = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    struct timespec ts[2];
    if (entry_owner(u, e, &uid, &gid, err) < 0)
        return -1;
    int rc = mknodat(dfd, leaf, mode, dev);
    if (rc < 0 && errno == EEXIST) {
        if (cx_up_make_room(u, dfd, leaf, err) < 0)
            return -1;
        rc = mknodat(dfd, leaf, mode, dev);
    }
    if (rc < 0)
        return cx_up_fail(u, err, errno, "mknod");
    _cleanup_close_ int fd = openat(dfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cx_up_fail(u, err, errno, "open");
    if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
        return cx_up_fail(u, err, errno, "chown");
    /* a node made one call ago in a tree only we write: no symlink there */
    if (fchmodat(dfd, leaf, mode & 07777, 0) < 0)
        return cx_up_fail(u, err, errno, "chmod");
    if (entry_xattrs(u, e, fd, true, err) < 0)
        return -1;
    entry_times(e, ts);
    if (utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return cx_up_fail(u, err, errno, "set its times");
    return 0;
}

/* Copy the lower layers' file target into this layer; *tdir becomes the
 * fd of its directory here. */
static int copy_up_target(struct unpack *u, const char *target, size_t tplen, const char *tleaf,
                          int *tdir, cx_error *err)
{
    int lfd;
    enum lower_kind kind;
    if (cx_up_lower_lookup(u, target, &lfd, &kind, err) < 0)
        return -1;
    _cleanup_close_ int l = lfd;
    if (kind == LOWER_NONE)
        return cx_up_fail(u, err, ENOENT, "hardlink target \"%s\" is neither in this layer nor "
                          "below it; refused", target);
    if (kind != LOWER_FILE)
        return cx_up_fail(u, err, EPERM, "hardlink target \"%s\" in a lower layer is not a "
                          "regular file; refused", target);
    int pfd = cx_up_parent_fd(u, target, tplen, err);
    if (pfd < 0 || cx_up_copy_up(u, l, target, pfd, tleaf, err) < 0)
        return -1;
    cx_close(*tdir);
    *tdir = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
    if (*tdir < 0)
        return cx_up_fail(u, err, errno, "dup");
    return 0;
}

/* The target's directory in this layer, reached through no symlink: an
 * O_PATH fd, or -1 with *missing set when it is not there (yet). */
static int link_target_dir(struct unpack *u, const char *target, size_t tplen, bool *missing,
                           cx_error *err)
{
    char tp[PATH_MAX];
    memcpy(tp, target, tplen);
    tp[tplen] = '\0';
    int fd = cx_up_open_nolinks(u->destfd, tplen ? tp : ".", O_PATH | O_DIRECTORY);
    *missing = fd < 0 && errno == ENOENT;
    if (fd >= 0 || *missing)
        return fd;
    if (errno == ELOOP)
        return cx_up_fail(u, err, EPERM, "hardlink target \"%s\" is reached through a symlink; "
                          "refused", target);
    if (errno == ENOTDIR)
        return cx_up_fail(u, err, EPERM, "hardlink target \"%s\" is reached through a "
                          "non-directory; refused", target);
    return cx_up_fail(u, err, errno, "look up hardlink target \"%s\"", target);
}

static int link_entry(struct unpack *u, struct archive_entry *e, const char *path, cx_error *err)
{
    char target[PATH_MAX];
    if (clean_path(u, archive_entry_hardlink(e), target, "hardlink target: ", err) < 0)
        return -1;
    if (*target == '\0')
        return cx_up_fail(u, err, EPERM, "a hardlink to the layer's root; refused");
    if (strcmp(target, path) == 0) {  /* a link to itself: nothing to do */
        u->st.skipped++;
        return 0;
    }
    size_t tplen, plen;
    const char *tleaf = leaf_of(target, &tplen), *leaf = leaf_of(path, &plen);
    bool missing;
    _cleanup_close_ int tdir = link_target_dir(u, target, tplen, &missing, err);
    if (tdir < 0 && !missing)
        return -1;
    struct stat st;
    if (tdir >= 0 && fstatat(tdir, tleaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode))
            return cx_up_fail(u, err, EPERM, "hardlink target \"%s\" is a directory; refused",
                              target);
        if (cx_up_is_whiteout(&st))
            return cx_up_fail(u, err, EPERM, "hardlink target \"%s\" is a whiteout; refused",
                              target);
    } else if (tdir >= 0 && errno != ENOENT) {
        return cx_up_fail(u, err, errno, "look up hardlink target \"%s\"", target);
    } else if (copy_up_target(u, target, tplen, tleaf, &tdir, err) < 0) {
        return -1;
    }
    int dfd = cx_up_parent_fd(u, path, plen, err);
    if (dfd < 0)
        return -1;
    int rc = linkat(tdir, tleaf, dfd, leaf, 0);
    if (rc < 0 && errno == EEXIST) {
        if (cx_up_make_room(u, dfd, leaf, err) < 0)
            return -1;
        rc = linkat(tdir, tleaf, dfd, leaf, 0);
    }
    if (rc < 0)
        return cx_up_fail(u, err, errno, "link to \"%s\"", target);
    return 0;
}

static int whiteout_entry(struct unpack *u, const char *path, size_t plen, const char *leaf,
                          cx_error *err)
{
    if (strcmp(leaf, WH_OPAQUE) == 0) {
        int dfd = cx_up_parent_fd(u, path, plen, err);
        if (dfd < 0)
            return -1;
        if (fsetxattr(dfd, OPAQUE_XATTR, "y", 1, 0) < 0)
            return cx_up_fail(u, err, errno, "mark the directory opaque");
        return 0;
    }
    if (cx_str_has_prefix(leaf, WH_META)) {  /* aufs' own metadata */
        u->st.skipped++;
        return 0;
    }
    const char *name = leaf + strlen(WH_PREFIX);
    if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return cx_up_fail(u, err, EPERM, "a whiteout of \"%s\"; refused", name);
    int dfd = cx_up_parent_fd(u, path, plen, err);
    if (dfd < 0)
        return -1;
    int rc = mknodat(dfd, name, S_IFCHR, makedev(0, 0));
    if (rc < 0 && errno == EEXIST) {
        if (cx_up_make_room(u, dfd, name, err) < 0)
            return -1;
        rc = mknodat(dfd, name, S_IFCHR, makedev(0, 0));
    }
    if (rc < 0)
        return cx_up_fail(u, err, errno, "make the whiteout of \"%s\"", name);
    return 0;
}

static int do_entry(struct unpack *u, struct archive_entry *e, cx_error *err)
{
    const char *raw = archive_entry_pathname(e);
    char path[PATH_MAX];
    if (raw == NULL)
        return cx_fail(err, EBADMSG, "%s: an entry without a name; refused", u->name);
    set_entry(u, raw);
    if (clean_path(u, raw, path, "", err) < 0)
        return -1;
    set_entry(u, path);
    if (*path == '\0') {  /* the layer's root: its metadata is the engine's */
        u->st.skipped++;
        return 0;
    }
    size_t plen;
    const char *leaf = leaf_of(path, &plen);
    for (const char *p = path; p < leaf; p = strchr(p, '/') + 1)
        if (cx_str_has_prefix(p, WH_PREFIX))
            return cx_up_fail(u, err, EPERM, "a path through a whiteout name; refused");
    if (cx_str_has_prefix(leaf, WH_PREFIX))
        return whiteout_entry(u, path, plen, leaf, err);
    if (archive_entry_hardlink(e))
        return link_entry(u, e, path, err);
    mode_t type = archive_entry_filetype(e);
    bool dev = type == AE_IFCHR || type == AE_IFBLK;
    if ((dev && !u->o.devices) || (!dev && type != AE_IFREG && type != AE_IFDIR &&
                                   type != AE_IFLNK && type != AE_IFIFO)) {
        u->st.skipped++;  /* sockets, unknown types; devices unless asked */
        return 0;
    }
    int dfd = cx_up_parent_fd(u, path, plen, err);
    if (dfd < 0)
        return -1;
    switch (type) {
    case AE_IFREG: return file_entry(u, e, dfd, leaf, err);
    case AE_IFDIR: return dir_entry(u, e, dfd, path, leaf, err);
    case AE_IFLNK: return symlink_entry(u, e, dfd, leaf, err);
    default: return node_entry(u, e, dfd, leaf, err);
    }
}

/* ---- the stream ---- */

static ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
    struct unpack *u = data;
    ssize_t n = cx_layer_reader_read(u->r, u->buf, READ_BUF, &u->rerr);
    if (n < 0) {
        u->rfailed = true;
        archive_set_error(a, EIO, "%s", u->rerr.msg);
        return -1;
    }
    if (n == 0 && u->at_entry_end && !u->padded) {
        /* padding to the block and the two end blocks, never hashed: the
           digests cover what the layer holds */
        u->padded = true;
        memset(u->buf, 0, 3 * 512);
        n = 3 * 512;
    }
    *buf = u->buf;
    return n;
}

/* Directory times last: creating their children changed them. */
static int apply_dir_times(struct unpack *u, cx_error *err)
{
    cx_up_cache_drop(u);
    for (size_t i = 0; i < u->ndirs; i++) {
        int fd = cx_up_open_nolinks(u->destfd, u->dirs[i].path, O_RDONLY | O_DIRECTORY);
        if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
            continue;  /* replaced by a later entry */
        if (fd < 0)
            return cx_fail_errno(err, "%s: open \"%s\" to set its times", u->name, u->dirs[i].path);
        int rc = futimens(fd, u->dirs[i].ts);
        cx_close(fd);
        if (rc < 0)
            return cx_fail_errno(err, "%s: set the times of \"%s\"", u->name, u->dirs[i].path);
    }
    return 0;
}

static int entries(struct unpack *u, cx_error *err)
{
    for (;;) {
        struct archive_entry *e;
        int rc = archive_read_next_header(u->a, &e);
        if (rc == ARCHIVE_EOF)
            return 0;
        if (rc < ARCHIVE_WARN)
            return archive_fail(u, err, "corrupt or truncated tar stream");
        if (++u->st.entries > u->o.max_entries)
            return cx_fail(err, EFBIG, "%s: more than %llu entries; refused", u->name,
                           (unsigned long long) u->o.max_entries);
        u->at_entry_end = false;
        if (do_entry(u, e, err) < 0)
            return -1;
        u->at_entry_end = true;
    }
}

static int run(struct unpack *u, int fd, enum cx_compression comp, const struct cx_digest *digest,
               const struct cx_digest *diff_id, cx_error *err)
{
    if (cx_layer_reader_open(fd, comp, digest, diff_id, u->o.max_bytes, u->o.max_ratio, &u->r,
                             err) < 0)
        return -1;
    u->name = cx_layer_reader_name(u->r);
    u->buf = malloc(READ_BUF);
    u->a = archive_read_new();
    if (u->buf == NULL || u->a == NULL)
        return cx_fail(err, ENOMEM, "%s: cannot allocate a tar reader", u->name);
    if (archive_read_support_format_tar(u->a) != ARCHIVE_OK ||
        archive_read_open(u->a, u, NULL, read_cb, NULL) != ARCHIVE_OK)
        return archive_fail(u, err, "open the tar stream");
    if (entries(u, err) < 0) {
        /* a tar that makes no sense (EBADMSG: not a refusal, not a bound)
           may be the symptom of a broken stream or of content that is not
           what its digest says: read the rest (the reader's bounds hold)
           and name that cause when there is one */
        cx_error cause = { 0 };
        if (err->errnum == EBADMSG && !u->rfailed && cx_layer_reader_finish(u->r, &cause) < 0)
            *err = cause;
        return -1;
    }
    if (apply_dir_times(u, err) < 0)
        return -1;
    return cx_layer_reader_finish(u->r, err);
}

int cx_unpack_layer(int fd, enum cx_compression comp, const struct cx_digest *digest,
                    const struct cx_digest *diff_id, int destfd,
                    const struct cx_unpack_opts *opts, struct cx_unpack_stats *stats,
                    cx_error *err)
{
    struct unpack u = { .destfd = destfd, .cache_fd = -1, .name = "layer" };
    if (opts)
        u.o = *opts;
    if (u.o.max_entries == 0)
        u.o.max_entries = CX_UNPACK_MAX_ENTRIES_DEFAULT;
    if (u.o.max_bytes == 0)
        u.o.max_bytes = CX_LAYER_MAX_BYTES_DEFAULT;
    if (u.o.max_ratio == 0)
        u.o.max_ratio = CX_LAYER_MAX_RATIO_DEFAULT;
    if (u.o.lower_fds == NULL)
        u.o.nlower = 0;
    int rc = run(&u, fd, comp, digest, diff_id, err);
    cx_up_cache_drop(&u);
    if (u.a)
        archive_read_free(u.a);
    cx_layer_reader_free(u.r);
    free(u.buf);
    for (size_t i = 0; i < u.ndirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    if (rc == 0 && stats)
        *stats = u.st;
    return rc;
}

int cx_unpack_syncfs(int destfd, cx_error *err)
{
    if (syncfs(destfd) < 0)
        return cx_fail_errno(err, "syncfs of an unpacked layer");
    return 0;
}

