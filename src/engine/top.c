/* top.c: see top.h.  Each process is read once (stat, status, cmdline,
 * attr/current) into a struct; each descriptor is a function of it that
 * prints one cell the way psgo prints it. */
#include "engine/top.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/ctr_runtime.h"
#include "engine/lifecycle.h"
#include "runtime/safepath.h"

#define ETC_MAX (4u << 20)
#define CMDLINE_MAX (4u << 20)
/* psgo's "every capability" mask: CHOWN .. CHECKPOINT_RESTORE (41 bits) */
#define CAPS_FULL 0x1FFFFFFFFFFull

enum { CAP_INH, CAP_PRM, CAP_EFF, CAP_BND, CAP_AMB, NCAPS };

struct top_proc {
    pid_t hpid, pid, ppid, pgrp;   /* pid as the container sees it; ppid and
                                    * pgrp the host's until translated */
    char state[8];
    char *comm, *name, *args, *groups, *rss, *label;
    unsigned long long utime, stime, start, vsize, tty;
    long long nice;
    unsigned long uid[2], gid[2];  /* real, effective */
    uint64_t caps[NCAPS];
    int seccomp;                   /* -1: not shown by the kernel */
};

/* What the cells are made from: the source, /etc files read once. */
struct top_ctx {
    const struct cx_top_src *src;
    char *passwd, *group, *hpasswd, *hgroup;   /* NULL when unreadable */
};

typedef char *(*top_fn)(const struct top_proc *p, const struct top_ctx *x);

/* ---- names from /etc/passwd and /etc/group ---- */

/* The text of path under rootfd (confined to it), NULL if it cannot be
 * read: psgo then prints numbers, and so do we. */
static char *read_etc(int rootfd, const char *path)
{
    if (rootfd < 0)
        return NULL;
    _cleanup_close_ int fd = sp_open(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
                                                   O_CLOEXEC);
    struct stat st;
    char *text = NULL;
    cx_error ignored = { 0 };
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        cx_read_fd(fd, path, ETC_MAX, &text, NULL, &ignored) < 0)
        return NULL;
    return text;
}

/* The name of the first NAME:X:ID:... line with id, else the number. */
static char *id_name(const char *text, unsigned long id)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen(line);
        const char *c1 = memchr(line, ':', len);
        const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t) (c1 + 1 - line)) : NULL;
        if (c2 && c1 > line) {
            char num[24];
            size_t nlen = strcspn(c2 + 1, ":\n");
            uint64_t v;
            if (nlen > 0 && nlen < sizeof num) {
                memcpy(num, c2 + 1, nlen);
                num[nlen] = '\0';
                if (cx_parse_u64(num, &v) == 0 && v == id)
                    return cx_asprintf("%.*s", (int) (c1 - line), line);
            }
        }
        line = end ? end + 1 : NULL;
    }
    return cx_asprintf("%lu", id);
}

/* "0 10 29" (status's Groups) as names joined by commas */
static char *group_names(const char *groups, const char *text)
{
    _cleanup_free_ char *copy = cx_strdup(groups ? groups : "");
    char *out = cx_strdup(""), *save = NULL;
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        uint64_t v;
        if (cx_parse_u64(t, &v) < 0)
            continue;
        _cleanup_free_ char *name = id_name(text, (unsigned long) v);
        char *joined = cx_asprintf("%s%s%s", out, *out ? "," : "", name);
        free(out);
        out = joined;
    }
    return out;
}

/* ---- reading a process ---- */

static int read_stat(int procfd, struct top_proc *p, cx_error *err)
{
    char path[32];
    _cleanup_free_ char *text = NULL;
    snprintf(path, sizeof path, "%d/stat", p->hpid);
    if (cx_read_file_at(procfd, path, 64 * 1024, &text, NULL, err) < 0)
        return -1;
    char *lp = strchr(text, '('), *rp = strrchr(text, ')');   /* comm may hold both */
    long long tty;
    if (!lp || !rp || rp < lp ||
        sscanf(rp + 1, " %*c %d %d %*s %lld %*s %*s %*s %*s %*s %*s %llu %llu %*s %*s "
               "%*s %lld %*s %*s %llu %llu", &p->ppid, &p->pgrp, &tty, &p->utime,
               &p->stime, &p->nice, &p->start, &p->vsize) != 8)
        return cx_fail(err, 0, "/proc/%d/stat: not in the kernel's format", p->hpid);
    p->tty = (unsigned long long) tty;
    p->comm = cx_asprintf("%.*s", (int) (rp - lp - 1), lp + 1);
    return 0;
}

