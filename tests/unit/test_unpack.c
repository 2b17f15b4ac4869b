/* test_unpack.c: layers (written with libarchive's writer) unpacked into a
 * temporary directory beside a sentinel directory that must stay empty:
 * the overlay layout, metadata, hardlinks and copy-ups, and every hostile
 * case refused with its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compress_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"

/* the tables below name only the fields each entry needs */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "image/unpack.h"

/* ---- building layers ---- */

struct ent {
    const char *name;
    char type;          /* f d l h c b p */
    const char *data;   /* content, symlink target, hardlink target */
    unsigned mode;      /* permission bits (0: 0644 / 0755) */
    int uid, gid;
    long long mtime;
    long nsec;
    const char *xname, *xval;
    size_t xlen;        /* 0: strlen(xval) */
};

struct membuf {
    uint8_t *p;
    size_t len, cap;
};

static la_ssize_t mem_write(struct archive *a, void *data, const void *buf, size_t n)
{
    (void) a;
    struct membuf *m = data;
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->len, buf, n);
    m->len += n;
    return (la_ssize_t) n;
}

static void add_entry(struct archive *a, const struct ent *x)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, x->name);
    archive_entry_set_uid(e, x->uid);
    archive_entry_set_gid(e, x->gid);
    archive_entry_set_mtime(e, x->mtime ? x->mtime : 1000000000, x->nsec);
    unsigned perm = x->mode ? x->mode : (x->type == 'd' ? 0755 : 0644);
    size_t size = 0;
    switch (x->type) {
    case 'f': archive_entry_set_filetype(e, AE_IFREG); size = x->data ? strlen(x->data) : 0; break;
    case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
    case 'l': archive_entry_set_filetype(e, AE_IFLNK); archive_entry_set_symlink(e, x->data); break;
    case 'h': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_hardlink(e, x->data); break;
    case 'c': archive_entry_set_filetype(e, AE_IFCHR); archive_entry_set_rdev(e, makedev(1, 3)); break;
    case 'b': archive_entry_set_filetype(e, AE_IFBLK); archive_entry_set_rdev(e, makedev(7, 0)); break;
    case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
    }
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, (la_int64_t) size);
    if (x->xname)
        archive_entry_xattr_add_entry(e, x->xname, x->xval, x->xlen ? x->xlen : strlen(x->xval));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (size)
        assert_int_equal(archive_write_data(a, x->data, size), (la_ssize_t) size);
    archive_entry_free(e);
}

/* filter: NULL, "gzip" or "zstd" */
static uint8_t *build(const struct ent *ents, size_t n, const char *filter, size_t *len)
{
    struct membuf m = { 0 };
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);  /* pax: mtime nanoseconds */
    if (filter && strcmp(filter, "gzip") == 0)
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    if (filter && strcmp(filter, "zstd") == 0)
        assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
    assert_int_equal(archive_write_open(a, &m, NULL, mem_write, NULL), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++)
        add_entry(a, &ents[i]);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = m.len;
    return m.p;
}

/* ---- the playground: <root>/dest (the layer), <root>/sentinel ---- */

static char root[64];
static int destfd = -1;

static int setup(void **state)
{
    (void) state;
    strcpy(root, "/tmp/cx-unpack-XXXXXX");
    assert_non_null(mkdtemp(root));
    char p[128];
    snprintf(p, sizeof p, "%s/dest", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/sentinel", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/dest", root);
    destfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(destfd >= 0);
    return 0;
}

