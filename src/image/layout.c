/* layout.c: an OCI image layout directory (image-layout.md) as a source:
 * index.json names the images (by the org.opencontainers.image.ref.name
 * annotation), blobs/<alg>/<hex> holds them.  The directory is as hostile
 * as a registry: blobs are opened beneath it through no symlink, sizes are
 * bounded, and the puller checks every digest. */
#include "image/source.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/manifest.h"

#define REF_NAME "org.opencontainers.image.ref.name"

struct layout {
    int dirfd;
    char *dir;
};

static int open_beneath(int dirfd, const char *path)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    return (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static int read_beneath(struct layout *l, const char *path, size_t max, char **buf,
                        size_t *len, cx_error *err)
{
    _cleanup_close_ int fd = open_beneath(l->dirfd, path);
    if (fd < 0)
        return cx_fail_errno(err, "oci:%s: %s", l->dir, path);
    return cx_read_fd(fd, path, max, buf, len, err);
}

static const char *ref_name(const struct cx_descriptor *d)
{
    return d->annotations ? json_string_value(json_object_get(d->annotations, REF_NAME)) : NULL;
}

static int find(struct layout *l, const struct cx_index *x, const char *ref,
                const struct cx_descriptor **out, cx_error *err)
{
    struct cx_digest want;
    bool by_digest = ref && cx_str_has_prefix(ref, "sha256:");
    if (by_digest && cx_digest_parse(ref, &want, "reference", err) < 0)
        return -1;
    *out = NULL;
    for (size_t i = 0; i < x->nmanifests; i++) {
        const struct cx_descriptor *d = &x->manifests[i];
        const char *name = ref_name(d);
        if ((by_digest && cx_digest_equal(&d->digest, &want)) ||
            (!by_digest && ref && name && strcmp(name, ref) == 0) ||
            (!ref && x->nmanifests == 1)) {
            *out = d;
            return 0;
        }
    }
    if (!ref)
        return cx_fail(err, EINVAL, "oci:%s holds %zu images: name one (oci:%s:TAG)", l->dir,
                       x->nmanifests, l->dir);
    return cx_fail(err, ENOENT, "oci:%s: no image named \"%s\" in index.json", l->dir, ref);
}

static int layout_manifest(void *impl, const char *ref, char **body, size_t *len, char **mt,
                           struct cx_digest *digest, cx_error *err)
{
    struct layout *l = impl;
    _cleanup_free_ char *idx = NULL, *path = NULL;
    size_t idxlen;
    struct cx_digest want;
    /* by digest: any manifest of the layout (an index's entries too) */
    if (ref && cx_str_has_prefix(ref, "sha256:")) {
        if (cx_digest_parse(ref, &want, "reference", err) < 0)
            return -1;
        path = cx_asprintf("blobs/sha256/%s", want.hex);
        if (read_beneath(l, path, CX_MANIFEST_MAX, body, len, err) < 0)
            return -1;
        *digest = want;
        *mt = cx_strdup("");
        return 0;
    }
    struct cx_index x;
    const struct cx_descriptor *d;
    if (read_beneath(l, "index.json", CX_MANIFEST_MAX, &idx, &idxlen, err) < 0 ||
        cx_index_parse(idx, idxlen, CX_MT_OCI_INDEX, &x, err) < 0)
        return -1;
    int rc = find(l, &x, ref, &d, err);
    if (rc == 0) {
        *digest = d->digest;
        *mt = cx_strdup(d->media_type);
        path = cx_asprintf("blobs/%s/%s", cx_digest_alg_name(d->digest.alg), d->digest.hex);
        rc = read_beneath(l, path, CX_MANIFEST_MAX, body, len, err);
        if (rc < 0) {
            free(*mt);
            *mt = NULL;
        }
    }
    cx_index_free(&x);
    return rc;
}

static int layout_blob(void *impl, const struct cx_digest *digest, int64_t size, uint64_t max,
                       const struct cx_sink *sink, cx_error *err)
{
    struct layout *l = impl;
    char path[200];
    snprintf(path, sizeof path, "blobs/%s/%s", cx_digest_alg_name(digest->alg), digest->hex);
    _cleanup_close_ int fd = open_beneath(l->dirfd, path);
    if (fd < 0)
        return cx_fail_errno(err, "oci:%s: %s", l->dir, path);
    enum { CHUNK = 256 << 10 };
    _cleanup_free_ char *buf = cx_calloc(1, CHUNK);
    uint64_t done = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cx_fail_errno(err, "oci:%s: read %s", l->dir, path);
        if (n == 0)
            break;
        done += (uint64_t) n;
        if (done > max || (size >= 0 && done > (uint64_t) size))
            return cx_fail(err, EFBIG, "oci:%s: %s is larger than its descriptor says", l->dir,
                           path);
        if (sink->write(sink->ctx, buf, (size_t) n, err) < 0)
            return -1;
        if (sink->progress)
            sink->progress(sink->ctx, done, size > 0 ? (uint64_t) size : 0);
    }
    return 0;
}

static void layout_free(void *impl)
{
    struct layout *l = impl;
    cx_close(l->dirfd);
    free(l->dir);
    free(l);
}

static const struct cx_source_ops layout_ops = { layout_manifest, layout_blob, layout_free };

int cx_source_layout(struct cx_source *out, const char *dir, cx_error *err)
{
    memset(out, 0, sizeof *out);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "oci:%s", dir);
    struct layout *l = cx_calloc(1, sizeof *l);
    l->dirfd = fd;
    l->dir = cx_strdup(dir);
    _cleanup_free_ char *lay = NULL;
    size_t len;
    out->ops = &layout_ops;
    out->impl = l;
    out->desc = cx_asprintf("oci:%s", dir);
    out->parallel = 1;
    if (read_beneath(l, "oci-layout", 4096, &lay, &len, err) < 0 ||
        !strstr(lay, "\"imageLayoutVersion\"")) {
        if (!err->msg[0])
            cx_fail(err, EINVAL, "oci:%s: oci-layout has no imageLayoutVersion", dir);
        cx_error_prefix(err, "not an OCI image layout");
        cx_source_free(out);
        return -1;
    }
    return 0;
}
