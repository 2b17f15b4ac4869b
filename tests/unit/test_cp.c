/* test_cp.c: cp's arguments and paths (podman's rules), and the tar writer
 * cp, export and commit share: every kind of file, hardlinks, xattrs,
 * symlinks kept as symlinks, overlay whiteouts and opaque directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/commit.h"
#include "engine/cp.h"

/* ---- arguments ---- */

struct arg_case {
    const char *in, *ctr, *path;
    bool stream;
};

static void test_arg_parse(void **state)
{
    (void) state;
    static const struct arg_case cases[] = {
        { "-", NULL, NULL, true },
        { "ctr:/etc/passwd", "ctr", "/etc/passwd", false },
        { "ctr:etc", "ctr", "etc", false },
        { "ctr:", "ctr", "", false },
        { "a:b:c", "a", "b:c", false },
        { "/abs/with:colon", NULL, "/abs/with:colon", false },
        { "./rel:colon", NULL, "./rel:colon", false },
        { "plain", NULL, "plain", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cx_cp_arg a;
        cx_error err = { 0 };
        assert_int_equal(cx_cp_arg_parse(cases[i].in, &a, &err), 0);
        assert_int_equal(a.stream, cases[i].stream);
        if (cases[i].ctr)
            assert_string_equal(a.ctr, cases[i].ctr);
        else
            assert_null(a.ctr);
        if (cases[i].path)
            assert_string_equal(a.path, cases[i].path);
        else
            assert_null(a.path);
        cx_cp_arg_free(&a);
    }
    struct cx_cp_arg a;
    cx_error err = { 0 };
    assert_int_equal(cx_cp_arg_parse(":x", &a, &err), -1);
    assert_non_null(strstr(err.msg, "no container"));
    assert_int_equal(cx_cp_arg_parse("", &a, &err), -1);
}

struct path_case {
    const char *in;
    bool ctr;
    const char *full, *parent, *leaf;
    bool contents, dir;
};

static void test_path_split(void **state)
{
    (void) state;
    static const struct path_case cases[] = {
        { "/a/b", true, "/a/b", "/a", "b", false, false },
        { "a/b/", true, "/a/b", "/a", "b", false, true },
        { "/a/b/.", true, "/a/b", "/a", "b", true, true },
        { "/a/b/./", true, "/a/b", "/a", "b", true, true },
        { "", true, "/", "/", "", true, false },
        { "/", false, "/", "/", "", true, false },
        { "/.", true, "/", "/", "", true, true },
        { "/x", true, "/x", "/", "x", false, false },
        { ".", false, ".", ".", ".", true, false },
        { "x", false, "x", ".", "x", false, false },
        { "d/..", false, "d/..", "d", "..", true, false },
        { "a//", false, "a", ".", "a", false, true },
        { "../up/f", false, "../up/f", "../up", "f", false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct path_case *c = &cases[i];
        struct cx_cp_path p;
        cx_error err = { 0 };
        assert_int_equal(cx_cp_path_split(c->in, c->ctr, &p, &err), 0);
        if (strcmp(p.full, c->full) || strcmp(p.parent, c->parent) || strcmp(p.leaf, c->leaf) ||
            p.contents != c->contents || p.dir != c->dir)
            fail_msg("\"%s\": full %s parent %s leaf %s contents %d dir %d", c->in, p.full,
                     p.parent, p.leaf, p.contents, p.dir);
        cx_cp_path_free(&p);
    }
    struct cx_cp_path p;
    cx_error err = { 0 };
    assert_int_equal(cx_cp_path_split("", false, &p, &err), -1);
    cx_cp_path_free(&p);
}

/* ---- the tar writer ---- */

struct tree {
    char dir[64];
    int fd;              /* O_PATH of dir/t */
};

static void mk(const struct tree *t, const char *rel, const char *text, mode_t mode)
{
    char p[256];
    snprintf(p, sizeof p, "%s/t/%s", t->dir, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void path_of(const struct tree *t, const char *rel, char *out, size_t len)
{
    snprintf(out, len, "%s/t%s%s", t->dir, *rel ? "/" : "", rel);
}

static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    char p[256], q[256];
    strcpy(t->dir, "/tmp/capsa-test-cp-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    path_of(t, "", p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
    mk(t, "file", "hello", 0640);
    path_of(t, "file", p, sizeof p);
    assert_int_equal(chown(p, 1000, 1001), 0);
    assert_int_equal(setxattr(p, "user.foo", "bar", 3, 0), 0);
    path_of(t, "hl", q, sizeof q);
    assert_int_equal(link(p, q), 0);
    path_of(t, "link", p, sizeof p);
    assert_int_equal(symlink("/etc/shadow", p), 0);
    path_of(t, "fifo", p, sizeof p);
    assert_int_equal(mkfifo(p, 0600), 0);
    path_of(t, "gone", p, sizeof p);
    assert_int_equal(mknod(p, S_IFCHR | 0600, makedev(0, 0)), 0);
    path_of(t, "sub", p, sizeof p);
    assert_int_equal(mkdir(p, 0700), 0);
    mk(t, "sub/inner", "in", 0644);
    path_of(t, "opq", p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
    mk(t, "opq/kept", "k", 0644);
    path_of(t, "", p, sizeof p);
    t->fd = open(p, O_PATH | O_CLOEXEC);
    assert_true(t->fd >= 0);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    close(t->fd);
    cx_rm_rf_at(AT_FDCWD, t->dir);
    free(t);
    return 0;
}

struct got {
    char name[128], link[128], hardlink[128];
    mode_t type, perm;
    int64_t size, uid, gid;
    char data[16];
    bool xattr_foo;
};

/* Write the tree with o, read back every entry. */
static int write_read(int fd, const char *name, const struct cx_tar_opts *o, struct got *g,
                      size_t cap, size_t *n, cx_error *err)
{
    int mfd = memfd_create("tar", MFD_CLOEXEC);
    struct cx_tar t;
    assert_true(mfd >= 0);
    assert_int_equal(cx_tar_open(mfd, &t, err), 0);
    int rc = cx_tar_node(t.a, fd, name, o, err);
    off_t cut = lseek(mfd, 0, SEEK_CUR);
    assert_int_equal(cx_tar_close(&t, rc < 0, err), 0);
    *n = 0;
    if (rc < 0) {
        /* a failed stream gets no end blocks */
        assert_int_equal(lseek(mfd, 0, SEEK_CUR), cut);
        close(mfd);
        return rc;
    }
    assert_int_equal(lseek(mfd, 0, SEEK_SET), 0);
    struct archive *r = archive_read_new();
    struct archive_entry *e;
    archive_read_support_format_tar(r);
    assert_int_equal(archive_read_open_fd(r, mfd, 4096), ARCHIVE_OK);
    while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
        assert_true(*n < cap);
        struct got *x = &g[(*n)++];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%s", archive_entry_pathname(e));
        size_t l = strlen(x->name);
        if (l > 1 && x->name[l - 1] == '/')
            x->name[l - 1] = '\0';
        snprintf(x->link, sizeof x->link, "%s", archive_entry_symlink(e) ?: "");
        snprintf(x->hardlink, sizeof x->hardlink, "%s", archive_entry_hardlink(e) ?: "");
        x->type = archive_entry_filetype(e);
        x->perm = archive_entry_perm(e);
        x->size = archive_entry_size(e);
        x->uid = archive_entry_uid(e), x->gid = archive_entry_gid(e);
        archive_read_data(r, x->data, sizeof x->data - 1);
        const char *xn;
        const void *xv;
        size_t xl;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &xn, &xv, &xl) == ARCHIVE_OK)
            x->xattr_foo |= !strcmp(xn, "user.foo") && xl == 3 && !memcmp(xv, "bar", 3);
    }
    archive_read_free(r);
    close(mfd);
    return 0;
}

static const struct got *find(const struct got *g, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(g[i].name, name))
            return &g[i];
    fail_msg("no entry %s", name);
    return NULL;
}

static void test_tar_overlay_upper(void **state)
{
    struct tree *t = *state;
    struct got g[32];
    size_t n;
    cx_error err = { 0 };
    struct cx_tar_opts o = { .overlay = true };
    assert_int_equal(write_read(t->fd, "", &o, g, 32, &n, &err), 0);
    static const char *const order[] = { "fifo", "file", ".wh.gone", "hl", "link", "opq",
                                         "opq/.wh..wh..opq", "opq/kept", "sub", "sub/inner" };
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(g[i].name, order[i]);
    const struct got *f = find(g, n, "file");
    assert_int_equal(f->type, AE_IFREG);
    assert_int_equal(f->perm, 0640);
    assert_int_equal(f->size, 5);
    assert_string_equal(f->data, "hello");
    assert_int_equal(f->uid, 1000);
    assert_int_equal(f->gid, 1001);
    assert_true(f->xattr_foo);
    assert_string_equal(find(g, n, "hl")->hardlink, "file");
    assert_int_equal(find(g, n, "link")->type, AE_IFLNK);
    assert_string_equal(find(g, n, "link")->link, "/etc/shadow");
    assert_int_equal(find(g, n, "fifo")->type, AE_IFIFO);
    assert_int_equal(find(g, n, ".wh.gone")->type, AE_IFREG);
    assert_int_equal(find(g, n, ".wh.gone")->size, 0);
    assert_int_equal(find(g, n, "sub")->type, AE_IFDIR);
    assert_int_equal(find(g, n, "sub")->perm, 0700);
    assert_string_equal(find(g, n, "sub/inner")->data, "in");
}

static void test_tar_plain_named_and_owned(void **state)
{
    struct tree *t = *state;
    struct got g[32];
    size_t n;
    cx_error err = { 0 };
    struct cx_tar_opts o = { .chown = true, .uid = 7, .gid = 8 };
    assert_int_equal(write_read(t->fd, "top", &o, g, 32, &n, &err), 0);
    assert_int_equal(n, 10);   /* top itself, no opaque marker */
    assert_string_equal(g[0].name, "top");
    assert_int_equal(g[0].type, AE_IFDIR);
    const struct got *gone = find(g, n, "top/gone");
    assert_int_equal(gone->type, AE_IFCHR);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(g[i].uid, 7);
        assert_int_equal(g[i].gid, 8);
        assert_null(strstr(g[i].name, ".wh."));
    }
    assert_string_equal(find(g, n, "top/hl")->hardlink, "top/file");
}

