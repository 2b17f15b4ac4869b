/* error.h: capsa's single error type.
 *
 * Every fallible function takes a `cx_error *err` and returns a negative
 * value on failure after filling it once, at the call that failed.  The
 * message names the object and the step; the errno (if any) is kept apart
 * so it can be sent across a fork boundary and rendered once by main().
 */
#ifndef CAPSA_ERROR_H
#define CAPSA_ERROR_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>

#define CX_ERROR_MAX 1024

typedef struct cx_error {
    int errnum;              /* errno value, 0 when not a system error */
    char msg[CX_ERROR_MAX];  /* "what: why" without the errno text */
    const char *file;        /* where it was made */
    int line;
} cx_error;

int cx_error_set(cx_error *err, int errnum, const char *file, int line,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int cx_error_vset(cx_error *err, int errnum, const char *file, int line,
                  const char *fmt, va_list ap);

/* Prepend "prefix: " to the message (adds context while unwinding). */
int cx_error_prefix(cx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The one line a user reads: msg, plus ": strerror(errnum)" when set. */
void cx_error_format(const cx_error *err, char *buf, size_t len);

void cx_error_clear(cx_error *err);

/* cx_fail(err, errnum, fmt, ...) returns -1 after filling err. */
#define cx_fail(err, errnum, ...) \
    cx_error_set((err), (errnum), __FILE__, __LINE__, __VA_ARGS__)
/* cx_fail_errno(err, fmt, ...) uses the current errno. */
#define cx_fail_errno(err, ...) \
    cx_error_set((err), errno, __FILE__, __LINE__, __VA_ARGS__)

#endif
