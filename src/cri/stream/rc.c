/* rc.c: see rc.h. */
#include "cri/stream/rc.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/util.h"
#include "cri/stream/rc_target.h"
#include "cri/stream/session.h"
#include "cri/stream/sink.h"

#define STREAMS_WAIT_MS 30000    /* the kubelet's stream creation time-out */
#define FIRST_SIZE_WAIT_MS 200   /* a terminal's first size, before the process runs */
#define EXIT_WAIT_MS 10000       /* the output's end after the exit (counted from the last
                                  * byte relayed), or the exit code after a kill */
#define END_MS 10000             /* the last frames written, the client's close */
#define SHIM_DGRAM 8192          /* the shim reads stdin in datagrams of this size */

struct rc {
    struct sess s;
    const struct stream_desc *d;
    int version;
    struct sess_stream *error, *in, *out, *errs, *resize;
    size_t expected, got;
    struct rc_target t;
    bool started;                /* the process runs (exec) or we are attached */
    struct sink in_sink;
    bool sock_eof;
    bool exited;
    int code;
    char rbuf[1024];             /* resize messages not yet complete */
    size_t rlen;
    unsigned width, height;
    int64_t last_activity;
};

int rc_version(const char *protocol)
{
    static const char *const names[] = { "v4.channel.k8s.io", "v3.channel.k8s.io",
                                         "v2.channel.k8s.io" };
    for (int i = 0; i < 3; i++)
        if (strcmp(protocol, names[i]) == 0)
            return 4 - i;
    return 1;
}

/* ---- the client's streams ------------------------------------------- */

static int on_stream(void *app, struct sess_stream *st, cx_error *err)
{
    (void) err;
    struct rc *r = app;
    const struct stream_desc *d = r->d;
    struct sess_stream **slot = NULL;
    if (strcmp(st->type, "error") == 0)
        slot = &r->error;
    else if (strcmp(st->type, "stdin") == 0 && d->in)
        slot = &r->in;
    else if (strcmp(st->type, "stdout") == 0 && d->out)
        slot = &r->out;
    else if (strcmp(st->type, "stderr") == 0 && d->err && !d->tty)
        slot = &r->errs;
    else if (strcmp(st->type, "resize") == 0 && d->tty && r->version >= 3)
        slot = &r->resize;
    if (slot == NULL || *slot != NULL) {
        cx_debug("stream %u of type \"%s\" is not one this session uses: ignored", st->id,
                 st->type);
        return 0;
    }
    *slot = st;
    r->got++;
    return 0;
}

static void apply_size(struct rc *r, json_t *j)
{
    json_int_t w = json_integer_value(json_object_get(j, "Width"));
    json_int_t h = json_integer_value(json_object_get(j, "Height"));
    if (w <= 0 || h <= 0 || w > 65535 || h > 65535)
        return;
    r->width = (unsigned) w;
    r->height = (unsigned) h;
    if (r->t.ctl_dir >= 0)
        rc_target_resize(&r->t, r->width, r->height);
}

/* The resize stream carries JSON objects one after the other (Go's
 * encoder ends each with a newline); a message may come in pieces. */
static void on_resize_data(struct rc *r, const uint8_t *p, size_t n)
{
    if (n > sizeof r->rbuf - r->rlen) {
        r->rlen = 0;   /* nothing that long is a size: start over */
        return;
    }
    memcpy(r->rbuf + r->rlen, p, n);
    r->rlen += n;
    for (;;) {
        size_t skip = 0;
        while (skip < r->rlen && r->rbuf[skip] && strchr(" \t\r\n", r->rbuf[skip]))
            skip++;
        memmove(r->rbuf, r->rbuf + skip, r->rlen - skip);
        r->rlen -= skip;
        if (r->rlen == 0)
            return;
        json_error_t je;
        json_t *j = json_loadb(r->rbuf, r->rlen, JSON_DISABLE_EOF_CHECK, &je);
        if (j == NULL) {
            if (json_error_code(&je) != json_error_premature_end_of_input)
                r->rlen = 0;   /* not JSON: dropped */
            return;
        }
        apply_size(r, j);
        json_decref(j);
        size_t used = (size_t) je.position;
        if (used == 0 || used > r->rlen)
            used = r->rlen;
        memmove(r->rbuf, r->rbuf + used, r->rlen - used);
        r->rlen -= used;
    }
}

static int on_data(void *app, struct sess_stream *st, const uint8_t *p, size_t n, bool fin,
                   cx_error *err)
{
    (void) err;
    struct rc *r = app;
    r->last_activity = loop_now_ms();
    if (st == r->in) {
        bool full = n > 0 && sink_write(&r->in_sink, p, n);
        if (fin)
            sink_shutdown(&r->in_sink);   /* the process's stdin closes, once written */
        return full ? 1 : 0;
    }
    if (st == r->resize && n > 0)
        on_resize_data(r, p, n);
    return 0;   /* the client has nothing to say on the others */
}

