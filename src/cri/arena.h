/* arena.h: a bump allocator for one call: the request protobuf-c unpacks,
 * the reply a handler builds and every string in between live in it and
 * go in one free at the end of the call, so handlers never free. */
#ifndef CAPSA_CRI_ARENA_H
#define CAPSA_CRI_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
    size_t used;              /* bytes handed out, for limits */
};

/* Zeroed memory; aborts on ENOMEM as cx_calloc does. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);

#endif
