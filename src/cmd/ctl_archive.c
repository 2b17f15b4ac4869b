/* ctl_archive.c: `capsactl load`, `save`, `import`, and `push IMAGE
 * oci:DIR[:TAG]` (podman 4.3's flags and output). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/infra_image.h"
#include "engine/pods.h"
#include "image/archive.h"
#include "image/layout_write.h"

static int open_input(const char *path, int *fd, cx_error *err)
{
    if (!path || !strcmp(path, "-")) {
        if (isatty(STDIN_FILENO))
            return cx_fail(err, EINVAL, "cannot read an archive from a terminal: use -i FILE "
                           "or redirect stdin");
        *fd = STDIN_FILENO;
        return 0;
    }
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    return *fd < 0 ? cx_fail_errno(err, "%s", path) : 0;
}

int ctl_load(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },
        { "quiet", no_argument, NULL, 'q' },
        { 0 },
    };
    const char *input = NULL;
    int c, fd = -1;
    while ((c = getopt_long(argc, argv, "+i:q", opts, NULL)) != -1) {
        if (c == 'i')
            input = optarg;
        else if (c != 'q')
            return cx_fail(err, EINVAL, "load: unknown flag %s", argv[optind - 1]);
    }
    if (optind < argc)
        return cx_fail(err, EINVAL, "usage: capsactl load [-q] [-i FILE]");
    _cleanup_(cx_store_close) struct cx_store s = { .rootfd = -1 };
    struct cx_loaded *l = NULL;
    size_t n = 0;
    if (ctl_store_open(g, &s, err) < 0 || open_input(input, &fd, err) < 0)
        return -1;
    int rc = cx_archive_load(&s, fd, &l, &n, err);
    if (fd != STDIN_FILENO)
        close(fd);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!l[i].names[0])
            printf("Loaded image: sha256:%s\n", l[i].id);
        for (char **p = l[i].names; *p; p++)
            printf("Loaded image: %s\n", *p);
    }
    cx_loaded_free(l, n);
    return rc;
}

/* ---- save ---- */

/* The stored name arg stands for: itself, or the one name it is a short
 * form of ("busybox" for localhost/busybox:latest); NULL for an ID. */
static const char *arg_name(const char *arg, const struct cx_image_rec *r)
{
    const char *hex = cx_str_has_prefix(arg, "sha256:") ? arg + 7 : arg;
    if (strspn(hex, "0123456789abcdef") == strlen(hex) && !strncmp(r->id, hex, strlen(hex)))
        return NULL;
    _cleanup_free_ char *tagged = strchr(strrchr(arg, '/') ? strrchr(arg, '/') : arg, ':')
        ? cx_strdup(arg) : cx_asprintf("%s:latest", arg);
    size_t tl = strlen(tagged);
    for (size_t i = 0; i < r->nnames; i++) {
        const char *nm = r->names[i];
        size_t nl = strlen(nm);
        if (!strcmp(nm, arg) || !strcmp(nm, tagged) ||
            (nl > tl && nm[nl - tl - 1] == '/' && !strcmp(nm + nl - tl, tagged)))
            return nm;
    }
    return NULL;
}

struct save_set {
    struct cx_image_rec *recs;
    const char ***names;
    struct cx_save_image *imgs;
    size_t n;
};

static void save_set_free(struct save_set *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        cx_image_rec_free(&ss->recs[i]);
        free(ss->names[i]);
    }
    free(ss->recs), free(ss->names), free(ss->imgs);
}

/* One entry per image, with every name it was asked by. */
static int save_collect(const struct ctl_global *g, struct cx_store *s, char **args, int nargs,
                        bool multi, struct save_set *ss, cx_error *err)
{
    ss->recs = cx_calloc((size_t) nargs, sizeof *ss->recs);
    ss->names = cx_calloc((size_t) nargs, sizeof *ss->names);
    ss->imgs = cx_calloc((size_t) nargs, sizeof *ss->imgs);
    for (int a = 0; a < nargs; a++) {
        struct cx_image_rec r;
        size_t i;
        if (ctl_image_find(g, s, args[a], &r, err) < 0)
            return -1;
        for (i = 0; i < ss->n && strcmp(ss->recs[i].id, r.id); i++)
            ;
        if (i == ss->n) {
            if (ss->n > 0 && !multi) {
                cx_image_rec_free(&r);
                return cx_fail(err, EINVAL, "%s and %s are different images: save them with "
                               "--multi-image-archive (-m)", args[0], args[a]);
            }
            ss->recs[ss->n] = r;
            ss->names[ss->n] = cx_calloc((size_t) nargs + 1, sizeof(char *));
            ss->n++;
        } else
            cx_image_rec_free(&r);
        const char *nm = arg_name(args[a], &ss->recs[i]);
        size_t k = 0;
        while (ss->names[i][k] && (!nm || strcmp(ss->names[i][k], nm)))
            k++;
        if (nm && !ss->names[i][k])
            ss->names[i][k] = nm;
    }
    for (size_t i = 0; i < ss->n; i++)
        ss->imgs[i] = (struct cx_save_image) { &ss->recs[i], ss->names[i] };
    return 0;
}

