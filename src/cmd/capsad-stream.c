/* capsad-stream.c: one streaming session of capsad (exec, attach or
 * port-forward), handed over once its HTTP request was checked
 * (src/cri/stream/server.h): fd 3 is the client's connection, fd 4 the
 * session's JSON description (src/cri/stream/desc.h).  It answers
 * "101 Switching Protocols" and serves the SPDY session (rc.h, pf.h) to
 * its end.  capsad starts it in a session of its own and does not wait
 * for it, so restarting capsad cuts no exec or port-forward. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "cri/stream/desc.h"
#include "cri/stream/http1.h"
#include "cri/stream/pf.h"
#include "cri/stream/rc.h"

#define CONN_FD 3
#define DESC_FD 4

static int load(json_t **out, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int rc = cx_read_fd(DESC_FD, "the session's description", 1 << 20, &text, &len, err);
    close(DESC_FD);
    if (rc < 0)
        return -1;
    json_error_t je;
    *out = json_loadb(text, len, 0, &je);
    return *out ? 0 : cx_fail(err, EINVAL, "the session's description: %s", je.text);
}

static int run(cx_error *err)
{
    _cleanup_(json_decrefp) json_t *j = NULL;
    if (load(&j, err) < 0)
        return -1;
    struct stream_desc d;
    int rc = stream_desc_parse(j, &d, err);
    if (rc == 0) {
        fcntl(CONN_FD, F_SETFD, FD_CLOEXEC);
        struct cx_buf out = { 0 };
        http1_put_upgrade(&out, d.protocol);
        /* the socket's buffer is empty: this does not block */
        if (cx_write_all(CONN_FD, out.data, out.len) < 0)
            rc = cx_fail_errno(err, "%s: the upgrade answer", stream_kind_name(d.kind));
        cx_buf_free(&out);
    }
    if (rc == 0) {
        fcntl(CONN_FD, F_SETFL, fcntl(CONN_FD, F_GETFL) | O_NONBLOCK);
        rc = d.kind == STREAM_PORTFORWARD ? pf_serve(CONN_FD, &d, err)
                                          : rc_serve(CONN_FD, &d, err);
    }
    stream_desc_free(&d);
    close(CONN_FD);
    return rc;
}

int main(int argc, char **argv)
{
    (void) argc;
    (void) argv;   /* what it serves, for ps; the description says it all */
    cx_log_set_program("capsad-stream");
    signal(SIGPIPE, SIG_IGN);
    cx_error err = { 0 };
    int rc = run(&err);
    if (rc < 0)
        cx_log_error(&err);
    return rc < 0 ? 1 : 0;
}