static size_t count_dir(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* nothing appeared outside dest: the sentinel is empty, root holds two */
static int teardown(void **state)
{
    (void) state;
    char p[128];
    snprintf(p, sizeof p, "%s/sentinel", root);
    assert_int_equal(count_dir(p), 0);
    assert_int_equal(count_dir(root), 2);
    close(destfd);
    int rfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(cx_rm_rf_at(rfd, root + 5), 0);
    close(rfd);
    return 0;
}

static int memfd_with(const void *buf, size_t len)
{
    int fd = memfd_create("layer", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t) len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static int unpack_buf(const void *buf, size_t len, enum cx_compression comp,
                      const struct cx_digest *d, const struct cx_digest *diff,
                      const struct cx_unpack_opts *o, struct cx_unpack_stats *st, cx_error *err)
{
    int fd = memfd_with(buf, len);
    int rc = cx_unpack_layer(fd, comp, d, diff, destfd, o, st, err);
    close(fd);
    return rc;
}

static int unpack_ents(const struct ent *ents, size_t n, const struct cx_unpack_opts *o,
                       struct cx_unpack_stats *st, cx_error *err)
{
    size_t len;
    uint8_t *b = build(ents, n, "gzip", &len);
    int rc = unpack_buf(b, len, CX_COMP_DETECT, NULL, NULL, o, st, err);
    free(b);
    return rc;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void expect_refused(const struct ent *ents, size_t n, const char *msg)
{
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(ents, n, NULL, NULL, &err), -1);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", msg, err.msg);
}

static char *read_at(const char *path)
{
    char *s = NULL;
    size_t len;
    cx_error err = { 0 };
    if (cx_read_file_at(destfd, path, 1 << 20, &s, &len, &err) < 0)
        fail_msg("%s", err.msg);
    return s;
}

static struct stat lst(const char *path)
{
    struct stat st;
    if (fstatat(destfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        fail_msg("lstat %s: %m", path);
    return st;
}

static bool exists(const char *path)
{
    struct stat st;
    return fstatat(destfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- the layout ---- */

static void test_file_metadata(void **state)
{
    (void) state;
    const struct ent ents[] = {
        { "etc/", 'd', .mode = 0751, .mtime = 1234567 },
        { "etc/hostname", 'f', "capsa\n", 0640, 1000, 1001, 1500000000, 123456789 },
        { "usr/bin/sudo", 'f', "#!", 04755, 0, 0, 0, 0 },
        { "usr/bin/wall", 'f', "#!", 02755, 1000, 5, 0, 0 },
        { "etc/sub/deeper/f", 'f', "x" },
    };
    struct cx_unpack_stats st;
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(ents, N(ents), NULL, &st, &err), 0);
    char *s = read_at("etc/hostname");
    assert_string_equal(s, "capsa\n");
    free(s);
    struct stat h = lst("etc/hostname");
    assert_int_equal(h.st_mode, S_IFREG | 0640);
    assert_int_equal(h.st_uid, 1000);
    assert_int_equal(h.st_gid, 1001);
    assert_int_equal(h.st_mtim.tv_sec, 1500000000);
    assert_int_equal(h.st_mtim.tv_nsec, 123456789);
    assert_int_equal(lst("usr/bin/sudo").st_mode, S_IFREG | 04755);
    struct stat w = lst("usr/bin/wall");
    assert_int_equal(w.st_mode, S_IFREG | 02755);
    assert_int_equal(w.st_uid, 1000);
    /* the directory's time survives its children; implicit parents 0755 root */
    struct stat d = lst("etc");
    assert_int_equal(d.st_mode, S_IFDIR | 0751);
    assert_int_equal(d.st_mtim.tv_sec, 1234567);
    struct stat u = lst("usr/bin");
    assert_int_equal(u.st_mode, S_IFDIR | 0755);
    assert_int_equal(u.st_uid, 0);
    assert_int_equal(st.entries, 5);
    assert_int_equal(st.files, 4);
    assert_int_equal(st.bytes, 6 + 2 + 2 + 1);
    assert_int_equal(st.skipped, 0);
}

static void test_links_and_nodes(void **state)
{
    (void) state;
    const struct ent ents[] = {
        { "bin/busybox", 'f', "elf", 0755 },
        { "bin/sh", 'h', "bin/busybox" },
        { "/bin/ls", 'h', "/bin/busybox" },           /* absolute: cleaned into the layer */
        { "etc/mtab", 'l', "/proc/self/mounts", .uid = 7, .gid = 8, .mtime = 99 },
        { "dev/null", 'c', .mode = 0666 },
        { "dev/loop0", 'b', .mode = 0660 },
        { "run/fifo", 'p', .mode = 0620 },
        { "dev/socket-like", 'c' },
    };
    struct cx_unpack_opts o = { .devices = true };
    struct cx_unpack_stats st;
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(ents, N(ents), &o, &st, &err), 0);
    struct stat a = lst("bin/busybox"), b = lst("bin/sh"), c = lst("bin/ls");
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(a.st_ino, c.st_ino);
    assert_int_equal(a.st_nlink, 3);
    char t[64] = { 0 };
    assert_int_equal(readlinkat(destfd, "etc/mtab", t, sizeof t), 17);
    assert_string_equal(t, "/proc/self/mounts");
    struct stat l = lst("etc/mtab");
    assert_int_equal(l.st_uid, 7);
    assert_int_equal(l.st_gid, 8);
    assert_int_equal(l.st_mtim.tv_sec, 99);
    struct stat n = lst("dev/null");
    assert_true(S_ISCHR(n.st_mode));
    assert_int_equal(n.st_mode & 07777, 0666);
    assert_int_equal(n.st_rdev, makedev(1, 3));
    assert_true(S_ISBLK(lst("dev/loop0").st_mode));
    struct stat f = lst("run/fifo");
    assert_true(S_ISFIFO(f.st_mode));
    assert_int_equal(f.st_mode & 07777, 0620);
    assert_int_equal(st.skipped, 0);
}

static void test_devices_skipped(void **state)
{
    (void) state;
    const struct ent ents[] = {
        { "dev/null", 'c' }, { "dev/sda", 'b' }, { "run/fifo", 'p' },
    };
    struct cx_unpack_stats st;
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(ents, N(ents), NULL, &st, &err), 0);
    assert_false(exists("dev/null"));
    assert_false(exists("dev/sda"));
    assert_true(S_ISFIFO(lst("run/fifo").st_mode));
    assert_int_equal(st.skipped, 2);
}

static void test_whiteouts(void **state)
{
    (void) state;
    const struct ent ents[] = {
        { "etc/.wh.passwd", 'f' },
        { "var/cache/.wh..wh..opq", 'f' },
        { "var/cache/new", 'f', "n" },
        { ".wh..wh.plnk", 'd' },          /* aufs metadata: dropped */
        { "opq/", 'd', .xname = "trusted.overlay.opaque", .xval = "y" },
        { "opq/x", 'f', .xname = "trusted.overlay.redirect", .xval = "/etc" },
        { "sec", 'f', .xname = "security.capability",
          /* VFS_CAP_REVISION_2, cap_net_raw permitted */
          .xval = "\x00\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
          .xlen = 20 },
        { "usr", 'f', .xname = "user.comment", .xval = "kept" },
    };
    struct cx_unpack_stats st;
    cx_error err = { 0 };
    if (unpack_ents(ents, N(ents), NULL, &st, &err) < 0)
        fail_msg("%s", err.msg);
    struct stat w = lst("etc/passwd");
    assert_true(S_ISCHR(w.st_mode));
    assert_int_equal(w.st_rdev, makedev(0, 0));
    assert_false(exists("etc/.wh.passwd"));
    char v[8] = { 0 };
    int fd = openat(destfd, "var/cache", O_RDONLY | O_DIRECTORY);
    assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v), 1);
    assert_string_equal(v, "y");
    close(fd);
    assert_false(exists("var/cache/.wh..wh..opq"));
    assert_false(exists(".wh..wh.plnk"));
    /* the image's own overlay xattrs are never applied */
    fd = openat(destfd, "opq", O_RDONLY | O_DIRECTORY);
    assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v), -1);
    close(fd);
    fd = openat(destfd, "opq/x", O_RDONLY);
    assert_int_equal(fgetxattr(fd, "trusted.overlay.redirect", v, sizeof v), -1);
    close(fd);
    fd = openat(destfd, "sec", O_RDONLY);
    assert_int_equal(fgetxattr(fd, "security.capability", NULL, 0), 20);
    close(fd);
    fd = openat(destfd, "usr", O_RDONLY);
    assert_int_equal(fgetxattr(fd, "user.comment", v, sizeof v), 4);
    close(fd);
    /* .wh..wh.plnk, and the two overlay xattrs twice each: libarchive's pax
       writer stores every xattr as LIBARCHIVE.xattr.* and SCHILY.xattr.*,
       and its reader returns both */
    assert_int_equal(st.skipped, 5);
}

