/* container.c: ids, the root directory, loading and removing records. */
#include "runtime/container.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

int cx_id_check(const char *id, cx_error *err)
{
    size_t n = strlen(id);
    if (n == 0)
        return cx_fail(err, 0, "container id must not be empty");
    if (n > 1024)
        return cx_fail(err, 0, "container id is longer than 1024 bytes");
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return cx_fail(err, 0, "invalid container id \"%s\"", id);
    for (const char *p = id; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' ||
                  c == '.';
        if (!ok)
            return cx_fail(err, 0,
                           "invalid container id \"%s\": only [A-Za-z0-9_+.-] allowed", id);
    }
    return 0;
}

int cx_root_open(const char *root, bool create, cx_error *err)
{
    if (create && cx_mkdir_p(root, 0700, err) < 0)
        return -1;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "open runtime root %s", root);
    return fd;
}

static json_t *load_cgroups(int dirfd)
{
    _cleanup_free_ char *text = NULL;
    if (cx_read_file_at(dirfd, "cgroups.json", 1 << 20, &text, NULL, NULL) < 0)
        return NULL;
    json_t *cg = json_loads(text, 0, NULL);
    if (!json_is_object(cg) || !json_is_array(json_object_get(cg, "dirs"))) {
        json_decref(cg);
        return NULL;
    }
    return cg;
}

static int load_state(struct cx_container *c, cx_error *err)
{
    cx_error e2 = { 0 };
    struct stat sb;
    if (cx_state_read(c->dirfd, c->id, &c->st, &e2) == 0) {
        c->st->cgroups = load_cgroups(c->dirfd);
        cx_state_refresh(c->dirfd, c->st);
        return 0;
    }
    if (fstatat(c->dirfd, "state.json", &sb, 0) == 0) {
        *err = e2; /* torn or foreign: report it */
        return -1;
    }
    /* no state.json: create is running, or died before writing it */
    c->st = cx_calloc(1, sizeof *c->st);
    c->st->id = cx_strdup(c->id);
    c->st->partial = true;
    c->st->cgroups = load_cgroups(c->dirfd);
    c->st->status = flock(c->dirfd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK
                        ? CX_CREATING : CX_STOPPED;
    return 0;
}

int cx_container_load(const char *root, const char *id, bool lock,
                      struct cx_container **out, cx_error *err)
{
    if (cx_id_check(id, err) < 0)
        return -1;
    _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dfd = rootfd < 0 ? -1 : openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return cx_fail(err, 0, "container does not exist: %s", id);
        return cx_fail_errno(err, "open container %s", id);
    }
    struct cx_container *c = cx_calloc(1, sizeof *c);
    c->id = cx_strdup(id);
    c->dirfd = dfd;
    if (lock) {
        int r;
        do
            r = flock(dfd, LOCK_EX);
        while (r < 0 && errno == EINTR);
    }
    if (load_state(c, err) < 0) {
        cx_container_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

json_t *cx_container_config(struct cx_container *c)
{
    _cleanup_free_ char *text = NULL;
    if (c->st->config == NULL && !c->st->partial &&
        cx_read_file_at(c->dirfd, "config.json", 64 << 20, &text, NULL, NULL) == 0)
        c->st->config = json_loads(text, 0, NULL);
    return c->st->config;
}

void cx_container_free(struct cx_container *c)
{
    if (c == NULL)
        return;
    cx_close(c->dirfd);
    cx_state_free(c->st);
    free(c->id);
    free(c);
}

int cx_container_remove(const char *root, struct cx_container *c, cx_error *err)
{
    _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return cx_fail_errno(err, "open runtime root %s", root);
    if (cx_rm_rf_at(rootfd, c->id) < 0)
        return cx_fail_errno(err, "remove the state of container %s", c->id);
    return 0;
}
