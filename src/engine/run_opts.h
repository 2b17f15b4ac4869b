/* run_opts.h: the flags of `capsactl run` and `capsactl create`, with
 * podman's names and meanings, parsed into one struct.  Parsing is pure
 * apart from reading --env-file files and the host environment for a bare
 * `-e NAME`; nothing in the store is touched. */
#ifndef CAPSA_ENGINE_RUN_OPTS_H
#define CAPSA_ENGINE_RUN_OPTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum cx_mount_kind { CX_MOUNT_BIND, CX_MOUNT_VOLUME, CX_MOUNT_TMPFS };

/* -v/--volume, --mount, --tmpfs.  For CX_MOUNT_VOLUME, source is a volume
 * name, or NULL for an anonymous volume (`-v /data`); the engine turns
 * volumes into binds of their directories before the spec is built. */
struct cx_mount_req {
    enum cx_mount_kind kind;
    char *source;        /* host path (absolute), volume name, or NULL */
    char *dest;          /* absolute path in the container */
    char **options;      /* NULL-terminated: ro, rw, rbind, bind, [r]private,
                          * [r]shared, [r]slave, nosuid, nodev, noexec,
                          * size=, mode= (tmpfs) ... as the OCI mount wants */
};

struct cx_ulimit {
    int resource;        /* RLIMIT_* */
    const char *name;    /* "RLIMIT_NOFILE" (static) */
    uint64_t soft, hard;
};

enum cx_restart_policy { CX_RESTART_NO, CX_RESTART_ON_FAILURE, CX_RESTART_ALWAYS,
                         CX_RESTART_UNLESS_STOPPED };
enum cx_pull_policy { CX_PULL_MISSING, CX_PULL_ALWAYS, CX_PULL_NEVER };
/* CX_NET_DEFAULT: no --network given (parsing makes it CX_NET_CNI on the
 * default network; a record of an older capsactl keeps it: loopback
 * only); CX_NET_NONE: a namespace of its own with loopback only;
 * CX_NET_CNI: the networks named; CX_NET_CONTAINER: the namespace of the
 * container networks[0] names */
enum cx_net_mode { CX_NET_DEFAULT, CX_NET_NONE, CX_NET_HOST, CX_NET_CNI, CX_NET_CONTAINER };

/* the namespaces a container may enter from another container */
enum cx_ns_kind { CX_NS_PID, CX_NS_NET, CX_NS_IPC, CX_NS_UTS, CX_NS_JOINABLE };