static void status_line(struct top_proc *p, const char *key, char *val)
{
    if (strcmp(key, "Name") == 0)
        p->name = cx_strdup(val);
    else if (strcmp(key, "State") == 0)
        snprintf(p->state, sizeof p->state, "%.*s", (int) strcspn(val, " "), val);
    else if (strcmp(key, "Uid") == 0)
        sscanf(val, "%lu %lu", &p->uid[0], &p->uid[1]);
    else if (strcmp(key, "Gid") == 0)
        sscanf(val, "%lu %lu", &p->gid[0], &p->gid[1]);
    else if (strcmp(key, "Groups") == 0)
        p->groups = cx_strdup(val);
    else if (strcmp(key, "NSpid") == 0) {
        char *last = strrchr(val, '\t') ? strrchr(val, '\t') + 1 : val;
        p->pid = (pid_t) strtol(last, NULL, 10);
    } else if (strcmp(key, "VmRSS") == 0)
        p->rss = cx_asprintf("%.*s", (int) strcspn(val, " "), val);
    else if (strcmp(key, "Seccomp") == 0)
        p->seccomp = (int) strtol(val, NULL, 10);
    else {
        static const char *const capkeys[NCAPS] = { "CapInh", "CapPrm", "CapEff", "CapBnd",
                                                    "CapAmb" };
        for (int i = 0; i < NCAPS; i++)
            if (strcmp(key, capkeys[i]) == 0)
                p->caps[i] = strtoull(val, NULL, 16);
    }
}

static int read_status(int procfd, struct top_proc *p, cx_error *err)
{
    char path[32];
    _cleanup_free_ char *text = NULL;
    snprintf(path, sizeof path, "%d/status", p->hpid);
    if (cx_read_file_at(procfd, path, 64 * 1024, &text, NULL, err) < 0)
        return -1;
    p->pid = p->hpid;   /* a kernel without NSpid: no namespace to see it from */
    p->seccomp = -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        status_line(p, line, colon + 1 + strspn(colon + 1, " \t"));
    }
    return 0;
}

/* cmdline as psgo joins it: every NUL a space (so a trailing one too) */
static int read_cmdline(int procfd, struct top_proc *p, cx_error *err)
{
    char path[32];
    size_t len;
    snprintf(path, sizeof path, "%d/cmdline", p->hpid);
    if (cx_read_file_at(procfd, path, CMDLINE_MAX, &p->args, &len, err) < 0)
        return -1;
    if (len == 0) {
        free(p->args);
        p->args = NULL;
        return 0;
    }
    for (size_t i = 0; i < len; i++)
        if (p->args[i] == '\0')
            p->args[i] = ' ';
    return 0;
}

static void read_label(int procfd, struct top_proc *p)
{
    char path[40];
    size_t len;
    cx_error ignored = { 0 };
    snprintf(path, sizeof path, "%d/attr/current", p->hpid);
    if (cx_read_file_at(procfd, path, 4096, &p->label, &len, &ignored) < 0) {
        p->label = cx_strdup("?");   /* no security module */
        return;
    }
    while (len > 0 && (p->label[len - 1] == '\n' || p->label[len - 1] == '\0'))
        p->label[--len] = '\0';
}

static void proc_free(struct top_proc *p)
{
    free(p->comm);
    free(p->name);
    free(p->args);
    free(p->groups);
    free(p->rss);
    free(p->label);
}

/* 0 read, 1 gone meanwhile, -1 error */
static int proc_read(int procfd, pid_t hpid, struct top_proc *p, cx_error *err)
{
    *p = (struct top_proc){ .hpid = hpid };
    int r = read_stat(procfd, p, err);
    if (r == 0)
        r = read_status(procfd, p, err);
    if (r == 0)
        r = read_cmdline(procfd, p, err);
    if (r == 0)
        read_label(procfd, p);
    if (r < 0) {
        proc_free(p);
        if (err->errnum == ENOENT || err->errnum == ESRCH) {
            cx_error_clear(err);
            return 1;
        }
        return -1;
    }
    return 0;
}