static void test_duplicates(void **state)
{
    (void) state;
    const struct ent ents[] = {
        { "a", 'f', "first" },
        { "a", 'f', "second" },
        { "d/", 'd', .mode = 0700 },
        { "d/child", 'f', "c" },
        { "d/", 'd', .mode = 0711, .mtime = 4242 },   /* dir over dir: metadata */
        { "e/", 'd' },
        { "e/f/g", 'f', "deep" },
        { "e", 'l', "d" },                            /* dir replaced by a non-dir */
        { "x", 'l', "/tmp/elsewhere" },
        { "x", 'd' },                                 /* symlink replaced by a dir */
    };
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(ents, N(ents), NULL, NULL, &err), 0);
    char *s = read_at("a");
    assert_string_equal(s, "second");
    free(s);
    struct stat d = lst("d");
    assert_int_equal(d.st_mode, S_IFDIR | 0711);
    assert_int_equal(d.st_mtim.tv_sec, 4242);
    assert_true(exists("d/child"));
    assert_true(S_ISLNK(lst("e").st_mode));
    assert_true(S_ISDIR(lst("x").st_mode));
}

/* A layer below: a directory with its own metadata, a file to hardlink. */
static int make_lower(char *path)
{
    snprintf(path, 128, "%s/lower", root);
    assert_int_equal(mkdir(path, 0755), 0);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(mkdirat(fd, "usr", 0755), 0);
    assert_int_equal(mkdirat(fd, "usr/lib", 0700), 0);
    assert_int_equal(fchownat(fd, "usr/lib", 12, 34, 0), 0);
    int f = openat(fd, "usr/lib/libc.so", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_int_equal(write(f, "libc!", 5), 5);
    assert_int_equal(fchown(f, 5, 6), 0);
    assert_int_equal(fchmod(f, 0751), 0);
    assert_int_equal(fsetxattr(f, "user.origin", "lower", 5, 0), 0);
    struct timespec ts[2] = { { 77, 0 }, { 88, 5 } };
    assert_int_equal(futimens(f, ts), 0);
    close(f);
    assert_int_equal(symlinkat("/etc", fd, "lnk"), 0);
    assert_int_equal(mknodat(fd, "gone", S_IFCHR, 0), 0);  /* a whiteout */
    struct timespec dts[2] = { { 5, 0 }, { 6, 0 } };
    assert_int_equal(utimensat(fd, "usr/lib", dts, 0), 0);
    return fd;
}

static void remove_lower(int fd, const char *path)
{
    close(fd);
    int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(cx_rm_rf_at(rfd, "lower"), 0);
    close(rfd);
    (void) path;
}

static void test_lower_layers(void **state)
{
    (void) state;
    char lp[128];
    int lfd = make_lower(lp);
    const struct ent ents[] = {
        { "usr/lib/libc.so.6", 'h', "usr/lib/libc.so" },
        { "usr/lib/new", 'f', "n" },
    };
    struct cx_unpack_opts o = { .lower_fds = &lfd, .nlower = 1 };
    struct cx_unpack_stats st;
    cx_error err = { 0 };
    if (unpack_ents(ents, N(ents), &o, &st, &err) < 0)
        fail_msg("%s", err.msg);
    /* copied up (content, owner, mode, xattr, times), then linked */
    struct stat a = lst("usr/lib/libc.so"), b = lst("usr/lib/libc.so.6");
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(a.st_mode, S_IFREG | 0751);
    assert_int_equal(a.st_uid, 5);
    assert_int_equal(a.st_gid, 6);
    assert_int_equal(a.st_mtim.tv_sec, 88);
    char *s = read_at("usr/lib/libc.so.6");
    assert_string_equal(s, "libc!");
    free(s);
    int fd = openat(destfd, "usr/lib/libc.so", O_RDONLY);
    char v[8] = { 0 };
    assert_int_equal(fgetxattr(fd, "user.origin", v, sizeof v), 5);
    close(fd);
    /* the parent takes the lower directory's metadata */
    struct stat d = lst("usr/lib");
    assert_int_equal(d.st_mode, S_IFDIR | 0700);
    assert_int_equal(d.st_uid, 12);
    assert_int_equal(d.st_gid, 34);
    assert_int_equal(d.st_mtim.tv_sec, 6);
    assert_int_equal(st.files, 2);
    remove_lower(lfd, lp);
}

static void test_lower_refusals(void **state)
{
    (void) state;
    char lp[128];
    int lfd = make_lower(lp);
    struct cx_unpack_opts o = { .lower_fds = &lfd, .nlower = 1 };
    struct {
        struct ent e;
        const char *msg;
    } cases[] = {
        { { "lnk/passwd", 'f', "x" }, "entry \"lnk/passwd\": parent \"lnk\" is a symlink in a "
                                      "lower layer; refused" },
        { { "h", 'h', "lnk" }, "hardlink target \"lnk\" in a lower layer is not a regular file" },
        { { "h", 'h', "gone" }, "hardlink target \"gone\" is neither in this layer nor below it" },
        { { "h", 'h', "usr/lib" }, "hardlink target \"usr/lib\" in a lower layer is not a regular" },
        { { "h", 'h', "lnk/x" }, "hardlink target \"lnk/x\" is neither in this layer nor below" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        cx_error err = { 0 };
        assert_int_equal(unpack_ents(&cases[i].e, 1, &o, NULL, &err), -1);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: \"%s\"", i, err.msg);
    }
    remove_lower(lfd, lp);
}

/* ---- hostile layers ---- */

static void test_hostile_names(void **state)
{
    (void) state;
    char longname[5001];
    memset(longname, 'a', 5000);
    longname[5000] = '\0';
    char longcomp[300];
    memset(longcomp, 'b', 299);
    longcomp[299] = '\0';
    const struct ent e1[] = { { "../x", 'f', "x" } };
    expect_refused(e1, 1, "entry \"../x\": a \"..\" component; refused");
    const struct ent e2[] = { { "a/../../x", 'f', "x" } };
    expect_refused(e2, 1, "entry \"a/../../x\": a \"..\" component; refused");
    const struct ent e3[] = { { longname, 'f', "x" } };
    expect_refused(e3, 1, "name longer than 4096 bytes; refused");
    const struct ent e4[] = { { longcomp, 'f', "x" } };
    expect_refused(e4, 1, "a component longer than 255 bytes; refused");
    const struct ent e5[] = { { "etc/.wh...", 'f' } };
    expect_refused(e5, 1, "a whiteout of \"..\"; refused");
    const struct ent e6[] = { { ".wh..", 'f' } };
    expect_refused(e6, 1, "a whiteout of \".\"; refused");
    const struct ent e7[] = { { "a/.wh.", 'f' } };
    expect_refused(e7, 1, "a whiteout of \"\"; refused");
    const struct ent e8[] = { { "a/.wh.b/c", 'f' } };
    expect_refused(e8, 1, "a path through a whiteout name; refused");
}

static void test_absolute_cleaned(void **state)
{
    (void) state;
    const struct ent ents[] = { { "/etc/x", 'f', "in" }, { ".//./etc//y/", 'd' } };
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(ents, N(ents), NULL, NULL, &err), 0);
    char *s = read_at("etc/x");
    assert_string_equal(s, "in");
    free(s);
    assert_true(S_ISDIR(lst("etc/y").st_mode));
}

