/* ctl_images.c: `images` (`image ls`), `image inspect`, `tag`, `untag`,
 * `rmi`, `image prune`, with podman's flags, columns and JSON names. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/reference.h"



/* "docker.io/library/busybox:latest" -> repository, tag */
static void split_name(const char *name, char *repo, size_t rlen, char *tag, size_t tlen)
{
    const char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
    if (colon && (!slash || colon > slash)) {
        snprintf(repo, rlen, "%.*s", (int) (colon - name), name);
        snprintf(tag, tlen, "%s", colon + 1);
    } else {
        snprintf(repo, rlen, "%s", name);
        snprintf(tag, tlen, "<none>");
    }
}

static json_t *image_json(const struct cx_image_rec *r)
{
    int64_t created = ctl_created_unix(r->created);
    char ts[40] = "", id[80];
    struct tm tm;
    time_t t = (time_t) created;
    if (gmtime_r(&t, &tm))
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(id, sizeof id, "%s", r->id);
    return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:n, s:i, s:o, s:s, s:o, s:I, s:s}",
                     "Id", id, "ParentId", "",
                     "RepoTags", r->nnames ? ctl_strv_json(r->names, r->nnames) : json_null(),
                     "RepoDigests", ctl_strv_json(r->digests, r->ndigests),
                     "Size", (json_int_t) r->size, "SharedSize", (json_int_t) 0,
                     "VirtualSize", (json_int_t) r->size, "Labels", "Containers", 0,
                     "Names", ctl_strv_json(r->names, r->nnames), "Digest", r->manifest_digest,
                     "History", ctl_strv_json(r->names, r->nnames), "Created", (json_int_t) created,
                     "CreatedAt", ts);
}

static void table_row(const struct cx_image_rec *r, const char *name, bool digests,
                      bool notrunc, int64_t now)
{
    char repo[300], tag[140], ago[40], size[24];
    if (name)
        split_name(name, repo, sizeof repo, tag, sizeof tag);
    else
        snprintf(repo, sizeof repo, "<none>"), snprintf(tag, sizeof tag, "<none>");
    ctl_format_ago(ctl_created_unix(r->created), now, ago, sizeof ago);
    ctl_format_size(r->size, size, sizeof size);
    printf("%-40s %-12s ", repo, tag);
    if (digests)
        printf("%-71s ", r->manifest_digest);
    char id[80];
    snprintf(id, sizeof id, notrunc ? "sha256:%s" : "%.12s", r->id);
    printf("%-13s %-18s %s\n", id, ago, size);
}

int ctl_images(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
        { "digests", no_argument, NULL, 'D' }, { "format", required_argument, NULL, 'f' },
        { "no-trunc", no_argument, NULL, 'T' }, { "noheading", no_argument, NULL, 'n' },
        { 0 },
    };
    bool quiet = false, digests = false, notrunc = false, noheading = false;
    const char *format = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+aqn", opts, NULL)) != -1)
        switch (c) {
        case 'a': break;  /* no intermediate images: every image is listed */
        case 'q': quiet = true; break;
        case 'D': digests = true; break;
        case 'f': format = optarg; break;
        case 'T': notrunc = true; break;
        case 'n': noheading = true; break;
        default: return cx_fail(err, EINVAL, "images: unknown flag %s", argv[optind - 1]);
        }
    if (format && strcmp(format, "json") != 0)
        return cx_fail(err, EINVAL, "images: --format %s: only json is supported", format);
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    struct cx_image_rec *recs = NULL;
    size_t n = 0;
    if (ctl_store_open(g, &s, err) < 0 || cx_image_list(&s, &recs, &n, err) < 0)
        return -1;
    /* a filter by name: images NAME */
    const char *want = optind < argc ? argv[optind] : NULL;
    json_auto_t *arr = json_array();
    int64_t now = (int64_t) time(NULL);
    if (!format && !quiet && !noheading)
        printf("%-40s %-12s %s%-13s %-18s %s\n", "REPOSITORY", "TAG",
               digests ? "DIGEST                                                                  "
                       : "", "IMAGE ID", "CREATED", "SIZE");
    for (size_t i = 0; i < n; i++) {
        const struct cx_image_rec *r = &recs[i];
        bool match = !want || cx_str_has_prefix(r->id, want);
        for (size_t k = 0; want && k < r->nnames; k++)
            match |= strstr(r->names[k], want) != NULL;
        if (!match)
            continue;
        if (format)
            json_array_append_new(arr, image_json(r));
        else if (quiet)
            printf("%.*s\n", notrunc ? 64 : 12, r->id);
        else if (r->nnames == 0)
            table_row(r, NULL, digests, notrunc, now);
        for (size_t k = 0; !format && !quiet && k < r->nnames; k++)
            table_row(r, r->names[k], digests, notrunc, now);
    }
    cx_image_recs_free(recs, n);
    if (format) {
        char *out = json_dumps(arr, JSON_INDENT(4));
        printf("%s\n", out);
        free(out);
    }
    return 0;
}

