/* layout_write.c: see layout_write.h.  Blobs out of the store, the OCI
 * layout directory, the two tarball formats, and import. */
#include "image/layout_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/state.h"
#include "image/archive.h"
#include "image/decompress.h"
#include "image/manifest.h"
#include "image/platform.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define CHUNK (1u << 20)

static void cx_blobset_freep(struct cx_blobset **b)
{
    cx_blobset_free(*b);
}

/* ---- what an image is made of ---- */

struct parts {
    struct cx_digest manifest;
    char *body;
    size_t len;
    struct cx_manifest m;
};

static void parts_free(struct parts *p)
{
    free(p->body);
    cx_manifest_free(&p->m);
}

static int parts_get(struct cx_store *s, const struct cx_image_rec *rec, struct parts *p,
                     cx_error *err)
{
    memset(p, 0, sizeof *p);
    if (cx_digest_parse(rec->manifest_digest, &p->manifest, "manifest digest", err) < 0 ||
        cx_blob_read(s, &p->manifest, CX_MANIFEST_MAX, &p->body, &p->len, err) < 0 ||
        cx_manifest_parse(p->body, p->len, rec->manifest_media_type, &p->m, err) < 0)
        return cx_error_prefix(err, "image %.12s", rec->id);
    return 0;
}

/* ---- the OCI layout directory ---- */

static int copy_fd(int in, int out, const char *what, cx_error *err)
{
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS)
            return cx_fail_errno(err, "copying %s", what);
        break;
    }
    _cleanup_free_ char *buf = cx_calloc(1, CHUNK);
    for (;;) {
        ssize_t n = read(in, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cx_fail_errno(err, "reading %s", what);
        if (n == 0)
            return 0;
        if (cx_write_all(out, buf, (size_t) n) < 0)
            return cx_fail_errno(err, "writing %s", what);
    }
}

