/* manifest.c: see manifest.h.  Documents are parsed with duplicate keys
 * refused (two parsers must never read two different images out of one
 * manifest), sizes bounded, digests strict. */
#include "image/manifest.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

static json_t *load(const char *body, size_t len, size_t max, const char *doc,
                    cx_error *err)
{
    json_error_t je;
    if (len > max)
        return cx_fail(err, EFBIG, "%s: %zu bytes, over the %zu-byte limit", doc, len, max),
               NULL;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        cx_fail(err, EINVAL, "%s: invalid JSON at line %d column %d: %s", doc, je.line,
                je.column, je.text);
    else if (!json_is_object(j)) {
        cx_fail(err, EINVAL, "%s: not a JSON object", doc);
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int decode_digest(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    char path[512], what[600];
    if (!json_is_string(v))
        return jd_fail(c, p, "expected a string");
    jpath_format(p, path, sizeof path);
    snprintf(what, sizeof what, "%s: %s", c->doc, path);
    return cx_digest_parse(json_string_value(v), dst, what, c->err);
}

static int decode_platform(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    struct names { const char *os, *arch, *variant; } f = { 0 };
    static const struct jd_field fields[] = {
        JD_F(struct names, "os", JD_STR, os, true),
        JD_F(struct names, "architecture", JD_STR, arch, true),
        JD_F(struct names, "variant", JD_STR, variant, false),
        JD_END,
    };
    if (jd_fields(c, v, p, fields, &f) < 0)
        return -1;
    struct cx_descriptor *d = (struct cx_descriptor *)
        ((char *) dst - offsetof(struct cx_descriptor, platform));
    if (strlen(f.os) >= sizeof d->platform.os || strlen(f.arch) >= sizeof d->platform.arch ||
        (f.variant && strlen(f.variant) >= sizeof d->platform.variant))
        return jd_fail(c, p, "platform name too long");
    snprintf(d->platform.os, sizeof d->platform.os, "%s", f.os);
    snprintf(d->platform.arch, sizeof d->platform.arch, "%s", f.arch);
    snprintf(d->platform.variant, sizeof d->platform.variant, "%s", f.variant ? f.variant : "");
    d->has_platform = true;
    return 0;
}

static int decode_descriptor(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        JD_F(struct cx_descriptor, "mediaType", JD_STR, media_type, true),
        JD_FC(struct cx_descriptor, "digest", digest, decode_digest, true),
        { "size", JD_I64, offsetof(struct cx_descriptor, size), JD_NOHAS, true, 0, INT64_MAX,
          NULL },
        JD_F(struct cx_descriptor, "urls", JD_STRV, urls, false),
        JD_F(struct cx_descriptor, "annotations", JD_OBJECT, annotations, false),
        JD_FC(struct cx_descriptor, "platform", platform, decode_platform, false),
        JD_END,
    };
    return jd_fields(c, v, p, fields, dst);
}

static const char *doc_media_type(json_t *j, const char *content_type)
{
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    if (mt)
        return mt;
    return content_type && *content_type ? content_type : NULL;
}

static int check_schema(json_t *j, const char *doc, cx_error *err)
{
    json_t *sv = json_object_get(j, "schemaVersion");
    if (!json_is_integer(sv))
        return cx_fail(err, EINVAL, "%s: schemaVersion: required, an integer", doc);
    if (json_integer_value(sv) == 1)
        return cx_fail(err, ENOTSUP, "%s: Docker schema 1 manifests are not supported "
                       "(deprecated since 2017; push the image again with a current tool)",
                       doc);
    if (json_integer_value(sv) != 2)
        return cx_fail(err, ENOTSUP, "%s: schemaVersion %lld is not supported (want 2)", doc,
                       (long long) json_integer_value(sv));
    return 0;
}

int cx_doc_kind(const char *body, size_t len, const char *content_type,
                enum cx_doc_kind *kind, cx_error *err)
{
    json_t *j = load(body, len, CX_MANIFEST_MAX, "manifest", err);
    if (!j)
        return -1;
    int rc = check_schema(j, "manifest", err);
    const char *mt = doc_media_type(j, content_type);
    *kind = CX_DOC_UNKNOWN;
    if (mt && (!strcmp(mt, CX_MT_OCI_INDEX) || !strcmp(mt, CX_MT_DOCKER_LIST)))
        *kind = CX_DOC_INDEX;
    else if (mt && (!strcmp(mt, CX_MT_OCI_MANIFEST) || !strcmp(mt, CX_MT_DOCKER_MANIFEST)))
        *kind = CX_DOC_MANIFEST;
    else if (json_object_get(j, "manifests"))
        *kind = CX_DOC_INDEX;
    else if (json_object_get(j, "layers") && json_object_get(j, "config"))
        *kind = CX_DOC_MANIFEST;
    if (rc == 0 && *kind == CX_DOC_UNKNOWN)
        rc = cx_fail(err, ENOTSUP, "manifest: unsupported media type \"%s\"",
                     mt ? mt : "(none)");
    json_decref(j);
    return rc;
}

static int decode_layers(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    struct cx_manifest *m = (struct cx_manifest *)
        ((char *) dst - offsetof(struct cx_manifest, layers));
    if (json_is_array(v) && json_array_size(v) > CX_LAYERS_MAX)
        return jd_fail(c, p, "%zu layers, over the limit of %u", json_array_size(v),
                       CX_LAYERS_MAX);
    return jd_array_of(c, v, p, sizeof(struct cx_descriptor), (void **) &m->layers,
                       &m->nlayers, decode_descriptor);
}

int cx_manifest_parse(const char *body, size_t len, const char *content_type,
                      struct cx_manifest *out, cx_error *err)
{
    static const struct jd_field fields[] = {
        JD_FC(struct cx_manifest, "config", config, decode_descriptor, true),
        JD_FC(struct cx_manifest, "layers", layers, decode_layers, true),
        JD_F(struct cx_manifest, "annotations", JD_OBJECT, annotations, false),
        JD_END,
    };
    memset(out, 0, sizeof *out);
    if (!(out->doc = load(body, len, CX_MANIFEST_MAX, "manifest", err)) ||
        check_schema(out->doc, "manifest", err) < 0)
        return cx_manifest_free(out), -1;
    struct jd_ctx c = { "manifest", &out->pool, err };
    struct jpath root = { NULL, NULL, 0 };
    if (jd_fields(&c, out->doc, &root, fields, out) < 0)
        return cx_manifest_free(out), -1;
    out->media_type = doc_media_type(out->doc, content_type);
    if (!out->media_type)
        out->media_type = CX_MT_OCI_MANIFEST;
    out->docker = strcmp(out->media_type, CX_MT_DOCKER_MANIFEST) == 0;
    if (!out->docker && strcmp(out->media_type, CX_MT_OCI_MANIFEST) != 0) {
        cx_fail(err, ENOTSUP, "manifest: media type \"%s\" is not an image manifest",
                out->media_type);
        return cx_manifest_free(out), -1;
    }
    for (size_t i = 0; i < out->nlayers; i++) {
        enum cx_layer_comp comp;
        if (cx_layer_compression(out->layers[i].media_type, &comp, err) < 0) {
            cx_error_prefix(err, "manifest: layers[%zu]", i);
            return cx_manifest_free(out), -1;
        }
    }
    return 0;
}

void cx_manifest_free(struct cx_manifest *m)
{
    jd_pool_free(&m->pool);
    json_decref(m->doc);
    memset(m, 0, sizeof *m);
}

static int decode_manifests(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    struct cx_index *x = (struct cx_index *)
        ((char *) dst - offsetof(struct cx_index, manifests));
    if (json_is_array(v) && json_array_size(v) > CX_LAYERS_MAX)
        return jd_fail(c, p, "%zu entries, over the limit of %u", json_array_size(v),
                       CX_LAYERS_MAX);
    return jd_array_of(c, v, p, sizeof(struct cx_descriptor), (void **) &x->manifests,
                       &x->nmanifests, decode_descriptor);
}

int cx_index_parse(const char *body, size_t len, const char *content_type,
                   struct cx_index *out, cx_error *err)
{
    static const struct jd_field fields[] = {
        JD_FC(struct cx_index, "manifests", manifests, decode_manifests, true),
        JD_END,
    };
    memset(out, 0, sizeof *out);
    if (!(out->doc = load(body, len, CX_MANIFEST_MAX, "index", err)) ||
        check_schema(out->doc, "index", err) < 0)
        return cx_index_free(out), -1;
    struct jd_ctx c = { "index", &out->pool, err };
    struct jpath root = { NULL, NULL, 0 };
    if (jd_fields(&c, out->doc, &root, fields, out) < 0)
        return cx_index_free(out), -1;
    out->media_type = doc_media_type(out->doc, content_type);
    if (!out->media_type)
        out->media_type = CX_MT_OCI_INDEX;
    return 0;
}

void cx_index_free(struct cx_index *x)
{
    jd_pool_free(&x->pool);
    json_decref(x->doc);
    memset(x, 0, sizeof *x);
}

static int decode_diff_ids(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    struct cx_image_config *cfg = (struct cx_image_config *)
        ((char *) dst - offsetof(struct cx_image_config, diff_ids));
    if (jd_expect_array(c, v, p) < 0)
        return -1;
    size_t n = json_array_size(v);
    if (n > CX_LAYERS_MAX)
        return jd_fail(c, p, "%zu layers, over the limit of %u", n, CX_LAYERS_MAX);
    cfg->diff_ids = jd_alloc(c->pool, n, sizeof(struct cx_digest));
    for (size_t i = 0; i < n; i++) {
        struct jpath ep = { p, NULL, i };
        if (decode_digest(c, json_array_get(v, i), &ep, &cfg->diff_ids[i]) < 0)
            return -1;
    }
    cfg->ndiff_ids = n;
    return 0;
}

static int decode_rootfs(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    struct cx_image_config *cfg = (struct cx_image_config *)
        ((char *) dst - offsetof(struct cx_image_config, diff_ids));
    const char *type = NULL;
    static const struct jd_field fields[] = {
        { "type", JD_STR, 0, JD_NOHAS, true, 0, 0, NULL },
        JD_END,
    };
    if (jd_fields(c, v, p, fields, &type) < 0)
        return -1;
    struct jpath tp = { p, "type", 0 };
    if (strcmp(type, "layers") != 0)
        return jd_fail(c, &tp, "\"%s\" is not \"layers\"", type);
    struct jpath dp = { p, "diff_ids", 0 };
    json_t *d = json_object_get(v, "diff_ids");
    if (!d)
        return jd_fail(c, &dp, "required but missing");
    return decode_diff_ids(c, d, &dp, &cfg->diff_ids);
}

static int decode_exec_config(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        JD_F(struct cx_image_config, "User", JD_STR, user, false),
        JD_F(struct cx_image_config, "WorkingDir", JD_STR, working_dir, false),
        JD_F(struct cx_image_config, "StopSignal", JD_STR, stop_signal, false),
        JD_F(struct cx_image_config, "Env", JD_STRV, env, false),
        JD_F(struct cx_image_config, "Cmd", JD_STRV, cmd, false),
        JD_F(struct cx_image_config, "Entrypoint", JD_STRV, entrypoint, false),
        JD_F(struct cx_image_config, "Labels", JD_OBJECT, labels, false),
        JD_F(struct cx_image_config, "ExposedPorts", JD_OBJECT, exposed_ports, false),
        JD_F(struct cx_image_config, "Volumes", JD_OBJECT, volumes, false),
        JD_END,
    };
    struct cx_image_config *cfg = (struct cx_image_config *)
        ((char *) dst - offsetof(struct cx_image_config, user));
    return jd_fields(c, v, p, fields, cfg);
}

