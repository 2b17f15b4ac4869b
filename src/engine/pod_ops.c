/* pod_ops.c: what `pod start/stop/restart/kill/pause/unpause/rm` do to a
 * pod's containers (pods.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "engine/pods.h"

static bool live(const struct cx_ctr *c)
{
    return c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED ||
           c->state == CX_CTR_CREATED;
}

static int act_one(struct cx_engine *e, struct cx_ctr *c, enum cx_pod_action a, int arg,
                   int64_t deadline, cx_error *err)
{
    int code;
    cx_ctr_sync(e, c);
    switch (a) {
    case CX_POD_START:
        return c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED
               ? 0 : cx_ctr_start(e, c, NULL, NULL, &code, err);
    case CX_POD_STOP:
    case CX_POD_RESTART: {
        /* every one was signalled at the same time: what is left of the
           time-out since then */
        int64_t left = deadline - cx_now_ns();
        return live(c) ? cx_ctr_stop(e, c, left > 0 ? (int) ((left + 999999999) / 1000000000)
                                                    : 0, err)
                       : 0;
    }
    case CX_POD_KILL:
        return c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED
               ? cx_ctr_kill(e, c, arg, err) : 0;
    case CX_POD_PAUSE:
        return c->state == CX_CTR_RUNNING ? cx_ctr_pause(e, c, true, err) : 0;
    case CX_POD_UNPAUSE:
        return c->state == CX_CTR_PAUSED ? cx_ctr_pause(e, c, false, err) : 0;
    }
    return 0;
}

/* stop: the members' stop signals all sent first, then each waited for
 * within the one time-out */
static void signal_all(struct cx_engine *e, char **ids)
{
    for (size_t i = 0; ids[i]; i++) {
        struct cx_ctr c;
        bool found = false;
        if (cx_ctr_lookup(&e->store.db, ids[i], &c, &found, &(cx_error){ 0 }) < 0 || !found)
            continue;
        cx_ctr_sync(e, &c);
        if (c.state == CX_CTR_RUNNING)
            cx_ctr_kill(e, &c, SIGTERM, &(cx_error){ 0 });
        cx_ctr_free(&c);
    }
}

static int act_all(struct cx_engine *e, const struct cx_pod *p, enum cx_pod_action a,
                   int arg, cx_error *err)
{
    bool stopping = a == CX_POD_STOP || a == CX_POD_RESTART;
    _cleanup_strv_ char **ids = cx_pod_order(p, a == CX_POD_START || a == CX_POD_UNPAUSE);
    int timeout = arg >= 0 ? arg : 10;
    int64_t deadline = cx_now_ns() + (int64_t) timeout * 1000000000;
    if (stopping && ids)
        signal_all(e, ids);
    int rc = 0;
    for (size_t i = 0; ids && ids[i]; i++) {
        struct cx_ctr c;
        bool found = false;
        cx_error one = { 0 };
        int r = cx_ctr_lookup(&e->store.db, ids[i], &c, &found, &one);
        if (r == 0 && found) {
            r = act_one(e, &c, stopping ? CX_POD_STOP : a, arg, deadline, &one);
            cx_ctr_free(&c);
        }
        if (r < 0 && rc == 0)
            *err = one, rc = -1;
        else if (r < 0)
            cx_log_error(&one);
    }
    return rc < 0 ? cx_error_prefix(err, "pod %s", p->name) : 0;
}

int cx_pod_act(struct cx_engine *e, const struct cx_pod *p, enum cx_pod_action a, int arg,
               cx_error *err)
{
    if (act_all(e, p, a, arg, err) < 0)
        return -1;
    return a == CX_POD_RESTART ? act_all(e, p, CX_POD_START, arg, err) : 0;
}

