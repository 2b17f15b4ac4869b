/* sdbus.c: see sdbus.h.  systemd runs unit changes as jobs: a method call
 * returns the job's object path at once, and the outcome arrives later as
 * the Manager's JobRemoved signal (job id, path, unit, result).  The
 * connection subscribes and matches JobRemoved before the call, so a job
 * that finishes before the reply is read is not missed. */
#include "runtime/cgroup/sdbus.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define JOB_TIMEOUT_USEC (30ULL * 1000000) /* as runc waits */

/* the functions of libsystemd we use, by their own prototypes */
#define SDB_FUNCS(X)                                                                   \
    X(sd_bus_open_system) X(sd_bus_flush_close_unref) X(sd_bus_message_new_method_call) \
    X(sd_bus_message_append) X(sd_bus_message_append_array)                             \
    X(sd_bus_message_open_container) X(sd_bus_message_close_container)                  \
    X(sd_bus_message_unref) X(sd_bus_message_read) X(sd_bus_call) X(sd_bus_call_method) \
    X(sd_bus_match_signal) X(sd_bus_slot_unref) X(sd_bus_process) X(sd_bus_wait)        \
    X(sd_bus_error_free) X(sd_bus_error_has_name)

struct sdb {
    void *lib;
#define FIELD(f) __typeof__(&f) f;
    SDB_FUNCS(FIELD)
#undef FIELD
    sd_bus *bus;
    sd_bus_slot *slot;
    const char *want_job; /* the job being waited for */
    char result[32];      /* its result once JobRemoved named it */
};

struct sdb_props {
    struct sdb *b;
    sd_bus_message *m;
};

static int bus_fail(cx_error *err, int r, const sd_bus_error *e, const char *what)
{
    if (e && e->message)
        return cx_fail(err, -r, "systemd: %s: %s", what, e->message);
    return cx_fail(err, -r, "systemd: %s", what);
}

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *ret)
{
    struct sdb *b = data;
    uint32_t id;
    const char *path, *unit, *result;
    (void) ret;
    if (b->sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
        b->want_job && strcmp(path, b->want_job) == 0)
        snprintf(b->result, sizeof b->result, "%s", result);
    return 0;
}