static int layout_blob(struct cx_store *s, int bfd, const struct cx_digest *d, int64_t size,
                       const char *dir, cx_error *err)
{
    struct stat st;
    char what[128], proc[64];
    snprintf(what, sizeof what, "%s/blobs/sha256/%.12s", dir, d->hex);
    if (fstatat(bfd, d->hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        (size < 0 || st.st_size == size))
        return 0;
    _cleanup_close_ int in = -1;
    if (cx_blob_open(s, d, &in, err) < 0)
        return -1;
    _cleanup_close_ int out = openat(bfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (out < 0)
        return cx_fail_errno(err, "%s", what);
    if (copy_fd(in, out, what, err) < 0)
        return -1;
    if (fsync(out) < 0)
        return cx_fail_errno(err, "fsync %s", what);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", out);
    unlinkat(bfd, d->hex, 0);
    if (linkat(AT_FDCWD, proc, bfd, d->hex, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "%s", what);
    return 0;
}

static int open_dir(int at, const char *name, int *fd, cx_error *err)
{
    if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s", name);
    *fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return *fd < 0 ? cx_fail_errno(err, "%s", name) : 0;
}

static json_t *descriptor(const char *mt, const struct cx_digest *d, int64_t size,
                          const char *ref_name)
{
    char ds[CX_DIGEST_MAX];
    cx_digest_format(d, ds);
    json_t *j = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", ds, "size",
                          (json_int_t) size);
    if (ref_name)
        json_object_set_new(j, "annotations", json_pack("{s:s}", REF_NAME, ref_name));
    return j;
}

static int index_update(int dfd, const char *dir, json_t *desc, cx_error *err)
{
    _cleanup_free_ char *buf = NULL, *out = NULL;
    size_t len;
    json_t *idx = NULL, *mans;
    const char *name = json_string_value(json_object_get(json_object_get(desc, "annotations"),
                                                         REF_NAME));
    if (cx_read_file_at(dfd, "index.json", CX_ARCHIVE_JSON_MAX, &buf, &len, err) == 0) {
        idx = json_loadb(buf, len, 0, NULL);
        if (!json_is_array(json_object_get(idx, "manifests"))) {
            json_decref(idx);
            return cx_fail(err, EINVAL, "%s/index.json: not an image index", dir);
        }
    } else if (err->errnum != ENOENT)
        return -1;
    cx_error_clear(err);
    if (!idx)
        idx = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", CX_MT_OCI_INDEX,
                        "manifests");
    mans = json_object_get(idx, "manifests");
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    for (size_t i = json_array_size(mans); i-- > 0;) {
        json_t *m = json_array_get(mans, i);
        const char *n = json_string_value(json_object_get(json_object_get(m, "annotations"),
                                                          REF_NAME));
        bool same_digest = !strcmp(json_string_value(json_object_get(m, "digest")) ?: "", digest);
        if ((name && n && !strcmp(n, name)) || (!name && !n && same_digest))
            json_array_remove(mans, i);
    }
    json_array_append(mans, desc);
    out = json_dumps(idx, JSON_COMPACT);
    json_decref(idx);
    return cx_write_file_atomic_at(dfd, "index.json", out, strlen(out), 0644, err);
}

int cx_layout_push(struct cx_store *s, const struct cx_image_rec *rec, const char *dir,
                   const char *ref_name, cx_error *err)
{
    _cleanup_(parts_free) struct parts p = { 0 };
    _cleanup_close_ int dfd = -1, bdir = -1, bfd = -1;
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    struct stat st;
    if (parts_get(s, rec, &p, err) < 0 || cx_mkdir_p(dir, 0755, err) < 0)
        return -1;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || flock(dfd, LOCK_EX) < 0)
        return cx_fail_errno(err, "oci:%s", dir);
    if (fstatat(dfd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
        cx_write_file_atomic_at(dfd, "oci-layout", layout, strlen(layout), 0644, err) < 0)
        return -1;
    if (open_dir(dfd, "blobs", &bdir, err) < 0 || open_dir(bdir, "sha256", &bfd, err) < 0)
        return cx_error_prefix(err, "oci:%s", dir);
    int rc = layout_blob(s, bfd, &p.m.config.digest, p.m.config.size, dir, err);
    for (size_t i = 0; rc == 0 && i < p.m.nlayers; i++)
        rc = layout_blob(s, bfd, &p.m.layers[i].digest, p.m.layers[i].size, dir, err);
    if (rc == 0)
        rc = layout_blob(s, bfd, &p.manifest, (int64_t) p.len, dir, err);
    if (rc < 0 || fsync(bfd) < 0)
        return rc < 0 ? -1 : cx_fail_errno(err, "fsync %s/blobs/sha256", dir);
    json_t *desc = descriptor(p.m.media_type ? p.m.media_type : rec->manifest_media_type,
                              &p.manifest, (int64_t) p.len, ref_name);
    rc = index_update(dfd, dir, desc, err);
    json_decref(desc);
    return rc;
}

/* ---- tarballs ---- */

struct tw {
    struct archive *a;
    char **written;      /* member names written, each once */
    size_t nwritten;
};

static int tw_fail(struct tw *t, const char *name, cx_error *err)
{
    return cx_fail(err, EIO, "writing the archive (%s): %s", name, archive_error_string(t->a));
}

static bool tw_seen(struct tw *t, const char *name)
{
    for (size_t i = 0; i < t->nwritten; i++)
        if (!strcmp(t->written[i], name))
            return true;
    t->written = cx_realloc(t->written, (t->nwritten + 1) * sizeof(char *));
    t->written[t->nwritten++] = cx_strdup(name);
    return false;
}

static int tw_header(struct tw *t, const char *name, mode_t type, uint64_t size, cx_error *err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t) size);
    archive_entry_set_mtime(e, 0, 0);
    int r = archive_write_header(t->a, e);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : tw_fail(t, name, err);
}

static int tw_data(struct tw *t, const char *name, const void *buf, size_t len, cx_error *err)
{
    if (len && archive_write_data(t->a, buf, len) != (la_ssize_t) len)
        return tw_fail(t, name, err);
    return 0;
}

static int tw_mem(struct tw *t, const char *name, const void *buf, size_t len, cx_error *err)
{
    return tw_header(t, name, AE_IFREG, len, err) < 0 ? -1 : tw_data(t, name, buf, len, err);
}

