/* archive.c: see archive.h.  The spool and its members, the checks of
 * names and links, the source over the spool, and load's two formats. */
#include "image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/decompress.h"
#include "image/manifest.h"
#include "image/pull.h"
#include "image/reference.h"
#include "image/source.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define CHUNK (1u << 20)
#define NAME_MAX_LEN 1024
#define LINK_HOPS 8

struct member {
    char *name;
    char *link;                 /* an alias of this member name, or NULL */
    uint64_t off, len;
    struct cx_digest digest;    /* sha256 of the content */
};

struct blob {
    struct cx_digest digest;
    uint64_t off, len;
    char *mem;                  /* in memory (made here), else in the spool */
    char *media_type;           /* or NULL */
};

struct image {
    char ref[CX_DIGEST_MAX];    /* the manifest (or index) digest */
    char **names;
    size_t nnames;
};

struct cx_blobset {
    int spool;
    uint64_t spool_len;
    struct member *m;
    size_t nm, capm;
    struct blob *b;
    size_t nb, capb;
    struct image *img;
    size_t nimg;
};

static void arch_free(struct cx_blobset *a)
{
    for (size_t i = 0; i < a->nm; i++)
        free(a->m[i].name), free(a->m[i].link);
    for (size_t i = 0; i < a->nb; i++)
        free(a->b[i].mem), free(a->b[i].media_type);
    for (size_t i = 0; i < a->nimg; i++) {
        for (size_t j = 0; j < a->img[i].nnames; j++)
            free(a->img[i].names[j]);
        free(a->img[i].names);
    }
    free(a->m), free(a->b), free(a->img);
    cx_close(a->spool);
    memset(a, 0, sizeof *a);
    a->spool = -1;
}

/* ---- names ---- */

/* Append the components of path (relative) to out, lexically: "." is
 * dropped, ".." pops (refused above the top when allow_up is false or
 * nothing is left to pop). */
static int name_join(char *out, size_t cap, const char *path, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(path);
    char *save = NULL;
    size_t depth = 0;
    for (const char *p = out; *p; p++)
        depth += *p == '/';
    depth += out[0] != '\0';
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            char *slash = strrchr(out, '/');
            if (depth == 0)
                return cx_fail(err, EINVAL, "\"%s\" leads outside the archive", path);
            if (slash)
                *slash = '\0';
            else
                out[0] = '\0';
            depth--;
            continue;
        }
        if (strlen(out) + strlen(c) + 2 > cap || ++depth > CX_ARCHIVE_DEPTH_MAX)
            return cx_fail(err, EINVAL, "\"%s\" is too long or too deep", path);
        if (out[0])
            strcat(out, "/");
        strcat(out, c);
    }
    return 0;
}

/* A member's name: relative, no "..", no empty component (a leading "./"
 * and a trailing "/" are allowed), at most CX_ARCHIVE_DEPTH_MAX deep. */
static int name_check(const char *raw, char *out, size_t cap, cx_error *err)
{
    const char *p = raw;
    if (!raw || !*raw)
        return cx_fail(err, EINVAL, "an archive member has no name");
    if (strlen(raw) >= cap)
        return cx_fail(err, EINVAL, "archive member \"%.64s...\": name too long", raw);
    if (raw[0] == '/')
        return cx_fail(err, EINVAL, "archive member \"%s\": absolute name refused", raw);
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    for (const char *c = p; *c;) {
        size_t n = strcspn(c, "/");
        if ((n == 2 && c[0] == '.' && c[1] == '.') || (n == 0 && c[0] == '/') ||
            (n == 1 && c[0] == '.'))
            return cx_fail(err, EINVAL, "archive member \"%s\": \"..\", \".\" or an empty "
                           "component in its name refused", raw);
        c += n;
        if (*c == '/' && c[1] == '\0')
            break;
        c += *c == '/';
    }
    out[0] = '\0';
    if (name_join(out, cap, p, err) < 0)
        return cx_error_prefix(err, "archive member");
    return 0;
}