static void test_hostile_symlinks(void **state)
{
    (void) state;
    char sentinel[128], up[160];
    snprintf(sentinel, sizeof sentinel, "%s/sentinel", root);
    snprintf(up, sizeof up, "../sentinel");
    struct ent e1[] = { { "a", 'l', sentinel }, { "a/file", 'f', "pwned" } };
    expect_refused(e1, 2, "entry \"a/file\": parent \"a\" is a symlink; refused");
    struct ent e2[] = { { "a", 'l', up }, { "a/b/file", 'f', "pwned" } };
    expect_refused(e2, 2, "entry \"a/b/file\": parent \"a\" is a symlink; refused");
    struct ent e3[] = { { "a", 'l', sentinel }, { "b", 'h', "a/x" } };
    expect_refused(e3, 2, "hardlink target \"a/x\" is reached through a symlink; refused");
    const struct ent e4[] = { { "b", 'h', "../../etc/passwd" } };
    expect_refused(e4, 1, "hardlink target: a \"..\" component; refused");
    const struct ent e5[] = { { "b", 'h', "/etc/passwd" } };
    expect_refused(e5, 1, "hardlink target \"etc/passwd\" is neither in this layer nor below");
    struct ent e6[] = { { "a", 'l', sentinel }, { "a/.wh..wh..opq", 'f' } };
    expect_refused(e6, 2, "parent \"a\" is a symlink; refused");
    struct ent e7[] = { { "a", 'l', sentinel }, { "a/.wh.x", 'f' } };
    expect_refused(e7, 2, "parent \"a\" is a symlink; refused");
    struct ent e8[] = { { "f", 'f', "x" }, { "f/g", 'f', "x" } };
    expect_refused(e8, 2, "parent \"f\" is not a directory; refused");
    struct ent e9[] = { { "d/", 'd' }, { "d", 'l', sentinel }, { "d/x", 'f', "pwned" } };
    expect_refused(e9, 3, "parent \"d\" is a symlink; refused");
    /* a file, a symlink over it, a file again: written in place, never through */
    char target[160];
    snprintf(target, sizeof target, "%s/sentinel/pwned", root);
    struct ent ok[] = { { "a", 'f', "1" }, { "a", 'l', target }, { "a", 'f', "2" },
                        { "l", 'l', target }, { "h", 'h', "l" } };
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(ok, N(ok), NULL, NULL, &err), 0);
    char *s = read_at("a");
    assert_string_equal(s, "2");
    free(s);
    /* a hardlink to a symlink links the symlink itself */
    assert_int_equal(lst("h").st_ino, lst("l").st_ino);
    assert_true(S_ISLNK(lst("h").st_mode));
}