/* ---- the descriptors ---- */

static int64_t start_s(const struct top_proc *p, const struct top_ctx *x)
{
    return x->src->boot_s + (int64_t) (p->start / (unsigned long long) x->src->ticks);
}

static int64_t elapsed_ns(const struct top_proc *p, const struct top_ctx *x)
{
    return x->src->now_ns - start_s(p, x) * 1000000000;
}

/* whole seconds of CPU, as psgo counts them */
static int64_t cpu_s(const struct top_proc *p, const struct top_ctx *x)
{
    return (int64_t) ((p->utime + p->stime) / (unsigned long long) x->src->ticks);
}

static char *duration(int64_t ns)
{
    char buf[64];
    cx_go_duration(ns, buf, sizeof buf);
    return cx_strdup(buf);
}

static char *f_pcpu(const struct top_proc *p, const struct top_ctx *x)
{
    double el = (double) elapsed_ns(p, x) / 1e9;
    return cx_asprintf("%.3f", el > 0 ? 100.0 * (double) cpu_s(p, x) / el : 0.0);
}

static char *f_etime(const struct top_proc *p, const struct top_ctx *x)
{
    return duration(elapsed_ns(p, x));
}

static char *f_time(const struct top_proc *p, const struct top_ctx *x)
{
    return duration(cpu_s(p, x) * 1000000000);
}

static char *f_stime(const struct top_proc *p, const struct top_ctx *x)
{
    time_t t = (time_t) start_s(p, x);
    struct tm tm;
    char buf[96];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", localtime_r(&t, &tm));
    return cx_strdup(buf);
}

/* a name from the container's (or the host's) /etc files */
#define NAME_FN(fn, file, ids, which) \
    static char *fn(const struct top_proc *p, const struct top_ctx *x) \
    { \
        return id_name(x->file, p->ids[which]); \
    }
NAME_FN(f_user, passwd, uid, 1)
NAME_FN(f_ruser, passwd, uid, 0)
NAME_FN(f_group, group, gid, 1)
NAME_FN(f_rgroup, group, gid, 0)
NAME_FN(f_huser, hpasswd, uid, 1)
NAME_FN(f_hgroup, hgroup, gid, 1)

static char *f_groups(const struct top_proc *p, const struct top_ctx *x)
{
    return group_names(p->groups, x->group);
}

static char *f_hgroups(const struct top_proc *p, const struct top_ctx *x)
{
    return group_names(p->groups, x->hgroup);
}

#define PID_FN(fn, member) \
    static char *fn(const struct top_proc *p, const struct top_ctx *x) \
    { \
        (void) x; \
        return cx_asprintf("%d", p->member); \
    }
PID_FN(f_pid, pid)
PID_FN(f_hpid, hpid)
PID_FN(f_ppid, ppid)
PID_FN(f_pgid, pgrp)

static char *f_nice(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    return cx_asprintf("%lld", p->nice);
}

static char *f_vsz(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    return cx_asprintf("%llu", p->vsize / 1024);
}

static char *f_rss(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    return cx_strdup(p->rss ? p->rss : "0");   /* none: a kernel thread */
}

static char *f_state(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    return cx_strdup(p->state);
}

static char *f_comm(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    return cx_strdup(p->comm);
}

static char *f_args(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    return p->args ? cx_strdup(p->args) : cx_asprintf("[%s]", p->name ? p->name : "");
}

static char *f_label(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    return cx_strdup(p->label);
}

static char *f_seccomp(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    static const char *const modes[] = { "disabled", "strict", "filter" };
    return cx_strdup(p->seccomp >= 0 && p->seccomp <= 2 ? modes[p->seccomp] : "?");
}

/* The terminal from stat's tty_nr: a pty slave, /dev/tty, else "?" (the
 * devices a container's /dev holds). */