/* ---- the spool ---- */

static int member_add(struct cx_blobset *a, const char *name, struct member **out, cx_error *err)
{
    if (a->nm >= CX_ARCHIVE_ENTRIES_MAX)
        return cx_fail(err, E2BIG, "the archive has more than %u members", CX_ARCHIVE_ENTRIES_MAX);
    for (size_t i = 0; i < a->nm; i++)
        if (!strcmp(a->m[i].name, name))
            return cx_fail(err, EINVAL, "archive member \"%s\" appears twice", name);
    if (a->nm == a->capm) {
        a->capm = a->capm ? a->capm * 2 : 64;
        a->m = cx_realloc(a->m, a->capm * sizeof *a->m);
    }
    *out = &a->m[a->nm++];
    memset(*out, 0, sizeof **out);
    (*out)->name = cx_strdup(name);
    return 0;
}

static int spool_entry(struct cx_blobset *a, struct archive *ar, struct member *m, int64_t declared,
                       cx_error *err)
{
    _cleanup_free_ char *buf = cx_calloc(1, CHUNK);
    struct cx_hasher h = { 0 };
    if (cx_hasher_init(&h, CX_SHA256, err) < 0)
        return -1;
    m->off = a->spool_len;
    int rc = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(ar, buf, CHUNK);
        if (n < 0) {
            rc = cx_fail(err, EIO, "archive member \"%s\": %s", m->name,
                         archive_error_string(ar));
            break;
        }
        if (n == 0)
            break;
        if (m->len + (uint64_t) n > CX_LAYER_MAX_BYTES_DEFAULT) {
            rc = cx_fail(err, EFBIG, "archive member \"%s\": over %llu bytes", m->name,
                         (unsigned long long) CX_LAYER_MAX_BYTES_DEFAULT);
            break;
        }
        cx_hasher_update(&h, buf, (size_t) n);
        if (cx_write_all(a->spool, buf, (size_t) n) < 0) {
            rc = cx_fail_errno(err, "spooling archive member \"%s\"", m->name);
            break;
        }
        m->len += (uint64_t) n;
        a->spool_len += (uint64_t) n;
    }
    cx_hasher_final(&h, &m->digest);
    cx_hasher_free(&h);
    if (rc == 0 && declared >= 0 && m->len != (uint64_t) declared)
        rc = cx_fail(err, EIO, "archive member \"%s\": truncated", m->name);
    return rc;
}

static int read_entry(struct cx_blobset *a, struct archive *ar, struct archive_entry *e, cx_error *err)
{
    char name[NAME_MAX_LEN];
    struct member *m;
    mode_t type = archive_entry_filetype(e);
    if (name_check(archive_entry_pathname(e), name, sizeof name, err) < 0)
        return -1;
    if (type == AE_IFDIR || !name[0])
        return 0;
    const char *hard = archive_entry_hardlink(e);
    if (hard) {
        char target[NAME_MAX_LEN];
        if (name_check(hard, target, sizeof target, err) < 0 || member_add(a, name, &m, err) < 0)
            return -1;
        m->link = cx_strdup(target);
        return 0;
    }
    if (type == AE_IFLNK) {
        const char *t = archive_entry_symlink(e);
        char target[NAME_MAX_LEN];
        snprintf(target, sizeof target, "%s", name);
        char *slash = strrchr(target, '/');
        *(slash ? slash : target) = '\0';
        if (!t || !*t || t[0] == '/' || name_join(target, sizeof target, t, err) < 0) {
            cx_error_clear(err);
            return cx_fail(err, EINVAL, "archive member \"%s\": symbolic link to \"%s\" "
                           "refused (outside the archive)", name, t ? t : "");
        }
        if (member_add(a, name, &m, err) < 0)
            return -1;
        m->link = cx_strdup(target);
        return 0;
    }
    if (type != AE_IFREG)
        return cx_fail(err, EINVAL, "archive member \"%s\": not a regular file, directory "
                       "or link (refused)", name);
    if (member_add(a, name, &m, err) < 0)
        return -1;
    return spool_entry(a, ar, m, archive_entry_size_is_set(e) ? archive_entry_size(e) : -1,
                       err);
}

