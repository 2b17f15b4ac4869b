/* seccomp.c: see seccomp.h. */
#include "runtime/seccomp.h"

#include <limits.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/seccomp_internal.h"

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) (t.tv_sec - t0->tv_sec) * 1e3 + (double) (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The program: from the cache when this very profile was compiled
 * before, by libseccomp otherwise (and then kept). */
static int get_program(const struct oci_seccomp *s, const char *root, struct cx_seccomp *out,
                       cx_error *err)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    _cleanup_free_ char *key = seccomp_cache_key(s->json);
    _cleanup_close_ int dirfd = key && root ? seccomp_cache_open(root) : -1;
    if (dirfd >= 0 && seccomp_cache_lookup(dirfd, key, &out->insns, &out->len) == 0) {
        cx_debug("seccomp: %u instructions from the cache (%.3f ms)", out->len, ms_since(&t0));
        return 0;
    }
    if (seccomp_compile(s, &out->insns, &out->len, err) < 0)
        return -1;
    cx_debug("seccomp: %u instructions compiled (%.3f ms)", out->len, ms_since(&t0));
    if (dirfd >= 0)
        seccomp_cache_store(dirfd, key, out->insns, out->len);
    return 0;
}

static json_t *notify_state(const struct oci_seccomp *s, const struct cx_seccomp_who *who)
{
    json_t *state = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ociVersion", who->oci_version,
                              "id", who->id, "status", who->status, "pid", 0,
                              "bundle", who->bundle);
    json_t *doc = json_pack("{s:s,s:[s],s:i,s:o}", "ociVersion", who->oci_version,
                            "fds", "seccompFd", "pid", 0, "state", state);
    if (doc == NULL)
        return NULL;
    if (who->annotations && json_object_size(who->annotations))
        json_object_set(state, "annotations", who->annotations);
    if (s->listener_metadata)
        json_object_set_new(doc, "metadata", json_string(s->listener_metadata));
    return doc;
}

int cx_seccomp_prepare(const struct oci_seccomp *s, const char *root,
                       struct cx_seccomp *out, cx_error *err)
{
    *out = (struct cx_seccomp) CX_SECCOMP_INIT;
    if (s == NULL)
        return 0;
    if (get_program(s, root, out, err) < 0)
        return -1;
    out->flags = s->flags & (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
                             SECCOMP_FILTER_FLAG_TSYNC);
    if (!s->uses_notify)
        return 0; /* WAIT_KILLABLE_RECV only means something with a listener */
    /* TSYNC would need TSYNC_ESRCH beside NEW_LISTENER; the process is
     * single-threaded, so there is nothing to synchronize anyway */
    out->flags &= ~(unsigned) SECCOMP_FILTER_FLAG_TSYNC;
    out->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER |
                  (s->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
    return 0;
}

int cx_seccomp_connect(const struct oci_seccomp *s, const struct cx_seccomp_who *who,
                       struct cx_seccomp *sc, cx_error *err)
{
    if (s == NULL || !s->uses_notify)
        return 0;
    sc->notify_state = notify_state(s, who);
    if (sc->notify_state == NULL)
        return cx_fail(err, ENOMEM, "seccomp: the container process state");
    sc->listener_fd = seccomp_notify_connect(s->listener_path, err);
    return sc->listener_fd < 0 ? -1 : 0;
}

void cx_seccomp_release(struct cx_seccomp *sc)
{
    free(sc->insns);
    cx_close(sc->listener_fd);
    json_decref(sc->notify_state);
    *sc = (struct cx_seccomp) CX_SECCOMP_INIT;
}

pid_t cx_seccomp_host_pid(void)
{
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    int pid;
    if (n <= 0)
        return getpid();
    buf[n] = '\0';
    return cx_parse_int(buf, &pid) == 0 && pid > 0 ? (pid_t) pid : getpid();
}

static const char *load_failure(int e)
{
    switch (e) {
    case EACCES: return "load the seccomp filter (the process has neither no_new_privs "
                        "nor CAP_SYS_ADMIN)";
    case EINVAL: return "load the seccomp filter (flags or program refused by this kernel)";
    default: return "load the seccomp filter";
    }
}

int cx_seccomp_load(struct cx_seccomp *sc, pid_t host_pid, cx_error *err)
{
    _cleanup_free_ char *state = NULL;
    if (sc->insns == NULL)
        return 0;
    if (sc->listener_fd >= 0) { /* everything but the sendmsg done before the load */
        json_object_set_new(sc->notify_state, "pid", json_integer(host_pid));
        json_object_set_new(json_object_get(sc->notify_state, "state"), "pid",
                            json_integer(host_pid));
        state = json_dumps(sc->notify_state, JSON_COMPACT);
        if (state == NULL)
            return cx_fail(err, ENOMEM, "seccomp: the container process state");
    }
    struct sock_fprog prog = { .len = sc->len, .filter = sc->insns };
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
    if (fd < 0)
        return cx_fail(err, errno, "%s", load_failure(errno));
    if (sc->listener_fd < 0)
        return 0;
    /* both fds are close-on-exec: the connection ends with our execve */
    return seccomp_notify_send(sc->listener_fd, state, (int) fd, err);
}
