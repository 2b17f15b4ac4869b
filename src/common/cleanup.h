/* cleanup.h: scope-bound release of memory, fds, FILEs, DIRs and JSON.
 *
 *   _cleanup_free_ char *s = strdup(x);
 *   _cleanup_close_ int fd = open(...);
 *   return TAKE_FD(fd);      // hand ownership on
 */
#ifndef CAPSA_CLEANUP_H
#define CAPSA_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cx_freep(void *p) { free(*(void **)p); }
static inline void cx_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd); /* never retried: on Linux the fd is gone either way */
        errno = saved;
    }
}
static inline void cx_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void cx_closedirp(DIR **d) { if (*d) closedir(*d); }
static inline void cx_strv_freep(char ***v)
{
    if (*v) {
        for (char **p = *v; *p; p++)
            free(*p);
        free(*v);
    }
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cx_freep)
#define _cleanup_close_ _cleanup_(cx_closep)
#define _cleanup_fclose_ _cleanup_(cx_fclosep)
#define _cleanup_closedir_ _cleanup_(cx_closedirp)
#define _cleanup_strv_ _cleanup_(cx_strv_freep)

#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

/* Close and return -1, for `fd = cx_close(fd);`. */
static inline int cx_close(int fd)
{
    if (fd >= 0)
        cx_closep(&fd);
    return -1;
}

#endif