int cx_spool_open(struct cx_store *s, int *fd, cx_error *err)
{
    *fd = openat(s->rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (*fd < 0)
        return cx_fail_errno(err, "%s: a temporary file", s->root);
    return 0;
}

static int read_archive(struct cx_store *s, int fd, struct cx_blobset *a, cx_error *err)
{
    struct archive *ar = archive_read_new();
    struct archive_entry *e;
    int rc = 0, r;
    if (!ar)
        return cx_fail(err, ENOMEM, "libarchive");
    archive_read_support_filter_all(ar);
    archive_read_support_format_tar(ar);
    if (cx_spool_open(s, &a->spool, err) < 0)
        rc = -1;
    else if (archive_read_open_fd(ar, fd, 1 << 16) != ARCHIVE_OK)
        rc = cx_fail(err, EINVAL, "%s", archive_error_string(ar));
    while (rc == 0 && (r = archive_read_next_header(ar, &e)) != ARCHIVE_EOF) {
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            rc = cx_fail(err, EINVAL, "%s", archive_error_string(ar));
        else
            rc = read_entry(a, ar, e, err);
    }
    archive_read_free(ar);
    return rc;
}

/* The member called name, links followed (by name only). */
static const struct member *find(const struct cx_blobset *a, const char *name)
{
    for (int hop = 0; hop <= LINK_HOPS; hop++) {
        const struct member *m = NULL;
        for (size_t i = 0; i < a->nm && !m; i++)
            if (!strcmp(a->m[i].name, name))
                m = &a->m[i];
        if (!m || !m->link)
            return m;
        name = m->link;
    }
    return NULL;
}

static int pread_range(int fd, uint64_t off, void *buf, size_t len, cx_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *) buf + done, len - done, (off_t) (off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cx_fail_errno(err, "reading the spool");
        if (n == 0)
            return cx_fail(err, EIO, "reading the spool: unexpected end");
        done += (size_t) n;
    }
    return 0;
}

static int member_read(const struct cx_blobset *a, const char *name, size_t max, char **buf,
                       size_t *len, cx_error *err)
{
    const struct member *m = find(a, name);
    if (!m)
        return cx_fail(err, ENOENT, "\"%s\" is not in the archive", name);
    if (m->len > max)
        return cx_fail(err, EFBIG, "\"%s\": %llu bytes, over the limit of %zu", name,
                       (unsigned long long) m->len, max);
    *buf = cx_calloc(1, m->len + 1);
    *len = m->len;
    if (pread_range(a->spool, m->off, *buf, m->len, err) < 0) {
        free(*buf);
        *buf = NULL;
        return -1;
    }
    return 0;
}

/* ---- blobs by digest ---- */

static struct blob *blob_find(const struct cx_blobset *a, const struct cx_digest *d)
{
    for (size_t i = 0; i < a->nb; i++)
        if (cx_digest_equal(&a->b[i].digest, d))
            return &a->b[i];
    return NULL;
}

static struct blob *blob_add(struct cx_blobset *a, const struct cx_digest *d)
{
    struct blob *b = blob_find(a, d);
    if (b)
        return b;
    if (a->nb == a->capb) {
        a->capb = a->capb ? a->capb * 2 : 16;
        a->b = cx_realloc(a->b, a->capb * sizeof *a->b);
    }
    b = &a->b[a->nb++];
    memset(b, 0, sizeof *b);
    b->digest = *d;
    return b;
}

static void blob_of_member(struct cx_blobset *a, const struct member *m)
{
    struct blob *b = blob_add(a, &m->digest);
    if (!b->mem)
        b->off = m->off, b->len = m->len;
}

