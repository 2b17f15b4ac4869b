/* capsad.c: main() of the Kubernetes CRI server: the configuration, one
 * capsad per runroot (a lock), the socket (or systemd's), then the
 * server (src/cri) until SIGTERM.  Containers never depend on capsad
 * running: their shims are detached and their exit command is capsactl's. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "capsa-config.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "cri/cni_template.h"
#include "cri/handlers.h"
#include "cri/recover.h"
#include "cri/stream/server.h"
#include "cri/stream/tokens.h"
#include "engine/engine.h"
#include "store/db.h"

/* systemd's socket activation: fd 3 when LISTEN_PID names us */
static int activated_fd(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    int p, n;
    if (!pid || !fds || cx_parse_int(pid, &p) < 0 || p != getpid() ||
        cx_parse_int(fds, &n) < 0 || n < 1)
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    fcntl(3, F_SETFD, FD_CLOEXEC);
    return 3;
}

/* sd_notify("READY=1") without libsystemd: one datagram to $NOTIFY_SOCKET */
static void notify_ready(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof sa.sun_path)
        return;
    memcpy(sa.sun_path, path, strlen(path));
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *) &sa, len);
}

/* One capsad per runroot: a second one would recover the first's pods. */
static int lock_runroot(const char *runroot, cx_error *err)
{
    if (cx_mkdir_p(runroot, 0700, err) < 0)
        return -1;
    _cleanup_free_ char *path = cx_asprintf("%s/capsad.lock", runroot);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return cx_fail_errno(err, "open %s", path);
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        return cx_fail(err, e == EWOULDBLOCK ? EBUSY : e,
                       "another capsad serves the runroot %s (%s is locked)", runroot, path);
    }
    return fd;     /* kept open for the life of the process */
}

/* The socket's directory: made root-only when missing. */
static int socket_dir(const char *path, cx_error *err)
{
    _cleanup_free_ char *dir = cx_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    struct stat st;
    if (stat(dir, &st) == 0)
        return 0;
    return cx_mkdir_p(dir, 0700, err);
}

static enum cx_log_level log_level(const char *s)
{
    return strcmp(s, "debug") == 0 ? CX_LOG_DEBUG : strcmp(s, "warn") == 0 ? CX_LOG_WARN
         : strcmp(s, "error") == 0 ? CX_LOG_ERROR : CX_LOG_INFO;
}

/* Exec, Attach and PortForward's listener, on the server's loop. */
static int start_streaming(struct capsad *d, struct loop *loop, struct stream_server **out,
                           cx_error *err)
{
    _cleanup_free_ char *helper = cx_find_helper("CAPSAD_STREAM", "capsad-stream");
    /* the tests shorten the tokens' life to see one expire */
    int64_t ttl = STREAM_TOKEN_TTL_MS;
    const char *env = getenv("CAPSAD_STREAM_TOKEN_TTL_MS");
    if (env && (cx_parse_i64(env, &ttl) < 0 || ttl <= 0))
        return cx_fail(err, EINVAL, "CAPSAD_STREAM_TOKEN_TTL_MS=%s: not a positive number", env);
    d->tokens = stream_tokens_new(STREAM_TOKENS_MAX, ttl);
    struct stream_server_opts so = {
        .address = d->cfg->stream_address, .port = d->cfg->stream_port,
        .idle_timeout = d->cfg->stream_idle_timeout, .helper = helper, .loop = loop,
        .tokens = d->tokens,
    };
    if (stream_server_new(out, &so, err) < 0)
        return -1;
    d->stream_url = stream_server_url(*out);
    return 0;
}

static int serve(struct cri_config *cfg, cx_error *err)
{
    struct capsad d = { .cfg = cfg };
    bool systemd = strcmp(cfg->cgroup_manager, "systemd") == 0;
    if (systemd && access("/run/systemd/system", F_OK) < 0)
        return cx_fail(err, EINVAL, "--cgroup-manager systemd: this host does not run systemd "
                       "(no /run/systemd/system): use cgroupfs");
    /* the engine's CNI runs find the plugins there (and the shims' exit
     * commands, which inherit it) */
    setenv("CNI_PATH", cfg->cni_bin_dir, 1);
    /* every engine handle serves one call at a time (server.c's pool) */
    cx_db_one_thread_connections();
    /* A call runs on a thread of its own, and a list of a few hundred
     * containers frees some hundred KB at its end: glibc would give the
     * top of that thread's heap back at once (madvise, a TLB flush on
     * every CPU) and the next call fault it in again, which costs more
     * than the list.  Kept up to 4 MB per malloc arena (there are at
     * most 8 per CPU), and blocks under 4 MB from the heap. */
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    /* a template that cannot make a configuration is said now, not when
     * the kubelet first sends its pod CIDR */
    if (cfg->cni_conf_template && cri_cni_template_check(cfg->cni_conf_template, err) < 0)
        return -1;
    if (lock_runroot(cfg->runroot, err) < 0)
        return -1;
    int listen_fd = activated_fd();
    if (listen_fd < 0 && socket_dir(cfg->listen_path, err) < 0)
        return -1;
    if (cri_recover(&d, err) < 0)
        return cx_error_prefix(err, "recovering the pods and containers of %s", cfg->root);
    struct cri_server_opts o = {
        .socket_path = cfg->listen_path, .listen_fd = listen_fd, .root = cfg->root,
        .runroot = cfg->runroot, .systemd_cgroup = systemd, .methods = cri_methods,
        .app = &d,
    };
    struct cri_server *s = NULL;
    struct stream_server *ss = NULL;
    int rc = cri_server_new(&s, &o, err);
    if (rc == 0)
        rc = start_streaming(&d, cri_server_loop(s), &ss, err);
    if (rc == 0) {
        cx_log(CX_LOG_INFO, "capsad %s serving CRI v1 on %s", CAPSA_VERSION, cfg->listen_path);
        notify_ready();
        rc = cri_server_run(s, err);
    }
    /* the sessions' helpers run on: they are not capsad's to stop */
    stream_server_free(ss);
    cri_server_free(s);
    stream_tokens_free(d.tokens);
    return rc;
}

int main(int argc, char **argv)
{
    cx_log_set_program("capsad");
    struct cri_config cfg;
    cx_error err = { 0 };
    if (cri_config_load(&cfg, argc, argv, &err) < 0) {
        cx_log_error(&err);
        fprintf(stderr, "Try 'capsad --help'.\n");
        return 2;
    }
    if (cfg.help || cfg.version) {
        if (cfg.help)
            cri_config_usage(stdout);
        else
            printf("capsad version %s%s%s\n", CAPSA_VERSION, CAPSA_COMMIT[0] ? " commit " : "",
                   CAPSA_COMMIT);
        cri_config_free(&cfg);
        return 0;
    }
    cx_log_init(NULL, CX_LOG_TEXT, log_level(cfg.log_level) == CX_LOG_DEBUG, &err);
    int rc = serve(&cfg, &err);
    if (rc < 0)
        cx_log_error(&err);
    cri_config_free(&cfg);
    return rc < 0 ? 1 : 0;
}