struct cx_run_opts {
    char *name;                  /* --name, or NULL */
    bool rm, detach, interactive, tty;
    char *detach_keys;           /* --detach-keys, NULL: the default ctrl-p,ctrl-q */
    char **env;                  /* -e and --env-file in the order given, each
                                  * "KEY=VALUE" (a bare -e KEY takes the host's
                                  * value, or is dropped when unset) */
    char *workdir, *user, *hostname;
    char **entrypoint;           /* --entrypoint: NULL unset; "" gives {NULL} */
    bool entrypoint_set;
    struct cx_mount_req *mounts;
    size_t nmounts;
    bool read_only, privileged, no_new_privileges, init;
    char *seccomp;               /* NULL: the default; "unconfined"; a file */
    char **cap_add, **cap_drop;  /* "CAP_NET_ADMIN" form, or "ALL" */
    int64_t memory;              /* bytes, -1 unset */
    int64_t cpu_quota;           /* --cpus as quota with cpu_period, -1 unset */
    uint64_t cpu_period;         /* 100000 when --cpus is given, else 0 */
    uint64_t cpu_shares;         /* 0 unset */
    int64_t pids_limit;          /* -1 unset (podman's default 2048 applied by the
                                  * spec), 0 unlimited (--pids-limit 0 or -1) */
    struct cx_ulimit *ulimits;
    size_t nulimits;
    enum cx_restart_policy restart;
    unsigned restart_max;        /* on-failure:N, 0 = unbounded */
    enum cx_net_mode network;
    char **networks;             /* CX_NET_CNI: their names, in order (eth0, eth1...);
                                  * CX_NET_CONTAINER: the container, as given */
    char **publish;              /* -p as given; at create, made "IP:HOSTPORT:PORT/PROTO"
                                  * with the host ports chosen (net/ports.h) */
    bool publish_all;            /* -P: the image's ExposedPorts, on free host ports */
    char *pod;                   /* --pod NAME; the pod's ID once created */
    char *ns_join[CX_NS_JOINABLE];  /* set at create: the ID of the container whose
                                  * namespace of each kind it enters (its pod's
                                  * infra container, --network container:X) */
    char *ip;                    /* --ip: the address on the (only) network, or NULL */
    char *mac;                   /* --mac-address as "aa:bb:cc:dd:ee:ff", or NULL */
    char **aliases;              /* --network-alias: more names on user networks */
    char **dns;                  /* --dns: the nameservers ({"none"}: no resolv.conf) */
    char **dns_search;           /* --dns-search ("." among them: none) */
    char **dns_options;          /* --dns-option; each NULL: the host's */
    char **add_hosts;            /* --add-host "HOST[;HOST...]:IP", checked */
    bool no_hosts;               /* --no-hosts: the image's /etc/hosts left alone */
    enum cx_pull_policy pull;
    char **labels;               /* "k=v" */
    char **annotations;          /* "k=v" */
    char *stop_signal;           /* as given ("SIGTERM", "15", "TERM"), or NULL */
    int stop_timeout;            /* seconds, -1 unset (10) */
    int64_t log_max_size;        /* --log-opt max-size, -1 unlimited */
    bool log_none;               /* --log-driver none (else k8s-file) */
    char *log_path;              /* --log-opt path=: the k8s-file log, NULL for
                                  * <root>/containers/<id>/ctr.log */
    /* run_opts_res.c: devices, kernel parameters, cgroup, namespaces */
    char **devices;              /* --device, each "HOST:CONTAINER:PERMS" */
    char **sysctls;              /* --sysctl "KEY=VALUE", a namespaced key */
    char *cgroup_parent;         /* --cgroup-parent, NULL: the engine's default */
    bool pid_host, ipc_host, uts_host;  /* --pid/--ipc/--uts host */
    char *cpuset_cpus, *cpuset_mems;    /* --cpuset-cpus/-mems "0-3,5", or NULL */
    int64_t memory_swap;         /* --memory-swap: memory + swap in bytes, -1
                                  * unlimited, 0 unset (twice --memory) */
    int64_t memory_reservation;  /* --memory-reservation, -1 unset */
    bool has_oom_score_adj;      /* --oom-score-adj given: */
    int oom_score_adj;           /* -1000..1000 */
    /* run_opts_sec.c */
    char **group_add;            /* --group-add GID or NAME (resolved at create) */
    char **mask, **unmask;       /* --security-opt mask=, unmask= paths ("ALL") */
    /* capsad, no flag: the read-only paths are exactly the kubelet's list,
     * without the defaults (NULL: the defaults) */
    char **readonly_paths;
    char *apparmor;              /* --security-opt apparmor=, NULL unset */
    char *runtime;               /* --runtime NAME|PATH: the OCI runtime (resolved
                                  * at create: ctr_runtime.h); NULL: the engine's */
    /* for capsad, no flag: */
    char *runtime_root;          /* that runtime's --root (a handler's root); NULL:
                                  * <runroot>/runtimes/<name> */
    char *cni_args;              /* CNI_ARGS for its networks' plugins ("K=V;K2=V2"),
                                  * NULL none (the kubelet's pod identity) */
    bool no_infra_autostart;     /* a pod member's start fails when the infra
                                  * container is not running (else started) */
    bool cri_env;                /* the defaults a CRI runtime gives: PATH, TERM
                                  * only with a tty, no container= (else podman's) */
    char *image;                 /* the first positional argument */
    char **args;                 /* the rest: the command, NULL-terminated */
};

/* Parse argv (argv[0] is "run" or "create") into o, zeroed first.  Flags
 * stop at the image name; everything after it is the command.  Unknown
 * flags, bad values (a memory size, a signal, a mount spec) fail with one
 * line naming the flag. */
int cx_run_opts_parse(int argc, char **argv, struct cx_run_opts *o, cx_error *err);
void cx_run_opts_free(struct cx_run_opts *o);
/* "RLIMIT_NOFILE" as the static name the options keep, and its resource;
 * NULL when unknown. */
const char *cx_ulimit_known(const char *rname, int *resource);
/* o zeroed, with the "unset" values (-1) where 0 means something */
void cx_run_opts_init(struct cx_run_opts *o);