static int blob_mem(struct cx_blobset *a, const char *data, size_t len, const char *mt,
                    struct cx_digest *d, cx_error *err)
{
    if (cx_digest_buffer(CX_SHA256, data, len, d, err) < 0)
        return -1;
    struct blob *b = blob_add(a, d);
    if (!b->mem) {
        b->mem = cx_calloc(1, len + 1);
        memcpy(b->mem, data, len);
        b->len = len;
        free(b->media_type);
        b->media_type = mt ? cx_strdup(mt) : NULL;
    }
    return 0;
}

static int blob_read(const struct cx_blobset *a, const struct blob *b, size_t max, char **buf,
                     size_t *len, cx_error *err)
{
    char ds[CX_DIGEST_MAX];
    cx_digest_format(&b->digest, ds);
    if (b->len > max)
        return cx_fail(err, EFBIG, "%s: %llu bytes, over the limit of %zu", ds,
                       (unsigned long long) b->len, max);
    *buf = cx_calloc(1, b->len + 1);
    *len = b->len;
    if (b->mem)
        memcpy(*buf, b->mem, b->len);
    else if (pread_range(a->spool, b->off, *buf, b->len, err) < 0) {
        free(*buf);
        *buf = NULL;
        return -1;
    }
    return 0;
}

/* ---- the source over the blobs ---- */

static int src_manifest(void *impl, const char *ref, char **body, size_t *len, char **mt,
                        struct cx_digest *digest, cx_error *err)
{
    struct cx_blobset *a = impl;
    struct blob *b;
    if (!ref || cx_digest_parse(ref, digest, "reference", err) < 0)
        return ref ? -1 : cx_fail(err, EINVAL, "archive: no manifest named");
    if (!(b = blob_find(a, digest)))
        return cx_fail(err, ENOENT, "archive: manifest %s is not in the archive", ref);
    if (blob_read(a, b, CX_MANIFEST_MAX, body, len, err) < 0)
        return -1;
    *mt = cx_strdup(b->media_type ? b->media_type : "");
    return 0;
}

static int src_blob(void *impl, const struct cx_digest *digest, int64_t size, uint64_t max,
                    const struct cx_sink *sink, cx_error *err)
{
    struct cx_blobset *a = impl;
    const struct blob *b = blob_find(a, digest);
    char ds[CX_DIGEST_MAX];
    cx_digest_format(digest, ds);
    if (!b)
        return cx_fail(err, ENOENT, "blob %s is not in the archive", ds);
    if (b->len > max || (size >= 0 && b->len != (uint64_t) size))
        return cx_fail(err, EFBIG, "blob %s: %llu bytes, not the size its descriptor says",
                       ds, (unsigned long long) b->len);
    _cleanup_free_ char *buf = b->mem ? NULL : cx_calloc(1, CHUNK);
    for (uint64_t done = 0; done < b->len;) {
        size_t n = b->len - done > CHUNK ? CHUNK : (size_t) (b->len - done);
        if (b->mem ? sink->write(sink->ctx, b->mem + done, n, err) < 0
                   : pread_range(a->spool, b->off + done, buf, n, err) < 0 ||
                     sink->write(sink->ctx, buf, n, err) < 0)
            return -1;
        done += n;
        if (sink->progress)
            sink->progress(sink->ctx, done, b->len);
    }
    return 0;
}

static void src_free(void *impl)
{
    (void) impl;   /* the arch belongs to its caller */
}

static const struct cx_source_ops arch_ops = { src_manifest, src_blob, src_free };

