/* image_list.c: ListImages and ImageStatus, answered from the store's
 * records, and what every image handler shares (images.h): finding the
 * image a request names, and the CRI's Image of a record. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "cri/handlers.h"
#include "cri/images.h"
#include "engine/engine.h"
#include "engine/pods.h"
#include "image/manifest.h"
#include "image/reference.h"

/* name as the store keeps it ("docker.io/library/busybox:latest", or
 * "docker.io/library/busybox@sha256:..." when it holds a digest, which
 * names the image whatever the tag says); NULL when it is no reference
 * (an image id, for one). */
static char *normal_name(const char *name)
{
    struct cx_ref ref;
    cx_error ignored = { 0 };
    if (cx_ref_parse(name, &ref, &ignored) < 0)
        return NULL;
    char *out;
    if (ref.digest) {
        _cleanup_free_ char *repo = cx_ref_name(&ref);
        out = cx_asprintf("%s@%s", repo, ref.digest);
    } else {
        out = cx_ref_string(&ref);
    }
    cx_ref_free(&ref);
    return out;
}

int cri_image_find(struct cx_store *s, const char *name, struct cx_image_rec *out, bool *found,
                   cx_error *err)
{
    *found = false;
    if (name == NULL || name[0] == '\0')
        return 0;
    _cleanup_free_ char *norm = normal_name(name);
    if (norm && (cx_image_lookup(s, norm, out, found, err) < 0 || *found))
        return *found ? 0 : -1;
    /* an id, a unique prefix of one, or a name exactly as stored */
    return cx_image_lookup(s, name, out, found, err);
}

int cri_image_of(struct cri_ctx *ctx, const Runtime__V1__ImageSpec *spec, struct cx_engine **e,
                 struct cx_image_rec *out, bool *found, cx_error *err)
{
    if (spec == NULL || spec->image[0] == '\0')
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "image.image is empty");
    *e = cri_engine(ctx, err);
    if (*e == NULL)
        return -1;
    return cri_image_find(&(*e)->store, spec->image, out, found, err);
}

/* How well repo digest d ("repository@sha256:...") of image r stands for
 * what a container asked for (repo: the repository of its image, NULL
 * when it named an id): its repository first, then a digest other than
 * the platform manifest's (an index's: what the tag resolved to, the
 * digest `docker pull` prints and people pin). */
static int digest_rank(const char *d, const char *repo, const struct cx_image_rec *r)
{
    const char *at = strchr(d, '@');
    if (at == NULL)
        return -1;
    bool same_repo = repo && strlen(repo) == (size_t) (at - d) && !strncmp(d, repo, at - d);
    return (same_repo ? 2 : 0) + (strcmp(at + 1, r->manifest_digest) != 0 ? 1 : 0);
}

char *cri_image_digested_ref(struct cri_ctx *ctx, struct cx_store *s, const char *id,
                             const char *asked)
{
    char *fallback = arena_printf(&ctx->arena, "sha256:%s", id);
    _cleanup_(cx_image_rec_free) struct cx_image_rec r = { 0 };
    bool found = false;
    cx_error err = { 0 };
    if (cx_image_lookup(s, fallback, &r, &found, &err) < 0)
        cx_log_error_as_warning(&err);
    if (!found)
        return fallback;
    struct cx_ref ref;
    char *repo = NULL;
    if (asked && cx_ref_parse(asked, &ref, &(cx_error){ 0 }) == 0) {
        repo = cx_ref_name(&ref);
        cx_ref_free(&ref);
    }
    const char *best = NULL;
    int best_rank = -1;
    for (size_t i = 0; i < r.ndigests; i++) {
        int rank = digest_rank(r.digests[i], repo, &r);
        if (rank > best_rank)
            best = r.digests[i], best_rank = rank;
    }
    free(repo);
    return best ? arena_strdup(&ctx->arena, best) : fallback;
}

int cri_image_user(const char *user, int64_t *uid, char *name, size_t len)
{
    size_t n = user ? strcspn(user, ":") : 0;
    if (n == 0)
        return -1;
    if (strspn(user, "0123456789") >= n) {
        char num[24];
        if (n >= sizeof num)
            return -1;
        memcpy(num, user, n);
        num[n] = '\0';
        return cx_parse_i64(num, uid) < 0 ? -1 : 1;
    }
    if (n >= len)
        return -1;
    memcpy(name, user, n);
    name[n] = '\0';
    return 0;
}

/* capsad's pause image: the kubelet's image garbage collection leaves it */
static bool pinned(const struct capsad *d, const struct cx_image_rec *r)
{
    const char *pause = d && d->cfg->pause_image ? d->cfg->pause_image : "";
    _cleanup_free_ char *norm = pause[0] ? normal_name(pause) : NULL;
    for (size_t i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], CX_INFRA_IMAGE) == 0 || (norm && !strcmp(r->names[i], norm)))
            return true;
    for (size_t i = 0; norm && i < r->ndigests; i++)
        if (strcmp(r->digests[i], norm) == 0)
            return true;
    return false;
}

