/* fuzz_manifest: the documents a registry or an archive hands over, as
 * the puller reads them: the kind (cx_doc_kind), then a manifest or an
 * index, the platform choice, and an image config with its chain IDs.
 * A failure must carry a message; a success must hold its bounds. */
#include "fuzz.h"
#include "image/manifest.h"

static void manifest(const char *buf, size_t len, const char *ct)
{
    struct cx_manifest m;
    cx_error err = { 0 };
    if (cx_manifest_parse(buf, len, ct, &m, &err) < 0) {
        fz_failed(&err);
        return;
    }
    FZ_CHECK(m.nlayers <= CX_LAYERS_MAX);
    for (size_t i = 0; i < m.nlayers; i++) {
        enum cx_layer_comp comp;
        FZ_CHECK(cx_layer_compression(m.layers[i].media_type, &comp, &err) == 0);
        FZ_CHECK(m.layers[i].size >= 0);
    }
    cx_manifest_free(&m);
}

static void index_doc(const char *buf, size_t len, const char *ct)
{
    struct cx_index x;
    cx_error err = { 0 };
    const struct cx_descriptor *d;
    struct cx_platform want;
    if (cx_index_parse(buf, len, ct, &x, &err) < 0) {
        fz_failed(&err);
        return;
    }
    cx_platform_host(&want);
    if (cx_index_select(&x, &want, &d, &err) == 0)
        FZ_CHECK(d->has_platform);
    else
        fz_failed(&err);
    cx_index_free(&x);
}

static void config(const char *buf, size_t len)
{
    struct cx_image_config c;
    cx_error err = { 0 };
    if (cx_image_config_parse(buf, len, &c, &err) < 0) {
        fz_failed(&err);
        return;
    }
    FZ_CHECK(c.ndiff_ids <= CX_LAYERS_MAX);
    struct cx_digest *chains = calloc(c.ndiff_ids + 1, sizeof *chains);
    FZ_CHECK(chains && cx_chain_ids(c.diff_ids, c.ndiff_ids, chains, &err) == 0);
    FZ_CHECK(c.ndiff_ids == 0 || cx_digest_equal(&chains[0], &c.diff_ids[0]));
    free(chains);
    cx_image_config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *) data;
    enum cx_doc_kind kind;
    cx_error err = { 0 };
    /* the first byte picks the transport's content type */
    static const char *const types[] = { NULL, "", CX_MT_OCI_MANIFEST, CX_MT_DOCKER_MANIFEST,
                                         CX_MT_OCI_INDEX, CX_MT_DOCKER_LIST };
    const char *ct = size ? types[data[0] % 6] : NULL;
    if (cx_doc_kind(buf, size, ct, &kind, &err) < 0)
        fz_failed(&err);
    else if (kind == CX_DOC_INDEX)
        index_doc(buf, size, ct);
    else
        manifest(buf, size, ct);
    config(buf, size);
    return 0;
}
