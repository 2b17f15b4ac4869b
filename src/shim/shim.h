/* shim.h: the state of one capsa-shim process (one container or one exec
 * session), shared by the modules under src/shim/.  Each module owns its
 * part of the struct and is the only one to touch it:
 *   stdio.c    the container's stdin/stdout/stderr ends and their sources
 *   attach.c   the attach socket and its clients
 *   console.c  the console socket (terminal containers)
 *   ctl.c      the ctl fifo
 *   runtime.c  the runtime child (create / exec)
 *   reap.c     children, the container's pidfd and exit status
 *   exit.c     what is done once the container is gone
 *   lock.c     one create at a time per container (create_lock_fd)
 *   shim.c     the sequence from start to exit */
#ifndef CAPSA_SHIM_SHIM_H
#define CAPSA_SHIM_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/loop.h"
#include "shim/logfile.h"
#include "shim/options.h"

#define SHIM_BUF 8192      /* one read of a stream: podman reads 8192 + 1 */

struct shim;

struct shim_client {
    struct shim *s;
    struct loop_src src;
    char *pending;          /* one framed message not yet sent */
    size_t pending_len;
    bool read_eof;
    struct shim_client *next;
};

struct shim_reaped { pid_t pid; int status; };

struct shim {
    struct shim_opts *o;
    struct loop loop;
    int sync_fd, start_fd, attach_pipe_fd;
    int create_lock_fd;                /* lock.c */
    int devnull_r, devnull_w;

    /* stdio.c */
    int out_fd, err_fd, in_fd;          /* our ends (out_fd is the pty master with -t) */
    int worker_in, worker_out, worker_err;  /* the runtime's ends, closed after spawn */
    struct loop_src out_src, err_src, in_src;
    char *in_buf;
    size_t in_len;
    bool in_close_pending, out_paused;
    struct shim_log log;
    bool have_log;
    int log_errno_reported;

    /* attach.c */
    struct loop_src attach_src;
    struct shim_client *clients;
    char *attach_link;                  /* socket-dir/<cuuid> symlink we made */

    /* ctl.c */
    int ctl_dummy;
    struct loop_src ctl_src;
    char ctl_buf[256];
    size_t ctl_len;
    int want_rows, want_cols;          /* the last resize asked for (before the pty came) */

    /* console.c */
    struct loop_src console_src;
    char *console_dir, *console_path;

    /* signals and the runtime (runtime.c, reap.c) */
    struct loop_src sig_src;
    pid_t runtime_pid;
    int runtime_status;
    bool runtime_done, runtime_timed_out;
    struct loop_src runtime_timer_src;

    /* the container (reap.c) */
    pid_t ctr_pid;
    int ctr_status;                    /* wait status; valid when ctr_status_known */
    bool ctr_done, ctr_status_known;
    struct loop_src pidfd_src, timeout_src;
    bool timed_out;
    struct shim_reaped early[32];      /* reaped before the container's pid was known */
    int n_early;
    char *oom_file;                    /* memory.oom_control or memory.events */
    uint64_t oom_before;
};

void shim_warn(struct shim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void shim_warn_error(struct shim *s, const cx_error *err);

/* stdio.c */
int stdio_setup(struct shim *s, cx_error *err);
int stdio_watch_output(struct shim *s, int fd, struct loop_src *src, cx_error *err);
void stdio_pause_output(struct shim *s, bool pause);
void stdio_stdin_write(struct shim *s, const char *buf, size_t len);
void stdio_stdin_eof(struct shim *s);
bool stdio_stdin_busy(const struct shim *s);
void stdio_drain(struct shim *s);
void stdio_close(struct shim *s);
size_t stdio_read_error_text(struct shim *s, char *buf, size_t len);

/* attach.c */
int attach_setup(struct shim *s, cx_error *err);
void attach_broadcast(struct shim *s, enum shim_stream stream, const char *buf, size_t len);
bool attach_has_pending(const struct shim *s);
void attach_flush(struct shim *s, int timeout_ms);
void attach_update_interest(struct shim *s);
void attach_close(struct shim *s);
/* Frame one message: the stream byte then the data; returns its length. */
size_t attach_frame(char *out, size_t cap, enum shim_stream stream, const char *buf, size_t len);

/* console.c */
int console_setup(struct shim *s, cx_error *err);
void console_close(struct shim *s);

/* ctl.c */
struct ctl_msg { int type, height, width; };
enum { CTL_RESIZE = 1, CTL_REOPEN_LOG = 2 };
int ctl_parse_line(const char *line, struct ctl_msg *m);
int ctl_setup(struct shim *s, cx_error *err);
void ctl_resize(struct shim *s);
void ctl_close(struct shim *s);

/* runtime.c */
char **runtime_argv(const struct shim_opts *o, const char *console_socket);
int runtime_spawn(struct shim *s, cx_error *err);
/* The runtime's deadline in ms: --timeout, else 240 s. */
int64_t runtime_deadline_ms(const struct shim_opts *o);
/* Wait for the runtime child to end (or be killed at its deadline). */
void runtime_wait(struct shim *s);
bool runtime_ok(const struct shim *s);
/* Run `RUNTIME [runtime-args] delete --force ID` and wait for it. */
int runtime_delete(struct shim *s, cx_error *err);

/* reap.c */
int reap_setup_signals(struct shim *s, cx_error *err);
void reap_children(struct shim *s);
int reap_watch_container(struct shim *s, pid_t pid, cx_error *err);
int reap_exit_code(const struct shim *s);

/* exit.c */
/* Write text to path as tmp + fsync + rename in its directory. */
int shim_write_file(const char *path, const char *text, cx_error *err);
void exit_oom_baseline(struct shim *s);
void exit_oom_forget(struct shim *s);
int exit_finish(struct shim *s);
int exit_run_command(struct shim *s);

/* lock.c: wait up to timeout_ms for <bundle>/shim.lock, then hold it (on
 * timeout: warn and go on without).  -1 with err when it cannot be opened. */
int create_lock_take(struct shim *s, int64_t timeout_ms, cx_error *err);
void create_lock_release(struct shim *s);

/* daemon.c */
int daemon_detach(const struct shim_opts *o, cx_error *err);

/* shim.c */
int shim_main(int argc, char **argv);

#endif
