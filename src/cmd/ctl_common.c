/* ctl_common.c: what capsactl's commands share: the store, the
 * registries configuration, finding an image by what a user typed. */
#include "cmd/ctl.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "image/authfile.h"
#include "image/reference.h"

/* A positive number from the environment, or 0 when unset. */
static int env_u64(const char *name, uint64_t *out, cx_error *err)
{
    const char *v = getenv(name);
    *out = 0;
    if (v && (cx_parse_u64(v, out) < 0 || *out == 0))
        return cx_fail(err, EINVAL, "%s=%s: want a positive number", name, v);
    return 0;
}

int ctl_store_open(const struct ctl_global *g, struct cx_store *s, cx_error *err)
{
    uint64_t bytes, entries;
    if (env_u64("CAPSACTL_LAYER_MAX_BYTES", &bytes, err) < 0 ||
        env_u64("CAPSACTL_LAYER_MAX_ENTRIES", &entries, err) < 0 ||
        cx_store_open(s, g->root, g->runroot, err) < 0)
        return -1;
    s->layer_max_bytes = bytes, s->layer_max_entries = entries;
    return 0;
}

int ctl_endpoint_tuning(struct cx_registry_endpoint *ep, cx_error *err)
{
    uint64_t delay, stall;
    if (env_u64("CAPSACTL_RETRY_DELAY_MS", &delay, err) < 0 ||
        env_u64("CAPSACTL_STALL_TIMEOUT", &stall, err) < 0)
        return -1;
    if (delay > 60000 || stall > 3600)
        return cx_fail(err, EINVAL, "CAPSACTL_RETRY_DELAY_MS is at most 60000, "
                       "CAPSACTL_STALL_TIMEOUT at most 3600");
    ep->retry_delay_ms = (unsigned) delay;
    ep->stall_timeout_s = (unsigned) stall;
    return 0;
}

int ctl_regconf(const struct ctl_global *g, struct cx_regconf *c, cx_error *err)
{
    /* the default file may be missing; one named on the command line not */
    return cx_regconf_load(g->registries_conf, g->registries_conf == NULL, c, err);
}

/* The names "name" may mean, most likely first: as written when it is
 * qualified, else under each unqualified-search registry, then localhost,
 * then docker.io's normalization. */
static int candidates(const struct cx_regconf *rc, const char *name, char ***out, size_t *n,
                      cx_error *err)
{
    struct cx_ref ref;
    size_t cap = rc->nsearch + 4;
    *n = 0;
    *out = cx_calloc(cap, sizeof(char *));
    if (cx_ref_is_qualified(name)) {
        if (cx_ref_parse(name, &ref, err) < 0)
            return -1;
        (*out)[(*n)++] = cx_ref_string(&ref);
        cx_ref_free(&ref);
        return 0;
    }
    for (size_t i = 0; i < rc->nsearch + 2; i++) {
        const char *dom = i < rc->nsearch ? rc->search[i] : i == rc->nsearch ? "localhost"
                                                                              : "docker.io";
        if (cx_ref_parse_in(name, dom, &ref, err) < 0)
            return -1;
        (*out)[(*n)++] = cx_ref_string(&ref);
        cx_ref_free(&ref);
    }
    return 0;
}

int ctl_image_find(const struct ctl_global *g, struct cx_store *s, const char *name,
                   struct cx_image_rec *out, cx_error *err)
{
    _cleanup_(cx_regconf_free) struct cx_regconf rc = { 0 };
    _cleanup_strv_ char **names = NULL;
    size_t n;
    bool found;
    /* an ID (or its prefix), or a name exactly as stored */
    if (cx_image_lookup(s, name, out, &found, err) < 0)
        return -1;
    if (found)
        return 0;
    if (ctl_regconf(g, &rc, err) < 0)
        return -1;
    if (candidates(&rc, name, &names, &n, err) < 0) {
        /* not a valid reference: then it was meant as an ID */
        cx_error_clear(err);
        return cx_fail(err, 0, "%s: image not known", name);
    }
    for (size_t i = 0; i < n; i++) {
        if (cx_image_lookup(s, names[i], out, &found, err) < 0)
            return -1;
        if (found)
            return 0;
    }
    return cx_fail(err, 0, "%s: image not known", name);
}

void ctl_format_size(int64_t bytes, char *buf, size_t len)
{
    /* podman's units: decimal, three significant digits */
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
    double v = (double) bytes;
    size_t u = 0;
    while (v >= 1000 && u < 4)
        v /= 1000, u++;
    if (u == 0)
        snprintf(buf, len, "%lld B", (long long) bytes);
    else
        snprintf(buf, len, "%.3g %s", v, units[u]);
}