int cx_image_config_parse(const char *body, size_t len, struct cx_image_config *out,
                          cx_error *err)
{
    static const struct jd_field fields[] = {
        JD_F(struct cx_image_config, "architecture", JD_STR, architecture, true),
        JD_F(struct cx_image_config, "os", JD_STR, os, true),
        JD_F(struct cx_image_config, "variant", JD_STR, variant, false),
        JD_F(struct cx_image_config, "created", JD_STR, created, false),
        JD_F(struct cx_image_config, "author", JD_STR, author, false),
        JD_FC(struct cx_image_config, "rootfs", diff_ids, decode_rootfs, true),
        JD_FC(struct cx_image_config, "config", user, decode_exec_config, false),
        JD_END,
    };
    memset(out, 0, sizeof *out);
    if (!(out->doc = load(body, len, CX_CONFIG_MAX, "image config", err)))
        return -1;
    struct jd_ctx c = { "image config", &out->pool, err };
    struct jpath root = { NULL, NULL, 0 };
    if (jd_fields(&c, out->doc, &root, fields, out) < 0)
        return cx_image_config_free(out), -1;
    json_t *h = json_object_get(out->doc, "history");
    out->history = json_is_array(h) ? h : NULL;
    return 0;
}

void cx_image_config_free(struct cx_image_config *c)
{
    jd_pool_free(&c->pool);
    json_decref(c->doc);
    memset(c, 0, sizeof *c);
}