static void on_reset(void *app, struct sess_stream *st)
{
    struct rc *r = app;
    if (st == r->in)
        sink_shutdown(&r->in_sink);
}

static const struct sess_ops rc_ops = { on_stream, on_data, on_reset };

/* ---- the phases -------------------------------------------------------- */

/* Serve the session alone until pred holds, the client leaves or ms pass;
 * whether pred held. */
static bool serve_until(struct rc *r, bool (*pred)(const struct rc *), int ms)
{
    int64_t end = loop_now_ms() + ms;
    while (!pred(r)) {
        int64_t left = end - loop_now_ms();
        if (left <= 0 || r->s.closed || r->s.peer_eof)
            return false;
        short ev = sess_events(&r->s);
        struct pollfd p = { ev ? r->s.fd : -1, ev, 0 };
        if (poll(&p, 1, (int) left) < 0 && errno != EINTR)
            return false;
        sess_handle(&r->s, p.revents);
    }
    return true;
}

static bool all_streams(const struct rc *r) { return r->got >= r->expected; }
static bool have_size(const struct rc *r) { return r->width > 0; }

/* The process (exec) or the container (attach), its stdin joined to the
 * sink. */
static int start(struct rc *r, cx_error *err)
{
    const struct stream_desc *d = r->d;
    if (rc_target_open(&r->t, d, err) < 0)
        return -1;
    if (d->kind == STREAM_ATTACH) {
        if (rc_target_attach(&r->t, err) < 0)
            return -1;
    } else {
        if (rc_target_exec_prepare(&r->t, d, err) < 0)
            return -1;
        if (r->width > 0)
            rc_target_resize(&r->t, r->width, r->height);
        if (rc_target_exec_run(&r->t, err) < 0) {
            r->exited = true;   /* the shim reported the failure and goes */
            return -1;
        }
    }
    if (d->kind == STREAM_ATTACH && r->width > 0)
        rc_target_resize(&r->t, r->width, r->height);
    r->started = true;
    r->in_sink.fd = r->t.sock;
    if (sink_flush(&r->in_sink))
        sess_resume(&r->s);
    return 0;
}

/* Datagrams from the shim to stdout or stderr, while the client's queue
 * has room. */
static void from_target(struct rc *r)
{
    char buf[SHIM_DGRAM + 1];
    for (int i = 0; i < 16 && !r->sock_eof && sess_writable(&r->s); i++) {
        ssize_t n = recv(r->t.sock, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            r->sock_eof = true;   /* the shim closed it: the process ended */
            return;
        }
        r->last_activity = loop_now_ms();
        struct sess_stream *to = buf[0] == 3 ? (r->errs ? r->errs : r->d->tty ? r->out : NULL)
                                             : r->out;
        if (n > 1)
            sess_data(&r->s, to, buf + 1, (size_t) n - 1, false);
    }
}

static void read_exit(struct rc *r)
{
    cx_error err = { 0 };
    if (rc_target_exit_code(&r->t, 1000, &r->code, &err) < 0) {
        cx_log_error_as_warning(&err);
        r->code = -1;
    }
    r->exited = true;
}

static bool client_gone(struct rc *r)
{
    if (r->s.closed || r->s.peer_eof)
        return true;
    int64_t idle = (int64_t) r->d->idle_timeout * 1000;
    int64_t last = r->s.last_io > r->last_activity ? r->s.last_io : r->last_activity;
    if (idle > 0 && loop_now_ms() - last > idle) {
        cx_log(CX_LOG_INFO, "%s in %.12s: idle for %d s: closing", stream_kind_name(r->d->kind),
               r->d->container, r->d->idle_timeout);
        r->s.closed = true;
        return true;
    }
    return false;
}

/* Whether the relay is over; deadline: when to stop waiting for the
 * exit code (set once its wait starts). */
static bool relay_done(struct rc *r, int64_t *deadline)
{
    bool exec = r->d->kind == STREAM_EXEC;
    bool gone = client_gone(r);
    if (!exec)
        return gone || r->sock_eof;
    if (r->exited && (r->sock_eof || gone))
        return true;
    if (*deadline < 0 && (r->exited || gone)) {
        if (gone && r->t.pid > 0)
            kill(r->t.pid, SIGKILL);   /* nobody left to read it */
        *deadline = loop_now_ms() + EXIT_WAIT_MS;
    }
    /* the process is gone but its last output still moves to a slow
       client: the wait counts from the last byte, so none is cut off */
    if (*deadline >= 0 && !gone && r->last_activity + EXIT_WAIT_MS > *deadline)
        *deadline = r->last_activity + EXIT_WAIT_MS;
    return *deadline >= 0 && loop_now_ms() > *deadline;
}

