/* spec_defaults.c: see spec_defaults.h. */
#include "engine/spec_defaults.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/cleanup.h"
#include "common/jdec.h"
#include "common/util.h"
#include "engine/seccomp_default.h"
#include "oci/seccomp.h"

#define PROFILE_MAX (4u << 20)
#define DEV_DEPTH_MAX 8
#define NOFILE_DEFAULT 1048576

const char *const cx_spec_masked_paths[] = {
    "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/fs/selinux", "/sys/dev/block", NULL,
};

const char *const cx_spec_readonly_paths[] = {
    "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    NULL,
};

static const char *const default_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
    "CAP_SYS_CHROOT", NULL,
};

/* ---- masked and read-only paths ---- */

static bool unmasked(const struct cx_run_opts *o, const char *path)
{
    for (char **u = o->unmask; u && *u; u++)
        if (strcmp(*u, "ALL") == 0 || fnmatch(*u, path, FNM_PATHNAME) == 0)
            return true;
    return false;
}

json_t *cx_spec_paths(const struct cx_run_opts *o, bool readonly)
{
    json_t *a = json_array();
    if (readonly && o->readonly_paths) {   /* capsad: the kubelet's list, as it is */
        for (char **m = o->readonly_paths; *m; m++)
            json_array_append_new(a, json_string(*m));
        return a;
    }
    const char *const *dflt = readonly ? cx_spec_readonly_paths : cx_spec_masked_paths;
    for (size_t i = 0; !o->privileged && dflt[i]; i++)
        if (!unmasked(o, dflt[i]))
            json_array_append_new(a, json_string(dflt[i]));
    for (char **m = readonly ? NULL : o->mask; m && *m; m++) {
        bool dup = false;
        size_t i;
        json_t *p;
        json_array_foreach(a, i, p)
            dup |= strcmp(json_string_value(p), *m) == 0;
        if (!dup)
            json_array_append_new(a, json_string(*m));
    }
    return a;
}

/* ---- capabilities ---- */

