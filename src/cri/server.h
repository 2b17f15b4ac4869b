/* server.h: capsad's gRPC server.  One I/O thread runs the event loop
 * (common/loop.h): the listening socket, every connection's nghttp2
 * session, the completions other threads post and the deadlines.  Each
 * complete request runs on a thread of its own, so a slow PullImage or
 * ExecSync never delays Version or ListContainers; what one pod or
 * container allows at a time is the engine's locks' business, not a
 * global lock's.  A handler sees a cri_ctx: its arena, its engine handle
 * and whether the client still waits. */
#ifndef CAPSA_CRI_SERVER_H
#define CAPSA_CRI_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/error.h"
#include "cri/arena.h"
#include "cri/grpc.h"

struct cri_server;
struct cri_call;
struct cx_engine;

struct cri_ctx {
    struct cri_server *srv;
    struct cri_call *call;
    struct arena arena;
    void *app;                   /* what cri_server_new was given */
    enum grpc_code code;         /* set by cri_fail; else mapped from the error */
    struct cx_engine *engine;    /* borrowed by cri_engine, returned at the end */
};

/* A unary handler: *out is the reply (in the arena), or -1 and err. */
typedef int (*cri_unary_fn)(struct cri_ctx *ctx, const ProtobufCMessage *in,
                            ProtobufCMessage **out, cx_error *err);
/* A server-streaming handler: replies go out through cri_send as they
 * come; it returns when the stream is over (or the client left). */
typedef int (*cri_stream_fn)(struct cri_ctx *ctx, const ProtobufCMessage *in, cx_error *err);

struct cri_method {
    const char *service;         /* "RuntimeService", "ImageService" */
    const char *name;            /* "Version" */
    cri_unary_fn unary;
    cri_stream_fn stream;
};

/* The engine paths a handler's engine is opened with. */
struct cri_server_opts {
    const char *socket_path;
    int listen_fd;               /* >= 0: a socket systemd passed (LISTEN_FDS) */
    const char *root, *runroot;
    bool systemd_cgroup;         /* the engine's containers under systemd slices */
    const struct cri_method *methods;   /* ends with a zeroed entry */
    void *app;
    /* run on the I/O thread at each loop turn (the events module's inotify,
     * ...): sources it adds through cri_server_loop */
};

int cri_server_new(struct cri_server **out, const struct cri_server_opts *o, cx_error *err);
/* Serve until SIGTERM or SIGINT. */
int cri_server_run(struct cri_server *s, cx_error *err);
void cri_server_free(struct cri_server *s);
struct loop *cri_server_loop(struct cri_server *s);

/* For handlers. */
/* Fail with an explicit status code (returns -1). */
int cri_fail(struct cri_ctx *ctx, cx_error *err, enum grpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The client gave up (deadline passed, stream reset, connection gone). */
bool cri_cancelled(const struct cri_ctx *ctx);
/* Milliseconds left before the call's deadline; INT64_MAX without one. */
int64_t cri_time_left(const struct cri_ctx *ctx);
/* An engine handle of this thread's own (SQLite connection, fds),
 * borrowed from the server's pool for the call. */
struct cx_engine *cri_engine(struct cri_ctx *ctx, cx_error *err);
/* Unpack a message kept as bytes (a stored config) into the arena; NULL
 * when it does not decode. */
const ProtobufCMessage *cri_unpack(struct cri_ctx *ctx, const ProtobufCMessageDescriptor *d,
                                   const uint8_t *data, size_t len);
/* cx_engine_open, with capsactl as the exit command of the shims */
int cri_engine_open(struct cx_engine *e, const char *root, const char *runroot, bool systemd,
                    cx_error *err);
/* Queue one message of a server stream; -1 when the client left. */
int cri_send(struct cri_ctx *ctx, const ProtobufCMessage *msg, cx_error *err);

#define CRI_NEW(ctx, type, init) \
    ({ type *m_ = arena_alloc(&(ctx)->arena, sizeof(type)); init(m_); m_; })

#endif
