/* ctl.h: the `capsactl` front end: global options and one function per
 * command (podman's names and flags).  Commands parse their flags, call
 * libcapsa-image, and return the exit code; errors are printed once, by
 * main(). */
#ifndef CAPSA_CTL_H
#define CAPSA_CTL_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"
#include "image/regconf.h"
#include "image/registry.h"
#include "store/store.h"

struct ctl_global {
    const char *root;             /* persistent store: /var/lib/capsa */
    const char *runroot;          /* volatile: /run/capsa-engine */
    const char *registries_conf;  /* NULL: /etc/containers/registries.conf */
    const char *runtime;          /* --runtime: new containers' (NULL: capsa) */
    bool debug;
    int argc;                     /* the whole command line, for capsactl-full */
    char **argv;
};

typedef int (*ctl_cmd_fn)(const struct ctl_global *g, int argc, char **argv,
                          cx_error *err);

int ctl_version(const struct ctl_global *, int, char **, cx_error *);
int ctl_pull(const struct ctl_global *, int, char **, cx_error *);
int ctl_images(const struct ctl_global *, int, char **, cx_error *);
int ctl_rmi(const struct ctl_global *, int, char **, cx_error *);
int ctl_tag(const struct ctl_global *, int, char **, cx_error *);
int ctl_untag(const struct ctl_global *, int, char **, cx_error *);
int ctl_image(const struct ctl_global *, int, char **, cx_error *);
int ctl_image_inspect(const struct ctl_global *, int, char **, cx_error *);
int ctl_image_prune(const struct ctl_global *, int, char **, cx_error *);
int ctl_image_mount(const struct ctl_global *, int, char **, cx_error *);
int ctl_image_unmount(const struct ctl_global *, int, char **, cx_error *);
int ctl_system(const struct ctl_global *, int, char **, cx_error *);
/* ctl_push.c */
int ctl_push(const struct ctl_global *, int, char **, cx_error *);
/* ctl_login.c */
int ctl_login(const struct ctl_global *, int, char **, cx_error *);
int ctl_logout(const struct ctl_global *, int, char **, cx_error *);
/* ctl_archive.c */
int ctl_load(const struct ctl_global *, int, char **, cx_error *);
int ctl_save(const struct ctl_global *, int, char **, cx_error *);
int ctl_import(const struct ctl_global *, int, char **, cx_error *);
/* push IMAGE oci:DIR[:TAG] (ctl_archive.c) */
int ctl_push_layout(const struct ctl_global *g, struct cx_store *s, const char *image,
                    const char *dest, cx_error *err);
int ctl_info(const struct ctl_global *, int, char **, cx_error *);

/* containers (ctl_run.c, ctl_ctr.c, ctl_ps.c, ctl_inspect.c) */
int ctl_run(const struct ctl_global *, int, char **, cx_error *);
int ctl_create(const struct ctl_global *, int, char **, cx_error *);
int ctl_start(const struct ctl_global *, int, char **, cx_error *);
int ctl_stop(const struct ctl_global *, int, char **, cx_error *);
int ctl_restart(const struct ctl_global *, int, char **, cx_error *);
int ctl_kill(const struct ctl_global *, int, char **, cx_error *);
int ctl_pause(const struct ctl_global *, int, char **, cx_error *);
int ctl_unpause(const struct ctl_global *, int, char **, cx_error *);
int ctl_rm(const struct ctl_global *, int, char **, cx_error *);
int ctl_wait(const struct ctl_global *, int, char **, cx_error *);
int ctl_ps(const struct ctl_global *, int, char **, cx_error *);
int ctl_inspect(const struct ctl_global *, int, char **, cx_error *);
int ctl_logs(const struct ctl_global *, int, char **, cx_error *);
int ctl_container(const struct ctl_global *, int, char **, cx_error *);
int ctl_volume(const struct ctl_global *, int, char **, cx_error *);
int ctl_network(const struct ctl_global *, int, char **, cx_error *);
int ctl_exec(const struct ctl_global *, int, char **, cx_error *);
int ctl_container_prune(const struct ctl_global *, int, char **, cx_error *);
int ctl_system_prune(const struct ctl_global *, int, char **, cx_error *);
int ctl_system_reset(const struct ctl_global *, int, char **, cx_error *);
int ctl_cp(const struct ctl_global *, int, char **, cx_error *);
int ctl_export(const struct ctl_global *, int, char **, cx_error *);
int ctl_commit(const struct ctl_global *, int, char **, cx_error *);
/* ctl_top.c */
int ctl_top(const struct ctl_global *, int, char **, cx_error *);
int ctl_stats(const struct ctl_global *, int, char **, cx_error *);
int ctl_attach(const struct ctl_global *, int, char **, cx_error *);
int ctl_port(const struct ctl_global *, int, char **, cx_error *);
int ctl_pod(const struct ctl_global *, int, char **, cx_error *);
int ctl_kube(const struct ctl_global *, int, char **, cx_error *);
struct cx_engine;
/* The pod infra image (pods.h) made in the store: by capsactl-full itself,
 * by capsactl through a capsactl-full child. */
