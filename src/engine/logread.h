/* logread.h: reading a container's k8s-file log (as capsa-shim writes it:
 * "<RFC3339Nano> stdout|stderr F|P <text>") for `capsactl logs`:
 * --since/--until, --tail, -t timestamps, -f follow (inotify, also across
 * the shim's rotation by replace), partial lines joined.
 *
 * Output is as `podman logs` prints it: a line's P records joined with its
 * F record, which ends it with "\n"; each stream's lines go to its fd in
 * the order they end (so with one fd for both a line is never cut by the
 * other stream's).  A line is held until its F record up to 1 MiB, past
 * that it goes out as it comes.  -t prefixes each line with its first
 * record's time, as written but with nine digits and "Z" for UTC
 * ("2023-01-01T10:00:00.000000000+01:00 text"; podman takes the last
 * record's, the same unless the line was split), and --since/--until
 * compare that time (strictly after, strictly before).  --tail N: the last
 * N lines, a last line with no F record yet counting as one, found from
 * the end a block at a time.  When the file ends, lines with no F record
 * yet are written as far as they go (no "\n"); an F record cut short (no
 * newline) still ends its line.  Lines that do not parse are skipped.  A
 * missing file is an empty log (-f waits for it to appear). */
#ifndef CAPSA_ENGINE_LOGREAD_H
#define CAPSA_ENGINE_LOGREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct cx_logread_opts {
    int64_t since_ns, until_ns;  /* unix ns; 0: unbounded */
    int64_t tail;                /* last N lines, -1: all */
    bool timestamps, follow;
    /* follow ends when this returns true (the container has exited and the
     * file is read to its end); polled when the file is idle, at least
     * every 200 ms; NULL: follow until an error */
    bool (*done)(void *arg);
    void *done_arg;
};

/* Parse "2013-01-02T13:23:37Z", RFC3339 with offsets and fractions,
 * a unix time "1700000000[.5]", or a duration ago ("10m", "1h30m").
 * now_ns is the reference for durations.  Also a date "2013-01-02" and
 * "2013-01-02T13:23:37" with no zone, both in local time; durations take
 * Go's units (ns us µs ms s m h), fractions and a sign ("-5m": ahead). */
int cx_logtime_parse(const char *s, int64_t now_ns, int64_t *out_ns, cx_error *err);

/* Copy the log's records to out_fd (stdout records) and err_fd (stderr
 * records), as `podman logs` prints them.  An fd of -1 drops its stream. */
int cx_logread(const char *path, const struct cx_logread_opts *o, int out_fd, int err_fd,
               cx_error *err);

#endif
