/* platform.h: image platforms (os/architecture/variant) as image indexes
 * name them, the host's own, `--platform` parsing and matching. */
#ifndef CAPSA_IMAGE_PLATFORM_H
#define CAPSA_IMAGE_PLATFORM_H

#include <stdbool.h>

#include "common/error.h"

struct cx_platform {
    char os[32];
    char arch[32];
    char variant[16];   /* "" when none */
};

/* The host: GOOS/GOARCH names (linux/amd64, linux/arm64/v8, ...). */
void cx_platform_host(struct cx_platform *out);
/* "os/arch[/variant]", "arch" (linux implied); names normalized
 * (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7, arm64 -> v8 variant). */
int cx_platform_parse(const char *s, struct cx_platform *out, cx_error *err);
/* Normalize fields in place (the names images use vary). */
void cx_platform_normalize(struct cx_platform *p);
/* How well candidate suits want: -1 not at all, else higher is better
 * (exact variant over a missing one). */
int cx_platform_score(const struct cx_platform *want, const struct cx_platform *candidate);
void cx_platform_format(const struct cx_platform *p, char *buf, size_t len);

#endif
