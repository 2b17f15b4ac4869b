/* ctl_push.c: `capsactl push [options] IMAGE [DESTINATION]`: a stored
 * image to a registry (docker://REF or a plain reference; DESTINATION
 * defaults to the image's name) exactly as stored, or to an OCI layout
 * (oci:DIR[:TAG], ctl_archive.c).  The registry is the destination name's
 * primary location in registries.conf (never a mirror); credentials and
 * --tls-verify as pull takes them. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "image/authfile.h"
#include "image/push.h"
#include "image/reference.h"

#define MOUNT_FROM_MAX 16

struct push_args {
    const char *digestfile;
    struct ctl_registry_flags reg;
    bool quiet;
    uint64_t chunk_size;
};

enum { OPT_DIGESTFILE = 1000, OPT_CHUNK, OPT_IGNORED };

static int push_flags(int argc, char **argv, struct push_args *a, cx_error *err)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        CTL_REGISTRY_OPTIONS,
        { "digestfile", required_argument, NULL, OPT_DIGESTFILE },
        { "chunk-size", required_argument, NULL, OPT_CHUNK },
        /* nothing to do: capsa stores no signatures */
        { "remove-signatures", no_argument, NULL, OPT_IGNORED },
        { "disable-content-trust", no_argument, NULL, OPT_IGNORED },
        { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
        int taken = ctl_registry_flag(c, optarg, &a->reg, err);
        if (taken < 0)
            return -1;
        if (taken)
            continue;
        switch (c) {
        case 'q': a->quiet = true; break;
        case OPT_DIGESTFILE: a->digestfile = optarg; break;
        case OPT_CHUNK:
            if (cx_parse_u64(optarg, &a->chunk_size) < 0 || a->chunk_size == 0 ||
                a->chunk_size > (1ull << 32))
                return cx_fail(err, 0, "--chunk-size=%s: want bytes, 1 to 4294967296",
                               optarg);
            break;
        case OPT_IGNORED: break;
        default:
            return cx_fail(err, 0, "push: unknown flag %s", argv[optind - 1]);
        }
    }
    return optind;
}

/* ---- progress, as podman prints it ---- */

static void progress(void *ctx, const struct cx_push_progress *p)
{
    (void) ctx;
    if (p->ev == CX_PUSH_MANIFEST) {
        fprintf(stderr, "Writing manifest to image destination\n");
        return;
    }
    const char *what = p->config ? "config" : "blob";
    bool skipped = p->ev != CX_PUSH_BLOB_UPLOADED && !p->config;
    fprintf(stderr, "Copying %s %.12s %s\n", what, p->digest->hex,
            skipped ? "skipped: already exists" : "done");
}

/* ---- where to push ---- */

/* The destination when none is given: the image's name that the user
 * typed (as stored, or short), not an ID. */
static int default_dest(const char *typed, const struct cx_image_rec *rec, char **out,
                        cx_error *err)
{
    if (cx_ref_is_qualified(typed))
        return *out = cx_strdup(typed), 0;
    size_t n = strlen(typed);
    for (size_t i = 0; i < rec->nnames; i++) {
        const char *name = rec->names[i];
        size_t len = strlen(name);
        _cleanup_free_ char *latest = cx_asprintf("/%s:latest", typed);
        if ((len > n && name[len - n - 1] == '/' && !strcmp(name + len - n, typed)) ||
            (len > strlen(latest) && !strcmp(name + len - strlen(latest), latest)))
            return *out = cx_strdup(name), 0;
    }
    if (!strncmp(rec->id, typed, n) ||
        (cx_str_has_prefix(typed, "sha256:") && !strncmp(rec->id, typed + 7, n - 7)))
        return cx_fail(err, 0, "push: %s is an image ID: give a DESTINATION", typed);
    return *out = cx_strdup(typed), 0;
}

/* The primary (non-mirror) endpoint of name in registries.conf. */
static int primary_endpoint(const struct cx_regconf *rc, const char *name,
                            struct cx_endpoint *out, cx_error *err)
{
    struct cx_endpoint *eps = NULL;
    size_t n = 0;
    if (cx_regconf_endpoints_for(rc, name, false, &eps, &n, err) < 0)
        return -1;
    size_t i = n;
    while (i > 0 && eps[i - 1].mirror)
        i--;
    if (i == 0) {
        cx_endpoints_free(eps, n);
        return cx_fail(err, 0, "push: %s: no registry location in registries.conf", name);
    }
    *out = eps[i - 1];
    eps[i - 1] = (struct cx_endpoint) { 0 };
    cx_endpoints_free(eps, n);
    return 0;
}

static void endpoint_free(struct cx_endpoint *e)
{
    free(e->host), free(e->repository);
    *e = (struct cx_endpoint) { 0 };
}

/* Repositories on the same registry the image is known to be in (its
 * repo digests "name@sha256:..."), for cross-repository mounts. */
static void mount_sources(const struct cx_regconf *rc, const struct cx_image_rec *rec,
                          const struct cx_endpoint *dest, char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->ndigests && n + 1 < max; i++) {
        _cleanup_free_ char *name = cx_strdup(rec->digests[i]);
        char *at = strchr(name, '@');
        struct cx_endpoint e = { 0 };
        cx_error ignored = { 0 };
        if (at)
            *at = '\0';
        if (primary_endpoint(rc, name, &e, &ignored) == 0 && !strcmp(e.host, dest->host) &&
            strcmp(e.repository, dest->repository) != 0) {
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                dup = !strcmp(out[j], e.repository);
            if (!dup)
                out[n++] = TAKE_PTR(e.repository);
        }
        endpoint_free(&e);
    }
    out[n] = NULL;
}

