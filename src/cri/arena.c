/* arena.c: see arena.h. */
#include "cri/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct arena_chunk {
    struct arena_chunk *next;
    size_t size, off;
    max_align_t data[];
};

#define CHUNK 8192

void *arena_alloc(struct arena *a, size_t size)
{
    size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (need == 0)
        need = sizeof(max_align_t);
    struct arena_chunk *c = a->head;
    if (c == NULL || c->size - c->off < need) {
        size_t cap = need > CHUNK / 2 ? need : CHUNK;
        c = cx_calloc(1, sizeof *c + cap);
        c->size = cap;
        /* a big block goes behind the current chunk, whose room stays usable */
        if (need > CHUNK / 2 && a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = (char *) c->data + c->off;
    c->off += need;
    a->used += need;
    memset(p, 0, size);
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    return memcpy(arena_alloc(a, n), s, n);
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *tmp = NULL;
    int n = vasprintf(&tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *out = arena_strdup(a, tmp);
    free(tmp);
    return out;
}

void arena_free(struct arena *a)
{
    for (struct arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->used = 0;
}
