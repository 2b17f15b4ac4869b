/* spec_mounts.c: see spec_mounts.h. */
#include "engine/spec_mounts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

static bool strv_has(const char *const *v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

/* ---- parsing the flags ---- */

/* --mount's booleans: bare (true), =true, =false, =1, =0 */
static int mount_bool(const char *key, const char *arg, bool *out, cx_error *err)
{
    if (arg == NULL || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0)
        *out = true;
    else if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0)
        *out = false;
    else
        return cx_fail(err, 0, "--mount %s: invalid value \"%s\" (true or false)", key, arg);
    return 0;
}

char *cx_path_clean(const char *p)
{
    if (p[0] != '/')
        return NULL;
    char *out = cx_calloc(strlen(p) + 2, 1);
    size_t n = 0;
    while (*p) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n] != '/')
                n--;
            out[n] = '\0';
        } else {
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
            out[n] = '\0';
        }
        p += len;
    }
    if (n == 0)
        strcpy(out, "/");
    return out;
}

bool cx_name_valid(const char *s)
{
    if (!isalnum((unsigned char) s[0]))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char) *s) && !strchr("_.-", *s))
            return false;
    return true;
}

/* The options of one mount as they are collected, then completed with
 * podman's defaults (rw, rprivate, nosuid/nodev, rbind or tmpcopyup). */
struct mopts {
    char **v;
    bool rw, prop, bind, suid, dev, copyup;
};

static void mopts_add(struct mopts *m, const char *opt)
{
    cx_strv_push(&m->v, cx_strdup(opt));
}

static void mopts_finish(struct mopts *m, enum cx_mount_kind kind)
{
    if (!m->rw)
        mopts_add(m, "rw");
    if (!m->prop)
        mopts_add(m, "rprivate");
    if (kind != CX_MOUNT_BIND && !m->suid)
        mopts_add(m, "nosuid");
    if (kind != CX_MOUNT_BIND && !m->dev)
        mopts_add(m, "nodev");
    if (kind != CX_MOUNT_TMPFS && !m->bind)
        mopts_add(m, "rbind");
    if (kind == CX_MOUNT_TMPFS && !m->copyup)
        mopts_add(m, "tmpcopyup");
}

static bool is_octal(const char *s)
{
    return s[0] && strspn(s, "01234567") == strlen(s) && strlen(s) <= 4;
}

static bool is_tmpfs_size(const char *s)
{
    size_t d = strspn(s, "0123456789");
    return d > 0 && (s[d] == '\0' || (strchr("kKmMgGtTpPeE%", s[d]) && s[d + 1] == '\0'));
}

static const char *const props[] = { "private", "rprivate", "shared", "rshared", "slave",
                                     "rslave", "unbindable", "runbindable", NULL };

