/* sdbus.c: see sdbus.h.  systemd runs unit changes as jobs: a method call
 * returns the job's object path at once, and the outcome arrives later as
 * the Manager's JobRemoved signal (job id, path, unit, result).  The
 * connection subscribes and matches JobRemoved before the call, so a job
 * that finishes before the reply is read is not missed. */
#include "sdbus/sdbus.h"

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

struct sdb {
    sd_bus *bus;
    sd_bus_slot *slot;
    const char *want_job; /* the job being waited for */
    char result[32];      /* its result once JobRemoved named it */
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
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
        b->want_job && strcmp(path, b->want_job) == 0)
        snprintf(b->result, sizeof b->result, "%s", result);
    return 0;
}

int sdb_open(struct sdb **out, cx_error *err)
{
    struct sdb *b = cx_calloc(1, sizeof *b);
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r;
    *out = b;
    if ((r = sd_bus_open_system(&b->bus)) < 0)
        return bus_fail(err, r, NULL, "connect to the system bus");
    r = sd_bus_match_signal(b->bus, &b->slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                               on_job_removed, b);
    if (r >= 0)
        r = sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL,
                                  "");
    if (r < 0) {
        bus_fail(err, r, &e, "subscribe to job results");
        sd_bus_error_free(&e);
        return -1;
    }
    return 0;
}

void sdb_close(struct sdb *b)
{
    if (b == NULL)
        return;
    if (b->slot)
        sd_bus_slot_unref(b->slot);
    if (b->bus)
        sd_bus_flush_close_unref(b->bus);
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
        int r = sd_bus_process(b->bus, NULL);
        if (r < 0)
            return bus_fail(err, r, NULL, what);
        if (r > 0)
            continue;
        uint64_t now = now_usec();
        if (now >= deadline)
            return cx_fail(err, ETIMEDOUT, "systemd: %s: no job result in 30 s", what);
        if ((r = sd_bus_wait(b->bus, deadline - now)) < 0)
            return bus_fail(err, r, NULL, what);
    }
    b->want_job = NULL;
    if (strcmp(b->result, "done") != 0)
        return cx_fail(err, 0, "systemd: %s: the job ended \"%s\"", what, b->result);
    return 0;
}

/* method(unit, mode-or-flag, a(sv) from fill [, aux]) and its reply */
static int fill_json(sd_bus_message *m, json_t *props, cx_error *err);

static int call_with_props(struct sdb *b, const char *method, const char *unit,
                           json_t *props, sd_bus_message **reply, cx_error *err)
{
    sd_bus_message *m = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    bool start = strcmp(method, "StartTransientUnit") == 0;
    char what[300];
    snprintf(what, sizeof what, "%s %s", method, unit);
    int r = sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, method);
    if (r >= 0)
        r = start ? sd_bus_message_append(m, "ss", unit, "fail")
                  : sd_bus_message_append(m, "sb", unit, 1);
    if (r >= 0)
        r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_fail(err, r, NULL, what);
    }
    if (fill_json(m, props, err) < 0) {
        sd_bus_message_unref(m);
        return -1;
    }
    r = sd_bus_message_close_container(m);
    if (r >= 0 && start)
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
    if (r >= 0)
        r = sd_bus_call(b->bus, m, 0, &e, reply);
    sd_bus_message_unref(m);
    if (r < 0) {
        bus_fail(err, r, &e, what);
        sd_bus_error_free(&e);
        return -1;
    }
    return 0;
}

int sdb_start_unit(struct sdb *b, const char *unit, json_t *props, cx_error *err)
{
    sd_bus_message *reply = NULL;
    const char *job;
    char what[300];
    snprintf(what, sizeof what, "start %s", unit);
    if (call_with_props(b, "StartTransientUnit", unit, props, &reply, err) < 0)
        return -1;
    int r = sd_bus_message_read(reply, "o", &job);
    _cleanup_free_ char *path = r >= 0 ? cx_strdup(job) : NULL;
    sd_bus_message_unref(reply);
    if (r < 0)
        return bus_fail(err, r, NULL, what);
    return wait_job(b, path, what, err);
}

int sdb_set_props(struct sdb *b, const char *unit, json_t *props, cx_error *err)
{
    sd_bus_message *reply = NULL;
    int r = call_with_props(b, "SetUnitProperties", unit, props, &reply, err);
    if (reply)
        sd_bus_message_unref(reply);
    return r;
}

int sdb_stop_unit(struct sdb *b, const char *unit, cx_error *err)
{
    sd_bus_message *reply = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    const char *job;
    char what[300];
    snprintf(what, sizeof what, "stop %s", unit);
    int r = sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &e, &reply,
                                  "ss", unit, "replace");
    if (r < 0) {
        bool gone = sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit");
        if (!gone)
            bus_fail(err, r, &e, what);
        sd_bus_error_free(&e);
        return gone ? 0 : -1;
    }
    r = sd_bus_message_read(reply, "o", &job);
    _cleanup_free_ char *path = r >= 0 ? cx_strdup(job) : NULL;
    sd_bus_message_unref(reply);
    if (r < 0)
        return bus_fail(err, r, NULL, what);
    return wait_job(b, path, what, err);
}

/* One property: ["Name", "s"|"b"|"t"|"au"|"ay", value]. */
static int append_prop(sd_bus_message *m, json_t *p)
{
    const char *name = json_string_value(json_array_get(p, 0));
    const char *sig = json_string_value(json_array_get(p, 1));
    json_t *v = json_array_get(p, 2);
    if (!name || !sig || !v)
        return -EINVAL;
    if (strcmp(sig, "s") == 0 && json_is_string(v))
        return sd_bus_message_append(m, "(sv)", name, "s", json_string_value(v));
    if (strcmp(sig, "b") == 0 && json_is_boolean(v))
        return sd_bus_message_append(m, "(sv)", name, "b", (int) json_is_true(v));
    if (strcmp(sig, "t") == 0 && json_is_integer(v))
        return sd_bus_message_append(m, "(sv)", name, "t", (uint64_t) json_integer_value(v));
    if ((strcmp(sig, "au") != 0 && strcmp(sig, "ay") != 0) || !json_is_array(v))
        return -EINVAL;
    int r = sd_bus_message_open_container(m, 'r', "sv");
    if (r >= 0)
        r = sd_bus_message_append(m, "s", name);
    if (r >= 0)
        r = sd_bus_message_open_container(m, 'v', sig);
    if (r >= 0)
        r = sd_bus_message_open_container(m, 'a', sig + 1);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (r < 0)
            break;
        r = sig[1] == 'u' ? sd_bus_message_append(m, "u", (uint32_t) json_integer_value(e))
                          : sd_bus_message_append(m, "y", (uint8_t) json_integer_value(e));
    }
    for (int k = 0; k < 3 && r >= 0; k++)
        r = sd_bus_message_close_container(m);
    return r;
}

static int fill_json(sd_bus_message *m, json_t *props, cx_error *err)
{
    size_t i;
    json_t *p;
    json_array_foreach(props, i, p) {
        int r = append_prop(m, p);
        if (r < 0)
            return cx_fail(err, -r, "systemd: property %zu (%s): cannot be sent", i,
                           json_string_value(json_array_get(p, 0)));
    }
    return 0;
}
