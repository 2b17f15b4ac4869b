/* logfile.h: the container log in the CRI format that podman's k8s-file
 * driver reads:  <RFC3339Nano local time> stdout|stderr F|P <text>\n
 * One record per line of output; a fragment without its newline (the end of
 * a read) is written at once as a P record, so nothing waits in the shim.
 * When --log-size-max would be exceeded the file is replaced by an empty
 * one (written as tmp + rename, as conmon does) and writing goes on there.
 * Writes never block on readers; an error (a full disk) drops the data,
 * is reported once, and writing is retried on the next output. */
#ifndef CAPSA_SHIM_LOGFILE_H
#define CAPSA_SHIM_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

enum shim_stream { SHIM_STDIN = 1, SHIM_STDOUT = 2, SHIM_STDERR = 3 };

struct shim_log {
    int fd;
    char *path;
    int64_t size_max;        /* -1: no limit */
    int64_t global_max;      /* -1: no limit (all records ever written) */
    int64_t written;         /* bytes in the current file */
    int64_t total;           /* bytes over all files */
    uint64_t dropped;        /* bytes lost to write errors */
    int last_errno;          /* errno of the last failed write, 0 after a success */
    int rotations;
};

/* Format ts as "2006-01-02T15:04:05.999999999+07:00" (always 9 digits of
 * nanoseconds and a numeric offset); returns the length. */
size_t shim_log_timestamp(char *buf, size_t len, const struct timespec *ts);

int shim_log_open(struct shim_log *l, const char *path, int64_t size_max,
                  int64_t global_max, cx_error *err);
/* Write buf (one read of a stream) as records stamped with ts.  Returns 0,
 * or -1 with err when some of it could not be written (dropped). */
int shim_log_write(struct shim_log *l, enum shim_stream stream, const char *buf,
                   size_t len, const struct timespec *ts, cx_error *err);
/* Start a fresh file at the same path (rotation, and ctl's "reopen"). */
int shim_log_reopen(struct shim_log *l, bool truncate, cx_error *err);
void shim_log_sync(struct shim_log *l);
void shim_log_close(struct shim_log *l);

#endif
