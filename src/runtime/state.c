/* state.c: see state.h. */
#include "runtime/state.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/jdec.h"
#include "common/util.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/procinfo.h"

static const char *status_names[] = {
    "creating", "created", "running", "paused", "stopped",
};

const char *cx_status_name(enum cx_status s)
{
    return status_names[s];
}

void cx_rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char base[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

json_t *cx_state_to_oci(const struct cx_state *st, bool with_owner)
{
    bool dead = st->status == CX_STOPPED;
    json_t *o = json_object();
    json_object_set_new(o, "ociVersion", json_string(st->oci_version ? st->oci_version : "1.0.2-dev"));
    json_object_set_new(o, "id", json_string(st->id));
    json_object_set_new(o, "pid", json_integer(dead ? 0 : st->pid));
    json_object_set_new(o, "status", json_string(cx_status_name(st->status)));
    json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
    json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
    json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
    json_object_set_new(o, "owner", json_string(with_owner && st->owner ? st->owner : ""));
    if (st->annotations && json_object_size(st->annotations) > 0)
        json_object_set(o, "annotations", st->annotations);
    return o;
}

int cx_state_write(int dirfd, const struct cx_state *st, cx_error *err)
{
    json_t *o = cx_state_to_oci(st, true);
    json_object_set_new(o, "pid", json_integer(st->pid));
    json_object_set_new(o, "status", json_string("created"));
    json_object_set_new(o, "capsa", json_pack("{s:I,s:s}", "pidStart",
                                              (json_int_t) st->pid_start,
                                              "bootId", st->boot_id ? st->boot_id : ""));
    /* the config in a file of its own: `list` and `state` read only the
     * small state.json of each container */
    if (st->config) {
        _cleanup_free_ char *cfg = json_dumps(st->config, JSON_COMPACT);
        if (cfg == NULL || cx_write_file_atomic_at(dirfd, "config.json", cfg, strlen(cfg), 0600,
                                                   err) < 0) {
            json_decref(o);
            return cfg ? -1 : cx_fail(err, ENOMEM, "serialize config.json");
        }
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL)
        return cx_fail(err, ENOMEM, "serialize state.json");
    int rc = cx_write_file_atomic_at(dirfd, "state.json", text, strlen(text),
                                     0600, err);
    free(text);
    return rc;
}

static char *dup_or_null(const char *s)
{
    return s ? cx_strdup(s) : NULL;
}

int cx_state_read(int dirfd, const char *id, struct cx_state **out, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    if (cx_read_file_at(dirfd, "state.json", 64 << 20, &text, NULL, err) < 0)
        return cx_error_prefix(err, "container %s", id);
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    if (o == NULL)
        return cx_fail(err, 0, "container %s: state.json: line %d: %s (torn or foreign file)",
                       id, jerr.line, jerr.text);
    struct {
        const char *id, *bundle, *rootfs, *created, *owner, *version, *boot;
        int64_t pid, start;
    } f = { 0 };
    json_t *capsa = json_object_get(o, "capsa");
    int ok = json_unpack(o, "{s:s,s:I,s:s,s:s,s:s,s?s,s?s}", "id", &f.id,
                         "pid", &f.pid, "bundle", &f.bundle, "rootfs", &f.rootfs,
                         "created", &f.created, "owner", &f.owner,
                         "ociVersion", &f.version) == 0 &&
             capsa && json_unpack(capsa, "{s:I,s:s}", "pidStart", &f.start,
                                  "bootId", &f.boot) == 0 &&
             strcmp(f.id, id) == 0 && f.pid > 0 && f.pid <= INT32_MAX;
    if (!ok) {
        json_decref(o);
        return cx_fail(err, 0, "container %s: state.json: not a capsa state file", id);
    }
    struct cx_state *st = cx_calloc(1, sizeof *st);
    st->id = cx_strdup(f.id);
    st->bundle = cx_strdup(f.bundle);
    st->rootfs = cx_strdup(f.rootfs);
    st->created = cx_strdup(f.created);
    st->owner = dup_or_null(f.owner);
    st->oci_version = dup_or_null(f.version);
    st->boot_id = cx_strdup(f.boot);
    st->pid = (pid_t) f.pid;
    st->pid_start = (uint64_t) f.start;
    st->annotations = json_incref(json_object_get(o, "annotations"));
    st->config = json_incref(json_object_get(o, "config")); /* older records */
    st->status = CX_CREATED;
    json_decref(o);
    *out = st;
    return 0;
}

void cx_state_refresh(int dirfd, struct cx_state *st)
{
    struct stat sb;
    if (st->partial || strcmp(st->boot_id ? st->boot_id : "", proc_boot_id()) != 0 ||
        !proc_is_same(st->pid, st->pid_start)) {
        st->status = CX_STOPPED;
        return;
    }
    if (fstatat(dirfd, "start.sock", &sb, AT_SYMLINK_NOFOLLOW) == 0)
        st->status = CX_CREATED;
    else if (cgroup_is_frozen(st->cgroups))
        st->status = CX_PAUSED;
    else
        st->status = CX_RUNNING;
}

void cx_state_free(struct cx_state *st)
{
    if (st == NULL)
        return;
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->owner);
    free(st->oci_version);
    free(st->boot_id);
    json_decref(st->annotations);
    json_decref(st->config);
    json_decref(st->cgroups);
    free(st);
}