static void relay(struct rc *r)
{
    int64_t deadline = -1;
    while (!relay_done(r, &deadline)) {
        int sync = r->exited ? -1 : rc_target_sync_fd(&r->t);
        bool want_out = !r->sock_eof && sess_writable(&r->s);
        short sev = sess_events(&r->s);
        short tev = (short) ((want_out ? POLLIN : 0) | sink_events(&r->in_sink));
        /* an fd with nothing wanted is left out: its hang-up would wake
         * us again and again while the client's queue is full */
        struct pollfd p[3] = {
            { sev ? r->s.fd : -1, sev, 0 },
            { tev ? r->t.sock : -1, tev, 0 },
            { sync, POLLIN, 0 },
        };
        if (poll(p, 3, 1000) < 0 && errno != EINTR)
            break;
        sess_handle(&r->s, p[0].revents);
        if (p[1].revents & (POLLOUT | POLLERR) && sink_flush(&r->in_sink))
            sess_resume(&r->s);
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
            from_target(r);
        if (p[2].revents)
            read_exit(r);
    }
}

/* ---- the end ----------------------------------------------------------- */

static json_t *cmd_text(char *const *cmd)
{
    char *s = cx_strdup("[");
    for (size_t i = 0; cmd && cmd[i]; i++) {
        char *t = cx_asprintf("%s%s%s", s, i ? " " : "", cmd[i]);
        free(s);
        s = t;
    }
    json_t *j = json_sprintf("%s]", s);
    free(s);
    return j;
}

char *rc_status_json(int code, char *const *cmd, const char *internal)
{
    json_t *st;
    if (internal) {
        st = json_pack("{s:{}, s:s, s:s+, s:s, s:{s:[{s:s}]}, s:i}", "metadata", "status",
                       "Failure", "message", "Internal error occurred: ", internal, "reason",
                       "InternalError", "details", "causes", "message", internal, "code", 500);
    } else if (code == 0) {
        st = json_pack("{s:{}, s:s}", "metadata", "status", "Success");
    } else {
        json_t *what = cmd_text(cmd);
        char num[16];
        snprintf(num, sizeof num, "%d", code);
        st = json_pack("{s:{}, s:s, s:s+++, s:s, s:{s:[{s:s, s:s}]}}", "metadata", "status",
                       "Failure", "message", "command terminated with non-zero exit code: "
                       "error executing command ", json_string_value(what), ", exit code ",
                       num, "reason", "NonZeroExitCode", "details", "causes", "reason",
                       "ExitCode", "message", num);
        json_decref(what);
    }
    char *text = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    return text;
}

/* The status, then every stream finished and GOAWAY. */
static void finish(struct rc *r, const char *internal)
{
    int code = r->d->kind == STREAM_EXEC && r->exited ? r->code : 0;
    if (!internal && code < 0)
        internal = "the exec session's shim exited without an exit code";
    if (r->error && (r->version >= 4 || internal || code != 0)) {
        _cleanup_free_ char *text = rc_status_json(code, r->d->cmd, internal);
        if (r->version < 4) {
            /* older clients read the message alone */
            json_t *j = json_loads(text, 0, NULL);
            free(text);
            text = cx_strdup(json_string_value(json_object_get(j, "message")));
            json_decref(j);
        }
        sess_data(&r->s, r->error, text, strlen(text), false);
    }
    struct sess_stream *all[] = { r->out, r->errs, r->in, r->resize, r->error };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sess_fin(&r->s, all[i]);
    sess_end(&r->s, END_MS);
}

int rc_serve(int fd, const struct stream_desc *d, cx_error *err)
{
    struct rc *r = cx_calloc(1, sizeof *r);
    r->d = d;
    r->version = rc_version(d->protocol);
    r->expected = 1 + d->in + d->out + (d->err && !d->tty) + (d->tty && r->version >= 3);
    r->t.sock = r->t.ctl_dir = -1;
    r->last_activity = loop_now_ms();
    sink_init(&r->in_sink, -1, SHIM_DGRAM);
    int rc = sess_init(&r->s, fd, &rc_ops, r, err);
    if (rc == 0) {
        sess_feed_initial(&r->s, d->rest, d->rest_len);
        if (!serve_until(r, all_streams, STREAMS_WAIT_MS))
            rc = cx_fail(err, ETIMEDOUT, "%s in %.12s: the client created %zu of its %zu "
                         "streams", stream_kind_name(d->kind), d->container, r->got,
                         r->expected);
    }
    if (rc == 0) {
        if (r->resize && d->kind == STREAM_EXEC)
            serve_until(r, have_size, FIRST_SIZE_WAIT_MS);
        cx_error why = { 0 };
        if (start(r, &why) < 0) {
            char text[CX_ERROR_MAX + 64];
            cx_error_format(&why, text, sizeof text);
            _cleanup_free_ char *msg = cx_asprintf("error %s container: %s",
                                                   d->kind == STREAM_EXEC ?
                                                   "executing command in" : "attaching to",
                                                   text);
            cx_log(CX_LOG_WARN, "%s", msg);
            finish(r, msg);
        } else {
            relay(r);
            finish(r, NULL);
        }
    } else {
        sess_end(&r->s, 1000);
    }
    rc_target_close(&r->t, r->exited);
    sink_free(&r->in_sink);
    sess_free(&r->s);
    free(r);
    return rc;
}