static char **arena_strv(struct arena *a, char *const *v, size_t n)
{
    char **out = arena_alloc(a, (n + 1) * sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = arena_strdup(a, v[i]);
    return out;
}

static int read_config(struct cx_store *s, const struct cx_image_rec *r,
                       struct cx_image_config *cfg, cx_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    struct cx_digest d;
    if (cx_digest_parse(r->config_digest, &d, "store: config", err) < 0 ||
        cx_blob_read(s, &d, CX_CONFIG_MAX, &buf, &len, err) < 0 ||
        cx_image_config_parse(buf, len, cfg, err) < 0)
        return cx_error_prefix(err, "image %.12s", r->id);
    return 0;
}

static void set_user(struct cri_ctx *ctx, Runtime__V1__Image *m, const char *user)
{
    char name[256];
    int64_t uid;
    int kind = cri_image_user(user, &uid, name, sizeof name);
    if (kind == 1) {
        m->uid = CRI_NEW(ctx, Runtime__V1__Int64Value, runtime__v1__int64_value__init);
        m->uid->value = uid;
    } else if (kind == 0) {
        m->username = arena_strdup(&ctx->arena, name);
    }
}

Runtime__V1__Image *cri_image_msg(struct cri_ctx *ctx, struct cx_store *s,
                                  const struct cx_image_rec *r)
{
    struct arena *a = &ctx->arena;
    Runtime__V1__Image *m = CRI_NEW(ctx, Runtime__V1__Image, runtime__v1__image__init);
    m->id = arena_printf(a, "sha256:%s", r->id);
    m->n_repo_tags = r->nnames;
    m->repo_tags = arena_strv(a, r->names, r->nnames);
    m->n_repo_digests = r->ndigests;
    m->repo_digests = arena_strv(a, r->digests, r->ndigests);
    m->size = r->size > 0 ? (uint64_t) r->size : 0;
    m->spec = CRI_NEW(ctx, Runtime__V1__ImageSpec, runtime__v1__image_spec__init);
    m->spec->image = m->id;
    m->pinned = pinned(ctx->app, r);
    struct cx_image_config cfg;
    cx_error err = { 0 };
    if (read_config(s, r, &cfg, &err) < 0) {
        cx_log_error_as_warning(&err);
        return m;
    }
    set_user(ctx, m, cfg.user);
    cx_image_config_free(&cfg);
    return m;
}

CRI_HANDLER(cri_list_images)
{
    const Runtime__V1__ListImagesRequest *req = (const void *) in;
    const char *want = req->filter && req->filter->image ? req->filter->image->image : "";
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cx_image_rec *recs = NULL;
    size_t n = 0;
    if (want && want[0]) {
        /* the filter names one image: that one, or none */
        bool found;
        recs = cx_calloc(1, sizeof *recs);
        if (cri_image_find(&e->store, want, recs, &found, err) < 0) {
            free(recs);
            return -1;
        }
        n = found ? 1 : 0;
    } else if (cx_image_list(&e->store, &recs, &n, err) < 0) {
        return -1;
    }
    Runtime__V1__ListImagesResponse *r =
        CRI_NEW(ctx, Runtime__V1__ListImagesResponse, runtime__v1__list_images_response__init);
    r->images = arena_alloc(&ctx->arena, (n + 1) * sizeof *r->images);
    for (size_t i = 0; i < n; i++)
        r->images[i] = cri_image_msg(ctx, &e->store, &recs[i]);
    r->n_images = n;
    cx_image_recs_free(recs, n);
    *out = &r->base;
    return 0;
}

/* ImageStatus verbose: {"info": ...} with the record and the config */
static int verbose_info(struct cri_ctx *ctx, struct cx_store *s, const struct cx_image_rec *r,
                        Runtime__V1__ImageStatusResponse *resp, cx_error *err)
{
    struct cx_image_config cfg;
    if (read_config(s, r, &cfg, err) < 0)
        return -1;
    json_t *chain = json_array();
    for (size_t i = 0; i < r->nlayers; i++) {
        char d[CX_DIGEST_MAX];
        cx_digest_format(&r->layers[i], d);
        json_array_append_new(chain, json_string(d));
    }
    json_auto_t *info = json_pack(
        "{s:s+, s:s, s:s, s:I, s:s, s:o, s:O}", "id", "sha256:", r->id,
        "manifestDigest", r->manifest_digest, "manifestMediaType",
        r->manifest_media_type ? r->manifest_media_type : "", "size", (json_int_t) r->size,
        "created", r->created ? r->created : "", "chainIDs", chain, "imageSpec", cfg.doc);
    cx_image_config_free(&cfg);
    _cleanup_free_ char *text = info ? json_dumps(info, JSON_COMPACT) : NULL;
    if (text == NULL)
        return cx_fail(err, ENOMEM, "image %.12s: cannot build its JSON", r->id);
    CRI_MAP_ONE(ctx, resp->info, resp->n_info, Runtime__V1__ImageStatusResponse__InfoEntry,
                runtime__v1__image_status_response__info_entry__init, "info", text);
    return 0;
}

CRI_HANDLER(cri_image_status)
{
    const Runtime__V1__ImageStatusRequest *req = (const void *) in;
    struct cx_engine *e;
    _cleanup_(cx_image_rec_free) struct cx_image_rec rec = { 0 };
    bool found;
    if (cri_image_of(ctx, req->image, &e, &rec, &found, err) < 0)
        return -1;
    Runtime__V1__ImageStatusResponse *r = CRI_NEW(
        ctx, Runtime__V1__ImageStatusResponse, runtime__v1__image_status_response__init);
    /* a missing image is no error: the reply says so by having none */
    if (found) {
        r->image = cri_image_msg(ctx, &e->store, &rec);
        if (req->verbose && verbose_info(ctx, &e->store, &rec, r, err) < 0)
            return -1;
    }
    *out = &r->base;
    return 0;
}