static char *f_tty(const struct top_proc *p, const struct top_ctx *x)
{
    (void) x;
    unsigned maj = (unsigned) ((p->tty >> 8) & 0xfff);
    unsigned min = (unsigned) ((p->tty & 0xff) | ((p->tty >> 12) & 0xfff00));
    if (maj >= 136 && maj <= 143)
        return cx_asprintf("pts/%u", (maj - 136) * 256 + min);
    if (maj == 5 && min == 0)
        return cx_strdup("tty");
    return cx_strdup("?");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* "full", "none", or the names sorted and joined by commas */
static char *caps_text(uint64_t mask)
{
    if (mask == CAPS_FULL)
        return cx_strdup("full");
    char *names[64];
    size_t n = 0, len = 1;
    for (unsigned i = 0; i < 64; i++) {
        if (!(mask >> i & 1))
            continue;
        /* psgo names the 41 it knows, "unknown" any other */
        char *lib = i <= 40 ? cap_to_name((cap_value_t) i) : NULL;
        bool known = lib && cx_str_has_prefix(lib, "cap_");
        names[n] = cx_strdup(known ? lib + 4 : "unknown");
        for (char *c = names[n]; known && *c; c++)
            *c = (char) (*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        cap_free(lib);
        len += strlen(names[n++]) + 1;
    }
    if (n == 0)
        return cx_strdup("none");
    qsort(names, n, sizeof names[0], cmp_str);
    char *out = cx_calloc(len, 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, names[i]);
        free(names[i]);
    }
    return out;
}

#define CAP_FN(fn, set) \
    static char *fn(const struct top_proc *p, const struct top_ctx *x) \
    { \
        (void) x; \
        return caps_text(p->caps[set]); \
    }
CAP_FN(f_capinh, CAP_INH)
CAP_FN(f_capprm, CAP_PRM)
CAP_FN(f_capeff, CAP_EFF)
CAP_FN(f_capbnd, CAP_BND)
CAP_FN(f_capamb, CAP_AMB)

/* psgo 1.7's descriptors (podman 4.3): AIX code, name, header */
static const struct {
    const char *code, *name, *header;
    top_fn fn;
} descs[] = {
    { "%C", "pcpu", "%CPU", f_pcpu },
    { "%G", "group", "GROUP", f_group },
    { NULL, "groups", "GROUPS", f_groups },
    { "%P", "ppid", "PPID", f_ppid },
    { "%U", "user", "USER", f_user },
    { "%a", "args", "COMMAND", f_args },
    { "%c", "comm", "COMMAND", f_comm },
    { "%g", "rgroup", "RGROUP", f_rgroup },
    { "%n", "nice", "NI", f_nice },
    { "%p", "pid", "PID", f_pid },
    { "%r", "pgid", "PGID", f_pgid },
    { "%t", "etime", "ELAPSED", f_etime },
    { "%u", "ruser", "RUSER", f_ruser },
    { "%x", "time", "TIME", f_time },
    { "%y", "tty", "TTY", f_tty },
    { "%z", "vsz", "VSZ", f_vsz },
    { NULL, "capamb", "AMBIENT CAPS", f_capamb },
    { NULL, "capinh", "INHERITED CAPS", f_capinh },
    { NULL, "capprm", "PERMITTED CAPS", f_capprm },
    { NULL, "capeff", "EFFECTIVE CAPS", f_capeff },
    { NULL, "capbnd", "BOUNDING CAPS", f_capbnd },
    { NULL, "seccomp", "SECCOMP", f_seccomp },
    { NULL, "label", "LABEL", f_label },
    { NULL, "hpid", "HPID", f_hpid },
    { NULL, "huser", "HUSER", f_huser },
    { NULL, "hgroup", "HGROUP", f_hgroup },
    { NULL, "hgroups", "HGROUPS", f_hgroups },
    { NULL, "rss", "RSS", f_rss },
    { NULL, "state", "STATE", f_state },
    { NULL, "stime", "STIME", f_stime },
};
#define NDESCS (sizeof descs / sizeof descs[0])

static const char *const default_descs[] = { "user", "pid", "ppid", "pcpu", "etime", "tty",
                                             "time", "args" };

static bool find_desc(const char *d, size_t *out)
{
    for (size_t i = 0; i < NDESCS; i++)
        if (strcmp(d, descs[i].name) == 0 || (descs[i].code && strcmp(d, descs[i].code) == 0)) {
            *out = i;
            return true;
        }
    return false;
}

static int add_desc(const char *d, size_t **idx, size_t *n, cx_error *err)
{
    size_t i;
    if (!find_desc(d, &i)) {
        char shown[112];
        return cx_fail(err, 0, "top: unknown format descriptor '%s' (see "
                       "`capsactl top --list-descriptors`)", cx_printable(d, shown));
    }
    *idx = cx_realloc(*idx, (*n + 1) * sizeof **idx);
    (*idx)[(*n)++] = i;
    return 0;
}

int cx_top_descriptors(char *const *args, size_t nargs, size_t **idx, size_t *n,
                       cx_error *err)
{
    _cleanup_free_ size_t *out = NULL;
    size_t count = 0;
    for (size_t a = 0; a < nargs; a++) {
        _cleanup_free_ char *copy = cx_strdup(args[a]);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            t += strspn(t, " \t");
            size_t len = strlen(t);
            while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
                t[--len] = '\0';
            if (len > 0 && add_desc(t, &out, &count, err) < 0)
                return -1;
        }
    }
    bool none = count == 0;
    for (size_t i = 0; none && i < sizeof default_descs / sizeof default_descs[0]; i++)
        if (add_desc(default_descs[i], &out, &count, err) < 0)
            return -1;
    *idx = TAKE_PTR(out);
    *n = count;
    return 0;
}