static int pull_images(struct cx_store *s, struct cx_blobset *a, struct cx_loaded **out, size_t *n,
                       cx_error *err)
{
    struct cx_source src = { &arch_ops, a, (char *) "archive", 1 };
    struct cx_loaded *l = cx_calloc(a->nimg + 1, sizeof *l);
    size_t done = 0;
    int rc = 0;
    for (size_t i = 0; i < a->nimg && rc == 0; i++, done++) {
        struct image *im = &a->img[i];
        struct cx_pull_opts o = { .name = im->nnames ? im->names[0] : NULL };
        cx_platform_host(&o.platform);
        l[i].names = cx_calloc(im->nnames + 1, sizeof(char *));
        rc = cx_pull(s, &src, im->ref, &o, l[i].id, err);
        for (size_t j = 0; rc == 0 && j < im->nnames; j++) {
            if (j > 0)
                rc = cx_image_tag(s, l[i].id, im->names[j], err);
            l[i].names[j] = cx_strdup(im->names[j]);
        }
    }
    if (rc < 0) {
        cx_loaded_free(l, done);
        return -1;
    }
    *out = l, *n = done;
    return 0;
}

void cx_loaded_free(struct cx_loaded *l, size_t n)
{
    for (size_t i = 0; l && i < n; i++)
        cx_strv_free(l[i].names);
    free(l);
}

char *cx_archive_image_name(const char *raw)
{
    struct cx_ref r;
    cx_error err = { 0 };
    if (!raw || !*raw)
        return NULL;
    int rc = cx_ref_is_qualified(raw) ? cx_ref_parse(raw, &r, &err)
                                      : cx_ref_parse_in(raw, "localhost", &r, &err);
    if (rc < 0)
        return NULL;
    char *s = r.tag && !r.digest ? cx_ref_string(&r) : NULL;
    cx_ref_free(&r);
    return s;
}

static void image_add(struct cx_blobset *a, const struct cx_digest *d, char **names, size_t n)
{
    a->img = cx_realloc(a->img, (a->nimg + 1) * sizeof *a->img);
    struct image *im = &a->img[a->nimg++];
    cx_digest_format(d, im->ref);
    im->names = names, im->nnames = n;
}

/* ---- checks of what a manifest names ---- */

static int check_layer_tar(const struct cx_blobset *a, const struct blob *b,
                           const struct cx_digest *diff_id, const char *what, cx_error *err)
{
    char got[CX_DIGEST_MAX], want[CX_DIGEST_MAX];
    unsigned char magic[4] = { 0 };
    if (b->len >= 4 && pread_range(a->spool, b->off, magic, 4, err) < 0)
        return -1;
    if ((magic[0] == 0x1f && magic[1] == 0x8b) ||
        (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd))
        return 0;   /* compressed: the unpacker checks its diff_id */
    if (cx_digest_equal(&b->digest, diff_id))
        return 0;
    cx_digest_format(&b->digest, got);
    cx_digest_format(diff_id, want);
    return cx_fail(err, EBADMSG, "%s: its content (%s) does not match the config's "
                   "rootfs.diff_ids entry %s", what, got, want);
}

