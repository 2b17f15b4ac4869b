/* test_manifest.c: manifests, indexes and configs as the puller reads them
 * (kinds, media types, bounds, errors naming their JSON path), platform
 * parsing and matching, and chain IDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

#define MANIFEST(cfgmt, layermt) \
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," \
    "\"config\":{\"mediaType\":\"" cfgmt "\",\"digest\":\"" D1 "\",\"size\":7}," \
    "\"layers\":[{\"mediaType\":\"" layermt "\",\"digest\":\"" D2 "\",\"size\":9}]}"

static void test_manifest_ok(void **state)
{
    (void) state;
    const char *doc = MANIFEST(CX_MT_OCI_CONFIG, CX_MT_OCI_LAYER_GZIP);
    struct cx_manifest m;
    cx_error err = { 0 };
    enum cx_doc_kind kind;
    assert_int_equal(cx_doc_kind(doc, strlen(doc), NULL, &kind, &err), 0);
    assert_int_equal(kind, CX_DOC_MANIFEST);
    assert_int_equal(cx_manifest_parse(doc, strlen(doc), NULL, &m, &err), 0);
    assert_false(m.docker);
    assert_int_equal(m.nlayers, 1);
    assert_int_equal(m.layers[0].size, 9);
    assert_string_equal(m.layers[0].digest.hex, &D2[7]);
    cx_manifest_free(&m);
}

static void expect_error(const char *doc, const char *ct, const char *msg)
{
    struct cx_manifest m;
    cx_error err = { 0 };
    assert_int_equal(cx_manifest_parse(doc, strlen(doc), ct, &m, &err), -1);
    if (!strstr(err.msg, msg))
        fail_msg("\"%s\" not in \"%s\"", msg, err.msg);
}

static void test_manifest_errors(void **state)
{
    (void) state;
    expect_error(MANIFEST(CX_MT_OCI_CONFIG, "application/x-tar"), NULL,
                 "layers[0]: unsupported layer media type \"application/x-tar\"");
    expect_error("{\"schemaVersion\":1,\"fsLayers\":[]}", NULL,
                 "Docker schema 1 manifests are not supported");
    expect_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:12\","
                 "\"size\":1},\"layers\":[]}", NULL,
                 "config.digest: digest \"sha256:12\": want 64 lowercase hex digits");
    expect_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\","
                 "\"size\":-1},\"layers\":[]}", NULL, "config.size");
    expect_error("{\"schemaVersion\":2,\"layers\":[]}", NULL, "config: required but missing");
    /* the same key twice: two parsers could read two images */
    expect_error("{\"schemaVersion\":2,\"schemaVersion\":2}", NULL, "invalid JSON");
    expect_error("[1]", NULL, "not a JSON object");
    /* over 4 MiB */
    size_t big = CX_MANIFEST_MAX + 1;
    char *doc = malloc(big + 1);
    memset(doc, ' ', big);
    doc[0] = '{', doc[big - 1] = '}', doc[big] = '\0';
    expect_error(doc, NULL, "over the 4194304-byte limit");
    free(doc);
}

static void test_layer_media_types(void **state)
{
    (void) state;
    static const struct { const char *mt; enum cx_layer_comp comp; } ok[] = {
        { CX_MT_OCI_LAYER, CX_LAYER_TAR }, { CX_MT_OCI_LAYER_GZIP, CX_LAYER_GZIP },
        { CX_MT_OCI_LAYER_ZSTD, CX_LAYER_ZSTD }, { CX_MT_DOCKER_LAYER, CX_LAYER_GZIP },
        { CX_MT_DOCKER_FOREIGN, CX_LAYER_GZIP },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", CX_LAYER_GZIP },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        enum cx_layer_comp c;
        cx_error err = { 0 };
        assert_int_equal(cx_layer_compression(ok[i].mt, &c, &err), 0);
        assert_int_equal(c, ok[i].comp);
    }
    enum cx_layer_comp c;
    cx_error err = { 0 };
    assert_int_equal(cx_layer_compression(CX_MT_OCI_CONFIG, &c, &err), -1);
}

