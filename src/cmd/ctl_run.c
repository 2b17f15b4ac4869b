/* ctl_run.c: `capsactl run`, `create` and `start`: the image resolved (and
 * pulled as --pull says), the container recorded and its bundle made, then
 * capsa-shim started; in the foreground, its attach socket relayed until
 * the container exits, whose code is ours. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/attach.h"
#include "engine/lifecycle.h"
#include "engine/watch.h"

int ctl_engine_open(const struct ctl_global *g, struct cx_engine *e, cx_error *err)
{
    if (cx_engine_open(e, g->root, g->runroot, err) < 0)
        return -1;
    e->default_runtime = g->runtime;
    return 0;
}

/* The image as --pull says: found in the store, else pulled. */
static int resolve_image(const struct ctl_global *g, struct cx_engine *e,
                         const struct cx_run_opts *o, struct cx_image_rec *img, cx_error *err)
{
    if (o->pull != CX_PULL_ALWAYS) {
        if (ctl_image_find(g, &e->store, o->image, img, err) == 0)
            return 0;
        if (o->pull == CX_PULL_NEVER)
            return -1;
        cx_error_clear(err);
    }
    struct ctl_pull_args pa = { .quiet = true };
    char id[65];
    if (ctl_pull_image(g, &e->store, o->image, &pa, id, err) < 0)
        return -1;
    bool found;
    if (cx_image_lookup(&e->store, id, img, &found, err) < 0)
        return -1;
    return found ? 0 : cx_fail(err, ENOENT, "image %s: gone right after its pull", o->image);
}

struct fg {
    struct cx_engine *e;
    bool tty;
    int sock;
};

/* before start: connect to the attach socket, give the terminal's size */
static int fg_connect(void *arg, const struct cx_ctr *c, cx_error *err)
{
    struct fg *f = arg;
    if ((f->sock = cx_attach_connect(f->e, c->id, err)) < 0)
        return -1;
    if (f->tty)
        cx_attach_resize(f->e, c->id);
    return 0;
}

/* An --rm container's code, left in <runroot>/exits/<id> for us. */
static int removed_code(struct cx_engine *e, const char *id, cx_error *err)
{
    _cleanup_free_ char *p = cx_asprintf("%s/exits/%s", e->store.runroot, id);
    _cleanup_free_ char *text = NULL;
    size_t len;
    int code;
    if (cx_read_file_at(AT_FDCWD, p, 32, &text, &len, &(cx_error){ 0 }) < 0)
        return cx_fail(err, ENOENT, "container %.12s was removed before its exit code "
                       "was read", id);
    unlink(p);
    text[strcspn(text, "\n")] = '\0';
    return cx_parse_int(text, &code) == 0 && code >= 0 ? code : 125;
}

/* The exit code of a foreground container.  With --rm, not before it is
 * removed (by the shim's exit command, else by us after 10 s): a
 * `run --rm --name X` right after finds X free. */
static int exit_code_of(struct cx_engine *e, const char *id, bool rm, cx_error *err)
{
    const int64_t s = 1000000000;
    _cleanup_(cx_ctr_watch_close) struct cx_ctr_watch w;
    cx_ctr_watch_open(e, id, &w);
    int64_t start = cx_now_ns(), done_at = -1;
    for (;;) {
        int64_t now = cx_now_ns();
        struct cx_ctr c;
        bool found;
        if (cx_ctr_lookup(&e->store.db, id, &c, &found, err) < 0)
            return -1;
        if (!found) {
            /* and removed: the exit command (which the shim waits for) is
               over, so its mounts and directories are gone too */
            int code = removed_code(e, id, err);
            cx_ctr_watch_shim_gone(&w, 10000);
            return code;
        }
        cx_ctr_sync(e, &c);
        bool done = c.state == CX_CTR_EXITED;
        int code = c.has_exit ? c.exit_code : 125;
        cx_ctr_free(&c);
        if (done && !rm)
            return code;
        if (done && done_at < 0)
            done_at = now;
        if (done && now - done_at >= 10 * s) {
            cx_ctr_remove(e, id, true, true, &(cx_error){ 0 });
            return code;
        }
        if (now - start >= 30 * s)
            return cx_fail(err, ETIMEDOUT, "container %.12s: no exit code 30 s after its "
                           "output ended", id);
        cx_ctr_watch_wait(&w, 100);
    }
}

int ctl_run_attached(struct cx_engine *e, struct cx_ctr *c, const struct cx_run_opts *o,
                     cx_error *err)
{
    struct fg f = { .e = e, .tty = o->tty, .sock = -1 };
    int code;
    if (cx_ctr_start(e, c, fg_connect, &f, &code, err) < 0) {
        f.sock = cx_close(f.sock);
        return o->rm ? (cx_ctr_remove(e, c->id, true, true, &(cx_error){ 0 }), -code)
                     : -code;
    }
    _cleanup_close_ int sock = f.sock;
    struct cx_attach_opts ao = { .tty = o->tty, .stdin_open = o->interactive,
                                 .detach_keys = o->detach_keys, .ctr = c };
    bool detached = false;
    if (cx_attach_relay(e, sock, &ao, &detached, err) < 0)
        return -125;
    if (detached)
        return 0;
    code = exit_code_of(e, c->id, o->rm, err);
    return code < 0 ? -125 : code;
}

static int run_or_create(const struct ctl_global *g, int argc, char **argv, bool start,
                         cx_error *err)
{
    _cleanup_(cx_run_opts_free) struct cx_run_opts o;
    if (cx_run_opts_parse(argc, argv, &o, err) < 0)
        return -1;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    struct cx_image_rec img = { 0 };
    struct cx_image_config cfg = { 0 };
    struct cx_ctr c = { 0 };
    int rc = -1;
    bool have_cfg = resolve_image(g, &e, &o, &img, err) == 0 &&
                    cx_engine_image_config(&e, &img, &cfg, err) == 0;
    if (have_cfg && cx_ctr_create(&e, &img, &cfg, &o, &c, err) == 0) {
        if (!start) {
            printf("%s\n", c.id);
            rc = 0;
        } else if (o.detach) {
            int code;
            rc = cx_ctr_start(&e, &c, NULL, NULL, &code, err) < 0 ? -code : 0;
            if (rc == 0)
                printf("%s\n", c.id);
            else if (o.rm)
                cx_ctr_remove(&e, c.id, true, true, &(cx_error){ 0 });
        } else
            rc = ctl_run_attached(&e, &c, &o, err);
        cx_ctr_free(&c);
    }
    if (have_cfg)
        cx_image_config_free(&cfg);
    cx_image_rec_free(&img);
    cx_engine_close(&e);
    /* a start failure comes back as -code: 125, 126 or 127 */
    if (rc < -1) {
        cx_log_error(err);
        return -rc;
    }
    return rc;
}

int ctl_run(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    return run_or_create(g, argc, argv, true, err);
}

int ctl_create(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    return run_or_create(g, argc, argv, false, err);
}