/* Everything the manifest d names is here and matches. */
static int check_manifest(struct cx_blobset *a, const struct cx_digest *d, cx_error *err)
{
    _cleanup_free_ char *body = NULL, *cbody = NULL;
    size_t len, clen;
    enum cx_doc_kind kind;
    struct blob *b = blob_find(a, d);
    char ds[CX_DIGEST_MAX];
    cx_digest_format(d, ds);
    if (!b)
        return cx_fail(err, ENOENT, "manifest %s is not in the archive", ds);
    if (blob_read(a, b, CX_MANIFEST_MAX, &body, &len, err) < 0 ||
        cx_doc_kind(body, len, b->media_type, &kind, err) < 0)
        return cx_error_prefix(err, "manifest %s", ds);
    if (kind == CX_DOC_INDEX)
        return 0;   /* the puller picks the platform and checks what it takes */
    struct cx_manifest m;
    struct cx_image_config cfg;
    if (cx_manifest_parse(body, len, b->media_type, &m, err) < 0)
        return cx_error_prefix(err, "manifest %s", ds);
    int rc = 0;
    const struct blob *cb = blob_find(a, &m.config.digest);
    if (!cb || blob_read(a, cb, CX_ARCHIVE_JSON_MAX, &cbody, &clen, err) < 0 ||
        cx_image_config_parse(cbody, clen, &cfg, err) < 0) {
        if (!cb)
            cx_fail(err, ENOENT, "its config sha256:%.12s is not in the archive",
                    m.config.digest.hex);
        cx_manifest_free(&m);
        return cx_error_prefix(err, "manifest %s", ds);
    }
    if (cfg.ndiff_ids != m.nlayers)
        rc = cx_fail(err, EINVAL, "manifest %s: %zu layers, its config %zu diff_ids", ds,
                     m.nlayers, cfg.ndiff_ids);
    for (size_t i = 0; rc == 0 && i < m.nlayers; i++) {
        const struct blob *lb = blob_find(a, &m.layers[i].digest);
        char what[120];
        snprintf(what, sizeof what, "manifest %s: layer %zu (sha256:%.12s)", ds, i,
                 m.layers[i].digest.hex);
        if (!lb)
            rc = cx_fail(err, ENOENT, "%s is not in the archive", what);
        else if (m.layers[i].size >= 0 && lb->len != (uint64_t) m.layers[i].size)
            rc = cx_fail(err, EBADMSG, "%s: %llu bytes, its descriptor says %lld", what,
                         (unsigned long long) lb->len, (long long) m.layers[i].size);
        else
            rc = check_layer_tar(a, lb, &cfg.diff_ids[i], what, err);
    }
    cx_image_config_free(&cfg);
    cx_manifest_free(&m);
    return rc;
}

/* ---- oci-archive ---- */

/* Every member under blobs/<alg>/<hex> holds that digest (both formats:
 * docker 25 and later writes one). */
static int check_named_blobs(struct cx_blobset *a, cx_error *err)
{
    for (size_t i = 0; i < a->nm; i++) {
        const struct member *m = &a->m[i];
        struct cx_digest named;
        if (!cx_str_has_prefix(m->name, "blobs/") || m->link)
            continue;
        _cleanup_free_ char *ds = cx_strdup(m->name + 6);
        char *slash = strchr(ds, '/');
        if (slash)
            *slash = ':';
        if (cx_digest_parse(ds, &named, m->name, err) < 0)
            return cx_error_prefix(err, "archive member");
        if (!cx_digest_equal(&named, &m->digest))
            return cx_fail(err, EBADMSG, "archive member \"%s\": content does not match its "
                           "digest (it is sha256:%s)", m->name, m->digest.hex);
        blob_of_member(a, m);
    }
    return 0;
}

static int load_oci(struct cx_blobset *a, cx_error *err)
{
    _cleanup_free_ char *lay = NULL, *idx = NULL;
    size_t len;
    struct cx_index x;
    if (member_read(a, "oci-layout", 4096, &lay, &len, err) < 0 || !strstr(lay,
                                                                           "imageLayoutVersion"))
        return err->msg[0] ? -1 : cx_fail(err, EINVAL, "oci-layout has no imageLayoutVersion");
    if (check_named_blobs(a, err) < 0)
        return -1;
    if (member_read(a, "index.json", CX_ARCHIVE_JSON_MAX, &idx, &len, err) < 0 ||
        cx_index_parse(idx, len, CX_MT_OCI_INDEX, &x, err) < 0)
        return cx_error_prefix(err, "index.json");
    int rc = x.nmanifests ? 0 : cx_fail(err, EINVAL, "index.json names no image");
    for (size_t i = 0; rc == 0 && i < x.nmanifests; i++) {
        const struct cx_descriptor *d = &x.manifests[i];
        struct blob *b = blob_find(a, &d->digest);
        if (b && !b->media_type)
            b->media_type = cx_strdup(d->media_type ? d->media_type : "");
        rc = check_manifest(a, &d->digest, err);
        const char *raw = d->annotations ? json_string_value(json_object_get(d->annotations,
                                                                              REF_NAME)) : NULL;
        char *name = cx_archive_image_name(raw);
        char **names = cx_calloc(2, sizeof(char *));
        names[0] = name;
        image_add(a, &d->digest, names, name ? 1 : 0);
    }
    cx_index_free(&x);
    return rc;
}

