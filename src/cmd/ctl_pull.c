/* ctl_pull.c: `capsactl pull`: from a registry (through registries.conf's
 * mirrors and search registries) or from an OCI layout (oci:DIR[:TAG]). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ctl.h"
#include "cmd/ctl_progress.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "image/authfile.h"
#include "image/pull.h"
#include "image/reference.h"

static int pull_from(struct cx_store *s, struct cx_source *src, const char *ref,
                     const struct ctl_pull_args *a, const char *name, const char *repository,
                     char id[65], cx_error *err)
{
    struct ctl_progress pr;
    struct cx_pull_opts o = { .name = name, .repository = repository,
                              .progress = ctl_progress_event, .ctx = &pr };
    ctl_progress_init(&pr, a->quiet);
    if (a->platform ? cx_platform_parse(a->platform, &o.platform, err) < 0
                    : (cx_platform_host(&o.platform), 0))
        return -1;
    int rc = cx_pull(s, src, ref, &o, id, err);
    if (rc == 0)
        ctl_progress_done(&pr, id);
    ctl_progress_free(&pr);
    return rc;
}

static int pull_layout(struct cx_store *s, const char *spec, const struct ctl_pull_args *a,
                       char id[65], cx_error *err)
{
    _cleanup_free_ char *dir = cx_strdup(spec);
    char *colon = strrchr(dir, ':'), *tag = NULL;
    if (colon && !strchr(colon, '/'))
        *colon = '\0', tag = colon + 1;
    _cleanup_(cx_source_free) struct cx_source src = { 0 };
    if (cx_source_layout(&src, dir, err) < 0)
        return -1;
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    struct cx_ref ref;
    _cleanup_free_ char *local = cx_asprintf("localhost/%s:%s", base, tag ? tag : "latest");
    _cleanup_free_ char *name = NULL;
    if (cx_ref_parse(local, &ref, err) == 0) {
        name = cx_ref_string(&ref);
        cx_ref_free(&ref);
    }
    cx_error_clear(err);
    return pull_from(s, &src, tag, a, name, NULL, id, err);
}

static int pull_endpoint(struct cx_store *s, const struct cx_endpoint *e, const struct cx_ref *r,
                         const struct ctl_pull_args *a, char id[65], cx_error *err)
{
    _cleanup_free_ char *user = NULL, *pass = NULL, *name = cx_ref_string(r),
                        *repo = cx_ref_name(r);
    struct cx_registry_creds creds = { 0 };
    bool found = false;
    if (ctl_credentials(a->reg.creds, a->reg.authfile, e, &user, &pass, &found, err) < 0)
        return -1;
    creds.user = user, creds.pass = pass;
    struct cx_registry_endpoint ep = { .host = e->host, .insecure = e->insecure };
    if (a->reg.tls_verify_set)
        ep.insecure = !a->reg.tls_verify;
    if (ctl_endpoint_tuning(&ep, err) < 0)
        return -1;
    _cleanup_(cx_source_free) struct cx_source src = { 0 };
    if (cx_source_registry(&src, &ep, e->repository, found ? &creds : NULL, err) < 0)
        return -1;
    /* a digest reference names the image; the tag is kept for its name */
    return pull_from(s, &src, r->digest ? r->digest : r->tag, a, r->tag ? name : NULL, repo, id,
                     err);
}

/* One reference, each endpoint in turn (mirrors first); the error of the
 * last one is reported, the others named on stderr as podman does. */
static int pull_ref(struct cx_store *s, const struct cx_regconf *rc, const struct cx_ref *r,
                    const struct ctl_pull_args *a, char id[65], cx_error *err)
{
    _cleanup_free_ char *name = cx_ref_name(r), *full = cx_ref_string(r);
    struct cx_endpoint *eps = NULL;
    size_t n = 0;
    if (cx_regconf_endpoints_for(rc, name, r->digest != NULL, &eps, &n, err) < 0)
        return -1;
    int rc_ = -1;
    if (!a->quiet)
        fprintf(stderr, "Trying to pull %s...\n", full);
    for (size_t i = 0; i < n && rc_ < 0; i++) {
        if (i > 0) {
            char msg[CX_ERROR_MAX + 64];
            cx_error_format(err, msg, sizeof msg);
            if (!a->quiet)
                fprintf(stderr, "capsactl: pulling from %s failed (trying the next "
                        "location): %s\n", eps[i - 1].host, msg);
            cx_error_clear(err);
        }
        rc_ = pull_endpoint(s, &eps[i], r, a, id, err);
    }
    cx_endpoints_free(eps, n);
    return rc_;
}

