/* top.h: `capsactl top`: the processes of a running container as podman
 * 4.3 shows them (its ps library, psgo 1.7): one row per process, the
 * columns named by format descriptors (AIX codes such as %C, or their
 * names such as pcpu), the default being podman's
 * USER PID PPID %CPU ELAPSED TTY TIME COMMAND.
 *
 * The processes are those of the container's cgroup that live in its PID
 * namespace, read from the host's /proc; PIDs, parent PIDs and process
 * groups are given as the container sees them (the last NSpid), host ones
 * through hpid.  User and group names come from the container's own
 * /etc/passwd and /etc/group (through its root, never escaping it), host
 * names (huser, hgroup) from the host's. */
#ifndef CAPSA_ENGINE_TOP_H
#define CAPSA_ENGINE_TOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "engine/containers.h"
#include "engine/engine.h"

/* A table of strings, row-major; row 0 holds the headers. */
struct cx_top_table {
    char **cells;
    size_t nrows, ncols;
};
void cx_top_table_free(struct cx_top_table *t);
static inline const char *cx_top_cell(const struct cx_top_table *t, size_t row, size_t col)
{
    return t->cells[row * t->ncols + col];
}

/* What the rows are read from (the host's, or a test's tree). */
struct cx_top_src {
    int procfd;        /* a /proc directory */
    int rootfd;        /* the container's root: /etc/passwd, /etc/group */
    int hostfd;        /* the host's root, for huser and hgroup */
    int64_t now_ns;    /* wall clock, unix ns */
    int64_t boot_s;    /* /proc/stat's btime */
    long ticks;        /* clock ticks per second */
};

/* The descriptors, each argument split at commas (empty parts skipped,
 * spaces around a part trimmed); none: the default ones.  *idx gets table
 * indexes (malloc'd); an unknown descriptor is an error naming it. */
int cx_top_descriptors(char *const *args, size_t nargs, size_t **idx, size_t *n,
                       cx_error *err);
/* Every descriptor name, sorted (podman's --list-descriptors), static. */
const char *const *cx_top_descriptor_names(size_t *n);

/* The table for host pids (those gone meanwhile are skipped), sorted by
 * the PID the container sees. */
int cx_top_table(const struct cx_top_src *src, const pid_t *pids, size_t npids,
                 const size_t *idx, size_t nidx, struct cx_top_table *out, cx_error *err);

/* The table of a running container (an error naming its state otherwise). */
int cx_ctr_top(struct cx_engine *e, struct cx_ctr *c, char *const *descs, size_t ndescs,
               struct cx_top_table *out, cx_error *err);

/* Go's time.Duration String(): "0s", "1.5ms", "20.386825206s", "1h2m3s". */
void cx_go_duration(int64_t ns, char *buf, size_t len);

#endif