/* a stored blob as it is (verified again as it passes) */
static int tw_blob(struct cx_store *s, struct tw *t, const struct cx_digest *d, cx_error *err)
{
    char name[128];
    struct stat st;
    struct cx_hasher h = { 0 };
    snprintf(name, sizeof name, "blobs/sha256/%s", d->hex);
    if (tw_seen(t, name))
        return 0;
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = cx_calloc(1, CHUNK);
    if (cx_blob_open(s, d, &fd, err) < 0)
        return -1;
    if (fstat(fd, &st) < 0)
        return cx_fail_errno(err, "blob %s", name);
    if (tw_header(t, name, AE_IFREG, (uint64_t) st.st_size, err) < 0 ||
        cx_hasher_init(&h, d->alg, err) < 0)
        return -1;
    int rc = 0;
    for (off_t done = 0; rc == 0 && done < st.st_size;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = cx_fail(err, n < 0 ? errno : EIO, "reading blob sha256:%.12s", d->hex);
        else {
            cx_hasher_update(&h, buf, (size_t) n);
            rc = tw_data(t, name, buf, (size_t) n, err);
            done += n;
        }
    }
    if (rc == 0)
        rc = cx_hasher_verify(&h, d, name, err);
    cx_hasher_free(&h);
    return rc;
}

/* a stored layer, uncompressed: size first, then the bytes */
static int layer_pass(struct cx_store *s, const struct cx_descriptor *l,
                      const struct cx_digest *diff_id, struct tw *t, const char *name,
                      uint64_t *size, cx_error *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = cx_calloc(1, CHUNK);
    struct cx_layer_reader *r;
    uint64_t total = 0;
    if (cx_blob_open(s, &l->digest, &fd, err) < 0 ||
        cx_layer_reader_open(fd, CX_COMP_DETECT, &l->digest, diff_id, UINT64_MAX, UINT_MAX,
                             &r, err) < 0)
        return -1;
    int rc = 0;
    for (;;) {
        ssize_t n = cx_layer_reader_read(r, buf, CHUNK, err);
        if (n <= 0) {
            rc = n < 0 ? -1 : cx_layer_reader_finish(r, err);
            break;
        }
        total += (uint64_t) n;
        if (t && (total > *size || tw_data(t, name, buf, (size_t) n, err) < 0)) {
            rc = err->msg[0] ? -1 : cx_fail(err, EIO, "%s changed while saved", name);
            break;
        }
    }
    cx_layer_reader_free(r);
    if (rc == 0 && t && total != *size)
        rc = cx_fail(err, EIO, "%s changed while saved", name);
    if (!t)
        *size = total;
    return rc;
}

static int tw_layer(struct cx_store *s, struct tw *t, const struct cx_descriptor *l,
                    const struct cx_digest *diff_id, char *name, size_t cap, cx_error *err)
{
    uint64_t size = 0;
    snprintf(name, cap, "%s.tar", diff_id->hex);
    if (tw_seen(t, name))
        return 0;
    if (layer_pass(s, l, diff_id, NULL, name, &size, err) < 0 ||
        tw_header(t, name, AE_IFREG, size, err) < 0)
        return -1;
    return layer_pass(s, l, diff_id, t, name, &size, err);
}

static int save_docker_image(struct cx_store *s, struct tw *t, const struct cx_save_image *im,
                             json_t *manifest, cx_error *err)
{
    _cleanup_(parts_free) struct parts p = { 0 };
    _cleanup_free_ char *cbody = NULL;
    size_t clen;
    struct cx_image_config cfg;
    char name[128];
    if (parts_get(s, im->rec, &p, err) < 0 ||
        cx_blob_read(s, &p.m.config.digest, CX_CONFIG_MAX, &cbody, &clen, err) < 0 ||
        cx_image_config_parse(cbody, clen, &cfg, err) < 0)
        return -1;
    int rc = cfg.ndiff_ids == p.m.nlayers ? 0
        : cx_fail(err, EINVAL, "image %.12s: %zu layers, %zu diff_ids", im->rec->id,
                  p.m.nlayers, cfg.ndiff_ids);
    json_t *layers = json_array(), *tags = json_array();
    snprintf(name, sizeof name, "%s.json", p.m.config.digest.hex);
    if (rc == 0 && !tw_seen(t, name))
        rc = tw_mem(t, name, cbody, clen, err);
    json_t *ent = json_pack("{s:s,s:o,s:o}", "Config", name, "RepoTags", tags, "Layers",
                            layers);
    for (size_t i = 0; rc == 0 && i < p.m.nlayers; i++) {
        rc = tw_layer(s, t, &p.m.layers[i], &cfg.diff_ids[i], name, sizeof name, err);
        json_array_append_new(layers, json_string(name));
    }
    for (const char *const *n = im->names; n && *n; n++)
        json_array_append_new(tags, json_string(*n));
    cx_image_config_free(&cfg);
    json_array_append_new(manifest, ent);
    return rc;
}