static void test_bombs(void **state)
{
    (void) state;
    struct ent many[20];
    char names[20][8];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "f%d", i);
        many[i] = (struct ent) { names[i], 'f', "x" };
    }
    struct cx_unpack_opts o = { .max_entries = 10 };
    cx_error err = { 0 };
    assert_int_equal(unpack_ents(many, 20, &o, NULL, &err), -1);
    assert_string_equal(err.msg, "layer: more than 10 entries; refused");

    /* content beyond max_bytes */
    char *big = malloc(300001);
    memset(big, 'z', 300000);
    big[300000] = '\0';
    struct ent e[] = { { "big", 'f', big } };
    struct cx_unpack_opts o2 = { .max_bytes = 100000 };
    assert_int_equal(unpack_ents(e, 1, &o2, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "100000"));
    free(big);

    /* gzip of zeros past the ratio */
    size_t zlen = 16 << 20, tlen, glen;
    char *zeros = calloc(1, zlen + 1);
    memset(zeros, '\0', zlen);
    struct archive *a = archive_write_new();
    struct membuf m = { 0 };
    archive_write_set_format_pax_restricted(a);
    archive_write_open(a, &m, NULL, mem_write, NULL);
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, "zeros");
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, (la_int64_t) zlen);
    archive_write_header(a, ae);
    archive_write_data(a, zeros, zlen);
    archive_entry_free(ae);
    archive_write_close(a);
    archive_write_free(a);
    tlen = m.len;
    uint8_t *gz = gzip_buf(m.p, tlen, &glen);
    struct cx_unpack_opts o3 = { .max_ratio = 100 };
    assert_int_equal(unpack_buf(gz, glen, CX_COMP_DETECT, NULL, NULL, &o3, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "refused as a decompression bomb"));
    free(gz);
    free(m.p);
    free(zeros);
}