static int parse_name(const struct ctl_global *g, const char *in, char **out, cx_error *err)
{
    struct cx_ref r;
    (void) g;
    /* a short name is tagged under localhost/, as podman does */
    if (!cx_ref_is_qualified(in) ? cx_ref_parse_in(in, "localhost", &r, err) < 0
                                  : cx_ref_parse(in, &r, err) < 0)
        return -1;
    if (r.digest) {
        cx_ref_free(&r);
        return cx_fail(err, EINVAL, "%s: a tag cannot hold a digest", in);
    }
    *out = cx_ref_string(&r);
    cx_ref_free(&r);
    return 0;
}

int ctl_tag(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    struct cx_image_rec r;
    if (argc < 3)
        return cx_fail(err, EINVAL, "usage: capsactl tag IMAGE TARGET_NAME [TARGET_NAME...]");
    if (ctl_store_open(g, &s, err) < 0 || ctl_image_find(g, &s, argv[1], &r, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        _cleanup_free_ char *name = NULL;
        rc = parse_name(g, argv[i], &name, err) < 0 || cx_image_tag(&s, r.id, name, err) < 0
             ? -1 : 0;
    }
    cx_image_rec_free(&r);
    return rc;
}

int ctl_untag(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    struct cx_image_rec r;
    if (argc < 2)
        return cx_fail(err, EINVAL, "usage: capsactl untag IMAGE [NAME...]");
    if (ctl_store_open(g, &s, err) < 0 || ctl_image_find(g, &s, argv[1], &r, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; argc == 2 && i < r.nnames && rc == 0; i++) {
        bool found;
        rc = cx_image_untag(&s, r.names[i], &found, err);
    }
    for (int i = 2; i < argc && rc == 0; i++) {
        _cleanup_free_ char *name = NULL;
        bool found = false;
        if (parse_name(g, argv[i], &name, err) < 0 || cx_image_untag(&s, name, &found, err) < 0)
            rc = -1;
        else if (!found)
            rc = cx_fail(err, ENOENT, "%s: tag not known", argv[i]);
    }
    cx_image_rec_free(&r);
    return rc;
}

/* rmi NAME removes that name when the image has others (podman), else
 * the image; an ID removes the image (with -f even when it has names). */
static int remove_one(const struct ctl_global *g, struct cx_store *s, const char *what,
                      bool force, cx_error *err)
{
    struct cx_image_rec r;
    if (ctl_image_find(g, s, what, &r, err) < 0)
        return -1;
    bool by_id = cx_str_has_prefix(r.id, cx_str_has_prefix(what, "sha256:") ? what + 7 : what);
    int rc = 0;
    if (cx_image_mounted(s, r.id) && !force)
        rc = cx_fail(err, EBUSY, "image %.12s is mounted (capsactl image unmount it, or "
                     "rmi -f)", r.id);
    else if (by_id && r.nnames > 1 && !force)
        rc = cx_fail(err, EBUSY, "unable to delete image %.12s by ID with more than one tag "
                     "(%s, ...): please force removal", r.id, r.names[0]);
    else if (!by_id && r.nnames > 1) {
        bool found;
        for (size_t i = 0; i < r.nnames; i++)
            if (strstr(r.names[i], what) || strcmp(what, r.names[i]) == 0) {
                rc = cx_image_untag(s, r.names[i], &found, err);
                printf("Untagged: %s\n", r.names[i]);
                break;
            }
    } else {
        for (size_t i = 0; i < r.nnames; i++)
            printf("Untagged: %s\n", r.names[i]);
        bool was;
        rc = (force ? cx_image_unmount(s, r.id, &was, err) : 0) < 0 ||
             cx_image_delete(s, r.id, err) < 0 ? -1 : 0;
        if (rc == 0)
            printf("Deleted: %s\n", r.id);
    }
    cx_image_rec_free(&r);
    return rc;
}

int ctl_rmi(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' }, { "all", no_argument, NULL, 'a' },
        { "ignore", no_argument, NULL, 'i' }, { 0 },
    };
    bool force = false, all = false, ignore = false;
    int c;
    while ((c = getopt_long(argc, argv, "+fai", opts, NULL)) != -1)
        switch (c) {
        case 'f': force = true; break;
        case 'a': all = true; break;
        case 'i': ignore = true; break;
        default: return cx_fail(err, EINVAL, "rmi: unknown flag %s", argv[optind - 1]);
        }
    if (optind >= argc && !all)
        return cx_fail(err, EINVAL, "usage: capsactl rmi [-f] [-a] IMAGE [IMAGE...]");
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    if (ctl_store_open(g, &s, err) < 0)
        return -1;
    int rc = 0;
    if (all) {
        struct cx_image_rec *recs;
        size_t n;
        if (cx_image_list(&s, &recs, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = remove_one(g, &s, recs[i].id, true, err);
        cx_image_recs_free(recs, n);
    }
    /* every image named is tried; the first error is reported, exit 1
       when one was not known (podman: 1, in use 2) */
    int status = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        cx_error e = { 0 };
        if (remove_one(g, &s, argv[i], force, &e) == 0)
            continue;
        bool unknown = strstr(e.msg, ": image not known") != NULL;
        if (unknown && ignore)
            continue;
        char msg[CX_ERROR_MAX + 64];
        cx_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "Error: %s\n", msg);
        status = status ? status : unknown ? 1 : 2;
    }
    if (rc == 0 && cx_store_gc(&s, err) < 0)
        return -1;
    return rc < 0 ? -1 : status;
}

int ctl_image_prune(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' }, { 0 },
    };
    bool all = false;
    int c;
    while ((c = getopt_long(argc, argv, "+af", opts, NULL)) != -1)
        switch (c) {
        case 'a': all = true; break;
        case 'f': break;
        default: return cx_fail(err, EINVAL, "image prune: unknown flag %s", argv[optind - 1]);
        }
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    struct cx_image_rec *recs;
    size_t n;
    if (ctl_store_open(g, &s, err) < 0 || cx_image_list(&s, &recs, &n, err) < 0)
        return -1;
    int rc = 0;
    /* dangling images (no name); with -a every image; never one that a
       container uses (EBUSY) */
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((all || recs[i].nnames == 0) && !cx_image_mounted(&s, recs[i].id)) {
            cx_error one = { 0 };
            if (cx_image_delete(&s, recs[i].id, &one) == 0)
                printf("%s\n", recs[i].id);
            else if (one.errnum != EBUSY)
                rc = (*err = one, -1);
        }
    cx_image_recs_free(recs, n);
    return rc < 0 || cx_store_gc(&s, err) < 0 ? -1 : 0;
}