int ctl_pull_image(const struct ctl_global *g, struct cx_store *s, const char *spec,
                   const struct ctl_pull_args *a, char id[65], cx_error *err)
{
    _cleanup_(cx_regconf_free) struct cx_regconf rc = { 0 };
    if (cx_str_has_prefix(spec, "oci:"))
        return pull_layout(s, spec + 4, a, id, err);
    if (cx_str_has_prefix(spec, "docker://"))
        spec += 9;
    if (ctl_regconf(g, &rc, err) < 0)
        return -1;
    const char *alias = cx_ref_is_qualified(spec) ? NULL : cx_regconf_alias(&rc, spec);
    if (alias)
        spec = alias;
    /* short names: each search registry in turn, docker.io without any */
    size_t ntry = cx_ref_is_qualified(spec) || rc.nsearch == 0 ? 1 : rc.nsearch;
    int ret = -1;
    for (size_t i = 0; i < ntry && ret < 0; i++) {
        struct cx_ref r;
        cx_error_clear(err);
        if ((ntry > 1 || rc.nsearch) && !cx_ref_is_qualified(spec)
                ? cx_ref_parse_in(spec, rc.search[i], &r, err) < 0
                : cx_ref_parse(spec, &r, err) < 0)
            return -1;
        ret = pull_ref(s, &rc, &r, a, id, err);
        cx_ref_free(&r);
    }
    return ret;
}

enum { OPT_PLATFORM = 1000, OPT_ARCH, OPT_OS, OPT_VARIANT };

int ctl_pull_flags(int argc, char **argv, struct ctl_pull_args *a, char *platform_buf,
                   size_t len, cx_error *err)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        CTL_REGISTRY_OPTIONS,
        { "platform", required_argument, NULL, OPT_PLATFORM },
        { "arch", required_argument, NULL, OPT_ARCH },
        { "os", required_argument, NULL, OPT_OS },
        { "variant", required_argument, NULL, OPT_VARIANT },
        { 0 },
    };
    const char *arch = NULL, *os = NULL, *variant = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
        int taken = ctl_registry_flag(c, optarg, &a->reg, err);
        if (taken < 0)
            return -1;
        if (taken)
            continue;
        switch (c) {
        case 'q': a->quiet = true; break;
        case OPT_PLATFORM: a->platform = optarg; break;
        case OPT_ARCH: arch = optarg; break;
        case OPT_OS: os = optarg; break;
        case OPT_VARIANT: variant = optarg; break;
        default:
            return cx_fail(err, EINVAL, "pull: unknown flag %s", argv[optind - 1]);
        }
    }
    if (arch || os || variant) {
        snprintf(platform_buf, len, "%s/%s%s%s", os ? os : "linux", arch ? arch : "amd64",
                 variant ? "/" : "", variant ? variant : "");
        a->platform = platform_buf;
    }
    return optind;
}

int ctl_pull(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    struct ctl_pull_args a = { 0 };
    char platform[128], id[65];
    _cleanup_(cx_store_close) struct cx_store s = { .rootfd = -1 };
    int first = ctl_pull_flags(argc, argv, &a, platform, sizeof platform, err);
    if (first < 0)
        return -1;
    if (argc - first < 1)
        return cx_fail(err, EINVAL, "usage: capsactl pull [options] IMAGE [IMAGE...]");
    if (ctl_store_open(g, &s, err) < 0)
        return -1;
    for (int i = first; i < argc; i++) {
        if (ctl_pull_image(g, &s, argv[i], &a, id, err) < 0)
            return -1;
        printf("%s\n", id);
    }
    return 0;
}
