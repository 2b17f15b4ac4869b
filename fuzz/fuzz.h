/* fuzz.h: what the libFuzzer targets share (see fuzz/README.md).
 *
 * A target aborts (a crash libFuzzer reports) when a parser breaks its
 * contract, not only on a memory error: a failure must carry a message,
 * what a writer emits must read back the same. */
#ifndef CAPSA_FUZZ_H
#define CAPSA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond)                                                          \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, \
                    #cond);                                                     \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* The input as a NUL-terminated string (embedded NULs end it early). */
static inline char *fz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Split a copy of the input at sep into at most max strings (NULL-ended
 * vector in v, max + 1 slots); returns the count.  *buf owns the text. */
static inline size_t fz_split(const uint8_t *data, size_t size, char sep, char **v,
                              size_t max, char **buf)
{
    char *s = fz_str(data, size), *p = s;
    size_t n = 0;
    while (n < max) {
        v[n++] = p;
        char *q = memchr(p, sep, (size_t) (s + size - p));
        if (q == NULL)
            break;
        *q = '\0';
        p = q + 1;
    }
    v[n] = NULL;
    *buf = s;
    return n;
}

/* A failed call must have said why. */
static inline void fz_failed(const cx_error *err)
{
    FZ_CHECK(err->msg[0] != '\0');
    FZ_CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL);
}

#endif