int cx_index_select(const struct cx_index *x, const struct cx_platform *want,
                    const struct cx_descriptor **out, cx_error *err)
{
    int best = -1;
    *out = NULL;
    for (size_t i = 0; i < x->nmanifests; i++) {
        const struct cx_descriptor *d = &x->manifests[i];
        if (!d->has_platform || (strcmp(d->media_type, CX_MT_OCI_MANIFEST) != 0 &&
                                 strcmp(d->media_type, CX_MT_DOCKER_MANIFEST) != 0))
            continue;
        int s = cx_platform_score(want, &d->platform);
        if (s > best)
            best = s, *out = d;
    }
    if (*out)
        return 0;
    char w[80], have[512] = "";
    size_t off = 0;
    cx_platform_format(want, w, sizeof w);
    for (size_t i = 0; i < x->nmanifests && off < sizeof have - 80; i++) {
        if (!x->manifests[i].has_platform)
            continue;
        char p[80];
        cx_platform_format(&x->manifests[i].platform, p, sizeof p);
        off += (size_t) snprintf(have + off, sizeof have - off, "%s%s", off ? ", " : "", p);
    }
    return cx_fail(err, ENOENT, "no image for platform %s in the index (it has: %s)", w,
                   off ? have : "none");
}

int cx_layer_compression(const char *mt, enum cx_layer_comp *out, cx_error *err)
{
    static const struct { const char *mt; enum cx_layer_comp comp; } types[] = {
        { CX_MT_OCI_LAYER, CX_LAYER_TAR },
        { CX_MT_OCI_LAYER_GZIP, CX_LAYER_GZIP },
        { CX_MT_OCI_LAYER_ZSTD, CX_LAYER_ZSTD },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar", CX_LAYER_TAR },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", CX_LAYER_GZIP },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", CX_LAYER_ZSTD },
        { CX_MT_DOCKER_LAYER, CX_LAYER_GZIP },
        { CX_MT_DOCKER_FOREIGN, CX_LAYER_GZIP },
        { "application/vnd.docker.image.rootfs.diff.tar", CX_LAYER_TAR },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(mt, types[i].mt) == 0) {
            *out = types[i].comp;
            return 0;
        }
    return cx_fail(err, ENOTSUP, "unsupported layer media type \"%.100s\"", mt);
}

int cx_chain_ids(const struct cx_digest *diff_ids, size_t n, struct cx_digest *out,
                 cx_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (i == 0) {
            out[0] = diff_ids[0];
            continue;
        }
        char buf[2 * CX_DIGEST_MAX + 2], a[CX_DIGEST_MAX], b[CX_DIGEST_MAX];
        cx_digest_format(&out[i - 1], a);
        cx_digest_format(&diff_ids[i], b);
        int len = snprintf(buf, sizeof buf, "%s %s", a, b);
        if (cx_digest_buffer(CX_SHA256, buf, (size_t) len, &out[i], err) < 0)
            return -1;
    }
    return 0;
}
