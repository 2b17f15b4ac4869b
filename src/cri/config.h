/* config.h: capsad's configuration: one table of keys serves both the
 * file (/etc/capsa/capsad.conf, TOML read by common/toml.h) and the
 * command line, where each key is a flag of the same name with '-' for
 * '_' (stream_port: --stream-port).  Flags win over the file; --config
 * PATH picks the file (it must exist; the default one may be missing).
 * Every value is checked as it is read; an error names where it came
 * from: `capsad.conf:7: stream_port 70000: not in 0..65535`, `--listen
 * tcp://x: ...`, `capsad.conf:3: unknown key "foo"`.  --help's text is made
 * from the same table (docs/CAPSAD.md is the long form). */
#ifndef CAPSA_CRI_CONFIG_H
#define CAPSA_CRI_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

#define CRI_CONFIG_PATH "/etc/capsa/capsad.conf"
#define CRI_RUNTIME_BUILTIN "capsa"

/* A runtime handler: the RuntimeClass handler name the kubelet sends, the
 * OCI runtime binary it selects and that runtime's --root.  The built-in
 * "capsa" has path NULL (capsa's runtime library, in process).  A pod's
 * infra container and every container of the pod run under its handler's
 * runtime (engine/ctr_runtime.h). */
struct cri_runtime {
    char *name, *path, *root;   /* root NULL: <runroot>/runtimes/<path's file name> */
};

struct cri_config {
    char *listen_path;          /* the socket's path (listen without unix://) */
    char *root, *runroot;       /* the engine's, as capsactl's --root/--runroot */
    char *registries_conf;
    char *cni_conf_dir;
    char *cni_bin_dir;          /* ':'-separated */
    char *cni_conf_template;    /* NULL: none */
    char *cgroup_manager;       /* "cgroupfs" or "systemd" */
    char *pause_image;          /* NULL: capsa's own (CX_INFRA_IMAGE) */
    char *default_runtime;      /* the name of one of runtimes[] */
    char *stream_address;       /* an IPv4 or IPv6 address */
    char *log_level;            /* "error", "warn", "info" or "debug" */
    int stream_port;            /* 0: a free one, picked at start */
    int stream_idle_timeout;    /* seconds; 0: never */
    struct cri_runtime *runtimes;   /* runtimes[0] is the built-in "capsa" */
    size_t nruntimes;
    bool help, version;         /* --help, --version: nothing else was read */
};

/* Defaults, then the file, then the flags of argv[1..argc) (argv[0] is
 * the program).  With --help or --version only those are noted (and the
 * flags' syntax checked): the file is not read.  On failure c is freed
 * and err says why. */
int cri_config_load(struct cri_config *c, int argc, char **argv, cx_error *err);
/* The same with another default file (tests). */
int cri_config_load_from(struct cri_config *c, int argc, char **argv, const char *default_file,
                         cx_error *err);
void cri_config_free(struct cri_config *c);

/* The runtime of a handler name; NULL or "": the default runtime.  NULL
 * when no runtime has that name. */
const struct cri_runtime *cri_config_runtime(const struct cri_config *c, const char *handler);

/* --help: every flag, its file key with the default, and one line of
 * meaning. */
void cri_config_usage(FILE *f);
/* Every key and its value, as Status's verbose info shows them. */
json_t *cri_config_json(const struct cri_config *c);

#endif