/* One option of a mount (bind, volume or tmpfs). */
static int mopts_one(struct mopts *m, enum cx_mount_kind kind, const char *flag, const char *o,
                     cx_error *err)
{
    static const char *const plain[] = { "nosuid", "suid", "nodev", "dev", "noexec", "exec",
                                         "noatime", "atime", "relatime", "norelatime",
                                         "strictatime", "nodiratime", "sync", "dirsync", NULL };
    bool tmpfs = kind == CX_MOUNT_TMPFS;
    if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
        if (m->rw)
            return cx_fail(err, 0, "%s: only one of ro and rw may be given", flag);
        m->rw = true;
    } else if (strv_has(props, o)) {
        if (m->prop)
            return cx_fail(err, 0, "%s: only one propagation option may be given", flag);
        m->prop = true;
    } else if (strv_has(plain, o)) {
        m->suid |= strcmp(o, "suid") == 0 || strcmp(o, "nosuid") == 0;
        m->dev |= strcmp(o, "dev") == 0 || strcmp(o, "nodev") == 0;
    } else if (!tmpfs && (strcmp(o, "z") == 0 || strcmp(o, "Z") == 0)) {
        return 0;  /* SELinux relabelling: nothing to do without SELinux */
    } else if (!tmpfs && (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0)) {
        if (m->bind)
            return cx_fail(err, 0, "%s: only one of bind and rbind may be given", flag);
        m->bind = true;
    } else if (!tmpfs && strcmp(o, "U") == 0) {
        return cx_fail(err, 0, "%s: option U (chown to the container's user) is not supported",
                       flag);
    } else if (tmpfs && (strcmp(o, "tmpcopyup") == 0 || strcmp(o, "notmpcopyup") == 0)) {
        m->copyup = true;
        return strcmp(o, "notmpcopyup") == 0 ? 0 : (mopts_add(m, o), 0);
    } else if (tmpfs && ((cx_str_has_prefix(o, "size=") && is_tmpfs_size(o + 5)) ||
                         (cx_str_has_prefix(o, "mode=") && is_octal(o + 5)) ||
                         (cx_str_has_prefix(o, "nr_inodes=") && is_tmpfs_size(o + 10)) ||
                         ((cx_str_has_prefix(o, "uid=") || cx_str_has_prefix(o, "gid=")) &&
                          o[4] && strspn(o + 4, "0123456789") == strlen(o + 4)))) {
        /* passed on to tmpfs as it is */
    } else {
        return cx_fail(err, 0, "%s: invalid option \"%s\"", flag, o);
    }
    mopts_add(m, o);
    return 0;
}

static int mopts_list(struct mopts *m, enum cx_mount_kind kind, const char *flag,
                      const char *list, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(list);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (mopts_one(m, kind, flag, t, err) < 0)
            return -1;
    return 0;
}

/* Append a mount (takes source and the options); dest is checked here. */
static int add_mount(struct cx_run_opts *o, const char *flag, enum cx_mount_kind kind,
                     char *source, const char *dest, struct mopts *m, cx_error *err)
{
    _cleanup_free_ char *src = source;
    _cleanup_free_ char *d = dest ? cx_path_clean(dest) : NULL;
    _cleanup_strv_ char **opts = m->v;
    m->v = NULL;
    if (d == NULL)
        return cx_fail(err, 0, "%s: the destination \"%s\" is not an absolute path", flag,
                       dest ? dest : "");
    if (strcmp(d, "/") == 0)
        return cx_fail(err, 0, "%s: cannot mount over /", flag);
    for (size_t i = 0; i < o->nmounts; i++)
        if (strcmp(o->mounts[i].dest, d) == 0)
            return cx_fail(err, 0, "%s: %s: duplicate mount destination", flag, d);
    o->mounts = cx_realloc(o->mounts, (o->nmounts + 1) * sizeof *o->mounts);
    o->mounts[o->nmounts++] = (struct cx_mount_req) {
        .kind = kind, .source = TAKE_PTR(src), .dest = TAKE_PTR(d), .options = TAKE_PTR(opts),
    };
    return 0;
}

static int source_kind(const char *flag, const char *src, enum cx_mount_kind *kind,
                       cx_error *err)
{
    if (src[0] == '/')
        *kind = CX_MOUNT_BIND;
    else if (cx_name_valid(src))
        *kind = CX_MOUNT_VOLUME;
    else
        return cx_fail(err, 0, "%s: \"%s\" is neither an absolute path nor a volume name "
                       "([a-zA-Z0-9][a-zA-Z0-9_.-]*)", flag, src);
    return 0;
}