static void test_stream_errors(void **state)
{
    (void) state;
    const struct ent ents[] = { { "etc/os-release", 'f', "ID=capsa\n" }, { "bin/", 'd' } };
    size_t tlen, glen;
    uint8_t *tar = build(ents, N(ents), NULL, &tlen);
    uint8_t *gz = gzip_buf(tar, tlen, &glen);
    struct cx_digest d, diff, other;
    cx_error err = { 0 };
    assert_int_equal(cx_digest_buffer(CX_SHA256, gz, glen, &d, &err), 0);
    assert_int_equal(cx_digest_buffer(CX_SHA256, tar, tlen, &diff, &err), 0);
    assert_int_equal(cx_digest_buffer(CX_SHA256, "other", 5, &other, &err), 0);
    char ds[CX_DIGEST_MAX], prefix[100];
    cx_digest_format(&d, ds);
    snprintf(prefix, sizeof prefix, "layer %s: ", ds);

    assert_int_equal(unpack_buf(gz, glen - 9, CX_COMP_GZIP, &d, &diff, NULL, NULL, &err), -1);
    assert_true(strncmp(err.msg, prefix, strlen(prefix)) == 0);
    assert_non_null(strstr(err.msg, "truncated gzip stream"));

    gz[glen / 2] ^= 0xff;
    assert_int_equal(unpack_buf(gz, glen, CX_COMP_GZIP, &d, &diff, NULL, NULL, &err), -1);
    assert_true(strncmp(err.msg, prefix, strlen(prefix)) == 0);
    gz[glen / 2] ^= 0xff;

    assert_int_equal(unpack_buf(gz, glen, CX_COMP_GZIP, &other, &diff, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "digest mismatch"));
    assert_int_equal(unpack_buf(gz, glen, CX_COMP_GZIP, &d, &other, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "diff_id mismatch"));

    /* a tar cut inside a file's data, uncompressed */
    assert_int_equal(unpack_buf(tar, 1024 + 3, CX_COMP_NONE, NULL, NULL, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "layer: "));
    /* not a tar at all */
    assert_int_equal(unpack_buf("hello, world", 12, CX_COMP_DETECT, NULL, NULL, NULL, NULL, &err), -1);
    assert_true(strncmp(err.msg, "layer: ", 7) == 0);

    /* and the good one, with both digests */
    struct cx_unpack_stats st;
    assert_int_equal(unpack_buf(gz, glen, CX_COMP_GZIP, &d, &diff, NULL, &st, &err), 0);
    assert_int_equal(st.entries, 2);
    free(tar);
    free(gz);
}

