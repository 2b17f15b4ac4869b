/* call.c: a request's life.  The I/O thread makes the call when its
 * HEADERS arrive, dispatches it when the body is complete and answers the
 * failures it can see itself (unknown method, bad framing, an overdue
 * deadline); everything else runs on a worker thread of its own, which
 * unpacks the request into the call's arena, runs the handler and leaves
 * the packed reply for the I/O thread (call_post). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "cri/server_internal.h"
#include "engine/engine.h"

/* workers at once; beyond, RESOURCE_EXHAUSTED (the kubelet retries) */
#define MAX_INFLIGHT 512
#define WORKER_STACK (1u << 20)

struct cri_call *call_new(struct cri_server *s, struct conn *c, int32_t stream_id)
{
    struct cri_call *call = cx_calloc(1, sizeof *call);
    atomic_init(&call->refs, 1);
    atomic_init(&call->cancelled, false);
    call->srv = s;
    call->conn = c;
    call->stream_id = stream_id;
    grpc_deframer_init(&call->df);
    call->next = s->calls;
    if (s->calls)
        s->calls->prev = call;
    s->calls = call;
    return call;
}

void call_unref(struct cri_call *call)
{
    if (atomic_fetch_sub(&call->refs, 1) != 1)
        return;
    grpc_deframer_free(&call->df);
    free(call->out.data);
    free(call->message);
    free(call);
}

void call_detach(struct cri_call *call)
{
    if (call->conn == NULL)
        return;
    struct cri_server *s = call->srv;
    call->conn = NULL;
    atomic_store(&call->cancelled, true);
    if (call->prev)
        call->prev->next = call->next;
    else
        s->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
    call_unref(call);
}

void call_post(struct cri_call *call)
{
    struct cri_server *s = call->srv;
    pthread_mutex_lock(&s->mu);
    if (!call->queued) {
        call->queued = true;
        atomic_fetch_add(&call->refs, 1);
        call->next_done = s->done;
        s->done = call;
    }
    pthread_mutex_unlock(&s->mu);
    loop_wakeup(s->wake_fd);
}

/* The result, once: a deadline answered first wins over a late worker. */
static void call_finish(struct cri_call *call, enum grpc_code code, const char *msg)
{
    pthread_mutex_lock(&call->srv->mu);
    if (!call->finished) {
        call->finished = true;
        call->code = code;
        call->message = msg ? cx_strdup(msg) : NULL;
        if (code != GRPC_OK)
            call->out.len = call->out.off = 0;   /* no reply with a failure */
    }
    pthread_mutex_unlock(&call->srv->mu);
}

void call_fail_now(struct cri_call *call, enum grpc_code code, const char *msg)
{
    call_finish(call, code, msg);
    if (call->conn)
        conn_call_ready(call->conn, call);
}

int call_deadlines(struct cri_server *s)
{
    int64_t now = loop_now_ms(), next = -1;
    for (struct cri_call *call = s->calls, *after; call; call = after) {
        after = call->next;
        if (call->deadline == 0)
            continue;
        if (call->deadline > now) {
            int64_t left = call->deadline - now;
            next = next < 0 || left < next ? left : next;
            continue;
        }
        call->deadline = 0;
        atomic_store(&call->cancelled, true);
        call_fail_now(call, GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
    }
    return next < 0 ? -1 : next > 60000 ? 60000 : (int) next;
}

/* Requests unpack into the call's arena: nothing to free one by one. */
static void *arena_pb_alloc(void *data, size_t size)
{
    return arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *p)
{
    (void) data;
    (void) p;
}

/* Pack msg behind its 5-byte prefix into the call's output (mu held). */
static int put_message(struct cri_call *call, const ProtobufCMessage *msg, cx_error *err)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (len > GRPC_MAX_MESSAGE)
        return cx_fail(err, E2BIG, "the reply of %zu bytes is larger than the limit of %u "
                       "(use the Stream variant, or filter)", len, GRPC_MAX_MESSAGE);
    struct outbuf *o = &call->out;
    if (o->cap - o->len < len + 5) {
        o->cap = o->len + len + 5;
        o->data = cx_realloc(o->data, o->cap);
    }
    grpc_frame_head(o->data + o->len, len);
    protobuf_c_message_pack(msg, o->data + o->len + 5);
    o->len += len + 5;
    return 0;
}

static int run_handler(struct cri_ctx *ctx, const ProtobufCMessage *in, cx_error *err)
{
    struct cri_call *call = ctx->call;
    if (call->method->stream)
        return call->method->stream(ctx, in, err);
    ProtobufCMessage *out = NULL;
    if (call->method->unary(ctx, in, &out, err) < 0)
        return -1;
    pthread_mutex_lock(&call->srv->mu);
    int rc = put_message(call, out, err);
    pthread_mutex_unlock(&call->srv->mu);
    return rc;
}

/* the monotonic clock in microseconds: a call's time in the debug log */
static int64_t call_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t reply_bytes(struct cri_call *call)
{
    pthread_mutex_lock(&call->srv->mu);
    size_t n = call->out.len;
    pthread_mutex_unlock(&call->srv->mu);
    return n;
}

