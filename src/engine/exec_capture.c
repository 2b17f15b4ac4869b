/* exec_capture.c: a process in a running container with its output
 * gathered in memory, bounded in size and time (capsad's ExecSync: the
 * kubelet's exec probes).  The session is capsactl exec's (exec.c): a
 * capsa-shim of its own; the output comes as the attach socket's
 * datagrams (first byte 2: stdout, 3: stderr), the exit code on the sync
 * pipe. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/loop.h"
#include "common/util.h"
#include "engine/attach.h"
#include "engine/exec_internal.h"
#include "engine/shim_client.h"

void cx_exec_output_free(struct cx_exec_output *o)
{
    free(o->out);
    free(o->err);
    memset(o, 0, sizeof *o);
}

static void append(char **buf, size_t *len, const char *data, size_t n, size_t max,
                   bool *truncated)
{
    size_t room = *len < max ? max - *len : 0;
    if (n > room) {
        *truncated = true;
        n = room;
    }
    *buf = cx_realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* One datagram into its stream; 0 at the end of the socket. */
static ssize_t take(int sock, size_t max, struct cx_exec_output *o)
{
    char buf[8192 + 1];
    ssize_t n = recv(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n > 1 && buf[0] == 3)
        append(&o->err, &o->err_len, buf + 1, (size_t) n - 1, max, &o->truncated);
    else if (n > 1)
        append(&o->out, &o->out_len, buf + 1, (size_t) n - 1, max, &o->truncated);
    return n;
}

/* Read output until the exit code comes; kill the process at the end. */
static int gather(int sock, int sync, int pid, int64_t end, size_t max,
                  struct cx_exec_output *o, int *code, cx_error *err)
{
    bool killed = false, sock_open = true;
    for (;;) {
        int64_t left = end < 0 ? 1000 : end - loop_now_ms();
        if (end >= 0 && left <= 0 && !killed) {
            kill(pid, SIGKILL);   /* its shim reports the exit, then we return */
            killed = true;
            end = loop_now_ms() + 10000;
            continue;
        }
        if (killed && left <= 0)
            return cx_fail(err, ETIMEDOUT, "exec: the process did not end after SIGKILL");
        struct pollfd p[2] = { { sync, POLLIN, 0 }, { sock_open ? sock : -1, POLLIN, 0 } };
        if (poll(p, 2, left > 1000 ? 1000 : (int) left) < 0 && errno != EINTR)
            return cx_fail_errno(err, "exec: poll");
        if (p[1].revents && (p[1].revents & POLLIN ? take(sock, max, o) : 0) <= 0)
            sock_open = false;
        if (p[0].revents) {
            int value;
            if (cx_shim_sync_read(sync, 1000, "exec", &value, err) < 0)
                return -1;
            while (sock_open && take(sock, max, o) > 1)
                ;   /* what the process wrote before it ended */
            *code = value;
            return killed ? cx_fail(err, ETIMEDOUT, "exec: timed out (the process was "
                                    "killed)") : 0;
        }
    }
}

int cx_ctr_exec_capture(struct cx_engine *e, const struct cx_ctr *c,
                        const struct cx_exec_req *r, int64_t timeout_ms, size_t max,
                        struct cx_exec_output *out, int *code, cx_error *err)
{
    *code = 125;
    memset(out, 0, sizeof *out);
    struct cx_exec_req req = *r;
    req.tty = req.interactive = req.detach = false;
    struct cx_exec_session s = { .dirfd = -1 };
    int ours[3] = { -1, -1, -1 }, value, pid;
    int64_t end = timeout_ms < 0 ? -1 : loop_now_ms() + timeout_ms;
    int rc = cx_exec_spawn(e, c, &req, &s, ours, err);
    _cleanup_close_ int sock = -1;
    if (rc == 0)
        rc = cx_shim_sync_read(ours[2], 60000, "exec", &value, err);
    if (rc == 0 && (sock = cx_attach_connect_dir(s.dirfd, c->id, err)) < 0)
        rc = -1;
    if (rc == 0 && write(ours[1], "1", 1) != 1)
        rc = cx_fail_errno(err, "exec: start pipe");
    if (rc == 0 && cx_shim_sync_read(ours[0], 300000, "exec", &pid, err) < 0) {
        *code = cx_exec_code_of(err);
        rc = -1;
    }
    if (rc == 0)
        rc = gather(sock, ours[0], pid, end, max, out, code, err);
    if (!out->out)
        out->out = cx_strdup("");
    if (!out->err)
        out->err = cx_strdup("");
    cx_exec_close3(ours);
    cx_exec_session_close(e, c, &s, true);
    return rc;
}
