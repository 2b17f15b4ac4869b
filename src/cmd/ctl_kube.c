/* ctl_kube.c: `capsactl kube play FILE` and `kube down FILE` for a single
 * Pod manifest (src/engine/kube.h): the manifest becomes `pod create`,
 * one `create --pod` per container and `pod start`, run by capsactl's own
 * commands; a failure half-way removes the pod again. */
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
#include "engine/kube.h"
#include "engine/pods.h"
#include "engine/volumes.h"
#include "engine/yaml_json.h"

static int read_plan(const char *file, struct cx_kube_plan *p, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = strcmp(file, "-") == 0
            ? cx_read_fd(STDIN_FILENO, "standard input", CX_YAML_MAX + 1, &text, &len, err)
            : cx_read_file_at(AT_FDCWD, file, CX_YAML_MAX + 1, &text, &len, err);
    if (r < 0)
        return -1;
    json_auto_t *doc = NULL;
    if (cx_yaml_to_json(text, len, &doc, err) < 0)
        return cx_error_prefix(err, "%s", file);
    return cx_kube_plan(doc, p, err) < 0 ? cx_error_prefix(err, "%s", file) : 0;
}

static int run_cmd(const struct ctl_global *g, int (*fn)(const struct ctl_global *, int,
                                                       char **, cx_error *),
                   char **args, cx_error *err)
{
    optind = 0;
    fflush(stdout);
    return fn(g, (int) cx_strv_len(args), args, err);
}

/* the same, its standard output to /dev/null */
static int run_quiet(const struct ctl_global *g, int (*fn)(const struct ctl_global *, int,
                                                         char **, cx_error *),
                     char **args, cx_error *err)
{
    fflush(stdout);
    _cleanup_close_ int out = dup(STDOUT_FILENO);
    _cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (out < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
        return cx_fail_errno(err, "kube: /dev/null");
    int r = run_cmd(g, fn, args, err);
    fflush(stdout);
    dup2(out, STDOUT_FILENO);
    return r;
}

static void down(const struct ctl_global *g, const struct cx_kube_plan *p)
{
    char *rm[] = { "pod", "rm", "-f", p->pod, NULL };
    cx_error ignored = { 0 };
    run_quiet(g, ctl_pod, rm, &ignored);
    struct cx_engine e;
    if (ctl_engine_open(g, &e, &ignored) == 0) {
        for (size_t i = 0; p->volumes && p->volumes[i]; i++)
            cx_volume_remove(&e, p->volumes[i], &(cx_error){ 0 });
        cx_engine_close(&e);
    }
}

static int play(const struct ctl_global *g, const struct cx_kube_plan *p, cx_error *err)
{
    _cleanup_strv_ char **pod = cx_strv_copy(p->pod_args);
    char **pod_argv = NULL;
    cx_strv_push(&pod_argv, cx_strdup("pod"));
    for (size_t i = 0; pod[i]; i++)
        cx_strv_push(&pod_argv, cx_strdup(pod[i]));
    printf("Pod:\n");
    int rc = run_cmd(g, ctl_pod, pod_argv, err);
    cx_strv_free(pod_argv);
    if (rc < 0)
        return -1;
    printf("Containers:\n");
    for (size_t i = 0; rc == 0 && i < p->nctrs; i++)
        rc = run_cmd(g, ctl_create, p->ctr_args[i], err);
    char *start[] = { "pod", "start", p->pod, NULL };
    if (rc == 0)
        rc = run_quiet(g, ctl_pod, start, err);
    if (rc < 0)
        down(g, p);   /* nothing half made is left */
    return rc;
}

int ctl_kube(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    if (argc != 3 || (strcmp(argv[1], "play") != 0 && strcmp(argv[1], "down") != 0))
        return cx_fail(err, 0, "usage: capsactl kube play|down FILE.yaml (- for "
                       "standard input)");
    struct cx_kube_plan p;
    if (read_plan(argv[2], &p, err) < 0)
        return -1;
    int rc = 0;
    if (strcmp(argv[1], "play") == 0)
        rc = play(g, &p, err);
    else {
        struct cx_engine e;
        struct cx_pod pod;
        if ((rc = ctl_engine_open(g, &e, err)) == 0) {
            rc = cx_pod_get(&e, p.pod, &pod, err);
            if (rc == 0)
                cx_pod_free(&pod);
            cx_engine_close(&e);
        }
        if (rc == 0) {
            down(g, &p);
            printf("Pods stopped:\n%s\nPods removed:\n%s\n", p.pod, p.pod);
        }
    }
    cx_kube_plan_free(&p);
    return rc;
}