int64_t ctl_created_unix(const char *created)
{
    struct tm tm = { 0 };
    if (!created || !strptime(created, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    return (int64_t) timegm(&tm);
}

void ctl_format_rfc3339(int64_t ns, char *buf, size_t len)
{
    time_t t = (time_t) (ns / 1000000000);
    struct tm tm;
    char base[40], zone[8];
    localtime_r(&t, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z", &tm);
    snprintf(buf, len, "%s.%09lld%.3s:%s", base, (long long) (ns % 1000000000), zone, zone + 3);
}

void ctl_format_ago(int64_t when, int64_t now, char *buf, size_t len)
{
    int64_t d = now - when;
    if (when <= 0)
        snprintf(buf, len, "unknown");
    else if (d < 60)
        snprintf(buf, len, "%s", d < 2 ? "Less than a second ago" : "Less than a minute ago");
    else if (d < 3600)
        snprintf(buf, len, "%lld minute%s ago", (long long) (d / 60), d < 120 ? "" : "s");
    else if (d < 86400 * 2)
        snprintf(buf, len, "%lld hour%s ago", (long long) (d / 3600), d < 7200 ? "" : "s");
    else if (d < 86400 * 14)
        snprintf(buf, len, "%lld days ago", (long long) (d / 86400));
    else if (d < 86400 * 60)
        snprintf(buf, len, "%lld weeks ago", (long long) (d / 86400 / 7));
    else if (d < 86400 * 730)
        snprintf(buf, len, "%lld months ago", (long long) (d / 86400 / 30));
    else
        snprintf(buf, len, "%lld years ago", (long long) (d / 86400 / 365));
}

int ctl_credentials(const char *creds, const char *authfile, const struct cx_endpoint *e,
                    char **user, char **pass, bool *found, cx_error *err)
{
    if (creds) {
        const char *c = strchr(creds, ':');
        *user = c ? strndup(creds, (size_t) (c - creds)) : cx_strdup(creds);
        *pass = cx_strdup(c ? c + 1 : "");
        return *found = true, 0;
    }
    /* auth files name docker.io, not the host that serves it */
    const char *host = strcmp(e->host, "registry-1.docker.io") ? e->host : "docker.io";
    return cx_auth_lookup(authfile, host, e->repository, user, pass, found, err);
}

int ctl_parse_bool(const char *flag, const char *v, bool *out, cx_error *err)
{
    if (!v || !strcmp(v, "true"))
        return *out = true, 0;
    if (!strcmp(v, "false"))
        return *out = false, 0;
    return cx_fail(err, EINVAL, "--%s=%s: want true or false", flag, v);
}

int ctl_registry_flag(int c, const char *arg, struct ctl_registry_flags *f, cx_error *err)
{
    switch (c) {
    case CTL_OPT_TLS:
        f->tls_verify_set = true;
        return ctl_parse_bool("tls-verify", arg, &f->tls_verify, err) < 0 ? -1 : 1;
    case CTL_OPT_AUTHFILE: f->authfile = arg; return 1;
    case CTL_OPT_CREDS: f->creds = arg; return 1;
    default: return 0;
    }
}

void *ctl_strv_json(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

int ctl_ls_flags(int argc, char **argv, const char *cmd, bool *quiet, bool *json,
                 cx_error *err)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' }, { "format", required_argument, NULL, 'f' }, { 0 },
    };
    int c;
    *quiet = *json = false;
    while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1)
        switch (c) {
        case 'q': *quiet = true; break;
        case 'f':
            if (strcmp(optarg, "json") != 0)
                return cx_fail(err, EINVAL, "%s: --format: only json", cmd);
            *json = true;
            break;
        default: return cx_fail(err, EINVAL, "%s: unknown flag %s", cmd, argv[optind - 1]);
        }
    return optind;
}

void ctl_print_json(json_t *arr)
{
    _cleanup_free_ char *s = json_dumps(arr, JSON_INDENT(4));
    printf("%s\n", s ? s : "[]");
}

void ctl_label_add(json_t *labels, char *arg)
{
    char *eq = strchr(arg, '=');
    if (eq)
        *eq = '\0';
    json_object_set_new(labels, arg, json_string(eq ? eq + 1 : ""));
}

int ctl_remove_each(struct cx_engine *e, int n, char **names,
                    int (*remove)(struct cx_engine *, const char *, cx_error *),
                    cx_error *err)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        cx_error one = { 0 };
        if (remove(e, names[i], &one) < 0) {
            if (rc == 0)
                *err = one;
            else
                cx_log_error(&one);
            rc = -1;
        } else
            printf("%s\n", names[i]);
    }
    return rc;
}