static int save_oci_image(struct cx_store *s, struct tw *t, const struct cx_save_image *im,
                          json_t *mans, cx_error *err)
{
    _cleanup_(parts_free) struct parts p = { 0 };
    if (parts_get(s, im->rec, &p, err) < 0 || tw_blob(s, t, &p.m.config.digest, err) < 0)
        return -1;
    for (size_t i = 0; i < p.m.nlayers; i++)
        if (tw_blob(s, t, &p.m.layers[i].digest, err) < 0)
            return -1;
    if (tw_blob(s, t, &p.manifest, err) < 0)
        return -1;
    const char *mt = p.m.media_type ? p.m.media_type : im->rec->manifest_media_type;
    if (!im->names || !im->names[0])
        json_array_append_new(mans, descriptor(mt, &p.manifest, (int64_t) p.len, NULL));
    for (const char *const *n = im->names; n && *n; n++)
        json_array_append_new(mans, descriptor(mt, &p.manifest, (int64_t) p.len, *n));
    return 0;
}

static int save_all(struct cx_store *s, struct tw *t, enum cx_save_format f,
                    const struct cx_save_image *imgs, size_t n, cx_error *err)
{
    json_t *list = json_array();
    int rc = f == CX_SAVE_OCI_ARCHIVE ? tw_header(t, "blobs/", AE_IFDIR, 0, err) < 0 ||
                                        tw_header(t, "blobs/sha256/", AE_IFDIR, 0, err)
                                      : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = f == CX_SAVE_OCI_ARCHIVE ? save_oci_image(s, t, &imgs[i], list, err)
                                      : save_docker_image(s, t, &imgs[i], list, err);
    _cleanup_free_ char *doc = NULL;
    if (f == CX_SAVE_OCI_ARCHIVE) {
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        json_t *idx = json_pack("{s:i,s:s,s:O}", "schemaVersion", 2, "mediaType",
                                CX_MT_OCI_INDEX, "manifests", list);
        doc = json_dumps(idx, JSON_COMPACT);
        json_decref(idx);
        if (rc == 0)
            rc = tw_mem(t, "index.json", doc, strlen(doc), err) < 0 ||
                 tw_mem(t, "oci-layout", layout, strlen(layout), err) < 0 ? -1 : 0;
    } else {
        doc = json_dumps(list, JSON_COMPACT);
        if (rc == 0)
            rc = tw_mem(t, "manifest.json", doc, strlen(doc), err);
    }
    json_decref(list);
    return rc;
}

int cx_save(struct cx_store *s, int fd, enum cx_save_format f, const struct cx_save_image *imgs,
            size_t n, cx_error *err)
{
    struct tw t = { archive_write_new(), NULL, 0 };
    if (!t.a)
        return cx_fail(err, ENOMEM, "libarchive");
    int rc = 0;
    if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(t.a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(t.a, fd) != ARCHIVE_OK)
        rc = tw_fail(&t, "open", err);
    if (rc == 0)
        rc = save_all(s, &t, f, imgs, n, err);
    if (rc == 0 && archive_write_close(t.a) != ARCHIVE_OK)
        rc = tw_fail(&t, "close", err);
    archive_write_free(t.a);
    for (size_t i = 0; i < t.nwritten; i++)
        free(t.written[i]);
    free(t.written);
    return rc < 0 ? cx_error_prefix(err, "save") : 0;
}

/* ---- import ---- */