static void *worker(void *arg)
{
    struct cri_call *call = arg;
    struct cri_server *s = call->srv;
    struct cri_ctx ctx = { .srv = s, .call = call, .app = s->opts->app, .code = -1 };
    ProtobufCAllocator alloc = { arena_pb_alloc, arena_pb_free, &ctx.arena };
    cx_error err = { 0 };
    int64_t t0 = call_clock_us();
    ProtobufCMessage *in = protobuf_c_message_unpack(call->desc->input, &alloc,
                                                     call->df.len, call->df.msg);
    int rc = in ? run_handler(&ctx, in, &err)
                : cri_fail(&ctx, &err, GRPC_INVALID_ARGUMENT, "malformed %s message",
                           call->desc->input->name);
    if (ctx.engine)
        pool_put(s, ctx.engine);
    if (rc < 0) {
        char msg[CX_ERROR_MAX + 64];
        cx_error_format(&err, msg, sizeof msg);
        enum grpc_code code = (int) ctx.code >= 0 ? ctx.code : grpc_code_of(&err);
        cx_log(CX_LOG_DEBUG, "%s: %s in %.3f ms: %s", call->path, grpc_code_name(code),
               (call_clock_us() - t0) / 1000.0, msg);
        call_finish(call, code, msg);
    } else {
        if (cx_log_debug_on())
            cx_debug("%s: OK in %.3f ms, %zu bytes", call->path,
                     (call_clock_us() - t0) / 1000.0, reply_bytes(call));
        call_finish(call, GRPC_OK, NULL);
    }
    arena_free(&ctx.arena);
    call_post(call);
    atomic_fetch_sub(&s->inflight, 1);
    call_unref(call);
    return NULL;
}

static const struct cri_method *find_method(struct cri_server *s, const char *path,
                                            const ProtobufCMethodDescriptor **desc)
{
    static const char prefix[] = "/runtime.v1.";
    *desc = NULL;
    if (strncmp(path, prefix, sizeof prefix - 1) != 0)
        return NULL;
    char svc[64];
    const char *name = strchr(path + sizeof prefix - 1, '/');
    size_t svclen = name ? (size_t) (name - path) - (sizeof prefix - 1) : 0;
    if (name == NULL || svclen >= sizeof svc)
        return NULL;
    memcpy(svc, path + sizeof prefix - 1, svclen);
    svc[svclen] = '\0';
    *desc = cri_method_descriptor(svc, name + 1);
    for (const struct cri_method *m = s->opts->methods; *desc && m->name; m++)
        if (strcmp(svc, m->service) == 0 && strcmp(name + 1, m->name) == 0)
            return m;
    return NULL;
}

void call_dispatch(struct cri_call *call)
{
    struct cri_server *s = call->srv;
    char msg[300];
    if (call->df.failed)
        return;            /* answered when the frame was refused */
    if (call->not_post || call->not_grpc)
        return call_fail_now(call, GRPC_INTERNAL, "not a gRPC request (POST, application/grpc)");
    if (call->bad_timeout)
        return call_fail_now(call, GRPC_INTERNAL, "malformed grpc-timeout");
    call->method = find_method(s, call->path, &call->desc);
    if (call->method == NULL) {
        snprintf(msg, sizeof msg, call->desc ? "%s is not implemented by capsad"
                                             : "unknown method %s", call->path);
        return call_fail_now(call, GRPC_UNIMPLEMENTED, msg);
    }
    if (call->df.nmsgs != 1)
        return call_fail_now(call, GRPC_INTERNAL, "a unary request needs exactly one message");
    if (atomic_fetch_add(&s->inflight, 1) >= MAX_INFLIGHT) {
        atomic_fetch_sub(&s->inflight, 1);
        return call_fail_now(call, GRPC_RESOURCE_EXHAUSTED, "too many requests at once");
    }
    call->started = true;
    call->worker_deadline = call->deadline;
    atomic_fetch_add(&call->refs, 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    pthread_t t;
    int rc = pthread_create(&t, &attr, worker, call);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_fetch_sub(&s->inflight, 1);
        call_unref(call);
        call->started = false;
        call_fail_now(call, GRPC_RESOURCE_EXHAUSTED, "no thread for the request");
    }
}

/* The handlers' side (server.h). */

int cri_fail(struct cri_ctx *ctx, cx_error *err, enum grpc_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_error_vset(err, 0, __FILE__, __LINE__, fmt, ap);
    va_end(ap);
    ctx->code = code;
    return -1;
}

bool cri_cancelled(const struct cri_ctx *ctx)
{
    return atomic_load(&ctx->call->cancelled);
}

int64_t cri_time_left(const struct cri_ctx *ctx)
{
    int64_t d = ctx->call->worker_deadline;
    if (d == 0)
        return INT64_MAX;
    int64_t left = d - loop_now_ms();
    return left > 0 ? left : 0;
}

const ProtobufCMessage *cri_unpack(struct cri_ctx *ctx, const ProtobufCMessageDescriptor *d,
                                   const uint8_t *data, size_t len)
{
    ProtobufCAllocator alloc = { arena_pb_alloc, arena_pb_free, &ctx->arena };
    return protobuf_c_message_unpack(d, &alloc, len, data);
}

int cri_send(struct cri_ctx *ctx, const ProtobufCMessage *msg, cx_error *err)
{
    struct cri_call *call = ctx->call;
    if (cri_cancelled(ctx))
        return cx_fail(err, ECANCELED, "the client went away");
    pthread_mutex_lock(&call->srv->mu);
    int rc = call->finished ? cx_fail(err, ECANCELED, "the stream is over")
                            : put_message(call, msg, err);
    pthread_mutex_unlock(&call->srv->mu);
    if (rc == 0)
        call_post(call);
    return rc;
}
