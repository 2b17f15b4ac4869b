/* process.c: see process.h. */
#include "runtime/process.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

int process_set_limits(const struct oci_process *p, cx_error *err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return cx_fail_errno(err, "set %s to %llu/%llu", p->rlimits[i].type,
                                 (unsigned long long) rl.rlim_cur,
                                 (unsigned long long) rl.rlim_max);
    }
    if (p->has_oom_score_adj) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%d", (int) p->oom_score_adj);
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, (size_t) n) != n)
            return cx_fail_errno(err, "set oomScoreAdj %d", (int) p->oom_score_adj);
    }
    return 0;
}

static int cap_list(const char **names, cap_value_t *out, int *n, const char *set,
                    cx_error *err)
{
    *n = 0;
    for (size_t i = 0; names && names[i]; i++) {
        cap_value_t v;
        if (cap_from_name(names[i], &v) < 0)
            return cx_fail(err, 0, "process.capabilities.%s: unknown capability \"%s\"",
                           set, names[i]);
        if (v > CAP_LAST_CAP || !CAP_IS_SUPPORTED(v))
            continue; /* unknown to this kernel: skipped, as runc does */
        out[(*n)++] = v;
    }
    return 0;
}

static int drop_bounding(const struct oci_caps *c, cx_error *err)
{
    cap_value_t keep[CAP_LAST_CAP + 64];
    int n;
    if (cap_list(c->bounding, keep, &n, "bounding", err) < 0)
        return -1;
    for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
        bool kept = false;
        for (int i = 0; i < n; i++)
            kept |= keep[i] == v;
        if (!kept && CAP_IS_SUPPORTED(v) && prctl(PR_CAPBSET_DROP, v, 0, 0, 0) < 0)
            return cx_fail_errno(err, "drop %s from the bounding set", cap_to_name(v));
    }
    return 0;
}

/* The configured effective, permitted and inheritable sets. */
static cap_t configured_caps(const struct oci_caps *c, cx_error *err)
{
    struct { const char **names; cap_flag_t flag; const char *set; } sets[] = {
        { c->effective, CAP_EFFECTIVE, "effective" },
        { c->permitted, CAP_PERMITTED, "permitted" },
        { c->inheritable, CAP_INHERITABLE, "inheritable" },
    };
    cap_t caps = cap_init();
    cap_value_t vals[CAP_LAST_CAP + 64];
    int n;
    for (size_t s = 0; s < 3; s++) {
        if (cap_list(sets[s].names, vals, &n, sets[s].set, err) < 0) {
            cap_free(caps);
            return NULL;
        }
        if (n > 0)
            cap_set_flag(caps, sets[s].flag, n, vals, CAP_SET);
    }
    return caps;
}

/* Set caps (consumed).  With hold_admin, CAP_SYS_ADMIN stays effective
 * and permitted on top of them when they lack it, and *final gets caps
 * for process_release_admin(). */
static int apply_caps(cap_t caps, bool hold_admin, cap_t *final, cx_error *err)
{
    cap_flag_value_t eff = CAP_CLEAR;
    cap_value_t admin = CAP_SYS_ADMIN;
    if (caps == NULL)
        return cx_fail_errno(err, "read capabilities");
    cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &eff);
    cap_t set = caps;
    if (hold_admin && eff != CAP_SET) {
        set = cap_dup(caps);
        cap_set_flag(set, CAP_EFFECTIVE, 1, &admin, CAP_SET);
        cap_set_flag(set, CAP_PERMITTED, 1, &admin, CAP_SET);
    }
    int rc = cap_set_proc(set) < 0 ? cx_fail_errno(err, "set capabilities") : 0;
    if (set != caps) {
        cap_free(set);
        if (rc == 0) {
            *final = caps;
            return 0;
        }
    }
    cap_free(caps);
    return rc;
}

static int set_caps(const struct oci_caps *c, bool hold_admin, cap_t *final, cx_error *err)
{
    cap_value_t vals[CAP_LAST_CAP + 64];
    int n;
    cap_t caps = configured_caps(c, err);
    if (caps == NULL || apply_caps(caps, hold_admin, final, err) < 0)
        return -1;
    if (cap_list(c->ambient, vals, &n, "ambient", err) < 0)
        return -1;
    /* an ambient capability must also be permitted and inheritable; specs
     * (runc's default among them) often list it in neither, and runtimes
     * skip it then rather than fail */
    for (int i = 0; i < n; i++)
        if (cap_set_ambient(vals[i], CAP_SET) < 0 && errno != EPERM)
            return cx_fail_errno(err, "raise ambient capability %d", (int) vals[i]);
    return 0;
}