int cx_config_apply_change(json_t *cfg, const char *change, cx_error *err)
{
    static const struct { const char *instr, *key; } plain[] = {
        { "USER", "User" }, { "WORKDIR", "WorkingDir" }, { "STOPSIGNAL", "StopSignal" },
    };
    size_t kl = strcspn(change, " \t=");
    const char *v = change + kl + strspn(change + kl, " \t=");
    char instr[16];
    snprintf(instr, sizeof instr, "%.*s", (int) (kl < 15 ? kl : 15), change);
    for (char *c = instr; *c; c++)
        *c = (char) (*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (!strcmp(instr, plain[i].instr))
            return json_object_set_new(cfg, plain[i].key, json_string(v)), 0;
    if (!strcmp(instr, "CMD") || !strcmp(instr, "ENTRYPOINT") || !strcmp(instr, "VOLUME")) {
        json_t *arr = v[0] == '[' ? json_loads(v, 0, NULL) : json_pack("[s]", v);
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) if (!json_is_string(e)) break;
        if (!json_is_array(arr) || i < json_array_size(arr)) {
            json_decref(arr);
            return cx_fail(err, EINVAL, "--change \"%s\": want a JSON array of strings", change);
        }
        if (!strcmp(instr, "VOLUME")) {
            json_t *vols = json_object_get(cfg, "Volumes");
            if (!vols)
                json_object_set_new(cfg, "Volumes", vols = json_object());
            json_array_foreach(arr, i, e) json_object_set_new(vols, json_string_value(e),
                                                              json_object());
            json_decref(arr);
        } else if (v[0] != '[') {
            json_decref(arr);
            json_object_set_new(cfg, instr[0] == 'C' ? "Cmd" : "Entrypoint",
                                json_pack("[s,s,s]", "/bin/sh", "-c", v));
        } else
            json_object_set_new(cfg, instr[0] == 'C' ? "Cmd" : "Entrypoint", arr);
        return 0;
    }
    const char *eq = strchr(v, '=');
    if ((!strcmp(instr, "ENV") || !strcmp(instr, "LABEL")) && eq && eq > v) {
        if (instr[0] == 'E') {
            json_t *env = json_object_get(cfg, "Env");
            if (!env)
                json_object_set_new(cfg, "Env", env = json_array());
            return json_array_append_new(env, json_string(v)), 0;
        }
        json_t *labels = json_object_get(cfg, "Labels");
        _cleanup_free_ char *k = strndup(v, (size_t) (eq - v));
        if (!labels)
            json_object_set_new(cfg, "Labels", labels = json_object());
        return json_object_set_new(labels, k, json_string(eq + 1)), 0;
    }
    if (!strcmp(instr, "EXPOSE") && *v) {
        json_t *ports = json_object_get(cfg, "ExposedPorts");
        _cleanup_free_ char *p = strchr(v, '/') ? cx_strdup(v) : cx_asprintf("%s/tcp", v);
        if (!ports)
            json_object_set_new(cfg, "ExposedPorts", ports = json_object());
        return json_object_set_new(ports, p, json_object()), 0;
    }
    return cx_fail(err, EINVAL, "--change \"%s\": not one of CMD ENTRYPOINT ENV EXPOSE LABEL "
                   "STOPSIGNAL USER VOLUME WORKDIR (with a value)", change);
}

/* fd (any compression) -> the uncompressed stream in a temporary file */
static int import_raw(struct cx_store *s, int fd, int *out, cx_error *err)
{
    struct archive *ar = archive_read_new();
    struct archive_entry *e;
    _cleanup_free_ char *buf = cx_calloc(1, CHUNK);
    int rc = cx_spool_open(s, out, err);
    archive_read_support_filter_all(ar);
    archive_read_support_format_raw(ar);
    if (rc == 0 && (archive_read_open_fd(ar, fd, 1 << 16) != ARCHIVE_OK ||
                    archive_read_next_header(ar, &e) != ARCHIVE_OK))
        rc = cx_fail(err, EINVAL, "%s", archive_error_string(ar));
    for (uint64_t total = 0; rc == 0;) {
        la_ssize_t n = archive_read_data(ar, buf, CHUNK);
        if (n < 0)
            rc = cx_fail(err, EIO, "%s", archive_error_string(ar));
        else if (n == 0)
            break;
        else if ((total += (uint64_t) n) > CX_LAYER_MAX_BYTES_DEFAULT)
            rc = cx_fail(err, EFBIG, "over %llu bytes uncompressed",
                         (unsigned long long) CX_LAYER_MAX_BYTES_DEFAULT);
        else if (cx_write_all(*out, buf, (size_t) n) < 0)
            rc = cx_fail_errno(err, "a temporary file");
    }
    archive_read_free(ar);
    /* a tar: "ustar" at 257, or an empty archive of zero blocks */
    memset(buf, 0, 512);
    if (rc == 0 && (pread(*out, buf, 512, 0) < 0 ||
                    (memcmp(buf + 257, "ustar", 5) != 0 && memcmp(buf, buf + 1, 511) != 0)))
        rc = cx_fail(err, EINVAL, "not a tar archive");
    if (rc == 0 && lseek(*out, 0, SEEK_SET) < 0)
        rc = cx_fail_errno(err, "a temporary file");
    return rc;
}