static int load(struct sdb *b, cx_error *err)
{
    b->lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (b->lib == NULL)
        return cx_fail(err, 0, "systemd cgroup driver: cannot load libsystemd.so.0 (%s)",
                       dlerror());
#define LOAD(f)                                                                           \
    if ((b->f = (__typeof__(&f)) dlsym(b->lib, #f)) == NULL)                              \
        return cx_fail(err, 0, "systemd cgroup driver: libsystemd.so.0 lacks " #f);
    SDB_FUNCS(LOAD)
#undef LOAD
    return 0;
}

int sdb_open(struct sdb **out, cx_error *err)
{
    struct sdb *b = cx_calloc(1, sizeof *b);
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r;
    *out = b;
    if (load(b, err) < 0)
        return -1;
    if ((r = b->sd_bus_open_system(&b->bus)) < 0)
        return bus_fail(err, r, NULL, "connect to the system bus");
    r = b->sd_bus_match_signal(b->bus, &b->slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                               on_job_removed, b);
    if (r >= 0)
        r = b->sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL,
                                  "");
    if (r < 0) {
        bus_fail(err, r, &e, "subscribe to job results");
        b->sd_bus_error_free(&e);
        return -1;
    }
    return 0;
}

void sdb_close(struct sdb *b)
{
    if (b->slot)
        b->sd_bus_slot_unref(b->slot);
    if (b->bus)
        b->sd_bus_flush_close_unref(b->bus);
    if (b->lib)
        dlclose(b->lib);
    free(b);
}

static uint64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Wait for JobRemoved of job; "done" is success. */
static int wait_job(struct sdb *b, const char *job, const char *what, cx_error *err)
{
    uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
    b->want_job = job;
    b->result[0] = '\0';
    while (b->result[0] == '\0') {
        int r = b->sd_bus_process(b->bus, NULL);
        if (r < 0)
            return bus_fail(err, r, NULL, what);
        if (r > 0)
            continue;
        uint64_t now = now_usec();
        if (now >= deadline)
            return cx_fail(err, ETIMEDOUT, "systemd: %s: no job result in 30 s", what);
        if ((r = b->sd_bus_wait(b->bus, deadline - now)) < 0)
            return bus_fail(err, r, NULL, what);
    }
    b->want_job = NULL;
    if (strcmp(b->result, "done") != 0)
        return cx_fail(err, 0, "systemd: %s: the job ended \"%s\"", what, b->result);
    return 0;
}

/* method(unit, mode-or-flag, a(sv) from fill [, aux]) and its reply */
static int call_with_props(struct sdb *b, const char *method, const char *unit,
                           sdb_fill_fn fill, void *data, sd_bus_message **reply,
                           cx_error *err)
{
    sd_bus_message *m = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    bool start = strcmp(method, "StartTransientUnit") == 0;
    char what[300];
    snprintf(what, sizeof what, "%s %s", method, unit);
    int r = b->sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, method);
    if (r >= 0)
        r = start ? b->sd_bus_message_append(m, "ss", unit, "fail")
                  : b->sd_bus_message_append(m, "sb", unit, 1);
    if (r >= 0)
        r = b->sd_bus_message_open_container(m, 'a', "(sv)");
    if (r < 0) {
        b->sd_bus_message_unref(m);
        return bus_fail(err, r, NULL, what);
    }
    struct sdb_props p = { b, m };
    if (fill(&p, data, err) < 0) {
        b->sd_bus_message_unref(m);
        return -1;
    }
    r = b->sd_bus_message_close_container(m);
    if (r >= 0 && start)
        r = b->sd_bus_message_append(m, "a(sa(sv))", 0);
    if (r >= 0)
        r = b->sd_bus_call(b->bus, m, 0, &e, reply);
    b->sd_bus_message_unref(m);
    if (r < 0) {
        bus_fail(err, r, &e, what);
        b->sd_bus_error_free(&e);
        return -1;
    }
    return 0;
}

int sdb_start_unit(struct sdb *b, const char *unit, sdb_fill_fn fill, void *data,
                   cx_error *err)
{
    sd_bus_message *reply = NULL;
    const char *job;
    char what[300];
    snprintf(what, sizeof what, "start %s", unit);
    if (call_with_props(b, "StartTransientUnit", unit, fill, data, &reply, err) < 0)
        return -1;
    int r = b->sd_bus_message_read(reply, "o", &job);
    _cleanup_free_ char *path = r >= 0 ? cx_strdup(job) : NULL;
    b->sd_bus_message_unref(reply);
    if (r < 0)
        return bus_fail(err, r, NULL, what);
    return wait_job(b, path, what, err);
}

int sdb_set_props(struct sdb *b, const char *unit, sdb_fill_fn fill, void *data,
                  cx_error *err)
{
    sd_bus_message *reply = NULL;
    int r = call_with_props(b, "SetUnitProperties", unit, fill, data, &reply, err);
    if (reply)
        b->sd_bus_message_unref(reply);
    return r;
}

int sdb_stop_unit(struct sdb *b, const char *unit, cx_error *err)
{
    sd_bus_message *reply = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    const char *job;
    char what[300];
    snprintf(what, sizeof what, "stop %s", unit);
    int r = b->sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &e, &reply,
                                  "ss", unit, "replace");
    if (r < 0) {
        bool gone = b->sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit");
        if (!gone)
            bus_fail(err, r, &e, what);
        b->sd_bus_error_free(&e);
        return gone ? 0 : -1;
    }
    r = b->sd_bus_message_read(reply, "o", &job);
    _cleanup_free_ char *path = r >= 0 ? cx_strdup(job) : NULL;
    b->sd_bus_message_unref(reply);
    if (r < 0)
        return bus_fail(err, r, NULL, what);
    return wait_job(b, path, what, err);
}

/* one (sv) entry */
#define PROP(p, name, sig, ...)                                                          \
    ((p)->b->sd_bus_message_append((p)->m, "(sv)", name, sig, __VA_ARGS__) < 0 ? -1 : 0)

int sdb_prop_str(struct sdb_props *p, const char *name, const char *v)
{
    return PROP(p, name, "s", v);
}

int sdb_prop_bool(struct sdb_props *p, const char *name, bool v)
{
    return PROP(p, name, "b", (int) v);
}

int sdb_prop_u64(struct sdb_props *p, const char *name, uint64_t v)
{
    return PROP(p, name, "t", v);
}

int sdb_prop_pids(struct sdb_props *p, const char *name, const pid_t *pids, size_t n)
{
    struct sdb *b = p->b;
    if (b->sd_bus_message_open_container(p->m, 'r', "sv") < 0 ||
        b->sd_bus_message_append(p->m, "s", name) < 0 ||
        b->sd_bus_message_open_container(p->m, 'v', "au") < 0 ||
        b->sd_bus_message_append_array(p->m, 'u', pids, n * sizeof *pids) < 0 ||
        b->sd_bus_message_close_container(p->m) < 0)
        return -1;
    return b->sd_bus_message_close_container(p->m) < 0 ? -1 : 0;
}

int sdb_prop_bytes(struct sdb_props *p, const char *name, const uint8_t *v, size_t n)
{
    struct sdb *b = p->b;
    if (b->sd_bus_message_open_container(p->m, 'r', "sv") < 0 ||
        b->sd_bus_message_append(p->m, "s", name) < 0 ||
        b->sd_bus_message_open_container(p->m, 'v', "ay") < 0 ||
        b->sd_bus_message_append_array(p->m, 'y', v, n) < 0 ||
        b->sd_bus_message_close_container(p->m) < 0)
        return -1;
    return b->sd_bus_message_close_container(p->m) < 0 ? -1 : 0;
}