const char *const *cx_top_descriptor_names(size_t *n)
{
    static const char *sorted[NDESCS];
    if (!sorted[0]) {
        for (size_t i = 0; i < NDESCS; i++)
            sorted[i] = descs[i].name;
        qsort(sorted, NDESCS, sizeof sorted[0], cmp_str);
    }
    *n = NDESCS;
    return sorted;
}

/* ---- the table ---- */

void cx_top_table_free(struct cx_top_table *t)
{
    for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    *t = (struct cx_top_table){ 0 };
}

static int cmp_pid(const void *a, const void *b)
{
    const struct top_proc *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The container's view of a host pid among ours, 0 outside (as the
 * kernel shows a parent or group leader beyond the namespace). */
static pid_t ns_view(const struct top_proc *ps, size_t n, pid_t host)
{
    for (size_t i = 0; i < n; i++)
        if (ps[i].hpid == host)
            return ps[i].pid;
    return 0;
}

static int read_all(const struct cx_top_src *src, const pid_t *pids, size_t npids,
                    struct top_proc *ps, size_t *n, cx_error *err)
{
    *n = 0;
    for (size_t i = 0; i < npids; i++) {
        int r = proc_read(src->procfd, pids[i], &ps[*n], err);
        if (r < 0) {
            while (*n > 0)
                proc_free(&ps[--*n]);
            return -1;
        }
        if (r == 0)
            (*n)++;
    }
    for (size_t i = 0; i < *n; i++) {
        ps[i].ppid = ns_view(ps, *n, ps[i].ppid);
        ps[i].pgrp = ns_view(ps, *n, ps[i].pgrp);
    }
    qsort(ps, *n, sizeof *ps, cmp_pid);
    return 0;
}

int cx_top_table(const struct cx_top_src *src, const pid_t *pids, size_t npids,
                 const size_t *idx, size_t nidx, struct cx_top_table *out, cx_error *err)
{
    _cleanup_free_ struct top_proc *ps = cx_calloc(npids + 1, sizeof *ps);
    size_t n;
    *out = (struct cx_top_table){ 0 };
    if (read_all(src, pids, npids, ps, &n, err) < 0)
        return -1;
    struct top_ctx x = { .src = src, .passwd = read_etc(src->rootfd, "/etc/passwd"),
                         .group = read_etc(src->rootfd, "/etc/group"),
                         .hpasswd = read_etc(src->hostfd, "/etc/passwd"),
                         .hgroup = read_etc(src->hostfd, "/etc/group") };
    out->ncols = nidx;
    out->nrows = n + 1;
    out->cells = cx_calloc(out->nrows * nidx + 1, sizeof(char *));
    for (size_t c = 0; c < nidx; c++)
        out->cells[c] = cx_strdup(descs[idx[c]].header);
    for (size_t r = 0; r < n; r++) {
        for (size_t c = 0; c < nidx; c++)
            out->cells[(r + 1) * nidx + c] = descs[idx[c]].fn(&ps[r], &x);
        proc_free(&ps[r]);
    }
    free(x.passwd);
    free(x.group);
    free(x.hpasswd);
    free(x.hgroup);
    return 0;
}

/* ---- a container's processes ---- */

