/* ctl_progress.c: see ctl_progress.h. */
#include "cmd/ctl_progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void ctl_progress_init(struct ctl_progress *p, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->out = stderr;
    p->quiet = quiet;
    p->tty = !quiet && isatty(STDERR_FILENO) && getenv("TERM") &&
             strcmp(getenv("TERM"), "dumb") != 0;
    p->started = now();
}

static void bar(const struct ctl_progress *p, const struct ctl_progress_layer *l, char *buf,
                size_t len)
{
    char done[16], total[16], speed[24] = "";
    static const char *const words[] = { "waiting", "", "done", "skipped: already exists",
                                         "done" };
    if (l->state != 1) {
        snprintf(buf, len, "Copying blob %s %s", l->short_digest, words[l->state]);
        return;
    }
    ctl_format_size((int64_t) l->done, done, sizeof done);
    ctl_format_size((int64_t) l->total, total, sizeof total);
    double dt = now() - p->started;
    if (dt > 0.2) {
        ctl_format_size((int64_t) ((double) l->done / dt), speed, sizeof speed);
        strcat(speed, "/s");
    }
    int width = 30, fill = l->total ? (int) ((double) l->done / (double) l->total * width) : 0;
    char b[32];
    for (int i = 0; i < width; i++)
        b[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    b[width] = '\0';
    snprintf(buf, len, "Copying blob %s [%s] %s / %s %s", l->short_digest, b, done, total,
             speed);
}

static void redraw(struct ctl_progress *p)
{
    if (p->drawn)
        fprintf(p->out, "\033[%zuA", p->drawn);
    for (size_t i = 0; i < p->n; i++) {
        char line[160];
        bar(p, &p->layers[i], line, sizeof line);
        fprintf(p->out, "\r\033[2K%s\n", line);
    }
    p->drawn = p->n;
    fflush(p->out);
    p->last_draw = now();
}

static void line(struct ctl_progress *p, size_t i)
{
    char text[160];
    bar(p, &p->layers[i], text, sizeof text);
    fprintf(p->out, "%s\n", text);
}

void ctl_progress_event(void *ctx, const struct cx_pull_progress *ev)
{
    struct ctl_progress *p = ctx;
    if (p->quiet)
        return;
    if (ev->ev == CX_PULL_RESOLVED) {
        p->n = ev->nlayers;
        p->layers = cx_calloc(p->n + 1, sizeof *p->layers);
        fprintf(p->out, "Getting image source signatures\n");
        return;
    }
    if (ev->layer >= p->n)
        return;
    struct ctl_progress_layer *l = &p->layers[ev->layer];
    if (!l->short_digest[0] && ev->digest)
        snprintf(l->short_digest, sizeof l->short_digest, "%.12s", ev->digest->hex);
    switch (ev->ev) {
    case CX_PULL_LAYER_EXISTS: l->state = 3; break;
    case CX_PULL_LAYER_BYTES: l->state = 1, l->done = ev->done, l->total = ev->total; break;
    case CX_PULL_LAYER_FETCHED: l->state = 2; break;
    case CX_PULL_LAYER_UNPACKED: if (l->state != 3) l->state = 4; break;
    default: return;
    }
    if (p->tty) {
        if (ev->ev != CX_PULL_LAYER_BYTES || now() - p->last_draw > 0.1)
            redraw(p);
    } else if (ev->ev == CX_PULL_LAYER_EXISTS || ev->ev == CX_PULL_LAYER_FETCHED) {
        line(p, ev->layer);
    }
}

void ctl_progress_done(struct ctl_progress *p, const char *id)
{
    if (p->quiet)
        return;
    if (p->tty)
        redraw(p);
    fprintf(p->out, "Copying config %.12s done\nWriting manifest to image destination\n", id);
    fprintf(p->out, "Stored image %.12s (%zu layer%s) in %.1fs\n", id, p->n,
            p->n == 1 ? "" : "s", now() - p->started);
}

void ctl_progress_free(struct ctl_progress *p)
{
    free(p->layers);
    p->layers = NULL;
}