const char *cx_pod_status(struct cx_engine *e, const struct cx_pod *p)
{
    size_t running = 0, paused = 0, exited = 0, n = 0;
    _cleanup_strv_ char **ids = cx_pod_order(p, true);
    for (size_t i = 0; ids && ids[i]; i++) {
        struct cx_ctr c;
        bool found = false;
        if (cx_ctr_lookup(&e->store.db, ids[i], &c, &found, &(cx_error){ 0 }) < 0 || !found)
            continue;
        cx_ctr_sync(e, &c);
        n++;
        running += c.state == CX_CTR_RUNNING;
        paused += c.state == CX_CTR_PAUSED;
        exited += c.state == CX_CTR_EXITED;
        cx_ctr_free(&c);
    }
    if (n == 0 || running + paused + exited == 0)
        return "Created";
    if (running == n)
        return "Running";
    if (paused == n)
        return "Paused";
    if (running + paused > 0)
        return "Degraded";
    return exited ? "Exited" : "Stopped";
}

int cx_pod_infra_check(struct cx_engine *e, const char *id, cx_error *err)
{
    _cleanup_strv_ char **names = NULL;
    size_t n;
    if (cx_db_texts(&e->store.db, "SELECT name FROM pods WHERE infra_id = ?", id, &names, &n,
                    err) < 0)
        return -1;
    if (n)
        return cx_fail(err, EBUSY, "container %.12s is the infra container of pod %s: "
                       "remove the pod (capsactl pod rm %s)", id, names[0], names[0]);
    return 0;
}

int cx_pod_remove(struct cx_engine *e, const char *what, bool force, cx_error *err)
{
    struct cx_pod p;
    if (cx_pod_get(e, what, &p, err) < 0)
        return -1;
    _cleanup_strv_ char **ids = cx_pod_order(&p, false);
    int rc = 0;
    for (size_t i = 0; rc == 0 && !force && ids && ids[i]; i++) {
        struct cx_ctr c;
        bool found = false;
        if (cx_ctr_lookup(&e->store.db, ids[i], &c, &found, err) < 0)
            rc = -1;
        else if (found) {
            cx_ctr_sync(e, &c);
            if (live(&c) && strcmp(c.id, p.infra_id) != 0)
                rc = cx_fail(err, EBUSY, "pod %s has running containers (%s): stop the pod "
                             "first, or remove it with -f", p.name, c.name);
            cx_ctr_free(&c);
        }
    }
    for (size_t i = 0; rc == 0 && ids && ids[i]; i++) {
        bool found = false;
        if (cx_db_exists(&e->store.db, "SELECT 1 FROM containers WHERE id = ?", ids[i],
                         &found, err) < 0)
            rc = -1;
        else if (found && cx_ctr_remove(e, ids[i], true, true, err) < 0)
            rc = -1;
    }
    /* an infra container recorded by a pod create killed before it
     * noted it in the pod: found by its name */
    if (rc == 0 && !p.infra_id[0]) {
        _cleanup_free_ char *infra = cx_asprintf("%.12s-infra", p.id);
        struct cx_ctr c;
        bool found = false;
        if (cx_ctr_lookup(&e->store.db, infra, &c, &found, err) < 0)
            rc = -1;
        else if (found) {
            rc = cx_ctr_remove(e, c.id, true, true, err);
            cx_ctr_free(&c);
        }
    }
    if (rc == 0)
        rc = cx_db_run(&e->store.db, "DELETE FROM pods WHERE id = ?", p.id, NULL, err);
    cx_pod_free(&p);
    return rc < 0 ? cx_error_prefix(err, "pod rm %s", what) : 0;
}

int cx_pods_prune(struct cx_engine *e, void (*removed)(const char *id), cx_error *err)
{
    struct cx_pod *v;
    size_t n;
    if (cx_pod_list(e, &v, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *st = cx_pod_status(e, &v[i]);
        if (strcmp(st, "Exited") != 0 && strcmp(st, "Stopped") != 0 &&
            strcmp(st, "Created") != 0)
            continue;
        cx_error one = { 0 };
        if (cx_pod_remove(e, v[i].id, false, &one) == 0) {
            if (removed)
                removed(v[i].id);
        } else if (rc == 0)
            *err = one, rc = -1;
        else
            cx_log_error(&one);
    }
    cx_pods_free(v, n);
    return rc;
}
