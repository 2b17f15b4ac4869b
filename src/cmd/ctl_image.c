/* ctl_image.c: `image inspect`, `image mount`, `image unmount`, and the
 * `image` group (podman's `image ls`, `image rm`, `image pull`, ...). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "image/manifest.h"

static json_t *copy_or(json_t *v, json_t *dflt)
{
    if (v) {
        json_decref(dflt);
        return json_deep_copy(v);
    }
    return dflt;
}

static int inspect_one(struct cx_store *s, const struct cx_image_rec *r, json_t *out,
                       cx_error *err)
{
    _cleanup_free_ char *cfgbuf = NULL, *manbuf = NULL;
    size_t cfglen, manlen;
    struct cx_digest cd, md;
    struct cx_image_config cfg;
    struct cx_manifest m;
    if (cx_digest_parse(r->config_digest, &cd, "store: config", err) < 0 ||
        cx_digest_parse(r->manifest_digest, &md, "store: manifest", err) < 0 ||
        cx_blob_read(s, &cd, CX_CONFIG_MAX, &cfgbuf, &cfglen, err) < 0 ||
        cx_blob_read(s, &md, CX_MANIFEST_MAX, &manbuf, &manlen, err) < 0 ||
        cx_image_config_parse(cfgbuf, cfglen, &cfg, err) < 0)
        return -1;
    if (cx_manifest_parse(manbuf, manlen, r->manifest_media_type, &m, err) < 0)
        return cx_image_config_free(&cfg), -1;
    json_t *layers = json_array();
    for (size_t i = 0; i < cfg.ndiff_ids; i++) {
        char d[CX_DIGEST_MAX];
        cx_digest_format(&cfg.diff_ids[i], d);
        json_array_append_new(layers, json_string(d));
    }
    json_t *config = json_object_get(cfg.doc, "config");
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:I, s:I,"
        " s:{s:s, s:n}, s:{s:s, s:o}, s:o, s:o, s:s, s:s, s:o, s:o}",
        "Id", r->id, "Digest", r->manifest_digest,
        "RepoTags", ctl_strv_json(r->names, r->nnames),
        "RepoDigests", ctl_strv_json(r->digests, r->ndigests),
        "Parent", "", "Comment", json_string_value(json_object_get(cfg.doc, "comment")) ?: "",
        "Created", cfg.created ? cfg.created : "",
        "Config", copy_or(config, json_object()), "Version",
        json_string_value(json_object_get(cfg.doc, "docker_version")) ?: "",
        "Author", cfg.author ? cfg.author : "", "Architecture", cfg.architecture,
        "Os", cfg.os, "Variant", cfg.variant ? cfg.variant : "",
        "Size", (json_int_t) r->size, "VirtualSize", (json_int_t) r->size,
        "GraphDriver", "Name", "overlay", "Data",
        "RootFS", "Type", "layers", "Layers", layers,
        "Labels", copy_or(cfg.labels, json_null()), "Annotations",
        copy_or(m.annotations, json_object()), "ManifestType", r->manifest_media_type,
        "User", cfg.user ? cfg.user : "", "History", copy_or(cfg.history, json_array()),
        "NamesHistory", ctl_strv_json(r->names, r->nnames));
    cx_manifest_free(&m);
    cx_image_config_free(&cfg);
    if (!o)
        return cx_fail(err, ENOMEM, "image %.12s: cannot build its JSON", r->id);
    json_array_append_new(out, o);
    return 0;
}

int ctl_image_inspect(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1)
        if (c != 'f' || strcmp(optarg, "json") != 0)
            return cx_fail(err, EINVAL, "image inspect: only --format json is supported");
    if (optind >= argc)
        return cx_fail(err, EINVAL, "usage: capsactl image inspect IMAGE [IMAGE...]");
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    if (ctl_store_open(g, &s, err) < 0)
        return -1;
    json_t *out = json_array();
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        struct cx_image_rec r;
        rc = ctl_image_find(g, &s, argv[i], &r, err);
        if (rc == 0) {
            rc = inspect_one(&s, &r, out, err);
            cx_image_rec_free(&r);
        }
    }
    if (rc == 0) {
        char *txt = json_dumps(out, JSON_INDENT(4));
        printf("%s\n", txt);
        free(txt);
    }
    json_decref(out);
    return rc;
}

int ctl_image_mount(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    if (argc < 2)
        return cx_fail(err, EINVAL, "usage: capsactl image mount IMAGE [IMAGE...]");
    if (ctl_store_open(g, &s, err) < 0)
        return -1;
    for (int i = 1; i < argc; i++) {
        struct cx_image_rec r;
        _cleanup_free_ char *path = NULL;
        if (ctl_image_find(g, &s, argv[i], &r, err) < 0)
            return -1;
        int rc = cx_image_mount(&s, &r, &path, err);
        cx_image_rec_free(&r);
        if (rc < 0)
            return -1;
        printf("%s\n", path);
    }
    return 0;
}

int ctl_image_unmount(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    if (argc < 2)
        return cx_fail(err, EINVAL, "usage: capsactl image unmount IMAGE [IMAGE...]");
    if (ctl_store_open(g, &s, err) < 0)
        return -1;
    for (int i = 1; i < argc; i++) {
        struct cx_image_rec r;
        bool was;
        if (ctl_image_find(g, &s, argv[i], &r, err) < 0)
            return -1;
        int rc = cx_image_unmount(&s, r.id, &was, err);
        if (rc == 0 && was)
            printf("%s\n", r.id);
        cx_image_rec_free(&r);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int ctl_image(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct { const char *name; ctl_cmd_fn fn; } sub[] = {
        { "inspect", ctl_image_inspect }, { "ls", ctl_images }, { "list", ctl_images },
        { "rm", ctl_rmi }, { "pull", ctl_pull }, { "tag", ctl_tag }, { "untag", ctl_untag },
        { "prune", ctl_image_prune }, { "mount", ctl_image_mount },
        { "unmount", ctl_image_unmount }, { "umount", ctl_image_unmount },
    };
    if (argc < 2)
        return cx_fail(err, EINVAL, "usage: capsactl image inspect|ls|rm|pull|tag|untag|"
                       "prune|mount|unmount ...");
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
        if (strcmp(sub[i].name, argv[1]) == 0) {
            optind = 0;
            return sub[i].fn(g, argc - 1, argv + 1, err);
        }
    return cx_fail(err, EINVAL, "unrecognized command `capsactl image %s`", argv[1]);
}
