/* commit.c: see commit.h.  The tar writer, then commit over it. */
#include "engine/commit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "engine/run_opts.h"
#include "image/archive.h"
#include "image/decompress.h"
#include "image/layout_write.h"
#include "image/manifest.h"
#include "runtime/safepath.h"
#include "runtime/state.h"

#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define CHUNK (256u << 10)
#define DEPTH_MAX 256          /* two fds a level, well under RLIMIT_NOFILE's 1024 */
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define OVL_OPAQUE "trusted.overlay.opaque"

/* ---- the tar writer ---- */

struct hlink {
    dev_t dev;
    ino_t ino;
    char *name;
};

struct walk {
    struct archive *a;
    const struct cx_tar_opts *o;
    struct hlink *links;
    size_t nlinks;
    char *buf, *xnames, *xval;
};

static const char *shown(const char *name, char buf[static 112])
{
    return cx_printable(*name ? name : "/", buf);
}

static int tar_fail(struct walk *w, const char *name, cx_error *err)
{
    char b[112];
    const char *why = archive_error_string(w->a);
    return cx_fail(err, archive_errno(w->a) > 0 ? archive_errno(w->a) : EIO,
                   "writing the tar stream (\"%s\"): %s", shown(name, b), why ? why : "failed");
}

static int fs_fail(const char *what, const char *name, cx_error *err)
{
    char b[112];
    return cx_fail_errno(err, "%s \"%s\"", what, shown(name, b));
}

static int cancelled(const struct walk *w, cx_error *err)
{
    if (w->o->cancel && __atomic_load_n(w->o->cancel, __ATOMIC_RELAXED))
        return cx_fail(err, ECANCELED, "the copy was cancelled");
    return 0;
}

/* The same inode again, opened for reading (an O_PATH fd pins what was
 * checked: a name swapped meanwhile changes nothing). */
static int reopen(int pfd, int flags)
{
    char p[32];
    sp_fd_path(pfd, p);
    return open(p, flags | O_CLOEXEC | O_NOCTTY);
}

static struct archive_entry *entry_new(const struct walk *w, const char *name,
                                       const struct stat *st)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_mode(e, st->st_mode);
    archive_entry_set_uid(e, w->o->chown ? w->o->uid : st->st_uid);
    archive_entry_set_gid(e, w->o->chown ? w->o->gid : st->st_gid);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    return e;
}

static int put_header(struct walk *w, struct archive_entry *e, cx_error *err)
{
    int rc = archive_write_header(w->a, e) < ARCHIVE_WARN
        ? tar_fail(w, archive_entry_pathname(e), err) : 0;
    archive_entry_free(e);
    return rc;
}

static bool overlay_xattr(const char *name)
{
    return cx_str_has_prefix(name, "trusted.overlay.") || cx_str_has_prefix(name, "user.overlay.");
}

/* fd's xattrs onto e; overlay's own are left out (in an upper directory,
 * one that makes it unreadable alone is refused). */
static int add_xattrs(struct walk *w, struct archive_entry *e, int fd, const char *name,
                      cx_error *err)
{
    ssize_t n = flistxattr(fd, w->xnames, XATTR_LIST_MAX);
    if (n < 0)
        return errno == ENOTSUP ? 0 : fs_fail("list the xattrs of", name, err);
    for (const char *x = w->xnames; x < w->xnames + n; x += strlen(x) + 1) {
        if (w->o->overlay && (!strcmp(x, "trusted.overlay.redirect") ||
                              !strcmp(x, "trusted.overlay.metacopy"))) {
            char b[112];
            return cx_fail(err, ENOTSUP, "\"%s\" has overlay's %s xattr (redirect_dir or "
                           "metacopy on): it cannot be read as a layer", shown(name, b), x);
        }
        if (overlay_xattr(x))
            continue;
        ssize_t len = fgetxattr(fd, x, w->xval, XATTR_SIZE_MAX);
        if (len < 0 && errno == ENODATA)
            continue;
        if (len < 0)
            return fs_fail("read an xattr of", name, err);
        archive_entry_xattr_add_entry(e, x, w->xval, (size_t) len);
    }
    return 0;
}