/* -v [SOURCE:]DEST[:OPTIONS] */
int cx_mount_parse_volume(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(arg);
    char *part[4] = { NULL };
    size_t n = 0;
    for (char *p = copy; n < 4; n++) {
        part[n] = p;
        if ((p = strchr(p, ':')) == NULL) {
            n++;
            break;
        }
        *p++ = '\0';
    }
    if (n > 3 || part[0][0] == '\0')
        return cx_fail(err, 0, "--volume: \"%s\": expected [SOURCE:]DEST[:OPTIONS]", arg);
    const char *src = NULL, *dest = part[0], *opts = NULL;
    if (n == 3 || (n == 2 && part[1][0] == '/'))
        src = part[0], dest = part[1], opts = n == 3 ? part[2] : NULL;
    else if (n == 2)
        opts = part[1];
    enum cx_mount_kind kind = CX_MOUNT_VOLUME;
    if (src && source_kind("--volume", src, &kind, err) < 0)
        return -1;
    struct mopts m = { 0 };
    if (opts && mopts_list(&m, kind, "--volume", opts, err) < 0)
        return cx_strv_free(m.v), -1;
    mopts_finish(&m, kind);
    return add_mount(o, "--volume", kind, src ? cx_strdup(src) : NULL, dest, &m, err);
}

/* --tmpfs DEST[:OPTIONS] */
int cx_mount_parse_tmpfs(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    _cleanup_free_ char *dest = cx_strdup(arg);
    char *opts = strchr(dest, ':');
    if (opts)
        *opts++ = '\0';
    struct mopts m = { 0 };
    if (opts && mopts_list(&m, CX_MOUNT_TMPFS, "--tmpfs", opts, err) < 0)
        return cx_strv_free(m.v), -1;
    mopts_finish(&m, CX_MOUNT_TMPFS);
    return add_mount(o, "--tmpfs", CX_MOUNT_TMPFS, NULL, dest, &m, err);
}

struct mount_spec {
    const char *type, *src, *dst;
    const char *bind_key, *tmpfs_key;  /* a key only that type takes */
};

/* One key[=value] of --mount. */
static int mount_key(struct mount_spec *s, struct mopts *m, const char *k, const char *v,
                     cx_error *err)
{
    const char *f = "--mount";
    bool tf;
    if (strcmp(k, "type") == 0 && v)
        s->type = v;
    else if ((strcmp(k, "source") == 0 || strcmp(k, "src") == 0) && v)
        s->src = v;
    else if ((strcmp(k, "destination") == 0 || strcmp(k, "dst") == 0 ||
              strcmp(k, "target") == 0) && v)
        s->dst = v;
    else if (strcmp(k, "readonly") == 0 || strcmp(k, "ro") == 0) {
        if (mount_bool(k, v, &tf, err) < 0)
            return -1;
        if (tf)
            return mopts_one(m, CX_MOUNT_BIND, f, "ro", err);
    } else if (strcmp(k, "bind-propagation") == 0 && v) {
        s->bind_key = k;
        if (!strv_has(props, v))
            return cx_fail(err, 0, "--mount: bind-propagation=%s: not a propagation "
                           "([r]private, [r]shared, [r]slave, [r]unbindable)", v);
        return mopts_one(m, CX_MOUNT_BIND, f, v, err);
    } else if (strcmp(k, "bind-nonrecursive") == 0) {
        if (mount_bool(k, v, &tf, err) < 0)
            return -1;
        s->bind_key = k;
        if (tf)
            return mopts_one(m, CX_MOUNT_BIND, f, "bind", err);
    } else if ((strcmp(k, "tmpfs-size") == 0 || strcmp(k, "tmpfs-mode") == 0) && v) {
        s->tmpfs_key = k;
        _cleanup_free_ char *opt = cx_asprintf("%s=%s", k[6] == 's' ? "size" : "mode", v);
        return mopts_one(m, CX_MOUNT_TMPFS, f, opt, err);
    } else if (strcmp(k, "volume-opt") == 0) {
        return cx_fail(err, 0, "--mount: volume-opt is not supported (volume drivers come later)");
    } else if (strcmp(k, "relabel") == 0 || strcmp(k, "consistency") == 0) {
        /* SELinux labels and macOS consistency: nothing to do here */
    } else if (!v) {
        if (strcmp(k, "bind") == 0 || strcmp(k, "rbind") == 0)
            s->bind_key = k;
        return mopts_one(m, CX_MOUNT_BIND, f, k, err);
    } else {
        return cx_fail(err, 0, "--mount: unknown option \"%s\"", k);
    }
    return 0;
}

