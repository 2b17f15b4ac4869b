/* ctl_progress.h: a pull's progress for people: on a terminal, a bar per
 * layer (bytes, total, speed) redrawn in place; otherwise one line per
 * layer, no control characters; --quiet: nothing. */
#ifndef CAPSA_CTL_PROGRESS_H
#define CAPSA_CTL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "image/pull.h"

struct ctl_progress_layer {
    char short_digest[13];
    uint64_t done, total;
    int state;           /* 0 waiting, 1 fetching, 2 fetched, 3 exists, 4 unpacked */
};

struct ctl_progress {
    FILE *out;
    bool tty, quiet;
    size_t n, drawn;
    struct ctl_progress_layer *layers;
    double started, last_draw;
};

void ctl_progress_init(struct ctl_progress *p, bool quiet);
void ctl_progress_event(void *ctx, const struct cx_pull_progress *ev);
/* the summary line, once the image is stored */
void ctl_progress_done(struct ctl_progress *p, const char *id);
void ctl_progress_free(struct ctl_progress *p);

#endif
