/* ctl_cp.c: `capsactl cp`, `export` and `commit` (podman 4.3's flags). */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/commit.h"
#include "engine/cp.h"

/* "-a=false" comes through getopt as "=false" */
static const char *bool_arg(const char *v)
{
    return v && *v == '=' ? v + 1 : v;
}

int ctl_cp(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    enum { OPT_OVERWRITE = 1000 };
    static const struct option opts[] = {
        { "archive", optional_argument, NULL, 'a' },
        { "overwrite", no_argument, NULL, OPT_OVERWRITE },
        { 0 },
    };
    struct cx_cp_opts o = { .archive = true };
    int c;
    while ((c = getopt_long(argc, argv, "+a::", opts, NULL)) != -1)
        switch (c) {
        case 'a':
            if (ctl_parse_bool("archive", bool_arg(optarg), &o.archive, err) < 0)
                return -1;
            break;
        case OPT_OVERWRITE: o.overwrite = true; break;
        default: return cx_fail(err, EINVAL, "cp: unknown flag %s", argv[optind - 1]);
        }
    if (argc - optind != 2)
        return cx_fail(err, EINVAL, "usage: capsactl cp [-a[=false]] [--overwrite] "
                       "SRC DEST (one of them CONTAINER:PATH, or - for a tar stream)");
    struct cx_engine e;
    signal(SIGPIPE, SIG_IGN);   /* a reader of "-" gone: an error, and the root unmounted */
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    int rc = cx_cp(&e, argv[optind], argv[optind + 1], &o, err);
    cx_engine_close(&e);
    return rc;
}

int ctl_export(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = { { "output", required_argument, NULL, 'o' }, { 0 } };
    const char *out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
        if (c != 'o')
            return cx_fail(err, EINVAL, "export: unknown flag %s", argv[optind - 1]);
        out = optarg;
    }
    if (argc - optind != 1)
        return cx_fail(err, EINVAL, "usage: capsactl export [-o FILE] CONTAINER");
    if (!out && isatty(STDOUT_FILENO))
        return cx_fail(err, EINVAL, "export: refusing to write a tar to a terminal: use -o "
                       "FILE or redirect standard output");
    _cleanup_close_ int fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                                 : -1;
    if (out && fd < 0)
        return cx_fail_errno(err, "export: %s", out);
    struct cx_engine e;
    signal(SIGPIPE, SIG_IGN);   /* as cp */
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    int rc = cx_export(&e, argv[optind], out ? fd : STDOUT_FILENO, err);
    cx_engine_close(&e);
    if (rc == 0 && out && fsync(fd) < 0)
        rc = cx_fail_errno(err, "export: %s", out);
    if (rc < 0 && out)
        unlink(out);   /* no half archive left that looks whole */
    return rc;
}

struct commit_args {
    struct cx_commit_opts o;
    const char *iidfile;
    bool quiet;
    const char **changes;   /* argc + 1 of them: never more than the flags */
    size_t nchanges;
};

static int commit_flags(int argc, char **argv, struct commit_args *a, cx_error *err)
{
    enum { OPT_IIDFILE = 1000, OPT_VOLUMES };
    static const struct option opts[] = {
        { "author", required_argument, NULL, 'a' }, { "change", required_argument, NULL, 'c' },
        { "message", required_argument, NULL, 'm' }, { "pause", optional_argument, NULL, 'p' },
        { "format", required_argument, NULL, 'f' }, { "quiet", no_argument, NULL, 'q' },
        { "iidfile", required_argument, NULL, OPT_IIDFILE }, { "squash", no_argument, NULL, 's' },
        { "include-volumes", no_argument, NULL, OPT_VOLUMES }, { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+a:c:m:p::f:qs", opts, NULL)) != -1)
        switch (c) {
        case 'a': a->o.author = optarg; break;
        case 'm': a->o.message = optarg; break;
        case 'q': a->quiet = true; break;
        case OPT_IIDFILE: a->iidfile = optarg; break;
        case OPT_VOLUMES: a->o.include_volumes = true; break;
        case 'p':
            if (ctl_parse_bool("pause", bool_arg(optarg), &a->o.pause, err) < 0)
                return -1;
            break;
        case 'f':
            if (strcmp(optarg, "oci") && strcmp(optarg, "docker"))
                return cx_fail(err, EINVAL, "commit: --format %s: want oci or docker", optarg);
            a->o.docker = !strcmp(optarg, "docker");
            break;
        case 'c': a->changes[a->nchanges++] = optarg; break;
        case 's': return cx_fail(err, ENOTSUP, "commit: --squash is not supported");
        default: return cx_fail(err, EINVAL, "commit: unknown flag %s", argv[optind - 1]);
        }
    if (argc - optind < 1 || argc - optind > 2)
        return cx_fail(err, EINVAL, "usage: capsactl commit [-a AUTHOR] [-c INSTRUCTION]... "
                       "[-m MESSAGE] [-p|--pause] [-f oci|docker] [-q] CONTAINER [IMAGE]");
    a->o.name = argc - optind == 2 ? argv[optind + 1] : NULL;
    return 0;
}

int ctl_commit(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    _cleanup_free_ const char **changes = cx_calloc((size_t) argc + 1, sizeof(char *));
    struct commit_args a = { .changes = changes };
    char id[65];
    if (commit_flags(argc, argv, &a, err) < 0)
        return -1;
    a.o.changes = changes;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    int rc = cx_commit(&e, argv[optind], &a.o, id, err);
    cx_engine_close(&e);
    if (rc == 0 && a.iidfile) {
        _cleanup_close_ int fd = open(a.iidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || cx_write_all(fd, id, strlen(id)) < 0)
            rc = cx_fail_errno(err, "commit: --iidfile %s", a.iidfile);
    }
    if (rc == 0)
        printf("%s\n", id);
    return rc;
}
