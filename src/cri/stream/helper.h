/* helper.h: starting capsad-stream for one accepted streaming connection
 * (on capsad's I/O thread): the socket as its fd 3, a memfd holding the
 * session's JSON description (desc.h) as its fd 4, /dev/null as stdin,
 * capsad's stdout and stderr (its log); a session of its own (setsid),
 * default signal dispositions and an empty mask.  posix_spawn only: safe
 * in a process with threads.  capsad does not wait for it; the loop reaps
 * it when it exits (through its pidfd), and after a restart of capsad
 * init does. */
#ifndef CAPSA_CRI_STREAM_HELPER_H
#define CAPSA_CRI_STREAM_HELPER_H

#include <jansson.h>

#include "common/error.h"
#include "common/loop.h"

struct stream_helpers;

struct stream_helpers *stream_helpers_new(struct loop *loop, const char *path);
/* Forget the helpers still running (they keep running). */
void stream_helpers_free(struct stream_helpers *h);
/* Start one for sock (kept by the caller, who closes its copy). */
int stream_helper_spawn(struct stream_helpers *h, int sock, json_t *desc, cx_error *err);

#endif
