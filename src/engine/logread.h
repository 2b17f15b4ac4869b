/* logread.h: reading a container's k8s-file log (as capsa-shim writes it:
 * "<RFC3339Nano> stdout|stderr F|P <text>") for `capsactl logs`:
 * --since/--until, --tail, -t timestamps, -f follow (inotify, also across
 * the shim's rotation by replace), partial lines joined. */
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
     * file is read to its end); polled when the file is idle */
    bool (*done)(void *arg);
    void *done_arg;
};

/* Parse "2013-01-02T13:23:37Z", RFC3339 with offsets and fractions,
 * a unix time "1700000000[.5]", or a duration ago ("10m", "1h30m").
 * now_ns is the reference for durations. */
int cx_logtime_parse(const char *s, int64_t now_ns, int64_t *out_ns, cx_error *err);

/* Copy the log's records to out_fd (stdout records) and err_fd (stderr
 * records), as `podman logs` prints them. */
int cx_logread(const char *path, const struct cx_logread_opts *o, int out_fd, int err_fd,
               cx_error *err);

#endif