static int save_to(struct cx_store *s, const char *output, enum cx_save_format f,
                   const struct save_set *ss, cx_error *err)
{
    if (!output || !strcmp(output, "-")) {
        if (isatty(STDOUT_FILENO))
            return cx_fail(err, EINVAL, "refusing to save to terminal. Use -o flag or redirect");
        return cx_save(s, STDOUT_FILENO, f, ss->imgs, ss->n, err);
    }
    _cleanup_free_ char *tmp = cx_asprintf("%s.capsa-tmp-%d", output, (int) getpid());
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return cx_fail_errno(err, "%s", output);
    if (cx_save(s, fd, f, ss->imgs, ss->n, err) < 0 || fsync(fd) < 0 || rename(tmp, output) < 0) {
        if (!err->msg[0])
            cx_fail_errno(err, "%s", output);
        unlink(tmp);
        return -1;
    }
    return 0;
}

int ctl_save(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "format", required_argument, NULL, 'f' },
        { "multi-image-archive", no_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { 0 },
    };
    const char *output = NULL, *format = "docker-archive";
    bool multi = false;
    int c;
    while ((c = getopt_long(argc, argv, "+o:mq", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'f': format = optarg; break;
        case 'm': multi = true; break;
        case 'q': break;
        default: return cx_fail(err, EINVAL, "save: unknown flag %s", argv[optind - 1]);
        }
    }
    enum cx_save_format f;
    if (!strcmp(format, "docker-archive"))
        f = CX_SAVE_DOCKER_ARCHIVE;
    else if (!strcmp(format, "oci-archive"))
        f = CX_SAVE_OCI_ARCHIVE;
    else
        return cx_fail(err, EINVAL, "save: unsupported format \"%s\" (docker-archive or "
                       "oci-archive)", format);
    if (optind >= argc)
        return cx_fail(err, EINVAL, "usage: capsactl save [-o FILE] [--format FORMAT] [-m] "
                       "IMAGE...");
    _cleanup_(cx_store_close) struct cx_store s = { .rootfd = -1 };
    _cleanup_(save_set_free) struct save_set ss = { 0 };
    if (ctl_store_open(g, &s, err) < 0 ||
        save_collect(g, &s, argv + optind, argc - optind, multi, &ss, err) < 0)
        return -1;
    return save_to(&s, output, f, &ss, err);
}

/* ---- import ---- */

int ctl_import(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "change", required_argument, NULL, 'c' },
        { "message", required_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { 0 },
    };
    _cleanup_free_ const char **changes = cx_calloc((size_t) argc + 1, sizeof(char *));
    struct cx_import_opts o = { .changes = changes };
    size_t nc = 0;
    int c, fd = -1;
    while ((c = getopt_long(argc, argv, "+c:m:q", opts, NULL)) != -1) {
        switch (c) {
        case 'c': changes[nc++] = optarg; break;
        case 'm': o.message = optarg; break;
        case 'q': break;
        default: return cx_fail(err, EINVAL, "import: unknown flag %s", argv[optind - 1]);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        return cx_fail(err, EINVAL, "usage: capsactl import [-c CHANGE] [-m MESSAGE] FILE|- "
                       "[NAME[:TAG]]");
    _cleanup_free_ char *name = NULL;
    if (argc - optind == 2 && !(name = cx_archive_image_name(argv[optind + 1])))
        return cx_fail(err, EINVAL, "import: invalid image name \"%s\"", argv[optind + 1]);
    o.name = name;
    _cleanup_(cx_store_close) struct cx_store s = { .rootfd = -1 };
    char id[65];
    if (ctl_store_open(g, &s, err) < 0 || open_input(argv[optind], &fd, err) < 0)
        return -1;
    int rc = cx_archive_import(&s, fd, &o, id, err);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc == 0)
        printf("sha256:%s\n", id);
    return rc;
}

/* ---- push to a layout ---- */

int ctl_push_layout(const struct ctl_global *g, struct cx_store *s, const char *image,
                    const char *dest, cx_error *err)
{
    if (!cx_str_has_prefix(dest, "oci:") || !dest[4])
        return cx_fail(err, EINVAL, "%s: want oci:DIR[:TAG]", dest);
    _cleanup_free_ char *dir = cx_strdup(dest + 4);
    char *colon = strrchr(dir, ':'), *tag = NULL;
    if (colon && !strchr(colon, '/'))
        *colon = '\0', tag = colon + 1;
    if (!dir[0] || (tag && !tag[0]))
        return cx_fail(err, EINVAL, "%s: want oci:DIR[:TAG]", dest);
    struct cx_image_rec r;
    if (ctl_image_find(g, s, image, &r, err) < 0)
        return -1;
    int rc = cx_layout_push(s, &r, dir, tag, err);
    cx_image_rec_free(&r);
    return rc < 0 ? cx_error_prefix(err, "push %s", dest) : 0;
}

/* ---- the pod infra image ---- */

int ctl_infra_image(const struct ctl_global *g, struct cx_engine *e, cx_error *err)
{
    (void)g;
    return cx_infra_image_build(e, CX_INFRA_IMAGE, err);
}
