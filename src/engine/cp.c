/* cp.c: see cp.h.  A container's root under its lock, and cp and export
 * over it (the tar writer is commit.c's). */
#include "engine/cp.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/commit.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "engine/rootfs.h"
#include "image/unpack.h"
#include "runtime/safepath.h"

#define CHUNK (256u << 10)

/* ---- a container's file system ---- */

/* The container's process user (0:0 without a config.json) and its bound
 * directories, from its config.json. */
static void ctr_user(struct cx_ctr_fs *fs)
{
    cx_error ignored = { 0 };
    _cleanup_close_ int dir = cx_engine_ctr_dir(fs->e, fs->id, false, &ignored);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (dir < 0 || cx_read_file_at(dir, "config.json", 16u << 20, &text, &len, &ignored) < 0)
        return;
    json_t *j = json_loadb(text, len, 0, NULL);
    cx_ctr_fs_load_binds(fs, j);
    json_t *u = json_object_get(json_object_get(j, "process"), "user");
    json_t *uid = json_object_get(u, "uid"), *gid = json_object_get(u, "gid");
    if (json_is_integer(uid) && json_is_integer(gid) && json_integer_value(uid) >= 0 &&
        json_integer_value(uid) < UINT32_MAX && json_integer_value(gid) >= 0 &&
        json_integer_value(gid) < UINT32_MAX) {
        fs->uid = (uid_t) json_integer_value(uid);
        fs->gid = (gid_t) json_integer_value(gid);
    }
    json_decref(j);
}

/* Under the container's lock (c read under it). */
static int open_root(struct cx_ctr_fs *fs, struct cx_ctr *c, cx_error *err)
{
    struct cx_engine *e = fs->e;
    _cleanup_free_ char *path = NULL;
    cx_ctr_sync(e, c);
    if (cx_ctr_rootfs_mounted(e, c->id)) {
        path = cx_engine_run_path(e, c->id, "rootfs");
        /* a stopped container keeps no mount: this one is left by a copy
           killed midway, ours to undo */
        fs->mounted = c->state == CX_CTR_EXITED || c->state == CX_CTR_CONFIGURED;
    } else {
        struct cx_image_rec img = { 0 };
        bool found;
        if (cx_image_lookup(&e->store, c->image_id, &img, &found, err) < 0)
            return -1;
        if (!found)
            return cx_fail(err, ENOENT, "container %s: its image %.12s is not in the store",
                           c->name, c->image_id);
        int r = cx_ctr_rootfs_mount(e, c->id, &img, &path, err);
        cx_image_rec_free(&img);
        fs->mounted = r == 0 || cx_ctr_rootfs_mounted(e, c->id);
        if (r < 0)
            return cx_error_prefix(err, "container %s", c->name);
    }
    fs->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->rootfd < 0)
        return cx_fail_errno(err, "container %s: open its root %s", c->name, path);
    ctr_user(fs);
    return 0;
}

int cx_ctr_fs_open(struct cx_engine *e, const char *what, struct cx_ctr_fs *fs, cx_error *err)
{
    struct cx_ctr c;
    *fs = (struct cx_ctr_fs){ .e = e, .rootfd = -1, .lock = CX_LOCK_INIT };
    if (cx_ctr_lookup(&e->store.db, what, &c, NULL, err) < 0)
        return -1;
    memcpy(fs->id, c.id, sizeof fs->id);
    fs->name = cx_strdup(c.name);
    cx_ctr_free(&c);
    int rc = -1;
    if (cx_lock_take(e->store.locksfd, "ctr", fs->id, true, &fs->lock, err) == 0 &&
        cx_ctr_lookup(&e->store.db, fs->id, &c, NULL, err) == 0) {
        rc = open_root(fs, &c, err);
        cx_ctr_free(&c);
    }
    if (rc < 0)
        cx_ctr_fs_close(fs);
    return rc;
}

void cx_ctr_fs_close(struct cx_ctr_fs *fs)
{
    fs->rootfd = cx_close(fs->rootfd);
    cx_ctr_fs_free_binds(fs);
    if (fs->mounted) {
        cx_error ignored = { 0 };
        cx_ctr_rootfs_unmount(fs->e, fs->id, &ignored);
        fs->mounted = false;
    }
    cx_lock_release(&fs->lock);
    free(fs->name);
    fs->name = NULL;
}