static void test_tar_refusals(void **state)
{
    struct tree *t = *state;
    struct got g[32];
    size_t n;
    cx_error err = { 0 };
    char p[256];
    int cancel = 1;
    struct cx_tar_opts o = { .cancel = &cancel };
    assert_int_equal(write_read(t->fd, "", &o, g, 32, &n, &err), -1);
    assert_int_equal(err.errnum, ECANCELED);
    /* a file's contents */
    path_of(t, "file", p, sizeof p);
    int f = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct cx_tar_opts plain = { 0 };
    assert_int_equal(write_read(f, "", &plain, g, 32, &n, &err), -1);
    assert_int_equal(err.errnum, ENOTDIR);
    assert_int_equal(write_read(f, "renamed", &plain, g, 32, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(g[0].name, "renamed");
    close(f);
    /* an upper directory overlay wrote a redirect into cannot be a layer */
    path_of(t, "sub", p, sizeof p);
    assert_int_equal(setxattr(p, "trusted.overlay.redirect", "/x", 2, 0), 0);
    struct cx_tar_opts ovl = { .overlay = true };
    assert_int_equal(write_read(t->fd, "", &ovl, g, 32, &n, &err), -1);
    assert_int_equal(err.errnum, ENOTSUP);
    assert_non_null(strstr(err.msg, "\"sub\""));
    assert_int_equal(write_read(t->fd, "", &plain, g, 32, &n, &err), 0);  /* not an upper */
    assert_int_equal(removexattr(p, "trusted.overlay.redirect"), 0);
    /* a real file named like a whiteout: refused, unless names are taken as they are */
    mk(t, "sub/.wh.inner", "", 0644);
    assert_int_equal(write_read(t->fd, "", &plain, g, 32, &n, &err), -1);
    assert_int_equal(err.errnum, EPERM);
    assert_non_null(strstr(err.msg, "\"sub/.wh.inner\""));
    struct cx_tar_opts any = { .any_names = true };
    assert_int_equal(write_read(t->fd, "", &any, g, 32, &n, &err), 0);
    assert_string_equal(find(g, n, "sub/.wh.inner")->name, "sub/.wh.inner");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arg_parse),
        cmocka_unit_test(test_path_split),
        cmocka_unit_test_setup_teardown(test_tar_overlay_upper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tar_plain_named_and_owned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tar_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
