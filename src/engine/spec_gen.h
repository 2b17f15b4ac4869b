/* spec_gen.h: a container's config.json from its image's config and the
 * run options (image-spec conversion.md; podman's defaults). */
#ifndef CAPSA_ENGINE_SPEC_GEN_H
#define CAPSA_ENGINE_SPEC_GEN_H

#include <jansson.h>

#include "common/error.h"
#include "engine/run_opts.h"
#include "image/manifest.h"

struct cx_spec_ctx {
    const char *id;              /* the container id (64 hex) */
    const char *rootfs;          /* absolute path of the mounted root */
    int rootfd;                  /* an fd of it: /etc/passwd, /etc/group, workdir */
    const char *hostname;        /* resolved: --hostname, else the id's first 12 */
    const char *hostname_file, *hosts_file, *resolv_file;  /* host paths, bound
                                  * at /etc/hostname, /etc/hosts, /etc/resolv.conf */
    const char *init_path;       /* capsa-init on the host, for --init */
    const char *cgroups_path;    /* cx_run_opts_cgroups_path(): "/capsa/<id>" ... */
    const char *netns_path;      /* the pinned namespace to join (CNI networks), or NULL */
    /* seccomp: the default comes from cx_seccomp_default() (seccomp_default.h) */
};

/* Build config.json.  Bind mounts in o->mounts must already be
 * CX_MOUNT_BIND or CX_MOUNT_TMPFS (volumes resolved by the engine).  The
 * working directory is made in the rootfs if missing; a user or group
 * name is resolved from the rootfs's own /etc/passwd and /etc/group. */
int cx_spec_build(const struct cx_image_config *img, const struct cx_run_opts *o,
                  const struct cx_spec_ctx *ctx, json_t **out, cx_error *err);

/* The command (image-spec conversion.md: --entrypoint replaces Entrypoint
 * and drops Cmd; a command after the image replaces Cmd), a JSON array;
 * none at all is an error. */
int cx_spec_command(const struct cx_image_config *img, const struct cx_run_opts *o,
                    json_t **out, cx_error *err);
/* The image's stop signal, the flag's, else SIGTERM. */
int cx_spec_stop_signal(const struct cx_image_config *img, const struct cx_run_opts *o,
                        int *sig, cx_error *err);

#endif