static void test_formats(void **state)
{
    (void) state;
    const struct ent ents[] = { { "etc/os-release", 'f', "ID=capsa\n" } };
    const char *filters[] = { NULL, "gzip", "zstd" };
    cx_error err = { 0 };
    for (int i = 0; i < 3; i++) {
        size_t len;
        uint8_t *b = build(ents, 1, filters[i], &len);
        assert_int_equal(unpack_buf(b, len, CX_COMP_DETECT, NULL, NULL, NULL, NULL, &err), 0);
        char *s = read_at("etc/os-release");
        assert_string_equal(s, "ID=capsa\n");
        free(s);
        assert_int_equal(unlinkat(destfd, "etc/os-release", 0), 0);
        free(b);
    }
    /* concatenated gzip members, split in the middle of the tar */
    const struct ent two[] = { { "a", 'f', "first" }, { "b", 'f', "second" } };
    size_t tlen, l1, l2;
    uint8_t *tar = build(two, 2, NULL, &tlen);
    uint8_t *g1 = gzip_buf(tar, 700, &l1), *g2 = gzip_buf(tar + 700, tlen - 700, &l2);
    uint8_t *cat = malloc(l1 + l2);
    memcpy(cat, g1, l1);
    memcpy(cat + l1, g2, l2);
    assert_int_equal(unpack_buf(cat, l1 + l2, CX_COMP_GZIP, NULL, NULL, NULL, NULL, &err), 0);
    char *s = read_at("b");
    assert_string_equal(s, "second");
    free(s);
    free(cat);
    free(g1);
    free(g2);
    free(tar);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_file_metadata), T(test_links_and_nodes), T(test_devices_skipped),
        T(test_whiteouts), T(test_duplicates), T(test_lower_layers), T(test_lower_refusals),
        T(test_hostile_names), T(test_absolute_cleaned), T(test_hostile_symlinks),
        T(test_bombs), T(test_stream_errors), T(test_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
