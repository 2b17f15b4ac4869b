/* error.c: the cx_error type (see error.h). */
#include "common/error.h"

#include <stdio.h>
#include <string.h>

int cx_error_vset(cx_error *err, int errnum, const char *file, int line,
                  const char *fmt, va_list ap)
{
    if (err == NULL)
        return -1;
    err->errnum = errnum;
    err->file = file;
    err->line = line;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return -1;
}

int cx_error_set(cx_error *err, int errnum, const char *file, int line,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_error_vset(err, errnum, file, line, fmt, ap);
    va_end(ap);
    return -1;
}

int cx_error_prefix(cx_error *err, const char *fmt, ...)
{
    char prefix[CX_ERROR_MAX];
    char old[CX_ERROR_MAX];
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return -1;
}

void cx_error_format(const cx_error *err, char *buf, size_t len)
{
    if (err->errnum != 0)
        snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
    else
        snprintf(buf, len, "%s", err->msg);
}

void cx_error_clear(cx_error *err)
{
    err->errnum = 0;
    err->msg[0] = '\0';
    err->file = NULL;
    err->line = 0;
}