static int mount_kind(const struct mount_spec *s, enum cx_mount_kind *kind, cx_error *err)
{
    if (s->type == NULL)
        return cx_fail(err, 0, "--mount: type= is required (bind, volume or tmpfs)");
    if (strcmp(s->type, "bind") == 0)
        *kind = CX_MOUNT_BIND;
    else if (strcmp(s->type, "volume") == 0)
        *kind = CX_MOUNT_VOLUME;
    else if (strcmp(s->type, "tmpfs") == 0)
        *kind = CX_MOUNT_TMPFS;
    else
        return cx_fail(err, 0, "--mount: unknown type \"%s\" (bind, volume or tmpfs)", s->type);
    if (s->dst == NULL)
        return cx_fail(err, 0, "--mount: destination= is required");
    if (*kind == CX_MOUNT_BIND && s->src == NULL)
        return cx_fail(err, 0, "--mount: type=bind needs source=");
    if (*kind == CX_MOUNT_TMPFS && s->src)
        return cx_fail(err, 0, "--mount: type=tmpfs takes no source=");
    if (*kind != CX_MOUNT_TMPFS && s->tmpfs_key)
        return cx_fail(err, 0, "--mount: %s needs type=tmpfs", s->tmpfs_key);
    if (*kind != CX_MOUNT_BIND && s->bind_key)
        return cx_fail(err, 0, "--mount: %s needs type=bind", s->bind_key);
    enum cx_mount_kind from_src;
    if (s->src && source_kind("--mount", s->src, &from_src, err) < 0)
        return -1;
    if (s->src && from_src != *kind)
        return cx_fail(err, 0, "--mount: source \"%s\" is %s for type=%s", s->src,
                       from_src == CX_MOUNT_BIND ? "a path, not a volume name"
                                                 : "not an absolute path", s->type);
    return 0;
}

/* --mount type=bind|volume|tmpfs,source=,destination=,... */
int cx_mount_parse_mount(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(arg);
    struct mount_spec s = { 0 };
    struct mopts m = { 0 };
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *v = strchr(t, '=');
        if (v)
            *v++ = '\0';
        if (mount_key(&s, &m, t, v, err) < 0)
            return cx_strv_free(m.v), -1;
    }
    enum cx_mount_kind kind = CX_MOUNT_BIND;
    if (mount_kind(&s, &kind, err) < 0)
        return cx_strv_free(m.v), -1;
    mopts_finish(&m, kind);
    return add_mount(o, "--mount", kind, s.src ? cx_strdup(s.src) : NULL, s.dst, &m, err);
}

/* ---- the record's form ---- */

static const char *const kind_names[] = { "bind", "volume", "tmpfs", NULL };

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

json_t *cx_mount_reqs_json(const struct cx_mount_req *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *mj = json_pack("{s:s,s:s,s:o}", "kind", kind_names[m[i].kind], "dest",
                               m[i].dest, "options", strv_json(m[i].options));
        if (m[i].source)
            json_object_set_new(mj, "source", json_string(m[i].source));
        json_array_append_new(a, mj);
    }
    return a;
}

static int mount_from(json_t *m, struct cx_mount_req *r, cx_error *err)
{
    const char *dest = json_string_value(json_object_get(m, "dest"));
    const char *kind = json_string_value(json_object_get(m, "kind"));
    json_t *src = json_object_get(m, "source"), *opts = json_object_get(m, "options");
    size_t k = 0;
    while (kind && kind_names[k] && strcmp(kind_names[k], kind) != 0)
        k++;
    bool ok = dest && kind && kind_names[k] && (!src || json_is_string(src)) &&
              json_is_array(opts);
    for (size_t i = 0; ok && i < json_array_size(opts); i++)
        ok = json_is_string(json_array_get(opts, i));
    if (!ok)
        return cx_fail(err, 0, "run options: mounts: expected objects of kind (bind, volume, "
                       "tmpfs), dest, source and options (strings)");
    *r = (struct cx_mount_req) { (enum cx_mount_kind) k,
                                 src ? cx_strdup(json_string_value(src)) : NULL,
                                 cx_strdup(dest), cx_calloc(json_array_size(opts) + 1,
                                                            sizeof(char *)) };
    for (size_t i = 0; i < json_array_size(opts); i++)
        r->options[i] = cx_strdup(json_string_value(json_array_get(opts, i)));
    return 0;
}

