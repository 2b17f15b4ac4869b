/* server_internal.h: what server.c (the loop, the threads), h2.c (one
 * nghttp2 session per connection) and call.c (a request's life) share.
 * Fields are owned by the I/O thread unless marked. */
#ifndef CAPSA_CRI_SERVER_INTERNAL_H
#define CAPSA_CRI_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/loop.h"
#include "cri/server.h"

struct conn;

/* What a call's worker leaves for the I/O thread (under srv->mu). */
struct outbuf {
    uint8_t *data;
    size_t len, off, cap;
};

struct cri_call {
    atomic_int refs;                 /* the stream's and the worker's */
    struct cri_server *srv;
    struct conn *conn;               /* NULL once the stream is gone */
    int32_t stream_id;
    struct cri_call *prev, *next;    /* the server's live calls */
    char path[160];
    const struct cri_method *method;
    const ProtobufCMethodDescriptor *desc;
    int64_t deadline;                /* loop_now_ms() time, 0: none */
    int64_t worker_deadline;         /* the same, for the worker (set once) */
    bool bad_timeout, not_post, not_grpc, started, responded;
    struct grpc_deframer df;
    atomic_bool cancelled;
    /* under srv->mu: the worker's output and result */
    struct outbuf out;
    bool finished, queued;
    enum grpc_code code;
    char *message;
    struct cri_call *next_done;      /* the completion queue */
};

struct cri_server {
    struct loop loop;
    struct loop_src listen_src, wake_src, sig_src;
    int listen_fd, wake_fd, sig_fd;
    const struct cri_server_opts *opts;
    char *root, *runroot;
    struct cri_call *calls;          /* live, for deadlines */
    struct conn *conns;              /* open connections */
    atomic_int inflight;             /* workers running */
    pthread_mutex_t mu;
    struct cri_call *done;           /* completion queue (mu) */
    /* the engine pool (mu) */
    struct cx_engine **idle;
    size_t nidle;
};

/* call.c */
struct cri_call *call_new(struct cri_server *s, struct conn *c, int32_t stream_id);
void call_unref(struct cri_call *call);
/* The request is complete: answer at once or start its worker. */
void call_dispatch(struct cri_call *call);
/* A failure answered before any worker ran (I/O thread). */
void call_fail_now(struct cri_call *call, enum grpc_code code, const char *msg);
/* The stream is gone: the worker will find the call cancelled. */
void call_detach(struct cri_call *call);
/* Post the call to the I/O thread (any thread; takes mu). */
void call_post(struct cri_call *call);
/* The deadlines: answer the overdue; the time to the next, -1 none. */
int call_deadlines(struct cri_server *s);

/* dispatch.c: the generated descriptor of a method, NULL when the
 * service has none by that name */
const ProtobufCMethodDescriptor *cri_method_descriptor(const char *service, const char *name);

/* h2.c */
int conn_accept(struct cri_server *s, int fd);
/* At exit: every connection closed (their calls detached). */
void conn_close_all(struct cri_server *s);
/* Submit what the call has (headers, data, trailers) and flush. */
void conn_call_ready(struct conn *c, struct cri_call *call);

/* server.c: the engine pool */
void pool_put(struct cri_server *s, struct cx_engine *e);

#endif
