/* state.h: a container's record under --root.
 *
 * Each container is a directory <root>/<id> holding:
 *   state.json  the OCI state plus what capsa needs to re-check it
 *               (init start time, boot id), written tmp+fsync+rename
 *   config.json the config the container was created from (and `update`d),
 *               read only by the commands that need it (cx_container_config)
 *   start.sock  present between create and start (the init waits on it)
 *   cgroups.json the container's cgroup directories, written as soon as they
 *               exist (before state.json), so they are found in any state
 * The status is derived, never trusted from the file: a dead or reused pid
 * reads as "stopped", whatever the file says.
 */
#ifndef CAPSA_STATE_H
#define CAPSA_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

enum cx_status {
    CX_CREATING, CX_CREATED, CX_RUNNING, CX_PAUSED, CX_STOPPED,
};

struct cx_state {
    char *id;
    char *bundle;
    char *rootfs;
    char *created;        /* RFC 3339 with nanoseconds, UTC */
    char *owner;
    char *oci_version;
    pid_t pid;
    uint64_t pid_start;
    char *boot_id;
    json_t *annotations;  /* may be NULL */
    json_t *config;       /* config.json once loaded (cx_container_config) */
    json_t *cgroups;      /* cgroups.json (runtime/cgroup), may be NULL */
    enum cx_status status;/* derived by cx_state_refresh() */
    bool partial;         /* directory without a readable state.json */
};

const char *cx_status_name(enum cx_status s);

/* Serialize to state.json in dirfd (atomic). */
int cx_state_write(int dirfd, const struct cx_state *st, cx_error *err);
/* Read state.json from dirfd; errors name the file. */
int cx_state_read(int dirfd, const char *id, struct cx_state **out, cx_error *err);
/* Derive status from the live process and start.sock. */
void cx_state_refresh(int dirfd, struct cx_state *st);
/* The OCI state document as runc prints it (pid 0 once stopped). */
json_t *cx_state_to_oci(const struct cx_state *st, bool with_owner);
void cx_state_free(struct cx_state *st);
static inline void cx_state_freep(struct cx_state **s)
{
    if (*s) cx_state_free(*s);
}
#define _cleanup_state_ __attribute__((cleanup(cx_state_freep)))

/* "2026-11-24T01:13:29.789173332Z" for now. */
void cx_rfc3339_now(char *buf, size_t len);

#endif
