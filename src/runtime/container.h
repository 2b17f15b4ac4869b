/* container.h: the lifecycle API the `capsa` commands call.
 *
 * A container is the directory <root>/<id> (see state.h).  Commands that
 * change a container hold an exclusive flock on that directory for their
 * whole run, so `kill`, `delete` and `start` never race one another, and
 * `create` holds it until the state is written.
 */
#ifndef CAPSA_CONTAINER_H
#define CAPSA_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime/state.h"

struct cx_container {
    char *id;
    int dirfd;             /* <root>/<id>, locked when asked */
    struct cx_state *st;   /* status refreshed at load */
};

/* Container ids: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes. */
int cx_id_check(const char *id, cx_error *err);
int cx_root_open(const char *root, bool create, cx_error *err);

/* Load and refresh a container; errors say "container does not exist". */
int cx_container_load(const char *root, const char *id, bool lock,
                      struct cx_container **out, cx_error *err);
void cx_container_free(struct cx_container *c);
static inline void cx_container_freep(struct cx_container **c)
{
    if (*c) cx_container_free(*c);
}
#define _cleanup_container_ __attribute__((cleanup(cx_container_freep)))

/* The config the container was created with (config.json in its
 * directory), loaded on first use; NULL if it cannot be read. */
json_t *cx_container_config(struct cx_container *c);

/* Remove the record (state dir) after the processes are gone. */
int cx_container_remove(const char *root, struct cx_container *c, cx_error *err);

struct cx_create_opts {
    const char *root, *id, *bundle;
    const char *console_socket, *pid_file;
    bool no_pivot, no_new_keyring;
    int preserve_fds;
    bool foreground;       /* run: keep the init as our child, take the pty */
    bool systemd_cgroup;   /* --systemd-cgroup: the scope made by systemd */
};

/* create: everything set up, the init blocked until start.  *pid gets the
 * init's pid; *pty the pty master when foreground with a terminal. */
int cx_create(const struct cx_create_opts *o, pid_t *pid, int *pty, cx_error *err);
int cx_start(const char *root, const char *id, cx_error *err);
/* The start socket (start.sock in the container's directory): bound and
 * listening, for create to hand to the init. */
int cx_start_socket_listen(int dirfd, cx_error *err);
/* pause (true) or resume (false) a container */
int cx_pause(const char *root, const char *id, bool pause, cx_error *err);
/* update: res (linux.resources JSON) merged into the container's config
 * and applied to its cgroups (update.c) */
int cx_update(const char *root, const char *id, json_t *res, cx_error *err);
int cx_kill(const char *root, const char *id, int sig, bool all, cx_error *err);
int cx_delete(const char *root, const char *id, bool force, cx_error *err);
/* --pid-file: the pid in decimal, no newline, written to a temporary file
 * and renamed, so a reader never sees it half written. */
int cx_write_pid_file(const char *path, pid_t pid, cx_error *err);
/* pids of the container's processes as seen from the host. */
int cx_pids(const struct cx_container *c, pid_t **pids, size_t *n, cx_error *err);

#endif