/* The name a hardlinked inode was first written under, or NULL (and it
 * is recorded under name). */
static const char *link_seen(struct walk *w, const struct stat *st, const char *name)
{
    for (size_t i = 0; i < w->nlinks; i++)
        if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
            return w->links[i].name;
    w->links = cx_realloc(w->links, (w->nlinks + 1) * sizeof *w->links);
    w->links[w->nlinks++] = (struct hlink){ st->st_dev, st->st_ino, cx_strdup(name) };
    return NULL;
}

static int put_data(struct walk *w, int fd, off_t size, const char *name, cx_error *err)
{
    for (off_t done = 0; done < size;) {
        if (cancelled(w, err) < 0)
            return -1;
        size_t want = size - done > CHUNK ? CHUNK : (size_t) (size - done);
        ssize_t n = read(fd, w->buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fs_fail("read", name, err);
        if (n == 0)
            break;  /* it shrank meanwhile: libarchive pads the entry with zeros */
        if (archive_write_data(w->a, w->buf, (size_t) n) != n)
            return tar_fail(w, name, err);
        done += n;
    }
    return 0;
}

static int put_file(struct walk *w, int pfd, const char *name, cx_error *err)
{
    _cleanup_close_ int fd = reopen(pfd, O_RDONLY | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return fs_fail("open", name, err);
    struct archive_entry *e = entry_new(w, name, &st);
    const char *first = st.st_nlink > 1 ? link_seen(w, &st, name) : NULL;
    if (first) {
        archive_entry_set_hardlink(e, first);
        archive_entry_set_size(e, 0);
        return put_header(w, e, err);
    }
    archive_entry_set_size(e, st.st_size);
    if (add_xattrs(w, e, fd, name, err) < 0) {
        archive_entry_free(e);
        return -1;
    }
    if (put_header(w, e, err) < 0)
        return -1;
    return put_data(w, fd, st.st_size, name, err);
}

/* An empty marker entry: a whiteout or an opaque directory's. */
static int put_marker(struct walk *w, const char *dir, const char *leaf, const struct stat *st,
                      cx_error *err)
{
    _cleanup_free_ char *name = *dir ? cx_asprintf("%s/%s", dir, leaf) : cx_strdup(leaf);
    struct stat z = { .st_mode = S_IFREG, .st_mtim = st->st_mtim };
    struct archive_entry *e = entry_new(w, name, &z);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_size(e, 0);
    return put_header(w, e, err);
}

static int put_whiteout(struct walk *w, const char *name, const struct stat *st, cx_error *err)
{
    const char *slash = strrchr(name, '/');
    _cleanup_free_ char *dir = cx_asprintf("%.*s", slash ? (int) (slash - name) : 0, name);
    _cleanup_free_ char *leaf = cx_asprintf(WH_PREFIX "%s", slash ? slash + 1 : name);
    return put_marker(w, dir, leaf, st, err);
}

static int put_symlink(struct walk *w, int pfd, const char *name, const struct stat *st,
                       cx_error *err)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(pfd, "", target, sizeof target - 1);
    if (n < 0)
        return fs_fail("read the symlink", name, err);
    target[n] = '\0';
    struct archive_entry *e = entry_new(w, name, st);
    archive_entry_set_symlink(e, target);
    return put_header(w, e, err);
}

static int put_special(struct walk *w, const char *name, const struct stat *st, cx_error *err)
{
    if (w->o->overlay && S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
        return put_whiteout(w, name, st, err);
    struct archive_entry *e = entry_new(w, name, st);
    if (!S_ISFIFO(st->st_mode)) {
        archive_entry_set_rdevmajor(e, major(st->st_rdev));
        archive_entry_set_rdevminor(e, minor(st->st_rdev));
    }
    return put_header(w, e, err);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in a directory, sorted (the same tree gives the same tar). */
static int list_dir(int dfd, const char *name, char ***out, cx_error *err)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL) {
        cx_close(fd);
        return fs_fail("list", name, err);
    }
    _cleanup_closedir_ DIR *dir = d;
    size_t n = 0, cap = 16;
    _cleanup_strv_ char **v = cx_calloc(cap, sizeof *v);
    struct dirent *de;
    errno = 0;
    while ((de = readdir(dir)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n + 1 == cap)
            v = cx_realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = cx_strdup(de->d_name);
        v[n] = NULL;
        errno = 0;
    }
    if (errno)
        return fs_fail("list", name, err);
    qsort(v, n, sizeof *v, cmp_names);
    *out = TAKE_PTR(v);
    return 0;
}

static bool is_opaque(int dfd)
{
    char v[2];
    return fgetxattr(dfd, OVL_OPAQUE, v, sizeof v) == 1 && v[0] == 'y';
}

static int put_node(struct walk *w, int pfd, const char *name, int depth, cx_error *err);

static int put_dir(struct walk *w, int pfd, const char *name, int depth, cx_error *err)
{
    char b[112];
    if (depth > DEPTH_MAX)
        return cx_fail(err, ELOOP, "\"%s\": more than %d directories deep", shown(name, b),
                       DEPTH_MAX);
    _cleanup_close_ int dfd = reopen(pfd, O_RDONLY | O_DIRECTORY);
    struct stat st;
    if (dfd < 0 || fstat(dfd, &st) < 0)
        return fs_fail("open", name, err);
    if (*name) {
        struct archive_entry *e = entry_new(w, name, &st);
        if (add_xattrs(w, e, dfd, name, err) < 0) {
            archive_entry_free(e);
            return -1;
        }
        if (put_header(w, e, err) < 0 ||
            (w->o->overlay && is_opaque(dfd) && put_marker(w, name, WH_OPAQUE, &st, err) < 0))
            return -1;
    }
    _cleanup_strv_ char **names = NULL;
    if (list_dir(dfd, name, &names, err) < 0)
        return -1;
    for (char **n = names; *n; n++) {
        _cleanup_free_ char *child = *name ? cx_asprintf("%s/%s", name, *n) : cx_strdup(*n);
        _cleanup_close_ int cfd = openat(dfd, *n, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0 && errno == ENOENT)
            continue;  /* gone since it was listed */
        if (cfd < 0)
            return fs_fail("open", child, err);
        if (put_node(w, cfd, child, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

static int put_node(struct walk *w, int pfd, const char *name, int depth, cx_error *err)
{
    struct stat st;
    const char *slash = strrchr(name, '/');
    char b[112];
    if (cancelled(w, err) < 0)
        return -1;
    if (!w->o->any_names && cx_str_has_prefix(slash ? slash + 1 : name, WH_PREFIX))
        return cx_fail(err, EPERM, "\"%s\": a name starting with \"" WH_PREFIX "\" stands "
                       "for a deletion in a layer; refused", shown(name, b));
    if (fstat(pfd, &st) < 0)
        return fs_fail("stat", name, err);
    switch (st.st_mode & S_IFMT) {
    case S_IFDIR: return put_dir(w, pfd, name, depth, err);
    case S_IFREG: return put_file(w, pfd, name, err);
    case S_IFLNK: return put_symlink(w, pfd, name, &st, err);
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO: return put_special(w, name, &st, err);
    default: return 0;  /* a socket: nothing a tar holds */
    }
}

int cx_tar_node(struct archive *a, int fd, const char *name, const struct cx_tar_opts *o,
                cx_error *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return cx_fail_errno(err, "stat what is copied");
    if (!*name && !S_ISDIR(st.st_mode))
        return cx_fail(err, ENOTDIR, "the contents of a non-directory");
    struct walk w = { .a = a, .o = o, .buf = cx_calloc(1, CHUNK),
                      .xnames = cx_calloc(1, XATTR_LIST_MAX),
                      .xval = cx_calloc(1, XATTR_SIZE_MAX) };
    int rc = put_node(&w, fd, name, 0, err);
    for (size_t i = 0; i < w.nlinks; i++)
        free(w.links[i].name);
    free(w.links), free(w.buf), free(w.xnames), free(w.xval);
    return rc;
}

static la_ssize_t tar_write(struct archive *a, void *data, const void *buf, size_t len)
{
    struct cx_tar *t = data;
    if (t->failed)
        return (la_ssize_t) len;   /* dropped: the padding and end of a failed stream */
    if (cx_write_all(t->fd, buf, len) < 0) {
        archive_set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    return (la_ssize_t) len;
}

int cx_tar_open(int fd, struct cx_tar *t, cx_error *err)
{
    *t = (struct cx_tar){ archive_write_new(), fd, false };
    if (t->a == NULL)
        return cx_fail(err, ENOMEM, "libarchive: no tar writer");
    if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
        archive_write_open2(t->a, t, NULL, tar_write, NULL, NULL) != ARCHIVE_OK) {
        cx_fail(err, EIO, "a tar writer: %s", archive_error_string(t->a));
        archive_write_free(t->a);
        t->a = NULL;
        return -1;
    }
    return 0;
}

int cx_tar_close(struct cx_tar *t, bool failed, cx_error *err)
{
    int rc = 0;
    t->failed = t->failed || failed;
    if (archive_write_close(t->a) != ARCHIVE_OK && !t->failed)
        rc = cx_fail(err, archive_errno(t->a) > 0 ? archive_errno(t->a) : EIO,
                     "ending the tar stream: %s", archive_error_string(t->a));
    archive_write_free(t->a);
    t->a = NULL;
    return rc;
}

/* ---- the image underneath ---- */

struct base {
    struct cx_image_rec rec;
    char *mbody;
    size_t mlen;
    struct cx_manifest m;
    json_t *config;          /* the image's config document, made into the new one */
};

static void base_free(struct base *b)
{
    cx_image_rec_free(&b->rec);
    cx_manifest_free(&b->m);
    free(b->mbody);
    json_decref(b->config);
}

static int base_blobs(struct cx_engine *e, const struct base *b, cx_error *err)
{
    for (size_t i = 0; i < b->m.nlayers; i++)
        if (!cx_blob_exists(&e->store, &b->m.layers[i].digest)) {
            char ds[CX_DIGEST_MAX];
            cx_digest_format(&b->m.layers[i].digest, ds);
            return cx_fail(err, ENOENT, "image %.12s: its layer blob %s is not in the store "
                           "(pull the image again)", b->rec.id, ds);
        }
    return 0;
}

static int base_load(struct cx_engine *e, const struct cx_ctr *c, struct base *b, cx_error *err)
{
    struct cx_digest md, cd;
    _cleanup_free_ char *cbody = NULL;
    size_t clen;
    bool found;
    if (cx_image_lookup(&e->store, c->image_id, &b->rec, &found, err) < 0)
        return -1;
    if (!found)
        return cx_fail(err, ENOENT, "container %s: its image %.12s is not in the store",
                       c->name, c->image_id);
    if (cx_digest_parse(b->rec.manifest_digest, &md, "manifest digest", err) < 0 ||
        cx_blob_read(&e->store, &md, CX_MANIFEST_MAX, &b->mbody, &b->mlen, err) < 0 ||
        cx_manifest_parse(b->mbody, b->mlen, b->rec.manifest_media_type, &b->m, err) < 0 ||
        cx_digest_parse(b->rec.config_digest, &cd, "config digest", err) < 0 ||
        cx_blob_read(&e->store, &cd, CX_CONFIG_MAX, &cbody, &clen, err) < 0)
        return cx_error_prefix(err, "image %.12s", b->rec.id);
    b->config = json_loadb(cbody, clen, 0, NULL);
    if (!json_is_object(b->config) ||
        !json_is_array(json_object_get(json_object_get(b->config, "rootfs"), "diff_ids")))
        return cx_fail(err, EINVAL, "image %.12s: its config has no rootfs.diff_ids",
                       b->rec.id);
    return base_blobs(e, b, err);
}

/* ---- the new layer ---- */

/* The upper directory as a tar, gzip-compressed into *gz: its digest, the
 * tar's (the diff_id) and its size. */
static int layer_write(struct cx_engine *e, const char *id, int *gz, struct cx_digest *comp,
                       struct cx_digest *diff_id, uint64_t *size, cx_error *err)
{
    _cleanup_close_ int raw = -1, ctr = -1, upper = -1;
    struct cx_tar t;
    if (cx_spool_open(&e->store, &raw, err) < 0 || cx_spool_open(&e->store, gz, err) < 0 ||
        (ctr = cx_engine_ctr_dir(e, id, false, err)) < 0)
        return -1;
    upper = openat(ctr, "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (upper < 0 && errno != ENOENT) {
        _cleanup_free_ char *path = cx_engine_ctr_path(e, id, "upper");
        return cx_fail_errno(err, "open %s", path);
    }
    struct cx_tar_opts o = { .overlay = true };
    if (cx_tar_open(raw, &t, err) < 0)
        return -1;
    int rc = upper < 0 ? 0 : cx_tar_node(t.a, upper, "", &o, err);   /* none yet: empty */
    if (cx_tar_close(&t, rc < 0, err) < 0 || rc < 0)
        return cx_error_prefix(err, "the container's changes");
    if (lseek(raw, 0, SEEK_SET) < 0)
        return cx_fail_errno(err, "%s: a temporary file", e->store.root);
    return cx_gzip_compress_fd(raw, *gz, 6, comp, diff_id, size, err);
}

/* ---- the new config ---- */

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

/* Entrypoint and Cmd as the container ran them: --entrypoint replaces
 * Entrypoint and drops Cmd, a command after the image replaces Cmd. */
static void set_command(json_t *inner, const struct cx_run_opts *o)
{
    if (o->entrypoint_set) {
        json_object_set_new(inner, "Entrypoint", strv_json(o->entrypoint));
        json_object_del(inner, "Cmd");
    }
    if (o->args && o->args[0])
        json_object_set_new(inner, "Cmd", strv_json(o->args));
}

/* The process's environment (config.json), less HOSTNAME (the container
 * ID); the image's stays when there is no config.json. */
static void set_env(struct cx_engine *e, const char *id, json_t *inner)
{
    cx_error ignored = { 0 };
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, false, &ignored);
    _cleanup_free_ char *text = NULL;
    size_t len, i;
    json_t *v;
    if (dir < 0 || cx_read_file_at(dir, "config.json", 16u << 20, &text, &len, &ignored) < 0)
        return;
    json_t *spec = json_loadb(text, len, 0, NULL);
    json_t *env = json_object_get(json_object_get(spec, "process"), "env"), *out = json_array();
    json_array_foreach(env, i, v)
        if (json_is_string(v) && !cx_str_has_prefix(json_string_value(v), "HOSTNAME="))
            json_array_append(out, v);
    if (json_is_array(env))
        json_object_set(inner, "Env", out);
    json_decref(out);
    json_decref(spec);
}

static json_t *object_at(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!json_is_object(o))
        json_object_set_new(parent, key, o = json_object());
    return o;
}

static void set_misc(json_t *inner, const struct cx_run_opts *o, const struct cx_commit_opts *co)
{
    if (o->workdir)
        json_object_set_new(inner, "WorkingDir", json_string(o->workdir));
    if (o->user)
        json_object_set_new(inner, "User", json_string(o->user));
    if (o->stop_signal)
        json_object_set_new(inner, "StopSignal", json_string(o->stop_signal));
    for (char **l = o->labels; l && *l; l++) {
        const char *eq = strchr(*l, '=');
        _cleanup_free_ char *k = cx_asprintf("%.*s", eq ? (int) (eq - *l) : (int) strlen(*l), *l);
        json_object_set_new(object_at(inner, "Labels"), k, json_string(eq ? eq + 1 : ""));
    }
    for (size_t i = 0; co->include_volumes && i < o->nmounts; i++)
        if (o->mounts[i].kind == CX_MOUNT_VOLUME)
            json_object_set_new(object_at(inner, "Volumes"), o->mounts[i].dest, json_object());
}

static void add_history(json_t *cfg, const struct cx_commit_opts *co, const char *created)
{
    json_t *h = json_object_get(cfg, "history");
    if (!json_is_array(h))
        json_object_set_new(cfg, "history", h = json_array());
    json_t *ent = json_pack("{s:s}", "created", created);
    if (co->author)
        json_object_set_new(ent, "author", json_string(co->author));
    if (co->message)
        json_object_set_new(ent, "comment", json_string(co->message));
    json_array_append_new(h, ent);
}

static int new_config(struct cx_engine *e, const struct cx_ctr *c, const struct cx_commit_opts *co,
                      json_t *cfg, const struct cx_digest *diff_id, cx_error *err)
{
    struct cx_run_opts o;
    json_t *oj = json_loads(c->opts ? c->opts : "{}", 0, NULL);
    int rc = cx_run_opts_from_json(oj, &o, err);
    json_decref(oj);
    if (rc < 0)
        return cx_error_prefix(err, "container %s: its recorded options", c->name);
    json_t *inner = object_at(cfg, "config");
    set_command(inner, &o);
    set_env(e, c->id, inner);
    set_misc(inner, &o, co);
    cx_run_opts_free(&o);
    for (const char *const *ch = co->changes; ch && *ch; ch++)
        if (cx_config_apply_change(inner, *ch, err) < 0)
            return cx_error_prefix(err, "commit");
    char created[64], ds[CX_DIGEST_MAX];
    cx_rfc3339_now(created, sizeof created);
    cx_digest_format(diff_id, ds);
    json_array_append_new(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"),
                          json_string(ds));
    json_object_set_new(cfg, "created", json_string(created));
    if (co->author)
        json_object_set_new(cfg, "author", json_string(co->author));
    add_history(cfg, co, created);
    return 0;
}

/* ---- the manifest, and into the store ---- */

static json_t *descriptor(const char *mt, const struct cx_digest *d, int64_t size)
{
    char ds[CX_DIGEST_MAX];
    cx_digest_format(d, ds);
    return json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", ds, "size", (json_int_t) size);
}

/* A base layer's media type in the manifest's format (same bytes). */
static const char *layer_type(const char *mt, bool docker, cx_error *err)
{
    enum cx_layer_comp comp;
    if (cx_layer_compression(mt, &comp, err) < 0)
        return NULL;
    if (comp == CX_LAYER_ZSTD && docker) {
        cx_fail(err, ENOTSUP, "a zstd layer cannot be in a docker manifest (use --format oci)");
        return NULL;
    }
    return comp == CX_LAYER_TAR ? (docker ? MT_DOCKER_LAYER_TAR : CX_MT_OCI_LAYER)
         : comp == CX_LAYER_GZIP ? (docker ? CX_MT_DOCKER_LAYER : CX_MT_OCI_LAYER_GZIP)
         : CX_MT_OCI_LAYER_ZSTD;
}

static char *new_manifest(const struct base *b, bool docker, const struct cx_digest *cd,
                          size_t clen, const struct cx_digest *layer, uint64_t lsize,
                          cx_error *err)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < b->m.nlayers; i++) {
        const char *mt = layer_type(b->m.layers[i].media_type, docker, err);
        if (mt == NULL) {
            json_decref(layers);
            return NULL;
        }
        json_array_append_new(layers, descriptor(mt, &b->m.layers[i].digest,
                                                 b->m.layers[i].size));
    }
    json_array_append_new(layers, descriptor(docker ? CX_MT_DOCKER_LAYER : CX_MT_OCI_LAYER_GZIP,
                                             layer, (int64_t) lsize));
    json_t *m = json_pack("{s:i,s:s,s:o,s:o}", "schemaVersion", 2, "mediaType",
                          docker ? CX_MT_DOCKER_MANIFEST : CX_MT_OCI_MANIFEST, "config",
                          descriptor(docker ? CX_MT_DOCKER_CONFIG : CX_MT_OCI_CONFIG, cd,
                                     (int64_t) clen), "layers", layers);
    char *s = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return s;
}

static void blobset_freep(struct cx_blobset **b)
{
    cx_blobset_free(*b);
}

struct layer {
    int gz;
    struct cx_digest digest, diff_id;
    uint64_t size;
};

static int store_image(struct cx_engine *e, const struct base *b, const struct cx_commit_opts *co,
                       const char *name, struct layer *l, char id[static 65], cx_error *err)
{
    _cleanup_(blobset_freep) struct cx_blobset *bs = cx_blobset_new();
    _cleanup_free_ char *cbody = json_dumps(b->config, JSON_COMPACT), *mbody = NULL;
    struct cx_digest cd, md;
    cx_blobset_set_spool(bs, TAKE_FD(l->gz));
    cx_blobset_add_spooled(bs, &l->digest, 0, l->size);
    if (cbody == NULL)
        return cx_fail(err, ENOMEM, "the new image's config: cannot encode");
    if (cx_blobset_add_mem(bs, cbody, strlen(cbody), co->docker ? CX_MT_DOCKER_CONFIG
                           : CX_MT_OCI_CONFIG, &cd, err) < 0)
        return -1;
    mbody = new_manifest(b, co->docker, &cd, strlen(cbody), &l->digest, l->size, err);
    if (mbody == NULL || cx_blobset_add_mem(bs, mbody, strlen(mbody), co->docker
                                            ? CX_MT_DOCKER_MANIFEST : CX_MT_OCI_MANIFEST, &md,
                                            err) < 0)
        return -1;
    cx_blobset_add_image(bs, &md, name);
    struct cx_loaded *loaded;
    size_t n;
    if (cx_blobset_pull(&e->store, bs, &loaded, &n, err) < 0)
        return -1;
    memcpy(id, loaded[0].id, 65);
    cx_loaded_free(loaded, n);
    return 0;
}

static int commit_locked(struct cx_engine *e, const struct cx_ctr *c,
                         const struct cx_commit_opts *o, const char *name, char id[static 65],
                         cx_error *err)
{
    _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
    _cleanup_(base_free) struct base b = { 0 };
    struct layer l = { .gz = -1 };
    int rc = -1;
    if (cx_lock_take(e->store.locksfd, "ctr", c->id, true, &lock, err) == 0 &&
        base_load(e, c, &b, err) == 0 &&
        layer_write(e, c->id, &l.gz, &l.digest, &l.diff_id, &l.size, err) == 0 &&
        new_config(e, c, o, b.config, &l.diff_id, err) == 0)
        rc = store_image(e, &b, o, name, &l, id, err);
    cx_close(l.gz);
    return rc;
}

int cx_commit(struct cx_engine *e, const char *what, const struct cx_commit_opts *o,
              char id[static 65], cx_error *err)
{
    _cleanup_free_ char *name = o->name ? cx_archive_image_name(o->name) : NULL;
    struct cx_ctr c;
    if (o->name && name == NULL)
        return cx_fail(err, EINVAL, "commit: \"%s\": not a valid image name[:tag]", o->name);
    if (cx_ctr_lookup(&e->store.db, what, &c, NULL, err) < 0)
        return -1;
    bool paused = false;
    int rc = 0;
    cx_ctr_sync(e, &c);
    if (o->pause && c.state == CX_CTR_RUNNING)
        paused = (rc = cx_ctr_pause(e, &c, true, err)) == 0;
    if (rc == 0)
        rc = commit_locked(e, &c, o, name, id, err);
    cx_error unpause = { 0 };
    if (paused && cx_ctr_pause(e, &c, false, &unpause) < 0 && rc == 0) {
        *err = unpause;
        rc = -1;
    }
    cx_ctr_free(&c);
    return rc < 0 ? cx_error_prefix(err, "commit %s", what) : 0;
}