static bool has(char *const *v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

static void add(char ***v, size_t *n, const char *s)
{
    if (has(*v, s))
        return;
    *v = cx_realloc(*v, (*n + 2) * sizeof **v);
    (*v)[(*n)++] = cx_strdup(s);
    (*v)[*n] = NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every capability in our bounding set that libcap can name. */
static void all_caps(char ***v, size_t *n)
{
    for (cap_value_t c = 0; c <= CAP_LAST_CAP + 24; c++) {
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
            continue;
        char *name = cap_to_name(c);
        if (name && !isdigit((unsigned char) name[0])) {
            char upper[64];
            size_t i = 0;
            for (; name[i] && i < sizeof upper - 1; i++)
                upper[i] = (char) toupper((unsigned char) name[i]);
            upper[i] = '\0';
            add(v, n, upper);
        }
        cap_free(name);
    }
}

static int check_add_drop(const struct cx_run_opts *o, cx_error *err)
{
    if (has(o->cap_add, "ALL") && has(o->cap_drop, "ALL"))
        return cx_fail(err, 0, "--cap-add ALL and --cap-drop ALL cannot go together");
    for (char **c = o->cap_add; c && *c; c++)
        if (strcmp(*c, "ALL") != 0 && has(o->cap_drop, *c))
            return cx_fail(err, 0, "%s is both in --cap-add and --cap-drop", *c);
    return 0;
}

int cx_spec_caps(const struct cx_run_opts *o, char ***out, cx_error *err)
{
    if (!o->privileged && check_add_drop(o, err) < 0)
        return -1;
    char **v = cx_calloc(1, sizeof *v);
    size_t n = 0;
    if (o->privileged || has(o->cap_add, "ALL"))
        all_caps(&v, &n);
    else
        for (const char *const *c = default_caps; *c && !has(o->cap_drop, "ALL"); c++)
            add(&v, &n, *c);
    if (!o->privileged) {
        for (char **c = o->cap_add; c && *c; c++)
            if (strcmp(*c, "ALL") != 0)
                add(&v, &n, *c);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (has(o->cap_drop, v[i]))
                free(v[i]);
            else
                v[k++] = v[i];
        }
        v[n = k] = NULL;
    }
    qsort(v, n, sizeof *v, by_name);
    *out = v;
    return 0;
}

static json_t *names(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

json_t *cx_spec_caps_json(char *const *caps, const struct cx_run_opts *o, uid_t uid)
{
    json_t *j = json_pack("{s:o}", "bounding", names(caps));
    if (uid == 0) {
        json_object_set_new(j, "effective", names(caps));
        json_object_set_new(j, "permitted", names(caps));
        return j;
    }
    /* another user starts with no capability but those asked for */
    bool all = has(o->cap_add, "ALL") && !o->privileged;
    _cleanup_strv_ char **mine = cx_calloc(1, sizeof *mine);
    size_t n = 0;
    for (char *const *c = caps; c && *c; c++)
        if (all || has(o->cap_add, *c))
            add(&mine, &n, *c);
    if (n == 0)
        return j;
    const char *const sets[] = { "effective", "permitted", "inheritable", "ambient" };
    for (size_t i = 0; i < 4; i++)
        json_object_set_new(j, sets[i], names(mine));
    return j;
}

/* ---- rlimits ---- */

static bool can_raise_limits(void)
{
    cap_t c = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;
    if (c)
        cap_get_flag(c, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
    cap_free(c);
    return v == CAP_SET;
}

static uint64_t default_limit(int resource, uint64_t want)
{
    struct rlimit cur;
    if (!can_raise_limits() && getrlimit(resource, &cur) == 0 && cur.rlim_max < want)
        return cur.rlim_max;
    return want;
}

static uint64_t pid_max(void)
{
    char buf[32] = "";
    FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
    uint64_t v = 0;
    if (f && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        if (cx_parse_u64(buf, &v) < 0)
            v = 0;
    }
    if (f)
        fclose(f);
    return v ? v : NOFILE_DEFAULT;
}

static json_t *rlimit(const char *type, uint64_t soft, uint64_t hard)
{
    if (soft > CX_SPEC_RLIMIT_UNLIMITED)
        soft = CX_SPEC_RLIMIT_UNLIMITED;
    if (hard > CX_SPEC_RLIMIT_UNLIMITED)
        hard = CX_SPEC_RLIMIT_UNLIMITED;
    return json_pack("{s:s,s:I,s:I}", "type", type, "hard", (json_int_t) hard, "soft",
                     (json_int_t) soft);
}

static const struct cx_ulimit *asked(const struct cx_run_opts *o, int resource)
{
    for (size_t i = 0; i < o->nulimits; i++)
        if (o->ulimits[i].resource == resource)
            return &o->ulimits[i];
    return NULL;
}

json_t *cx_spec_rlimits(const struct cx_run_opts *o)
{
    json_t *a = json_array();
    const struct { int res; const char *name; uint64_t want; } defaults[] = {
        { RLIMIT_NOFILE, "RLIMIT_NOFILE", NOFILE_DEFAULT },
        { RLIMIT_NPROC, "RLIMIT_NPROC", pid_max() },
    };
    for (size_t i = 0; i < 2; i++) {
        const struct cx_ulimit *u = asked(o, defaults[i].res);
        uint64_t v = u ? 0 : default_limit(defaults[i].res, defaults[i].want);
        json_array_append_new(a, u ? rlimit(u->name, u->soft, u->hard)
                                   : rlimit(defaults[i].name, v, v));
    }
    for (size_t i = 0; i < o->nulimits; i++) {
        const struct cx_ulimit *u = &o->ulimits[i];
        if (u->resource != RLIMIT_NOFILE && u->resource != RLIMIT_NPROC)
            json_array_append_new(a, rlimit(u->name, u->soft, u->hard));
    }
    return a;
}

/* ---- the host's devices (--privileged) ---- */

static bool skipped_dev(const char *path)
{
    static const char *const skip[] = { "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd",
                                        "/dev/console", "/dev/.udev", "/dev/.lxc",
                                        "/dev/.lxd-mounts", NULL };
    return has((char *const *) skip, path);
}

static json_t *device_json(const char *path, const struct stat *st)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "path", path, "type",
                     S_ISCHR(st->st_mode) ? "c" : "b", "major",
                     (json_int_t) major(st->st_rdev), "minor", (json_int_t) minor(st->st_rdev),
                     "fileMode", (json_int_t) st->st_mode, "uid", (json_int_t) st->st_uid,
                     "gid", (json_int_t) st->st_gid);
}

static int walk_dev(int dirfd, const char *path, int depth, json_t *out, cx_error *err)
{
    _cleanup_closedir_ DIR *d = fdopendir(dirfd);
    if (d == NULL) {
        int e = errno;
        close(dirfd);
        return cx_fail(err, e, "read %s", path);
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        _cleanup_free_ char *p = cx_asprintf("%s/%s", path, e->d_name);
        struct stat st;
        if (skipped_dev(p) || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;  /* gone meanwhile: nothing to give */
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            json_array_append_new(out, device_json(p, &st));
        } else if (S_ISDIR(st.st_mode) && depth < DEV_DEPTH_MAX) {
            int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0 && walk_dev(fd, p, depth + 1, out, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *) a, "path")),
                  json_string_value(json_object_get(*(json_t *const *) b, "path")));
}