static const char index_doc[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" CX_MT_OCI_INDEX "\",\"manifests\":["
    "{\"mediaType\":\"" CX_MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
    " \"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"" CX_MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
    " \"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"" CX_MT_OCI_MANIFEST "\",\"digest\":\"" D3 "\",\"size\":1,"
    " \"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}}]}";

static void select_for(const char *platform, const char *want_digest)
{
    struct cx_index x;
    struct cx_platform p;
    const struct cx_descriptor *d;
    cx_error err = { 0 };
    assert_int_equal(cx_index_parse(index_doc, strlen(index_doc), NULL, &x, &err), 0);
    assert_int_equal(cx_platform_parse(platform, &p, &err), 0);
    if (want_digest) {
        assert_int_equal(cx_index_select(&x, &p, &d, &err), 0);
        assert_string_equal(d->digest.hex, want_digest + 7);
    } else {
        assert_int_equal(cx_index_select(&x, &p, &d, &err), -1);
        assert_non_null(strstr(err.msg, "(it has: linux/amd64, linux/arm64/v8, linux/arm/v6)"));
    }
    cx_index_free(&x);
}

static void test_platforms(void **state)
{
    (void) state;
    select_for("linux/amd64", D1);
    select_for("amd64", D1);
    select_for("linux/x86_64", D1);
    select_for("linux/arm64", D2);       /* arm64 means v8 */
    select_for("linux/aarch64", D2);
    select_for("linux/arm/v7", D3);      /* a v7 host runs v6 images */
    select_for("linux/arm/v5", NULL);
    select_for("linux/s390x", NULL);
    select_for("windows/amd64", NULL);
    struct cx_platform p;
    cx_error err = { 0 };
    assert_int_equal(cx_platform_parse("linux//v7", &p, &err), -1);
    assert_int_equal(cx_platform_parse("a/b/c/d", &p, &err), -1);
    assert_int_equal(cx_platform_parse("linux/am d64", &p, &err), -1);
    assert_int_equal(cx_platform_parse("", &p, &err), -1);
    assert_non_null(strstr(err.msg, "want os/arch[/variant]"));
    cx_platform_host(&p);
    assert_string_equal(p.os, "linux");
}

static void test_config_and_chain_ids(void **state)
{
    (void) state;
    const char *doc = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":"
                      "[\"A=1\"],\"Cmd\":[\"sh\"],\"User\":\"1000\"},\"rootfs\":{\"type\":"
                      "\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
    struct cx_image_config c;
    cx_error err = { 0 };
    assert_int_equal(cx_image_config_parse(doc, strlen(doc), &c, &err), 0);
    assert_int_equal(c.ndiff_ids, 2);
    assert_string_equal(c.user, "1000");
    assert_string_equal(c.cmd[0], "sh");
    struct cx_digest chains[2];
    assert_int_equal(cx_chain_ids(c.diff_ids, 2, chains, &err), 0);
    assert_true(cx_digest_equal(&chains[0], &c.diff_ids[0]));
    /* sha256("sha256:111... sha256:222...") */
    struct cx_digest want;
    const char *pair = D1 " " D2;
    assert_int_equal(cx_digest_buffer(CX_SHA256, pair, strlen(pair), &want, &err), 0);
    assert_true(cx_digest_equal(&chains[1], &want));
    cx_image_config_free(&c);
    const char *bad = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"x\","
                      "\"diff_ids\":[]}}";
    assert_int_equal(cx_image_config_parse(bad, strlen(bad), &c, &err), -1);
    assert_non_null(strstr(err.msg, "rootfs.type: \"x\" is not \"layers\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_ok),
        cmocka_unit_test(test_manifest_errors),
        cmocka_unit_test(test_layer_media_types),
        cmocka_unit_test(test_platforms),
        cmocka_unit_test(test_config_and_chain_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