/* ---- docker-archive ---- */

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int docker_layer(struct cx_blobset *a, json_t *layer, size_t i, size_t l, json_t *layers,
                        cx_error *err)
{
    const char *name = json_string_value(layer);
    char clean[NAME_MAX_LEN];
    const struct member *m;
    if (!name || name_check(name, clean, sizeof clean, err) < 0) {
        cx_error_clear(err);
        return cx_fail(err, EINVAL, "manifest.json[%zu].Layers[%zu]: not a member name", i, l);
    }
    if (!(m = find(a, clean)))
        return cx_fail(err, ENOENT, "manifest.json[%zu].Layers[%zu]: \"%s\" is not in the "
                       "archive", i, l, name);
    unsigned char magic[4] = { 0 };
    if (m->len >= 4 && pread_range(a->spool, m->off, magic, 4, err) < 0)
        return -1;
    const char *mt = magic[0] == 0x1f && magic[1] == 0x8b
        ? CX_MT_DOCKER_LAYER : "application/vnd.docker.image.rootfs.diff.tar";
    if (magic[0] == 0x28 && magic[1] == 0xb5)
        return cx_fail(err, ENOTSUP, "manifest.json[%zu].Layers[%zu]: a zstd layer in a "
                       "docker-archive is not supported", i, l);
    blob_of_member(a, m);
    char ds[CX_DIGEST_MAX];
    cx_digest_format(&m->digest, ds);
    json_array_append_new(layers, json_pack("{s:s,s:I,s:s}", "mediaType", mt, "size",
                                            (json_int_t) m->len, "digest", ds));
    return 0;
}

static int docker_image(struct cx_blobset *a, json_t *ent, size_t i, cx_error *err)
{
    json_t *tags = json_object_get(ent, "RepoTags"), *ls = json_object_get(ent, "Layers");
    const char *cfgname = jstr(ent, "Config");
    char clean[NAME_MAX_LEN], ds[CX_DIGEST_MAX];
    const struct member *cm;
    if (!json_is_object(ent) || !cfgname || !json_is_array(ls) ||
        (tags && !json_is_null(tags) && !json_is_array(tags)))
        return cx_fail(err, EINVAL, "manifest.json[%zu]: want Config, Layers and RepoTags", i);
    if (json_array_size(ls) > CX_LAYERS_MAX)
        return cx_fail(err, E2BIG, "manifest.json[%zu]: over %u layers", i, CX_LAYERS_MAX);
    if (name_check(cfgname, clean, sizeof clean, err) < 0)
        return cx_error_prefix(err, "manifest.json[%zu].Config", i);
    if (!(cm = find(a, clean)))
        return cx_fail(err, ENOENT, "manifest.json[%zu].Config: \"%s\" is not in the archive",
                       i, cfgname);
    if (cm->len > CX_ARCHIVE_JSON_MAX)
        return cx_fail(err, EFBIG, "manifest.json[%zu].Config: over %u bytes", i,
                       CX_ARCHIVE_JSON_MAX);
    blob_of_member(a, cm);
    cx_digest_format(&cm->digest, ds);
    json_t *layers = json_array();
    json_t *man = json_pack("{s:i,s:s,s:{s:s,s:I,s:s},s:o}", "schemaVersion", 2, "mediaType",
                            CX_MT_DOCKER_MANIFEST, "config", "mediaType", CX_MT_DOCKER_CONFIG,
                            "size", (json_int_t) cm->len, "digest", ds, "layers", layers);
    int rc = 0;
    for (size_t l = 0; rc == 0 && l < json_array_size(ls); l++)
        rc = docker_layer(a, json_array_get(ls, l), i, l, layers, err);
    _cleanup_free_ char *body = rc == 0 ? json_dumps(man, JSON_COMPACT) : NULL;
    json_decref(man);
    struct cx_digest md;
    if (rc < 0 || blob_mem(a, body, strlen(body), CX_MT_DOCKER_MANIFEST, &md, err) < 0 ||
        check_manifest(a, &md, err) < 0)
        return cx_error_prefix(err, "manifest.json[%zu]", i);
    size_t nt = json_array_size(tags), k = 0;
    char **names = cx_calloc(nt + 1, sizeof(char *));
    for (size_t t = 0; t < nt; t++)
        if ((names[k] = cx_archive_image_name(json_string_value(json_array_get(tags, t)))))
            k++;
    image_add(a, &md, names, k);
    return 0;
}

