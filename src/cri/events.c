/* events.c: GetContainerEvents, the stream the kubelet's evented PLEG
 * reads.  Two sources: what capsad's own handlers did (published here as
 * they do it, so a container created and removed within a moment is
 * reported too), and every quarter second a comparison of the containers'
 * states with what the subscriber saw last, which catches what no handler
 * did: an exit (the process, the OOM killer, capsactl stop), a container
 * capsactl removed.  Each subscriber gets every step, in order: created,
 * started, stopped, deleted. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "cri/ctr_live.h"
#include "cri/handlers.h"
#include "cri/records.h"
#include "engine/lifecycle.h"

/* what the handlers published: a ring the subscribers read behind */
#define RING 1024
static struct published {
    char id[65];
    int type;
} ring[RING];
static uint64_t ring_next;       /* the sequence number of the next event */
static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cv = PTHREAD_COND_INITIALIZER;

void cri_event_publish(const char *id, int type)
{
    pthread_mutex_lock(&ring_mu);
    struct published *p = &ring[ring_next % RING];
    snprintf(p->id, sizeof p->id, "%s", id);
    p->type = type;
    ring_next++;
    pthread_cond_broadcast(&ring_cv);
    pthread_mutex_unlock(&ring_mu);
}

struct seen {
    char id[65];
    int state;        /* the last step reported: -1 none, 0 created, 1 started, 2 stopped */
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

static struct seen *add(struct table *t, const char *id)
{
    t->v = cx_realloc(t->v, (t->n + 1) * sizeof *t->v);
    struct seen *s = &t->v[t->n++];
    snprintf(s->id, sizeof s->id, "%s", id);
    s->state = -1;
    return s;
}

static int send_event(struct cri_ctx *ctx, const char *id, int type, cx_error *err)
{
    Runtime__V1__ContainerEventResponse ev = RUNTIME__V1__CONTAINER_EVENT_RESPONSE__INIT;
    ev.container_id = (char *) id;
    ev.container_event_type = (Runtime__V1__ContainerEventType) type;
    ev.created_at = cx_now_ns();
    return cri_send(ctx, &ev.base, err);
}

/* Every step from what s saw up to state (0..2). */
static int advance(struct cri_ctx *ctx, struct seen *s, int state, bool quiet, cx_error *err)
{
    int rc = 0;
    for (int st = s->state + 1; st <= state && rc == 0; st++)
        if (!quiet)
            rc = send_event(ctx, s->id, st, err);
    if (state > s->state)
        s->state = state;
    return rc;
}

/* Gone: stopped first if it was seen running, then deleted. */
static int gone(struct cri_ctx *ctx, struct table *t, struct seen *s, cx_error *err)
{
    int rc = s->state == 1 ? send_event(ctx, s->id, 2, err) : 0;
    if (rc == 0)
        rc = send_event(ctx, s->id, 3, err);
    *s = t->v[--t->n];
    return rc;
}

/* The published events since *seq. */
static int drain(struct cri_ctx *ctx, struct table *t, uint64_t *seq, cx_error *err)
{
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&ring_mu);
        if (ring_next - *seq > RING)
            *seq = ring_next - RING;   /* fell behind: the comparison catches up */
        bool have = *seq < ring_next;
        struct published p = have ? ring[*seq % RING] : (struct published){ "", 0 };
        pthread_mutex_unlock(&ring_mu);
        if (!have || rc < 0)
            return rc;
        (*seq)++;
        struct seen *s = find(t, p.id);
        if (p.type == 3)
            rc = s ? gone(ctx, t, s, err) : 0;   /* not there: reported already */
        else
            rc = advance(ctx, s ? s : add(t, p.id), p.type, false, err);
    }
}

/* The events from the table to the current states (the lists' reading:
 * one query, a cheap check per running container, ctr_live.h). */
static int diff(struct cri_ctx *ctx, struct cx_engine *e, struct table *t, bool quiet,
                cx_error *err)
{
    struct cri_container *v;
    size_t n;
    if (cri_container_list(&e->store.db, NULL, &v, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        t->v[i].mark = false;
    struct cx_ctr **recs = cx_calloc(n + 1, sizeof *recs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].state, "creating") != 0 && v[i].ctr_exists)
            recs[k++] = &v[i].c;
    cri_ctrs_sync_quick(e, recs, k);
    free(recs);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strcmp(v[i].state, "creating") == 0 || !v[i].ctr_exists)
            continue;
        struct cri_ctr_view vw;
        cri_ctr_view(&v[i], &vw);
        struct seen *s = find(t, v[i].id);
        if (s == NULL)
            s = add(t, v[i].id);
        s->mark = true;
        if ((int) vw.state <= 2)
            rc = advance(ctx, s, (int) vw.state, quiet, err);
    }
    cri_containers_free(v, n);
    for (size_t i = 0; i < t->n && rc == 0;) {
        if (t->v[i].mark)
            i++;
        else if (quiet)
            t->v[i] = t->v[--t->n];
        else
            rc = gone(ctx, t, &t->v[i], err);
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
    pthread_mutex_lock(&ring_mu);
    uint64_t seq = ring_next;
    pthread_mutex_unlock(&ring_mu);
    /* what exists when the stream starts is known to the subscriber */
    int rc = diff(ctx, e, &t, true, err);
    while (rc == 0 && !cri_cancelled(ctx)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&ring_mu);
        if (seq == ring_next)
            pthread_cond_timedwait(&ring_cv, &ring_mu, &until);
        pthread_mutex_unlock(&ring_mu);
        rc = drain(ctx, &t, &seq, err);
        if (rc == 0)
            rc = diff(ctx, e, &t, false, err);
    }
    free(t.v);
    /* the subscriber left: not an error of ours */
    return cri_cancelled(ctx) ? 0 : rc;
}