/* ---- cp's arguments ---- */

int cx_cp_arg_parse(const char *s, struct cx_cp_arg *out, cx_error *err)
{
    memset(out, 0, sizeof *out);
    const char *colon = strchr(s, ':');
    if (!strcmp(s, "-"))
        out->stream = true;
    else if (*s == '\0')
        return cx_fail(err, EINVAL, "an empty path");
    else if (s[0] == '/' || s[0] == '.' || colon == NULL)
        out->path = cx_strdup(s);
    else if (colon == s)
        return cx_fail(err, EINVAL, "\"%s\": no container before the colon", s);
    else {
        out->ctr = cx_asprintf("%.*s", (int) (colon - s), s);
        out->path = cx_strdup(colon + 1);
    }
    return 0;
}

void cx_cp_arg_free(struct cx_cp_arg *a)
{
    free(a->ctr), free(a->path);
    memset(a, 0, sizeof *a);
}

int cx_cp_path_split(const char *path, bool in_ctr, struct cx_cp_path *out, cx_error *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(path) >= PATH_MAX)
        return cx_fail(err, ENAMETOOLONG, "a path of more than %d bytes", PATH_MAX);
    if (!in_ctr && *path == '\0')
        return cx_fail(err, EINVAL, "an empty path");
    char *p = out->full = in_ctr && path[0] != '/' ? cx_asprintf("/%s", path) : cx_strdup(path);
    for (size_t n = strlen(p);;) {
        if (n >= 2 && p[n - 2] == '/' && p[n - 1] == '.')
            out->contents = out->dir = true, p[--n] = '\0';   /* "x/." -> "x/" */
        else if (n > 1 && p[n - 1] == '/')
            out->dir = true, p[--n] = '\0';
        else
            break;
    }
    char *slash = strrchr(p, '/');
    if (slash == NULL)
        out->parent = cx_strdup("."), out->leaf = cx_strdup(p);
    else {
        out->parent = slash == p ? cx_strdup("/") : cx_asprintf("%.*s", (int) (slash - p), p);
        out->leaf = cx_strdup(slash + 1);
    }
    if (!*out->leaf || !strcmp(out->leaf, ".") || !strcmp(out->leaf, ".."))
        out->contents = true;
    return 0;
}

void cx_cp_path_free(struct cx_cp_path *p)
{
    free(p->full), free(p->parent), free(p->leaf);
    memset(p, 0, sizeof *p);
}

/* ---- streams between two threads ---- */

typedef int (*produce_fn)(void *arg, struct archive *a, const int *cancel, cx_error *err);

static int produce_to(int fd, produce_fn fn, void *arg, const int *cancel, cx_error *err)
{
    struct cx_tar t;
    if (cx_tar_open(fd, &t, err) < 0)
        return -1;
    int rc = fn(arg, t.a, cancel, err);
    int r = cx_tar_close(&t, rc < 0, err);
    return rc < 0 ? -1 : r;
}

struct producer {
    produce_fn fn;
    void *arg;
    int fd, cancel, rc;
    cx_error err;
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);   /* a reader gone is an EPIPE here, not a death */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    p->rc = produce_to(p->fd, p->fn, p->arg, &p->cancel, &p->err);
    p->fd = cx_close(p->fd);
    return NULL;
}

/* Read to the end (the writer stops soon after it sees cancel). */
static void drain(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR))
            return;
    }
}

/* fn writes a tar on one thread; it is unpacked into destfd on this one. */
static int pipe_copy(produce_fn fn, void *arg, int destfd, bool devices, cx_error *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return cx_fail_errno(err, "a pipe");
    _cleanup_close_ int rfd = fds[0];
    struct producer p = { .fn = fn, .arg = arg, .fd = fds[1] };
    pthread_t t;
    int e = pthread_create(&t, NULL, producer_main, &p);
    if (e != 0) {
        cx_close(fds[1]);
        return cx_fail(err, e, "a copying thread");
    }
    struct cx_unpack_opts uo = { .max_entries = UINT64_MAX, .max_bytes = UINT64_MAX,
                                 .devices = devices };
    int rc = cx_unpack_layer(rfd, CX_COMP_NONE, NULL, NULL, destfd, &uo, NULL, err);
    if (rc < 0) {
        __atomic_store_n(&p.cancel, 1, __ATOMIC_RELAXED);
        drain(rfd);
    }
    pthread_join(t, NULL);
    if (p.rc < 0 && (rc == 0 || p.err.errnum != ECANCELED)) {
        *err = p.err;   /* the reading side's error is the cause */
        return -1;
    }
    return rc;
}