/* ---- the push ---- */

static int record_digest(struct cx_store *s, const struct cx_image_rec *rec, const char *name,
                         const struct cx_digest *d, cx_error *err)
{
    char ds[CX_DIGEST_MAX];
    cx_digest_format(d, ds);
    _cleanup_free_ char *rd = cx_asprintf("%s@%s", name, ds);
    const char *const digests[] = { rd, NULL };
    return cx_image_add_digests(s, rec->id, digests, err);
}

static int write_digestfile(const char *path, const struct cx_digest *d, cx_error *err)
{
    char ds[CX_DIGEST_MAX];
    cx_digest_format(d, ds);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || cx_write_all(fd, ds, strlen(ds)) < 0)
        return cx_fail_errno(err, "--digestfile %s", path);
    return 0;
}

static int push_registry(struct cx_store *s, const struct cx_regconf *rc,
                         const struct cx_image_rec *rec, const struct cx_ref *ref,
                         const struct push_args *a, cx_error *err)
{
    _cleanup_free_ char *name = cx_ref_name(ref), *user = NULL, *pass = NULL;
    _cleanup_(endpoint_free) struct cx_endpoint e = { 0 };
    char *from[MOUNT_FROM_MAX];
    bool found = false;
    if (primary_endpoint(rc, name, &e, err) < 0 ||
        ctl_credentials(a->reg.creds, a->reg.authfile, &e, &user, &pass, &found, err) < 0)
        return -1;
    struct cx_registry_creds creds = { user, pass };
    struct cx_registry_endpoint ep = { .host = e.host, .insecure = e.insecure };
    if (a->reg.tls_verify_set)
        ep.insecure = !a->reg.tls_verify;
    if (ctl_endpoint_tuning(&ep, err) < 0)
        return -1;
    mount_sources(rc, rec, &e, from, MOUNT_FROM_MAX);
    struct cx_push_opts o = { .tag = ref->tag, .mount_from = (const char *const *) from,
                              .chunk_size = a->chunk_size,
                              .progress = a->quiet ? NULL : progress };
    struct cx_digest d;
    if (!a->quiet)
        fprintf(stderr, "Getting image source signatures\n");
    int ret = cx_push(s, rec, &ep, e.repository, found ? &creds : NULL, &o, &d, err);
    for (size_t i = 0; from[i]; i++)
        free(from[i]);
    if (ret < 0)
        return cx_error_prefix(err, "push %s", name);
    cx_error warn = { 0 };
    if (record_digest(s, rec, name, &d, &warn) < 0)   /* pushed all the same */
        cx_log_error_as_warning(&warn);
    return a->digestfile ? write_digestfile(a->digestfile, &d, err) : 0;
}

static bool other_transport(const char *dest)
{
    static const char *const names[] = { "dir:", "docker-archive:", "oci-archive:",
                                         "docker-daemon:", "containers-storage:", "sif:" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (cx_str_has_prefix(dest, names[i]))
            return true;
    return strstr(dest, "://") != NULL;
}

int ctl_push(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    struct push_args a = { 0 };
    _cleanup_(cx_store_close) struct cx_store s = { .rootfd = -1 };
    _cleanup_(cx_regconf_free) struct cx_regconf rc = { 0 };
    _cleanup_(cx_image_rec_free) struct cx_image_rec rec = { 0 };
    _cleanup_free_ char *dest = NULL;
    int first = push_flags(argc, argv, &a, err);
    if (first < 0)
        return -1;
    if (argc - first < 1 || argc - first > 2)
        return cx_fail(err, 0, "usage: capsactl push [options] IMAGE [DESTINATION]");
    const char *image = argv[first];
    if (ctl_store_open(g, &s, err) < 0)
        return -1;
    if (argc - first == 2 && cx_str_has_prefix(argv[first + 1], "oci:"))
        return ctl_push_layout(g, &s, image, argv[first + 1], err);
    if (ctl_image_find(g, &s, image, &rec, err) < 0)
        return -1;
    if (argc - first == 2)
        dest = cx_strdup(argv[first + 1]);
    else if (default_dest(image, &rec, &dest, err) < 0)
        return -1;
    const char *d = cx_str_has_prefix(dest, "docker://") ? dest + 9 : dest;
    if (other_transport(d))
        return cx_fail(err, 0, "push: %s: unsupported destination (docker://REFERENCE, "
                       "a reference, or oci:DIR[:TAG])", d);
    struct cx_ref ref;
    if (cx_ref_parse(d, &ref, err) < 0)
        return cx_error_prefix(err, "push");
    int ret;
    if (ref.digest && !ref.tag)
        ret = cx_fail(err, 0, "push: %s: a destination names a tag, not a digest", d);
    else if ((ret = ctl_regconf(g, &rc, err)) == 0)
        ret = push_registry(&s, &rc, &rec, &ref, &a, err);
    cx_ref_free(&ref);
    return ret;
}