static int load_docker(struct cx_blobset *a, cx_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    json_error_t je;
    if (check_named_blobs(a, err) < 0 ||
        member_read(a, "manifest.json", CX_ARCHIVE_JSON_MAX, &buf, &len, err) < 0)
        return -1;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_array(doc) || json_array_size(doc) == 0 ||
        json_array_size(doc) > CX_ARCHIVE_IMAGES_MAX) {
        json_decref(doc);
        return cx_fail(err, EINVAL, "manifest.json: want an array of 1 to %u images%s%s",
                       CX_ARCHIVE_IMAGES_MAX, doc ? "" : ": ", doc ? "" : je.text);
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(doc); i++)
        rc = docker_image(a, json_array_get(doc, i), i, err);
    json_decref(doc);
    return rc;
}

int cx_archive_load(struct cx_store *s, int fd, struct cx_loaded **out, size_t *n,
                    cx_error *err)
{
    _cleanup_(arch_free) struct cx_blobset a = { .spool = -1 };
    if (read_archive(s, fd, &a, err) < 0)
        return cx_error_prefix(err, "load");
    int rc = find(&a, "manifest.json") ? load_docker(&a, err)
           : find(&a, "index.json") ? load_oci(&a, err)
           : cx_fail(err, EINVAL, "neither manifest.json (docker-archive) nor index.json "
                     "(oci-archive) in the archive");
    if (rc < 0 || pull_images(s, &a, out, n, err) < 0)
        return cx_error_prefix(err, "load");
    return 0;
}

/* ---- the blob set, for import (layout_write.c) ---- */

struct cx_blobset *cx_blobset_new(void)
{
    struct cx_blobset *b = cx_calloc(1, sizeof *b);
    b->spool = -1;
    return b;
}

void cx_blobset_free(struct cx_blobset *b)
{
    if (b) {
        arch_free(b);
        free(b);
    }
}

void cx_blobset_set_spool(struct cx_blobset *b, int fd)
{
    cx_close(b->spool);
    b->spool = fd;
}

void cx_blobset_add_spooled(struct cx_blobset *b, const struct cx_digest *d, uint64_t off,
                            uint64_t len)
{
    struct blob *bl = blob_add(b, d);
    bl->off = off, bl->len = len;
}

int cx_blobset_add_mem(struct cx_blobset *b, const void *data, size_t len,
                       const char *media_type, struct cx_digest *d, cx_error *err)
{
    return blob_mem(b, data, len, media_type, d, err);
}

void cx_blobset_add_image(struct cx_blobset *b, const struct cx_digest *manifest,
                          const char *name)
{
    char **names = cx_calloc(2, sizeof(char *));
    names[0] = name ? cx_strdup(name) : NULL;
    image_add(b, manifest, names, name ? 1 : 0);
}

int cx_blobset_pull(struct cx_store *s, struct cx_blobset *b, struct cx_loaded **out, size_t *n,
                    cx_error *err)
{
    return pull_images(s, b, out, n, err);
}