int cx_mount_reqs_from_json(json_t *a, struct cx_run_opts *o, cx_error *err)
{
    size_t i;
    json_t *m;
    json_array_foreach(a, i, m) {
        struct cx_mount_req r;
        if (mount_from(m, &r, err) < 0)
            return -1;
        o->mounts = cx_realloc(o->mounts, (o->nmounts + 1) * sizeof *o->mounts);
        o->mounts[o->nmounts++] = r;
    }
    return 0;
}

/* ---- config.json's mounts ---- */

struct mnt {
    const char *dest, *type, *source;
    const char *const *opts;     /* static lists ... */
    char *const *user_opts;      /* ... or a mount request's */
};

static const char *const o_proc[] = { "nosuid", "noexec", "nodev", NULL };
static const char *const o_dev[] = { "nosuid", "noexec", "strictatime", "mode=755",
                                     "size=65536k", NULL };
static const char *const o_sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
static const char *const o_sys_priv[] = { "rprivate", "nosuid", "noexec", "nodev", "rw", NULL };
static const char *const o_pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                     "mode=0620", "gid=5", NULL };
static const char *const o_shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
                                     NULL };
static const char *const o_shm_host[] = { "rbind", "nosuid", "noexec", "nodev", NULL };
static const char *const o_cgroup[] = { "rprivate", "nosuid", "noexec", "nodev", "relatime",
                                        "ro", NULL };
static const char *const o_cgroup_priv[] = { "rprivate", "nosuid", "noexec", "nodev",
                                             "relatime", "rw", NULL };
static const char *const o_rotmp[] = { "rw", "rprivate", "nosuid", "nodev", "tmpcopyup", NULL };
static const char *const o_etc[] = { "bind", "rprivate", NULL };
static const char *const o_etc_ro[] = { "bind", "rprivate", "ro", "nosuid", "noexec", "nodev",
                                        NULL };
static const char *const o_init[] = { "bind", "ro", "rprivate", NULL };

static size_t depth(const char *dest)
{
    size_t n = 0;
    for (const char *p = dest; *p; p++)
        n += *p == '/' && p[1] != '\0';
    return n;
}

static void push(struct mnt *v, size_t *n, struct mnt m)
{
    v[(*n)++] = m;
}

