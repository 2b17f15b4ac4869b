/* desc.h: what capsad tells capsad-stream about one streaming session,
 * as JSON on the helper's fd 4 (a memfd):
 *
 *   {"kind": "exec" | "attach" | "portforward",
 *    "protocol": "v4.channel.k8s.io",       the version chosen at the upgrade
 *    "container": ID,                        exec, attach: the engine's container
 *    "cmd": ["sh", "-c", "..."],             exec
 *    "tty": B, "stdin": B, "stdout": B, "stderr": B,   exec, attach
 *    "sandbox": ID, "netns": PATH,           portforward: the pod's network namespace
 *    "root": R, "runroot": RR,               the engine's store
 *    "idle_timeout": S,                      seconds without traffic before the end, 0: none
 *    "rest": BASE64}                         bytes capsad read past the request's head
 *
 * The gRPC handlers (runtime_stream.c) write the part the request
 * decides; the listener (server.c) adds protocol, rest and idle_timeout. */
#ifndef CAPSA_CRI_STREAM_DESC_H
#define CAPSA_CRI_STREAM_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"

enum stream_kind { STREAM_EXEC, STREAM_ATTACH, STREAM_PORTFORWARD };

struct stream_desc {
    enum stream_kind kind;
    const char *protocol;
    const char *container, *sandbox, *netns, *root, *runroot;
    char **cmd;                  /* NULL-terminated (its strings are the JSON's) */
    bool tty, in, out, err;
    int idle_timeout;            /* seconds */
    uint8_t *rest;               /* decoded, malloc'd */
    size_t rest_len;
};

/* "exec", "attach", "portforward" (the URL's path element too) */
const char *stream_kind_name(enum stream_kind k);

/* Read j (kept alive by the caller while d is used); every field checked
 * against the kind. */
int stream_desc_parse(json_t *j, struct stream_desc *d, cx_error *err);
void stream_desc_free(struct stream_desc *d);

#endif