/* The options as JSON (for the container record and `inspect`), and back:
 * the record keeps what was asked so `start` and a restart policy act on
 * it after capsactl has exited. */
json_t *cx_run_opts_to_json(const struct cx_run_opts *o);
int cx_run_opts_from_json(json_t *j, struct cx_run_opts *o, cx_error *err);

/* A hostname a container may have: 1 to 64 letters, digits, '-', '_', '.',
 * not starting with '-' or '.'. */
int cx_hostname_check(const char *h, cx_error *err);
/* run_opts_net.c: the network flags of a container (--ip, --mac-address,
 * --network-alias, --dns, --dns-search, --dns-option, --add-host), each
 * checked as given; cx_run_opts_net_check checks them together with
 * --network and --no-hosts once all flags are read. */
enum cx_net_flag { CX_NF_IP, CX_NF_MAC, CX_NF_ALIAS, CX_NF_DNS, CX_NF_DNS_SEARCH,
                   CX_NF_DNS_OPTION, CX_NF_ADD_HOST };
int cx_run_opts_net_flag(struct cx_run_opts *o, enum cx_net_flag f, const char *arg,
                         cx_error *err);
int cx_run_opts_net_check(const struct cx_run_opts *o, cx_error *err);
/* run_opts_res.c: --device, --sysctl, --cgroup-parent, --pid, --ipc,
 * --uts, --cpuset-cpus, --cpuset-mems, --cpu-quota, --cpu-period,
 * --memory-swap, --memory-reservation, --oom-score-adj, each checked as
 * given; cx_run_opts_res_check checks them together with the others (a
 * sysctl against the namespaces, swap against memory) once all are read. */
enum cx_res_flag { CX_RF_DEVICE, CX_RF_SYSCTL, CX_RF_CGROUP_PARENT, CX_RF_PID, CX_RF_IPC,
                   CX_RF_UTS, CX_RF_CPUSET_CPUS, CX_RF_CPUSET_MEMS, CX_RF_CPU_QUOTA,
                   CX_RF_CPU_PERIOD, CX_RF_MEMORY_SWAP, CX_RF_MEMORY_RESERVATION,
                   CX_RF_OOM_SCORE_ADJ };
int cx_run_opts_res_flag(struct cx_run_opts *o, enum cx_res_flag f, const char *arg,
                         cx_error *err);
int cx_run_opts_res_check(const struct cx_run_opts *o, cx_error *err);
/* linux.cgroupsPath of container id: "<parent>/capsa-<id>" (default parent:
 * "/capsa/<id>" as before) for the cgroupfs driver, "<slice>:capsa:<id>"
 * for the systemd driver (default slice machine.slice).  A parent that
 * does not suit the driver (a slice for cgroupfs, a path for systemd) is
 * an error naming --cgroup-parent.  *out: free it. */
int cx_run_opts_cgroups_path(const struct cx_run_opts *o, const char *id, bool systemd,
                             char **out, cx_error *err);
/* A human size as podman reads it: digits[.digits][ ][kmgtp][i][b], any
 * case, base 1024 (memory) or 1000 (log sizes); -1 when it is not one. */
int cx_run_opts_size(const char *s, unsigned base, int64_t *out);
/* A --device value "HOST:CONTAINER:PERMS" (as kept) split in place;
 * false when it has not that form (a record edited by hand). */
bool cx_device_split(char *dev, char **host, char **ctr, char **perms);

/* run_opts_sec.c: --security-opt (no-new-privileges, seccomp=, label=disable,
 * mask=, unmask=, apparmor=) and --group-add. */
int cx_run_opts_security_opt(struct cx_run_opts *o, const char *arg, cx_error *err);
int cx_run_opts_group_add(struct cx_run_opts *o, const char *arg, cx_error *err);

/* --dns none: no /etc/resolv.conf is made */
bool cx_run_opts_dns_none(const struct cx_run_opts *o);
/* An --add-host value "HOST[;HOST...]:IP" as the /etc/hosts line
 * "IP\tHOST HOST...\n" (IPv6 may be in brackets); NULL and err when bad. */
char *cx_add_host_line(const char *arg, cx_error *err);
/* A name /etc/hosts may hold: [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1 to 253 */
bool cx_host_name_ok(const char *s);

/* Parse a signal name or number ("SIGTERM", "TERM", "15", "sigkill"). */
int cx_signal_parse(const char *s, int *sig, cx_error *err);

#endif
