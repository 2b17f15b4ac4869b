/* manifest.h: OCI and Docker schema 2 manifests, image indexes / manifest
 * lists, and image configs, decoded through jdec so that every error
 * names its JSON path.  Decoded strings point into the json document
 * kept in the struct; free with the matching *_free. */
#ifndef CAPSA_IMAGE_MANIFEST_H
#define CAPSA_IMAGE_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/jdec.h"
#include "image/digest.h"
#include "image/platform.h"

#define CX_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CX_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define CX_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define CX_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define CX_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define CX_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define CX_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define CX_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define CX_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define CX_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define CX_MT_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* What a registry may send for a manifest (the Accept header). */
#define CX_MANIFEST_ACCEPT \
    CX_MT_OCI_MANIFEST ", " CX_MT_OCI_INDEX ", " CX_MT_DOCKER_MANIFEST ", " CX_MT_DOCKER_LIST

/* Bounds on what we read from outside. */
#define CX_MANIFEST_MAX (4u << 20)
#define CX_CONFIG_MAX (8u << 20)
#define CX_LAYERS_MAX 1000u

enum cx_doc_kind { CX_DOC_UNKNOWN, CX_DOC_MANIFEST, CX_DOC_INDEX };
enum cx_layer_comp { CX_LAYER_TAR, CX_LAYER_GZIP, CX_LAYER_ZSTD };

struct cx_descriptor {
    const char *media_type;
    struct cx_digest digest;
    int64_t size;
    const char **urls;
    json_t *annotations;         /* object or NULL */
    bool has_platform;
    struct cx_platform platform; /* indexes only */
};

struct cx_manifest {
    json_t *doc;
    struct jd_pool pool;
    const char *media_type;      /* the document's, or the transport's */
    bool docker;                 /* Docker schema 2 (vs OCI) */
    struct cx_descriptor config;
    struct cx_descriptor *layers;
    size_t nlayers;
    json_t *annotations;
};

struct cx_index {
    json_t *doc;
    struct jd_pool pool;
    const char *media_type;
    struct cx_descriptor *manifests;
    size_t nmanifests;
};

struct cx_image_config {
    json_t *doc;
    struct jd_pool pool;
    const char *architecture, *os, *variant, *created, *author;
    struct cx_digest *diff_ids;
    size_t ndiff_ids;
    /* config.* (all optional) */
    const char *user, *working_dir, *stop_signal;
    const char **env, **cmd, **entrypoint;
    json_t *labels, *exposed_ports, *volumes;
    json_t *history;             /* array or NULL */
};

/* Which kind a document is: from mediaType (its own, else the transport's
 * content type), else from its shape.  Schema 1 is refused by name. */
int cx_doc_kind(const char *body, size_t len, const char *content_type,
                enum cx_doc_kind *kind, cx_error *err);
int cx_manifest_parse(const char *body, size_t len, const char *content_type,
                      struct cx_manifest *out, cx_error *err);
void cx_manifest_free(struct cx_manifest *m);
int cx_index_parse(const char *body, size_t len, const char *content_type,
                   struct cx_index *out, cx_error *err);
void cx_index_free(struct cx_index *x);
int cx_image_config_parse(const char *body, size_t len, struct cx_image_config *out,
                          cx_error *err);
void cx_image_config_free(struct cx_image_config *c);

/* The index entry for platform want (the best score), or an error listing
 * the platforms the index has. */
int cx_index_select(const struct cx_index *x, const struct cx_platform *want,
                    const struct cx_descriptor **out, cx_error *err);
/* A layer media type's compression; an unknown layer type is an error. */
int cx_layer_compression(const char *media_type, enum cx_layer_comp *out, cx_error *err);
/* chain IDs from diff_ids (image-spec config.md): out[i] for layers 0..i */
int cx_chain_ids(const struct cx_digest *diff_ids, size_t n, struct cx_digest *out,
                 cx_error *err);

#endif
