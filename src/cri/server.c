/* server.c: the listening socket, the I/O thread's loop (connections, the
 * completions workers post, signals, deadlines) and the engine pool.  See
 * server.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/unixsock.h"
#include "common/util.h"
#include "cri/server_internal.h"
#include "engine/engine.h"
#include "store/db.h"

/* idle engine handles kept for the next requests */
#define POOL_KEEP 8

static void on_listen(struct loop_src *src, uint32_t events)
{
    (void) events;
    struct cri_server *s = src->data;
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                cx_log(CX_LOG_WARN, "accept on %s: %s", s->opts->socket_path, strerror(errno));
            return;
        }
        conn_accept(s, fd);
    }
}

/* Workers posted: hand each call's news to its connection. */
static void on_wake(struct loop_src *src, uint32_t events)
{
    (void) events;
    struct cri_server *s = src->data;
    loop_wakeup_drain(s->wake_fd);
    pthread_mutex_lock(&s->mu);
    struct cri_call *list = s->done;
    s->done = NULL;
    for (struct cri_call *c = list; c; c = c->next_done)
        c->queued = false;
    pthread_mutex_unlock(&s->mu);
    for (struct cri_call *c = list, *next; c; c = next) {
        next = c->next_done;
        if (c->conn)
            conn_call_ready(c->conn, c);
        call_unref(c);
    }
}

static void on_signal(struct loop_src *src, uint32_t events)
{
    (void) events;
    struct cri_server *s = src->data;
    struct signalfd_siginfo si;
    if (read(s->sig_fd, &si, sizeof si) == (ssize_t) sizeof si) {
        cx_log(CX_LOG_INFO, "signal %u: stopping (containers keep running)", si.ssi_signo);
        s->loop.stop = true;
    }
}

static int add_src(struct cri_server *s, struct loop_src *src, int fd, loop_fn fn,
                   cx_error *err)
{
    loop_src_init(src, fd, fn, s);
    return loop_add(&s->loop, src, EPOLLIN, err);
}

int cri_server_new(struct cri_server **out, const struct cri_server_opts *o, cx_error *err)
{
    struct cri_server *s = cx_calloc(1, sizeof *s);
    s->opts = o;
    s->listen_fd = s->wake_fd = s->sig_fd = -1;
    s->loop.epfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    /* the signals go to the signalfd only: every thread made after this
     * inherits the mask */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (loop_init(&s->loop, err) < 0)
        return -1;
    s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->sig_fd < 0)
        return cx_fail_errno(err, "signalfd");
    if ((s->wake_fd = loop_wakeup_fd(err)) < 0)
        return -1;
    s->listen_fd = o->listen_fd >= 0 ? o->listen_fd
                                     : cx_unix_listen(o->socket_path, 0660, "capsad", err);
    if (s->listen_fd < 0)
        return -1;
    if (o->listen_fd >= 0) {
        int fl = fcntl(s->listen_fd, F_GETFL);
        fcntl(s->listen_fd, F_SETFL, fl | O_NONBLOCK);
    }
    if (add_src(s, &s->listen_src, s->listen_fd, on_listen, err) < 0 ||
        add_src(s, &s->wake_src, s->wake_fd, on_wake, err) < 0 ||
        add_src(s, &s->sig_src, s->sig_fd, on_signal, err) < 0)
        return -1;
    return 0;
}

struct loop *cri_server_loop(struct cri_server *s) { return &s->loop; }

int cri_server_run(struct cri_server *s, cx_error *err)
{
    while (!s->loop.stop) {
        int timeout = call_deadlines(s);
        if (loop_once(&s->loop, timeout) < 0)
            return cx_fail_errno(err, "epoll_wait");
    }
    return 0;
}

void cri_server_free(struct cri_server *s)
{
    if (s == NULL)
        return;
    /* live calls keep their memory until their workers end; the process
     * is about to exit */
    conn_close_all(s);
    if (s->listen_fd >= 0 && s->opts->listen_fd < 0)
        unlink(s->opts->socket_path);
    cx_close(s->listen_fd);
    cx_close(s->wake_fd);
    cx_close(s->sig_fd);
    if (s->loop.epfd >= 0)
        loop_close(&s->loop);
    for (size_t i = 0; i < s->nidle; i++) {
        cx_engine_close(s->idle[i]);
        free(s->idle[i]);
    }
    free(s->idle);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int cri_engine_open(struct cx_engine *e, const char *root, const char *runroot, bool systemd,
                    cx_error *err)
{
    if (cx_engine_open(e, root, runroot, err) < 0)
        return -1;
    e->systemd_cgroup = systemd;
    /* a shim's exit command is capsactl's `container cleanup`, never
     * capsad: containers outlive capsad */
    free(e->self);
    e->self = cx_find_helper("CAPSAD_CAPSACTL", "capsactl");
    return 0;
}

struct cx_engine *cri_engine(struct cri_ctx *ctx, cx_error *err)
{
    if (ctx->engine)
        return ctx->engine;
    struct cri_server *s = ctx->srv;
    pthread_mutex_lock(&s->mu);
    struct cx_engine *e = s->nidle ? s->idle[--s->nidle] : NULL;
    pthread_mutex_unlock(&s->mu);
    if (e == NULL) {
        e = cx_calloc(1, sizeof *e);
        if (cri_engine_open(e, s->opts->root, s->opts->runroot, s->opts->systemd_cgroup, err) < 0) {
            free(e);
            return NULL;
        }
    }
    return ctx->engine = e;
}

void pool_put(struct cri_server *s, struct cx_engine *e)
{
    /* a handler that left a transaction open would freeze what the next
     * borrower sees (SQLite keeps its snapshot): end it, and say so */
    sqlite3_stmt *next;
    for (sqlite3_stmt *st = sqlite3_next_stmt(e->store.db.h, NULL); st; st = next) {
        next = sqlite3_next_stmt(e->store.db.h, st);
        bool kept = cx_db_is_kept(&e->store.db, st);   /* the lists' statements stay */
        if (kept && !sqlite3_stmt_busy(st))
            continue;
        cx_log(CX_LOG_WARN, "a statement was left open: %s", sqlite3_sql(st));
        if (kept)
            sqlite3_reset(st);
        else
            sqlite3_finalize(st);
    }
    if (!sqlite3_get_autocommit(e->store.db.h)) {
        cx_log(CX_LOG_WARN, "a transaction was left open: rolled back");
        cx_db_rollback(&e->store.db);
    }
    pthread_mutex_lock(&s->mu);
    if (s->nidle < POOL_KEEP) {
        s->idle = cx_realloc(s->idle, (s->nidle + 1) * sizeof *s->idle);
        s->idle[s->nidle++] = e;
        e = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (e) {
        cx_engine_close(e);
        free(e);
    }
}