static int64_t boot_time(void)
{
    _cleanup_free_ char *text = NULL;
    cx_error ignored = { 0 };
    if (cx_read_file_at(AT_FDCWD, "/proc/stat", 1 << 20, &text, NULL, &ignored) < 0)
        return 0;
    char *b = strstr(text, "\nbtime ");
    return b ? strtoll(b + 7, NULL, 10) : 0;
}

static bool same_pidns(pid_t pid, const struct stat *ns)
{
    char path[48];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
    return stat(path, &st) == 0 && st.st_ino == ns->st_ino && st.st_dev == ns->st_dev;
}

/* The cgroup's processes that live in the init's PID namespace. */
static int ctr_pids(struct cx_engine *e, const struct cx_ctr *c, pid_t **pids, size_t *n,
                    cx_error *err)
{
    if (cx_rt_pids(e, c, pids, n, err) < 0)
        return -1;
    char path[48];
    struct stat ns;
    snprintf(path, sizeof path, "/proc/%d/ns/pid", c->pid);
    if (stat(path, &ns) < 0)
        return cx_fail_errno(err, "container %s: its init (pid %d) is gone", c->name, c->pid);
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (same_pidns((*pids)[i], &ns))
            (*pids)[kept++] = (*pids)[i];
    *n = kept;
    return 0;
}

int cx_ctr_top(struct cx_engine *e, struct cx_ctr *c, char *const *descs_in, size_t ndescs,
               struct cx_top_table *out, cx_error *err)
{
    cx_ctr_sync(e, c);
    if (c->state != CX_CTR_RUNNING)
        return cx_fail(err, 0, "top can only be used on running containers: %s is %s",
                       c->name, cx_ctr_state_name(c->state));
    _cleanup_free_ size_t *idx = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    size_t nidx, npids;
    if (cx_top_descriptors(descs_in, ndescs, &idx, &nidx, err) < 0 ||
        ctr_pids(e, c, &pids, &npids, err) < 0)
        return -1;
    char root[48];
    snprintf(root, sizeof root, "/proc/%d/root", c->pid);
    _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int hostfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    unsigned long long started = cx_pid_start(c->pid);
    if (rootfd < 0 || started == 0 || (c->pid_start && started != c->pid_start))
        return cx_fail(err, 0, "container %s: its init (pid %d) is gone", c->name, c->pid);
    if (procfd < 0 || hostfd < 0)
        return cx_fail_errno(err, "open /proc");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct cx_top_src src = { .procfd = procfd, .rootfd = rootfd, .hostfd = hostfd,
                              .now_ns = (int64_t) now.tv_sec * 1000000000 + now.tv_nsec,
                              .boot_s = boot_time(), .ticks = sysconf(_SC_CLK_TCK) };
    if (src.ticks <= 0)
        src.ticks = 100;
    return cx_top_table(&src, pids, npids, idx, nidx, out, err);
}

/* ---- Go's durations ---- */

/* frac of prec digits without its trailing zeros, "" when all are */
static void frac_digits(uint64_t frac, int prec, char *buf)
{
    snprintf(buf, 16, ".%0*" PRIu64, prec, frac);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n == 1)
        buf[0] = '\0';
}

void cx_go_duration(int64_t ns, char *buf, size_t len)
{
    uint64_t u = ns < 0 ? (uint64_t) 0 - (uint64_t) ns : (uint64_t) ns;
    const char *sign = ns < 0 ? "-" : "";
    char f[16];
    if (u == 0) {
        snprintf(buf, len, "0s");
    } else if (u < 1000) {
        snprintf(buf, len, "%s%" PRIu64 "ns", sign, u);
    } else if (u < 1000000000) {
        bool micro = u < 1000000;
        uint64_t div = micro ? 1000 : 1000000;
        frac_digits(u % div, micro ? 3 : 6, f);
        snprintf(buf, len, "%s%" PRIu64 "%s%s", sign, u / div, f, micro ? "µs" : "ms");
    } else {
        uint64_t s = u / 1000000000, h = s / 3600, m = s / 60 % 60;
        frac_digits(u % 1000000000, 9, f);
        if (h)
            snprintf(buf, len, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64 "%ss", sign, h, m, s % 60, f);
        else if (m)
            snprintf(buf, len, "%s%" PRIu64 "m%" PRIu64 "%ss", sign, m, s % 60, f);
        else
            snprintf(buf, len, "%s%" PRIu64 "%ss", sign, s, f);
    }
}
