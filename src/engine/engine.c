/* engine.c: see engine.h. */
#include "engine/engine.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/manifest.h"
#include "runtime/procinfo.h"

static int open_subdir(int dirfd, const char *base, const char *name, cx_error *err)
{
    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s/%s", base, name);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "open %s/%s", base, name);
    return fd;
}

char *cx_find_helper(const char *env, const char *name)
{
    const char *v = getenv(env);
    if (v && *v)
        return cx_strdup(v);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            char *p = cx_asprintf("%s/%s", self, name);
            if (access(p, X_OK) == 0)
                return p;
            free(p);
        }
    }
    const char *path = getenv("PATH");
    _cleanup_free_ char *copy = cx_strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *p = cx_asprintf("%s/%s", d, name);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return cx_strdup(name);
}

static char *self_path(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return cx_strdup("capsactl");
    self[n] = '\0';
    return cx_strdup(self);
}

int cx_engine_open(struct cx_engine *e, const char *root, const char *runroot, cx_error *err)
{
    memset(e, 0, sizeof *e);
    e->ctrsfd = e->runctrsfd = -1;
    if (cx_store_open(&e->store, root, runroot, err) < 0)
        return -1;
    e->runtime_root = cx_asprintf("%s/runtime", e->store.runroot);
    e->runtime = cx_find_helper("CAPSACTL_RUNTIME", "capsa");
    e->shim = cx_find_helper("CAPSACTL_SHIM", "capsa-shim");
    e->init = cx_find_helper("CAPSACTL_INIT", "capsa-init");
    e->self = self_path();
    e->root_opts[0] = "--root";
    e->root_opts[1] = e->store.root;
    e->root_opts[2] = "--runroot";
    e->root_opts[3] = e->store.runroot;
    if ((e->ctrsfd = open_subdir(e->store.rootfd, root, "containers", err)) < 0 ||
        (e->runctrsfd = open_subdir(e->store.runrootfd, runroot, "containers", err)) < 0) {
        cx_engine_close(e);
        return -1;
    }
    return 0;
}

void cx_engine_close(struct cx_engine *e)
{
    e->ctrsfd = cx_close(e->ctrsfd);
    e->runctrsfd = cx_close(e->runctrsfd);
    free(e->runtime_root);
    free(e->runtime);
    free(e->shim);
    free(e->init);
    free(e->self);
    e->runtime_root = e->runtime = e->shim = e->init = e->self = NULL;
    cx_store_close(&e->store);
}

int cx_engine_ctr_dir(struct cx_engine *e, const char *id, bool create, cx_error *err)
{
    if (create)
        return open_subdir(e->ctrsfd, e->store.root, id, err);
    int fd = openat(e->ctrsfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? cx_fail_errno(err, "open %s/containers/%s", e->store.root, id) : fd;
}

int cx_engine_run_dir(struct cx_engine *e, const char *id, bool create, cx_error *err)
{
    if (create)
        return open_subdir(e->runctrsfd, e->store.runroot, id, err);
    int fd = openat(e->runctrsfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? cx_fail_errno(err, "open %s/containers/%s", e->store.runroot, id) : fd;
}

char *cx_engine_ctr_path(struct cx_engine *e, const char *id, const char *name)
{
    return name ? cx_asprintf("%s/containers/%s/%s", e->store.root, id, name)
                : cx_asprintf("%s/containers/%s", e->store.root, id);
}

char *cx_engine_run_path(struct cx_engine *e, const char *id, const char *name)
{
    return name ? cx_asprintf("%s/containers/%s/%s", e->store.runroot, id, name)
                : cx_asprintf("%s/containers/%s", e->store.runroot, id);
}

char *cx_engine_log_path(struct cx_engine *e, const char *id, const char *opts)
{
    json_auto_t *j = opts ? json_loads(opts, 0, NULL) : NULL;
    const char *p = json_string_value(json_object_get(j, "log_path"));
    if (json_is_true(json_object_get(j, "log_none")))
        return NULL;
    return p ? cx_strdup(p) : cx_engine_ctr_path(e, id, "ctr.log");
}

/* the runtime's reader (read once, behind pthread_once: threads share it) */
const char *cx_boot_id(void)
{
    return proc_boot_id();
}

unsigned long long cx_pid_start(int pid)
{
    if (pid <= 0)
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');   /* the comm may hold spaces and parens */
    if (!p)
        return 0;
    /* after ") " come fields 3.. ; the state is field 3 (a zombie is gone
       for us), the start time field 22 */
    if (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
        return 0;
    unsigned long long v = 0;
    int field = 2;
    for (char *save = NULL, *t = strtok_r(p + 1, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (++field == 22) {
            v = strtoull(t, NULL, 10);
            break;
        }
    return v;
}

int cx_engine_image_config(struct cx_engine *e, const struct cx_image_rec *img,
                           struct cx_image_config *cfg, cx_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    struct cx_digest d;
    if (cx_digest_parse(img->config_digest, &d, "store: config", err) < 0 ||
        cx_blob_read(&e->store, &d, CX_CONFIG_MAX, &buf, &len, err) < 0)
        return -1;
    return cx_image_config_parse(buf, len, cfg, err);
}
