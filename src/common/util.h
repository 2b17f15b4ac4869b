/* util.h: small checked helpers: numbers, strings, string vectors, files. */
#ifndef CAPSA_UTIL_H
#define CAPSA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* Checked decimal parsing: the whole string, no sign surprises. */
int cx_parse_u64(const char *s, uint64_t *out);
int cx_parse_i64(const char *s, int64_t *out);
int cx_parse_int(const char *s, int *out);

char *cx_strdup(const char *s);                 /* aborts on ENOMEM */
char *cx_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *cx_calloc(size_t n, size_t size);
void *cx_realloc(void *p, size_t size);          /* aborts on ENOMEM */
bool cx_str_has_prefix(const char *s, const char *prefix);

size_t cx_strv_len(char *const *v);
void cx_strv_free(char **v);
/* s (owned from now on) appended to the NULL-terminated *v (NULL: empty) */
void cx_strv_push(char ***v, char *s);

/* Read a whole file (at most max bytes) into a NUL-terminated buffer. */
int cx_read_file_at(int dirfd, const char *path, size_t max, char **out,
                    size_t *len, cx_error *err);
/* s as it may be shown in an error: printable ASCII (others as '?'), at
 * most 100 bytes, "..." when cut. */
const char *cx_printable(const char *s, char buf[static 112]);
/* The same from an open fd (path names it in errors). */
int cx_read_fd(int fd, const char *path, size_t max, char **out, size_t *len, cx_error *err);
/* Write tmp + fsync + rename, relative to dirfd. */
int cx_write_file_atomic_at(int dirfd, const char *name, const void *data,
                            size_t len, mode_t mode, cx_error *err);
/* write() until done; returns 0 or -1 with errno. */
int cx_write_all(int fd, const void *buf, size_t len);

/* Remove a directory tree relative to dirfd, not crossing mounts. */
int cx_rm_rf_at(int dirfd, const char *name);
/* mkdir -p (absolute or relative to cwd). */
int cx_mkdir_p(const char *path, mode_t mode, cx_error *err);

/* The name of uid in the host's /etc/passwd, read directly as runc does
 * (no NSS: capsa is linked statically); "" when it has none. */
void cx_user_name(uid_t uid, char *buf, size_t len);

#endif