int process_set_identity(const struct oci_process *p, bool hold_admin, cap_t *final,
                         cx_error *err)
{
    const struct oci_user *u = &p->user;
    *final = NULL;
    hold_admin &= !p->no_new_privileges; /* no_new_privs alone allows the load */
    if (p->has_caps && drop_bounding(&p->caps, err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return cx_fail_errno(err, "keep capabilities across setuid");
    if (setgroups(u->n_additional_gids, u->additional_gids) < 0 && errno != EPERM)
        return cx_fail_errno(err, "setgroups");
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return cx_fail_errno(err, "setgid %u", u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return cx_fail_errno(err, "setuid %u", u->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return cx_fail_errno(err, "reset keepcaps");
    if (p->has_caps ? set_caps(&p->caps, hold_admin, final, err) < 0
                    : hold_admin && apply_caps(cap_get_proc(), true, final, err) < 0)
        return -1;
    if (u->has_umask)
        umask(u->umask);
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return cx_fail_errno(err, "set no_new_privs");
    return 0;
}

int process_release_admin(cap_t final, cx_error *err)
{
    if (final == NULL)
        return 0;
    int rc = cap_set_proc(final);
    cap_free(final);
    if (rc < 0) /* never exec with more than was asked for */
        return cx_fail_errno(err, "drop CAP_SYS_ADMIN, held to load the seccomp filter "
                                  "(the profile must allow capset when noNewPrivileges "
                                  "is false)");
    return 0;
}

/* 0: runnable; -1 with errno (ENOENT, EACCES). */
static int check_exec(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    if (S_ISDIR(st.st_mode) || access(path, X_OK) < 0) {
        errno = EACCES;
        return -1;
    }
    return 0;
}

/* HOME from the container's /etc/passwd entry of the process's uid (else
 * "/") when the env has none or an empty one, as runc does: docker sets no
 * HOME and leaves it to the runtime. */
static void default_home(struct oci_process *p)
{
    const char *home = oci_env_get(p->env, "HOME");
    if (home && *home)
        return;
    char line[4096], dir[PATH_MAX] = "/";
    FILE *f = fopen("/etc/passwd", "re");
    while (f && fgets(line, sizeof line, f)) {
        char *s = line, *fld[7];
        int n = 0;
        while (n < 7 && (fld[n] = strsep(&s, ":\n")) != NULL)
            n++;
        char *end;
        if (n >= 6 && *fld[2] && strtoul(fld[2], &end, 10) == p->user.uid && *end == '\0' &&
            *fld[5]) {
            snprintf(dir, sizeof dir, "%s", fld[5]);
            break;
        }
    }
    if (f)
        fclose(f);
    size_t n = 0;
    while (p->env && p->env[n])
        n++;
    const char **env = calloc(n + 2, sizeof *env);
    char *var = NULL;
    if (env == NULL || asprintf(&var, "HOME=%s", dir) < 0) {
        free(env);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(p->env[i], "HOME=") != 0)
            env[k++] = p->env[i];
    env[k] = var;
    p->env = env; /* (not in the spec's pool: this process execs next) */
}

int process_lookup(const struct oci_process *p, char *out, size_t len,
                   cx_error *err)
{
    default_home((struct oci_process *) p);
    const char *file = p->args[0];
    if (strchr(file, '/')) {
        if (check_exec(file) < 0)
            return cx_fail(err, 0, "exec: \"%s\": %s", file,
                           errno == EACCES ? "permission denied"
                                           : "no such file or directory");
        snprintf(out, len, "%s", file);
        return 0;
    }
    const char *path = oci_env_get(p->env, "PATH");
    bool denied = false;
    if (path == NULL)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char *dir = path; ; ) {
        size_t n = strcspn(dir, ":");
        snprintf(out, len, "%.*s/%s", (int) n, n ? dir : ".", file);
        if (check_exec(out) == 0)
            return 0;
        denied |= errno == EACCES;
        if (dir[n] == '\0')
            break;
        dir += n + 1;
    }
    if (denied)
        return cx_fail(err, 0, "exec: \"%s\": permission denied", file);
    return cx_fail(err, 0, "exec: \"%s\": executable file not found in $PATH", file);
}

int process_chdir(const struct oci_process *p, cx_error *err)
{
    char here[PATH_MAX];
    if (chdir(p->cwd) < 0)
        return cx_fail_errno(err, "chdir to cwd (\"%s\") set in config.json", p->cwd);
    /* a cwd reached through a magic link (an inherited fd: /proc/self/fd/N)
     * can lie outside the container's root; the kernel then has no path
     * for it from our root (CVE-2024-21626) */
    if (getcwd(here, sizeof here) == NULL || here[0] != '/')
        return cx_fail(err, 0, "cwd (\"%s\") set in config.json is outside the container",
                       p->cwd);
    return 0;
}

void process_close_fds(int first)
{
    /* CLOEXEC rather than close: our own channel to the runtime must stay
     * open until execve succeeds; nothing from the host survives exec */
    if (syscall(SYS_close_range, (unsigned) first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    for (int fd = first; fd < 65536; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
}