static json_t *import_config(const struct cx_import_opts *o, const struct cx_digest *diff_id,
                             cx_error *err)
{
    char created[64], ds[CX_DIGEST_MAX];
    struct cx_platform p;
    cx_platform_host(&p);
    cx_rfc3339_now(created, sizeof created);
    cx_digest_format(diff_id, ds);
    _cleanup_free_ char *by = cx_asprintf("/bin/sh -c #(nop) ADD file:%s in /", diff_id->hex);
    json_t *inner = json_object();
    json_t *cfg = json_pack("{s:s,s:s,s:s,s:o,s:{s:s,s:[s]},s:[{s:s,s:s,s:s}]}",
                            "created", created, "architecture", p.arch, "os", p.os,
                            "config", inner, "rootfs", "type", "layers", "diff_ids", ds,
                            "history", "created", created, "created_by", by, "comment",
                            o->message ? o->message : "imported from tarball");
    if (p.variant[0])
        json_object_set_new(cfg, "variant", json_string(p.variant));
    for (const char *const *c = o->changes; c && *c; c++)
        if (cx_config_apply_change(inner, *c, err) < 0) {
            json_decref(cfg);
            return NULL;
        }
    return cfg;
}

int cx_archive_import(struct cx_store *s, int fd, const struct cx_import_opts *o,
                      char id[static 65], cx_error *err)
{
    _cleanup_(cx_blobset_freep) struct cx_blobset *b = cx_blobset_new();
    _cleanup_close_ int raw = -1, spool = -1;
    struct cx_digest comp, diff_id, cd, md;
    uint64_t size;
    if (import_raw(s, fd, &raw, err) < 0 || cx_spool_open(s, &spool, err) < 0 ||
        cx_gzip_compress_fd(raw, spool, 6, &comp, &diff_id, &size, err) < 0)
        return cx_error_prefix(err, "import");
    cx_blobset_set_spool(b, TAKE_FD(spool));
    json_t *cfg = import_config(o, &diff_id, err);
    if (!cfg)
        return cx_error_prefix(err, "import");
    _cleanup_free_ char *cbody = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    cx_blobset_add_spooled(b, &comp, 0, size);
    if (cx_blobset_add_mem(b, cbody, strlen(cbody), CX_MT_OCI_CONFIG, &cd, err) < 0)
        return -1;
    char cds[CX_DIGEST_MAX], lds[CX_DIGEST_MAX];
    cx_digest_format(&cd, cds);
    cx_digest_format(&comp, lds);
    json_t *man = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[{s:s,s:s,s:I}]}", "schemaVersion", 2,
                            "mediaType", CX_MT_OCI_MANIFEST, "config", "mediaType",
                            CX_MT_OCI_CONFIG, "digest", cds, "size", (json_int_t) strlen(cbody),
                            "layers", "mediaType", CX_MT_OCI_LAYER_GZIP, "digest", lds, "size",
                            (json_int_t) size);
    _cleanup_free_ char *mbody = json_dumps(man, JSON_COMPACT);
    json_decref(man);
    if (cx_blobset_add_mem(b, mbody, strlen(mbody), CX_MT_OCI_MANIFEST, &md, err) < 0)
        return -1;
    cx_blobset_add_image(b, &md, o->name);
    struct cx_loaded *l;
    size_t n;
    if (cx_blobset_pull(s, b, &l, &n, err) < 0)
        return cx_error_prefix(err, "import");
    memcpy(id, l[0].id, 65);
    cx_loaded_free(l, n);
    return 0;
}
