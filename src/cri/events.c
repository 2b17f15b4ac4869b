/* events.c: GetContainerEvents, the stream the kubelet's evented PLEG
 * reads.  Each subscriber's worker compares the containers' states every
 * quarter second with what it saw last and sends the differences:
 * created, started, stopped (an exit, whoever caused it: the kubelet,
 * capsactl, the process itself, the OOM killer) and deleted.  No handler
 * has to remember to publish, and a change made by capsactl is seen too. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "cri/handlers.h"
#include "cri/records.h"
#include "engine/lifecycle.h"

struct seen {
    char id[65];
    int state;        /* ContainerState; -1: not seen this round */
    bool mark;
};

struct table {
    struct seen *v;
    size_t n;
};

static struct seen *find(struct table *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].id, id) == 0)
            return &t->v[i];
    return NULL;
}

static int send_event(struct cri_ctx *ctx, const char *id, Runtime__V1__ContainerEventType type,
                      cx_error *err)
{
    Runtime__V1__ContainerEventResponse ev = RUNTIME__V1__CONTAINER_EVENT_RESPONSE__INIT;
    ev.container_id = (char *) id;
    ev.container_event_type = type;
    ev.created_at = cx_now_ns();
    return cri_send(ctx, &ev.base, err);
}

/* The events from the old table to the current states. */
static int diff(struct cri_ctx *ctx, struct cx_engine *e, struct table *t, bool quiet,
                cx_error *err)
{
    static const Runtime__V1__ContainerEventType by_state[] = {
        RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT,
        RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STARTED_EVENT,
        RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT,
    };
    struct cri_container *v;
    size_t n;
    if (cri_container_list(&e->store.db, NULL, &v, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        t->v[i].mark = false;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strcmp(v[i].state, "creating") == 0 || !v[i].ctr_exists)
            continue;
        struct cri_ctr_view vw;
        cri_ctr_view(e, &v[i], &vw);
        if (vw.have)
            cx_ctr_free(&vw.c);
        struct seen *s = find(t, v[i].id);
        if (s == NULL) {
            t->v = cx_realloc(t->v, (t->n + 1) * sizeof *t->v);
            s = &t->v[t->n++];
            memcpy(s->id, v[i].id, sizeof s->id);
            s->state = -1;
        }
        s->mark = true;
        /* every step from what was seen to now: created, started, stopped */
        for (int st = s->state + 1; st <= (int) vw.state && st <= 2 && rc == 0; st++)
            if (!quiet)
                rc = send_event(ctx, v[i].id, by_state[st], err);
        if ((int) vw.state <= 2)
            s->state = (int) vw.state;
    }
    cri_containers_free(v, n);
    for (size_t i = 0; i < t->n && rc == 0;) {
        if (t->v[i].mark) {
            i++;
            continue;
        }
        /* removed while running, between two looks: it stopped first */
        if (!quiet && t->v[i].state == 1)
            rc = send_event(ctx, t->v[i].id,
                            RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT, err);
        if (!quiet && rc == 0)
            rc = send_event(ctx, t->v[i].id,
                            RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_DELETED_EVENT, err);
        t->v[i] = t->v[--t->n];
    }
    return rc;
}

CRI_HANDLER_STREAM(cri_get_container_events)
{
    (void) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct table t = { NULL, 0 };
    /* what exists when the stream starts is known to the subscriber */
    int rc = diff(ctx, e, &t, true, err);
    while (rc == 0 && !cri_cancelled(ctx)) {
        nanosleep(&(struct timespec){ 0, 250 * 1000 * 1000 }, NULL);
        rc = diff(ctx, e, &t, false, err);
    }
    free(t.v);
    /* the subscriber left: not an error of ours */
    return cri_cancelled(ctx) ? 0 : rc;
}