int ctl_infra_image(const struct ctl_global *g, struct cx_engine *e, cx_error *err);
/* text (lines of tab-separated cells) printed as Go's tabwriter does for
 * podman (minwidth 12, padding 2); text is modified. */
void ctl_tabwrite(char *text);
/* The process tables of containers ids as one (top's descriptors). */
int ctl_top_many(struct cx_engine *e, char **ids, char **descs, size_t ndescs, cx_error *err);
struct cx_engine;
struct cx_ctr;
struct cx_run_opts;
int ctl_engine_open(const struct ctl_global *g, struct cx_engine *e, cx_error *err);
/* Prints name and a newline (for the prune commands). */
void ctl_print_name(const char *name);
/* The container's labels (its options' "labels", k=v) as an object. */
json_t *ctl_ctr_labels(json_t *opts);
/* Attach, start, relay until it exits: its exit code, or -(125|126|127)
 * with err set. */
int ctl_run_attached(struct cx_engine *e, struct cx_ctr *c, const struct cx_run_opts *o,
                     cx_error *err);
int ctl_start_attached(const struct ctl_global *g, int argc, char **argv, bool interactive,
                       cx_error *err);

/* The flags pull and push share: --tls-verify[=BOOL], --authfile FILE,
 * --creds USER:PASS (their getopt codes and entries, and one handler). */
enum { CTL_OPT_TLS = 900, CTL_OPT_AUTHFILE, CTL_OPT_CREDS };
#define CTL_REGISTRY_OPTIONS \
    { "tls-verify", optional_argument, NULL, CTL_OPT_TLS }, \
    { "authfile", required_argument, NULL, CTL_OPT_AUTHFILE }, \
    { "creds", required_argument, NULL, CTL_OPT_CREDS }
struct ctl_registry_flags {
    const char *authfile, *creds;
    bool tls_verify_set, tls_verify;
};
/* --FLAG[=true|false] (no value: true) */
int ctl_parse_bool(const char *flag, const char *v, bool *out, cx_error *err);
/* 1: c was one of them (taken), 0: it was not, -1: a bad value */
int ctl_registry_flag(int c, const char *arg, struct ctl_registry_flags *f, cx_error *err);

/* ctl_pull.c: pull's flags, shared with run --pull later */
struct ctl_pull_args {
    const char *platform;
    struct ctl_registry_flags reg;
    bool quiet;
};
int ctl_pull_flags(int argc, char **argv, struct ctl_pull_args *a, char *platform_buf,
                   size_t len, cx_error *err);
int ctl_pull_image(const struct ctl_global *g, struct cx_store *s, const char *spec,
                   const struct ctl_pull_args *a, char id[65], cx_error *err);

/* ctl_common.c */
int ctl_store_open(const struct ctl_global *g, struct cx_store *s, cx_error *err);
int ctl_regconf(const struct ctl_global *g, struct cx_regconf *c, cx_error *err);
/* An image by ID (or prefix), by name as stored, or by a short name under
 * each search registry: "NAME: image not known" otherwise. */
int ctl_image_find(const struct ctl_global *g, struct cx_store *s, const char *name,
                   struct cx_image_rec *out, cx_error *err);
/* The environment's tuning of a registry endpoint (CAPSACTL_RETRY_DELAY_MS:
 * the first wait between tries; CAPSACTL_STALL_TIMEOUT: seconds under
 * 1 KiB/s before a transfer is cut). */
int ctl_endpoint_tuning(struct cx_registry_endpoint *ep, cx_error *err);
/* --creds USER:PASS when given, else the auth files' entry for endpoint e
 * (*found false when there is none). */
int ctl_credentials(const char *creds, const char *authfile, const struct cx_endpoint *e,
                    char **user, char **pass, bool *found, cx_error *err);
/* `ls` flags of the volume and network groups: -q/--quiet, --format json
 * (cmd names the command in errors); the index of the first operand. */
int ctl_ls_flags(int argc, char **argv, const char *cmd, bool *quiet, bool *json,
                 cx_error *err);
/* arr printed as `inspect` and `--format json` print it */
void ctl_print_json(json_t *arr);
/* --label K=V (K alone: an empty value) into the object labels */
void ctl_label_add(json_t *labels, char *arg);
/* remove(e, name) for every name, each printed when it went; the first
 * error is returned, later ones printed (podman's rm of several) */
int ctl_remove_each(struct cx_engine *e, int n, char **names,
                    int (*remove)(struct cx_engine *, const char *, cx_error *),
                    cx_error *err);
/* A JSON array (json_t *) of the n strings of v. */
void *ctl_strv_json(char **v, size_t n);
/* "4.86 MB", as podman prints sizes */
void ctl_format_size(int64_t bytes, char *buf, size_t len);
/* An image config's "created" (RFC 3339) as seconds since the epoch, 0
 * when it has none. */
int64_t ctl_created_unix(const char *created);
/* ns since the epoch as RFC 3339 in local time, with nanoseconds and the
 * zone's offset ("2026-12-04T16:41:04.228957224+00:00"; buf: 48 bytes) */
void ctl_format_rfc3339(int64_t ns, char *buf, size_t len);
/* "2 hours ago" */
void ctl_format_ago(int64_t when, int64_t now, char *buf, size_t len);

#endif