int cx_spec_host_devices(json_t **out, cx_error *err)
{
    int fd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    json_auto_t *found = json_array();
    if (fd < 0)
        return cx_fail_errno(err, "open /dev");
    if (walk_dev(fd, "/dev", 0, found, err) < 0)
        return -1;
    size_t n = json_array_size(found);
    json_t **v = cx_calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(found, i);
    qsort(v, n, sizeof *v, by_path);
    *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(*out, v[i]);
    free(v);
    return 0;
}

/* ---- seccomp ---- */

/* A docker/podman profile resolves per container (archMap, conditions on
 * capabilities and kernels); only the OCI form can be used as it is. */
static bool engine_profile(json_t *j)
{
    if (json_object_get(j, "archMap"))
        return true;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(j, "syscalls"), i, s)
        if (json_object_get(s, "includes") || json_object_get(s, "excludes") ||
            (json_object_get(s, "name") && !json_object_get(s, "names")))
            return true;
    return false;
}

static int load_profile(const char *path, json_t **out, cx_error *err)
{
    _cleanup_free_ char *text = NULL, *doc = cx_asprintf("seccomp profile %s", path);
    if (cx_read_file_at(AT_FDCWD, path, PROFILE_MAX, &text, NULL, err) < 0)
        return cx_error_prefix(err, "--security-opt seccomp");
    json_error_t jerr;
    json_auto_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL)
        return cx_fail(err, 0, "%s: invalid JSON at line %d: %s", doc, jerr.line, jerr.text);
    if (!json_is_object(j))
        return cx_fail(err, 0, "%s: not a JSON object", doc);
    if (engine_profile(j))
        return cx_fail(err, 0, "%s: a docker/podman profile (archMap, includes/excludes); "
                       "capsa takes the OCI linux.seccomp object a runtime receives", doc);
    struct jd_pool pool = { 0 };
    struct jd_ctx c = { doc, &pool, err };
    struct oci_seccomp *s = NULL;
    int r = oci_seccomp_decode(&c, j, NULL, &s);
    jd_pool_free(&pool);
    if (r < 0)
        return -1;
    *out = json_incref(j);
    return 0;
}

int cx_spec_seccomp(const struct cx_run_opts *o, char *const *caps, json_t **out,
                    cx_error *err)
{
    *out = NULL;
    if (o->seccomp && strcmp(o->seccomp, "unconfined") == 0)
        return 0;
    if (o->seccomp)
        return load_profile(o->seccomp, out, err);
    if (o->privileged)
        return 0;
    return cx_seccomp_default((const char *const *) caps, out, err);
}