struct tree_job {
    int fd;
    const char *name;
    struct cx_tar_opts o;
};

static int produce_tree(void *arg, struct archive *a, const int *cancel, cx_error *err)
{
    struct tree_job *j = arg;
    j->o.cancel = cancel;
    return cx_tar_node(a, j->fd, j->name, &j->o, err);
}

struct restream {
    int fd;
    bool chown;
    uid_t uid;
    gid_t gid;
};

static int copy_entry_data(struct archive *in, struct archive *out, char *buf, cx_error *err)
{
    for (;;) {
        la_ssize_t n = archive_read_data(in, buf, CHUNK);
        if (n < 0)
            return cx_fail(err, EINVAL, "standard input: %s", archive_error_string(in));
        if (n == 0)
            return 0;
        if (archive_write_data(out, buf, (size_t) n) != n)
            return cx_fail(err, EIO, "writing the tar stream: %s", archive_error_string(out));
    }
}

static bool wh_name(const char *path)
{
    size_t n = strlen(path ? path : "");
    while (n > 0 && path[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/')
        s--;
    return n - s >= 4 && !strncmp(path + s, ".wh.", 4);
}

/* A tar read from a stream (any compression libarchive knows) written
 * again, owned by uid:gid when chown: never extracted by libarchive. */
static int produce_restream(void *arg, struct archive *w, const int *cancel, cx_error *err)
{
    const struct restream *r = arg;
    char b[112];
    struct archive *in = archive_read_new();
    struct archive_entry *e;
    _cleanup_free_ char *buf = cx_calloc(1, CHUNK);
    archive_read_support_filter_all(in);
    archive_read_support_format_tar(in);
    int rc = archive_read_open_fd(in, r->fd, 1 << 16) == ARCHIVE_OK ? 0
        : cx_fail(err, EINVAL, "standard input: %s", archive_error_string(in));
    for (int h; rc == 0 && (h = archive_read_next_header(in, &e)) != ARCHIVE_EOF;) {
        if (h < ARCHIVE_WARN)
            rc = cx_fail(err, EINVAL, "standard input: not a tar stream: %s",
                         archive_error_string(in));
        else if (__atomic_load_n(cancel, __ATOMIC_RELAXED))
            rc = cx_fail(err, ECANCELED, "the copy was cancelled");
        else if (wh_name(archive_entry_pathname(e)))
            rc = cx_fail(err, EPERM, "standard input: \"%s\": a name starting with \".wh.\" "
                         "stands for a deletion to the unpacker; refused",
                         cx_printable(archive_entry_pathname(e), b));
        else {
            if (r->chown) {
                archive_entry_set_uid(e, r->uid), archive_entry_set_gid(e, r->gid);
                archive_entry_set_uname(e, NULL), archive_entry_set_gname(e, NULL);
            }
            if (archive_entry_hardlink(e))
                archive_entry_set_size(e, 0);
            if (archive_write_header(w, e) < ARCHIVE_WARN)
                rc = cx_fail(err, EIO, "writing the tar stream: %s", archive_error_string(w));
            else if (!archive_entry_hardlink(e))
                rc = copy_entry_data(in, w, buf, err);
        }
    }
    archive_read_free(in);
    return rc;
}

/* ---- cp ---- */

struct side {
    struct cx_cp_arg arg;
    struct cx_cp_path p;
    struct cx_ctr_fs *fs;      /* NULL: the host */
    char *what;                /* as the user wrote it, for errors */
};

static void side_free(struct side *s)
{
    cx_cp_arg_free(&s->arg);
    cx_cp_path_free(&s->p);
    free(s->what);
}

/* path on that side, symlinks followed: inside the container's root, or
 * as the host resolves it */
static int side_open(const struct side *s, const char *path, int flags)
{
    return s->fs ? cx_ctr_fs_open_at(s->fs, path, flags) : open(path, flags | O_CLOEXEC);
}

static int src_open(const struct side *s, int *fd, struct stat *st, cx_error *err)
{
    *fd = side_open(s, s->p.full, O_PATH);
    if (*fd < 0 || fstat(*fd, st) < 0)
        return cx_fail_errno(err, "%s", s->what);
    if ((s->p.dir || s->p.contents) && !S_ISDIR(st->st_mode))
        return cx_fail(err, ENOTDIR, "%s", s->what);
    return 0;
}

/* Without --overwrite, what the copy lands on must be of its kind. */
static int check_kind(const struct side *d, int dirfd, const char *name, bool src_dir,
                      const struct cx_cp_opts *o, cx_error *err)
{
    struct stat st;
    if (o->overwrite || !*name || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (S_ISDIR(st.st_mode) != src_dir)
        return cx_fail(err, 0, "%s: cannot overwrite %s \"%s\" with a %s (--overwrite "
                       "allows it)", d->what, src_dir ? "non-directory" : "directory", name,
                       src_dir ? "directory" : "non-directory");
    return 0;
}

/* Where the copy goes: *dirfd, and the name the source takes in it (""
 * for its contents), by podman-cp(1)'s rules. */
static int dest_resolve(const struct side *d, bool src_dir, const char *src_name, int *dirfd,
                        const char **name, const struct cx_cp_opts *o, cx_error *err)
{
    _cleanup_close_ int pfd = side_open(d, d->p.full, O_PATH);
    struct stat st;
    if (pfd < 0 && errno != ENOENT)
        return cx_fail_errno(err, "%s", d->what);
    if (pfd >= 0 && fstat(pfd, &st) < 0)
        return cx_fail_errno(err, "%s", d->what);
    if (pfd >= 0 && S_ISDIR(st.st_mode)) {
        char p[32];
        sp_fd_path(pfd, p);   /* the directory just checked, opened again */
        *name = src_name;
        *dirfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*dirfd < 0)
            return cx_fail_errno(err, "%s", d->what);
        return check_kind(d, *dirfd, *name, src_dir, o, err);
    }
    if (pfd >= 0 && (src_dir || d->p.dir))
        return cx_fail(err, ENOTDIR, "%s%s", d->what,
                       src_dir ? ": cannot copy a directory onto a file" : "");
    if (pfd < 0 && d->p.dir && !src_dir)
        return cx_fail(err, ENOENT, "%s", d->what);
    *name = d->p.leaf;
    *dirfd = side_open(d, d->p.parent, O_RDONLY | O_DIRECTORY);
    if (*dirfd < 0)
        return cx_fail_errno(err, "%s: its parent directory", d->what);
    return check_kind(d, *dirfd, *name, src_dir, o, err);
}

static int cp_tree(struct side *s, struct side *d, const struct cx_cp_opts *o, cx_error *err)
{
    _cleanup_close_ int pfd = -1, dirfd = -1;
    struct stat st;
    const char *name = NULL;
    if (src_open(s, &pfd, &st, err) < 0)
        return -1;
    bool dir = S_ISDIR(st.st_mode);
    if (d->fs && cx_ctr_fs_readonly(d->fs, d->p.full))
        return cx_fail(err, EROFS, "%s: a read-only mount in the container", d->what);
    if (dest_resolve(d, dir, s->p.contents ? "" : s->p.leaf, &dirfd, &name, o, err) < 0)
        return -1;
    struct tree_job j = { pfd, name, { .chown = d->fs && o->archive } };
    if (d->fs)
        j.o.uid = d->fs->uid, j.o.gid = d->fs->gid;
    if (pipe_copy(produce_tree, &j, dirfd, d->fs != NULL, err) < 0)
        return cx_error_prefix(err, "copying %s to %s", s->what, d->what);
    return 0;
}

static int cp_to_stream(struct side *s, int fd, cx_error *err)
{
    _cleanup_close_ int pfd = -1;
    struct stat st;
    if (src_open(s, &pfd, &st, err) < 0)
        return -1;
    struct tree_job j = { pfd, s->p.contents ? "" : s->p.leaf, { 0 } };
    int cancel = 0;
    if (produce_to(fd, produce_tree, &j, &cancel, err) < 0)
        return cx_error_prefix(err, "copying %s", s->what);
    return 0;
}

static int cp_from_stream(struct side *d, int fd, const struct cx_cp_opts *o, cx_error *err)
{
    if (cx_ctr_fs_readonly(d->fs, d->p.full))
        return cx_fail(err, EROFS, "%s: a read-only mount in the container", d->what);
    _cleanup_close_ int dirfd = side_open(d, d->p.full, O_RDONLY | O_DIRECTORY);
    if (dirfd < 0)
        return cx_fail_errno(err, "%s: the destination of a tar stream must be a directory",
                             d->what);
    struct restream r = { fd, o->archive, d->fs->uid, d->fs->gid };
    if (pipe_copy(produce_restream, &r, dirfd, true, err) < 0)
        return cx_error_prefix(err, "copying standard input to %s", d->what);
    return 0;
}

static int side_parse(const char *arg, struct side *s, cx_error *err)
{
    s->what = cx_strdup(arg);
    if (cx_cp_arg_parse(arg, &s->arg, err) < 0 ||
        (!s->arg.stream && cx_cp_path_split(s->arg.path, s->arg.ctr != NULL, &s->p, err) < 0))
        return cx_error_prefix(err, "cp %s", arg);
    return 0;
}

/* Both containers' roots, locked in the order of their IDs (two copies
 * between the same two containers, each way, never wait on each other). */
static int open_sides(struct cx_engine *e, struct side *s, struct side *d,
                      struct cx_ctr_fs fs[2], cx_error *err)
{
    struct side *v[2] = { s, d };
    char ids[2][65] = { "", "" };
    for (int i = 0; i < 2; i++) {
        struct cx_ctr c;
        if (v[i]->arg.ctr && cx_ctr_lookup(&e->store.db, v[i]->arg.ctr, &c, NULL, err) < 0)
            return -1;
        if (v[i]->arg.ctr) {
            memcpy(ids[i], c.id, sizeof ids[i]);
            cx_ctr_free(&c);
        }
    }
    int first = *ids[0] && *ids[1] && strcmp(ids[1], ids[0]) < 0;
    for (int k = 0; k < 2; k++) {
        int i = k ? !first : first;
        if (!*ids[i])
            continue;
        if (k && !strcmp(ids[0], ids[1]))
            v[i]->fs = v[!i]->fs;   /* one container on both sides */
        else if (cx_ctr_fs_open(e, ids[i], &fs[i], err) < 0)
            return -1;
        else
            v[i]->fs = &fs[i];
    }
    return 0;
}

int cx_cp(struct cx_engine *e, const char *src, const char *dest, const struct cx_cp_opts *o,
          cx_error *err)
{
    struct side s = { 0 }, d = { 0 };
    struct cx_ctr_fs fs[2] = { { .rootfd = -1, .lock = CX_LOCK_INIT },
                               { .rootfd = -1, .lock = CX_LOCK_INIT } };
    int rc = side_parse(src, &s, err) < 0 || side_parse(dest, &d, err) < 0 ? -1 : 0;
    if (rc == 0 && s.arg.stream && d.arg.stream)
        rc = cx_fail(err, EINVAL, "cp: \"-\" on both sides");
    else if (rc == 0 && !s.arg.ctr && !d.arg.ctr)
        rc = cx_fail(err, EINVAL, "cp %s %s: neither is a container path (CONTAINER:PATH)",
                     src, dest);
    if (rc == 0)
        rc = open_sides(e, &s, &d, fs, err);
    if (rc == 0)
        rc = d.arg.stream ? cp_to_stream(&s, STDOUT_FILENO, err)
           : s.arg.stream ? cp_from_stream(&d, STDIN_FILENO, o, err) : cp_tree(&s, &d, o, err);
    for (int i = 0; i < 2; i++)
        if (fs[i].e)
            cx_ctr_fs_close(&fs[i]);
    side_free(&s), side_free(&d);
    return rc;
}

/* ---- export ---- */

int cx_export(struct cx_engine *e, const char *what, int fd, cx_error *err)
{
    struct cx_ctr_fs fs;
    struct cx_tar t;
    if (cx_ctr_fs_open(e, what, &fs, err) < 0)
        return -1;
    struct cx_tar_opts o = { .any_names = true };
    int rc = cx_tar_open(fd, &t, err);
    if (rc == 0) {
        rc = cx_tar_node(t.a, fs.rootfd, "", &o, err);
        rc = cx_tar_close(&t, rc < 0, err) < 0 || rc < 0 ? -1 : 0;
    }
    if (rc < 0)
        cx_error_prefix(err, "export %s", what);
    cx_ctr_fs_close(&fs);
    return rc;
}