/* podman's defaults, the --read-only tmpfs and the files of ctx */
static size_t defaults(const struct cx_run_opts *o, const struct cx_spec_ctx *ctx, struct mnt *v)
{
    size_t n = 0;
    bool priv = o->privileged;
    push(v, &n, (struct mnt) { "/proc", "proc", "proc", o_proc, NULL });
    push(v, &n, (struct mnt) { "/dev", "tmpfs", "tmpfs", o_dev, NULL });
    push(v, &n, (struct mnt) { "/sys", "sysfs", "sysfs", priv ? o_sys_priv : o_sys, NULL });
    push(v, &n, (struct mnt) { "/dev/pts", "devpts", "devpts", o_pts, NULL });
    push(v, &n, (struct mnt) { "/dev/mqueue", "mqueue", "mqueue", o_proc, NULL });
    /* --ipc host: the host's shared memory, as podman binds it */
    if (o->ipc_host)
        push(v, &n, (struct mnt) { "/dev/shm", "bind", "/dev/shm", o_shm_host, NULL });
    else
        push(v, &n, (struct mnt) { "/dev/shm", "tmpfs", "shm", o_shm, NULL });
    push(v, &n, (struct mnt) { "/sys/fs/cgroup", "cgroup", "cgroup",
                               priv ? o_cgroup_priv : o_cgroup, NULL });
    if (o->read_only) {
        const char *const ro_dirs[] = { "/tmp", "/var/tmp", "/run" };
        for (size_t i = 0; i < 3; i++)
            push(v, &n, (struct mnt) { ro_dirs[i], "tmpfs", "tmpfs", o_rotmp, NULL });
    }
    const char *const *etc = o->read_only ? o_etc_ro : o_etc;
    if (ctx->hostname_file)
        push(v, &n, (struct mnt) { "/etc/hostname", "bind", ctx->hostname_file, etc, NULL });
    if (ctx->hosts_file && !o->no_hosts)
        push(v, &n, (struct mnt) { "/etc/hosts", "bind", ctx->hosts_file, etc, NULL });
    /* --network none: only the resolver the flags asked for (podman's) */
    bool dns_flags = o->dns || o->dns_search || o->dns_options;
    if (ctx->resolv_file && (o->network != CX_NET_NONE || dns_flags) &&
        !cx_run_opts_dns_none(o))
        push(v, &n, (struct mnt) { "/etc/resolv.conf", "bind", ctx->resolv_file, etc, NULL });
    return n;
}

static bool user_dest(const struct cx_run_opts *o, const char *dest)
{
    for (size_t i = 0; i < o->nmounts; i++)
        if (strcmp(o->mounts[i].dest, dest) == 0)
            return true;
    return false;
}

static json_t *mount_json(const struct mnt *m)
{
    json_t *opts = json_array();
    for (size_t i = 0; m->opts && m->opts[i]; i++)
        json_array_append_new(opts, json_string(m->opts[i]));
    for (size_t i = 0; m->user_opts && m->user_opts[i]; i++)
        json_array_append_new(opts, json_string(m->user_opts[i]));
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", m->dest, "type", m->type,
                     "source", m->source, "options", opts);
}

int cx_spec_mounts(const struct cx_run_opts *o, const struct cx_spec_ctx *ctx, json_t **out,
                   cx_error *err)
{
    _cleanup_free_ struct mnt *v = cx_calloc(o->nmounts + 16, sizeof *v);
    struct mnt all[16];
    size_t n = 0, nd = defaults(o, ctx, all);
    for (size_t i = 0; i < nd; i++)
        if (!user_dest(o, all[i].dest))  /* a user mount replaces a default */
            v[n++] = all[i];
    for (size_t i = 0; i < o->nmounts; i++) {
        const struct cx_mount_req *r = &o->mounts[i];
        if (r->kind == CX_MOUNT_VOLUME)
            return cx_fail(err, 0, "mount at %s: volume %s was not resolved to a directory",
                           r->dest, r->source ? r->source : "(anonymous)");
        bool tmpfs = r->kind == CX_MOUNT_TMPFS;
        if (!tmpfs && r->source == NULL)
            return cx_fail(err, 0, "mount at %s: a bind without a source", r->dest);
        v[n++] = (struct mnt) { r->dest, tmpfs ? "tmpfs" : "bind", tmpfs ? "tmpfs" : r->source,
                                NULL, r->options };
    }
    if (o->init) {
        if (ctx->init_path == NULL)
            return cx_fail(err, 0, "--init: capsa-init was not found");
        v[n++] = (struct mnt) { CX_SPEC_INIT_PATH, "bind", ctx->init_path, o_init, NULL };
    }
    *out = json_array();
    /* parents first: every depth in turn, in the order above within one */
    size_t max = 0;
    for (size_t i = 0; i < n; i++)
        max = depth(v[i].dest) > max ? depth(v[i].dest) : max;
    for (size_t d = 0; d <= max; d++)
        for (size_t i = 0; i < n; i++)
            if (depth(v[i].dest) == d)
                json_array_append_new(*out, mount_json(&v[i]));
    return 0;
}
