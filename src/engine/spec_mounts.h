/* spec_mounts.h: a container's mounts, from the flags to config.json.
 * -v, --mount and --tmpfs are parsed into cx_mount_req whose options are
 * complete as the OCI mount wants them (podman's defaults added: rw,
 * rprivate, rbind; nosuid,nodev on volumes; nosuid,nodev,tmpcopyup on
 * tmpfs); the spec's list is podman's defaults, then those, parents
 * before children. */
#ifndef CAPSA_ENGINE_SPEC_MOUNTS_H
#define CAPSA_ENGINE_SPEC_MOUNTS_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"
#include "engine/run_opts.h"
#include "engine/spec_gen.h"

/* -v [SOURCE:]DEST[:OPTIONS], --mount KEY=VALUE,..., --tmpfs DEST[:OPTIONS],
 * each appended to o->mounts (a destination given twice is an error). */
int cx_mount_parse_volume(struct cx_run_opts *o, const char *arg, cx_error *err);
int cx_mount_parse_mount(struct cx_run_opts *o, const char *arg, cx_error *err);
int cx_mount_parse_tmpfs(struct cx_run_opts *o, const char *arg, cx_error *err);

/* The mounts as the container's record keeps them (run_opts' JSON), and
 * back (appended to o->mounts). */
json_t *cx_mount_reqs_json(const struct cx_mount_req *m, size_t n);
int cx_mount_reqs_from_json(json_t *a, struct cx_run_opts *o, cx_error *err);

/* A volume or container name: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool cx_name_valid(const char *s);
/* "/a//b/./c/../" -> "/a/b" (malloc'd); NULL unless absolute. */
char *cx_path_clean(const char *p);

/* Where --init's capsa-init is bound in the container. */
#define CX_SPEC_INIT_PATH "/run/capsa-init"

/* config.json's mounts: /proc, /dev, /sys and the rest of podman's
 * defaults, the tmpfs of --read-only, /etc/hostname, hosts and resolv.conf
 * from ctx, o->mounts (binds and tmpfs only) and capsa-init for --init; a
 * user mount replaces a default at the same destination.  Ordered by
 * depth, so a parent is always mounted before what lies under it. */
int cx_spec_mounts(const struct cx_run_opts *o, const struct cx_spec_ctx *ctx, json_t **out,
                   cx_error *err);

#endif
