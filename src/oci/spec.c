/* spec.c: top-level config.json decoding: ociVersion, root, process,
 * mounts, hooks, annotations.  linux.* lives in spec_linux.c. */
#include "oci/spec.h"

#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "common/util.h"

int oci_linux_decode(struct jd_ctx *c, json_t *v, const struct jpath *p,
                     void *dst);

#define F JD_F
#define FH JD_FH
#define FC JD_FC

static const struct { const char *name; int res; } rlimit_names[] = {
    { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int decode_rlimit(struct jd_ctx *c, json_t *v, const struct jpath *p,
                         void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_rlimit, "type", JD_STR, type, true),
        F(struct oci_rlimit, "hard", JD_U64, hard, true),
        F(struct oci_rlimit, "soft", JD_U64, soft, true),
        JD_END,
    };
    struct oci_rlimit *r = dst;
    if (jd_fields(c, v, p, fields, r) < 0)
        return -1;
    struct jpath tp = { p, "type", 0 };
    for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
        if (strcmp(rlimit_names[i].name, r->type) == 0) {
            r->resource = rlimit_names[i].res;
            if (r->soft > r->hard)
                return jd_fail(c, p, "soft limit %llu is above hard limit %llu",
                               (unsigned long long) r->soft,
                               (unsigned long long) r->hard);
            return 0;
        }
    return jd_fail(c, &tp, "unknown rlimit \"%s\"", r->type);
}

static int decode_rlimits(struct jd_ctx *c, json_t *v, const struct jpath *p,
                          void *dst)
{
    struct oci_process *proc = (struct oci_process *)
        ((char *) dst - offsetof(struct oci_process, rlimits));
    return jd_array_of(c, v, p, sizeof(struct oci_rlimit),
                       (void **) &proc->rlimits, &proc->n_rlimits, decode_rlimit);
}

static int decode_gids(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       void *dst)
{
    struct oci_user *u = (struct oci_user *)
        ((char *) dst - offsetof(struct oci_user, additional_gids));
    if (jd_expect_array(c, v, p) < 0)
        return -1;
    size_t n = json_array_size(v);
    u->additional_gids = jd_alloc(c->pool, n, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        struct jpath ep = { p, NULL, i };
        json_t *g = json_array_get(v, i);
        if (!json_is_integer(g) || json_integer_value(g) < 0 ||
            json_integer_value(g) > (json_int_t) UINT32_MAX)
            return jd_fail(c, &ep, "expected a gid in [0, 4294967295]");
        u->additional_gids[i] = (uint32_t) json_integer_value(g);
    }
    u->n_additional_gids = n;
    return 0;
}

static int decode_user(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_user, "uid", JD_U32, uid, true),
        F(struct oci_user, "gid", JD_U32, gid, true),
        FH(struct oci_user, "umask", JD_U32, umask, has_umask),
        FC(struct oci_user, "additionalGids", additional_gids, decode_gids, false),
        F(struct oci_user, "username", JD_STR, username, false),
        JD_END,
    };
    struct oci_user *u = dst;
    if (jd_fields(c, v, p, fields, u) < 0)
        return -1;
    if (u->has_umask && u->umask > 0777) {
        struct jpath up = { p, "umask", 0 };
        return jd_fail(c, &up, "%u is not a file mode mask", u->umask);
    }
    return 0;
}

static int decode_caps(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_caps, "bounding", JD_STRV, bounding, false),
        F(struct oci_caps, "effective", JD_STRV, effective, false),
        F(struct oci_caps, "inheritable", JD_STRV, inheritable, false),
        F(struct oci_caps, "permitted", JD_STRV, permitted, false),
        F(struct oci_caps, "ambient", JD_STRV, ambient, false),
        JD_END,
    };
    return jd_fields(c, v, p, fields, dst);
}

static int decode_console(struct jd_ctx *c, json_t *v, const struct jpath *p,
                          void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_process, "height", JD_U32, console_height, true),
        F(struct oci_process, "width", JD_U32, console_width, true),
        JD_END,
    };
    struct oci_process *proc = (struct oci_process *)
        ((char *) dst - offsetof(struct oci_process, console_height));
    return jd_fields(c, v, p, fields, proc);
}

static int check_env(struct jd_ctx *c, const struct jpath *p, const char **env)
{
    for (size_t i = 0; env && env[i]; i++) {
        if (strchr(env[i], '=') == NULL || env[i][0] == '=') {
            struct jpath ep = { p, NULL, i };
            return jd_fail(c, &ep, "\"%s\" is not KEY=VALUE", env[i]);
        }
    }
    return 0;
}

int oci_process_decode(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       struct oci_process *proc)
{
    static const struct jd_field fields[] = {
        F(struct oci_process, "terminal", JD_BOOL, terminal, false),
        FC(struct oci_process, "consoleSize", console_height, decode_console, false),
        FC(struct oci_process, "user", user, decode_user, false),
        F(struct oci_process, "args", JD_STRV, args, false),
        F(struct oci_process, "commandLine", JD_STR, command_line, false),
        F(struct oci_process, "env", JD_STRV, env, false),
        F(struct oci_process, "cwd", JD_STR, cwd, true),
        FC(struct oci_process, "capabilities", caps, decode_caps, false),
        FC(struct oci_process, "rlimits", rlimits, decode_rlimits, false),
        F(struct oci_process, "noNewPrivileges", JD_BOOL, no_new_privileges, false),
        F(struct oci_process, "apparmorProfile", JD_STR, apparmor_profile, false),
        { "oomScoreAdj", JD_I64, offsetof(struct oci_process, oom_score_adj),
          offsetof(struct oci_process, has_oom_score_adj), false, -1000, 1000, NULL },
        F(struct oci_process, "selinuxLabel", JD_STR, selinux_label, false),
        F(struct oci_process, "scheduler", JD_OBJECT, scheduler, false),
        F(struct oci_process, "ioPriority", JD_OBJECT, io_priority, false),
        F(struct oci_process, "execCPUAffinity", JD_OBJECT, exec_cpu_affinity, false),
        JD_END,
    };
    if (jd_fields(c, v, p, fields, proc) < 0)
        return -1;
    json_t *caps = json_object_get(v, "capabilities");
    proc->has_caps = caps && !json_is_null(caps); /* null is absent, as everywhere */
    struct jpath ap = { p, "args", 0 }, cp = { p, "cwd", 0 }, ep = { p, "env", 0 };
    if (proc->args == NULL || proc->args[0] == NULL)
        return jd_fail(c, &ap, "must contain at least the program to run");
    if (proc->args[0][0] == '\0')
        return jd_fail(c, &ap, "the program to run must not be empty");
    if (proc->cwd[0] != '/')
        return jd_fail(c, &cp, "\"%s\" must be an absolute path", proc->cwd);
    return check_env(c, &ep, proc->env);
}

static int decode_process(struct jd_ctx *c, json_t *v, const struct jpath *p,
                          void *dst)
{
    struct oci_process *proc = jd_alloc(c->pool, 1, sizeof *proc);
    *(struct oci_process **) dst = proc;
    return oci_process_decode(c, v, p, proc);
}

static int decode_mount(struct jd_ctx *c, json_t *v, const struct jpath *p,
                        void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_mount, "destination", JD_STR, destination, true),
        F(struct oci_mount, "type", JD_STR, type, false),
        F(struct oci_mount, "source", JD_STR, source, false),
        F(struct oci_mount, "options", JD_STRV, options, false),
        JD_END,
    };
    struct oci_mount *m = dst;
    if (jd_fields(c, v, p, fields, m) < 0)
        return -1;
    if (m->destination[0] == '\0') {
        struct jpath dp = { p, "destination", 0 };
        return jd_fail(c, &dp, "must not be empty");
    }
    json_t *um = json_object_get(v, "uidMappings"), *gm = json_object_get(v, "gidMappings");
    struct jpath up = { p, "uidMappings", 0 }, gp = { p, "gidMappings", 0 };
    if (um && !json_is_null(um) &&
        jd_array_of(c, um, &up, sizeof(struct oci_idmap), (void **) &m->uid_mappings,
                    &m->n_uid_mappings, oci_idmap_decode) < 0)
        return -1;
    if (gm && !json_is_null(gm) &&
        jd_array_of(c, gm, &gp, sizeof(struct oci_idmap), (void **) &m->gid_mappings,
                    &m->n_gid_mappings, oci_idmap_decode) < 0)
        return -1;
    if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0))
        return jd_fail(c, p, "uidMappings and gidMappings must be given together");
    return 0;
}

#define OCI_MAX_MOUNTS 4096

static int decode_mounts(struct jd_ctx *c, json_t *v, const struct jpath *p,
                         void *dst)
{
    struct oci_spec *s = (struct oci_spec *)
        ((char *) dst - offsetof(struct oci_spec, mounts));
    /* far above any real container; each mount costs kernel memory and
     * time, and 100k would run into fs.mount-max only after seconds */
    if (json_array_size(v) > OCI_MAX_MOUNTS)
        return jd_fail(c, p, "%zu entries, more than the %d capsa accepts",
                       json_array_size(v), OCI_MAX_MOUNTS);
    return jd_array_of(c, v, p, sizeof(struct oci_mount), (void **) &s->mounts,
                       &s->n_mounts, decode_mount);
}

static int decode_hook(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_hook, "path", JD_STR, path, true),
        F(struct oci_hook, "args", JD_STRV, args, false),
        F(struct oci_hook, "env", JD_STRV, env, false),
        { "timeout", JD_I64, offsetof(struct oci_hook, timeout),
          offsetof(struct oci_hook, has_timeout), false, 1, INT32_MAX, NULL },
        JD_END,
    };
    struct oci_hook *h = dst;
    if (jd_fields(c, v, p, fields, h) < 0)
        return -1;
    if (h->path[0] != '/') {
        struct jpath hp = { p, "path", 0 };
        return jd_fail(c, &hp, "\"%s\" must be an absolute path", h->path);
    }
    return 0;
}

static int decode_hooks(struct jd_ctx *c, json_t *v, const struct jpath *p,
                        void *dst)
{
    struct oci_hooks *h = dst;
    struct { const char *key; struct oci_hook **list; size_t *n; } kinds[] = {
        { "prestart", &h->prestart, &h->n_prestart },
        { "createRuntime", &h->create_runtime, &h->n_create_runtime },
        { "createContainer", &h->create_container, &h->n_create_container },
        { "startContainer", &h->start_container, &h->n_start_container },
        { "poststart", &h->poststart, &h->n_poststart },
        { "poststop", &h->poststop, &h->n_poststop },
    };
    if (jd_expect_object(c, v, p) < 0)
        return -1;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        json_t *list = json_object_get(v, kinds[i].key);
        struct jpath kp = { p, kinds[i].key, 0 };
        if (list && !json_is_null(list) &&
            jd_array_of(c, list, &kp, sizeof(struct oci_hook),
                        (void **) kinds[i].list, kinds[i].n, decode_hook) < 0)
            return -1;
    }
    return 0;
}

static int decode_annotations(struct jd_ctx *c, json_t *v,
                              const struct jpath *p, void *dst)
{
    const char *key;
    json_t *val;
    if (jd_expect_object(c, v, p) < 0)
        return -1;
    json_object_foreach(v, key, val) {
        struct jpath kp = { p, key, 0 };
        const char *s;
        if (jd_string_value(c, val, &kp, &s) < 0)
            return -1;
    }
    *(json_t **) dst = v;
    return 0;
}

static int decode_root(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_spec, "path", JD_STR, root_path, true),
        F(struct oci_spec, "readonly", JD_BOOL, root_readonly, false),
        JD_END,
    };
    struct oci_spec *s = (struct oci_spec *)
        ((char *) dst - offsetof(struct oci_spec, root_path));
    if (jd_fields(c, v, p, fields, s) < 0)
        return -1;
    if (s->root_path[0] == '\0') {
        struct jpath rp = { p, "path", 0 };
        return jd_fail(c, &rp, "must not be empty");
    }
    return 0;
}

static int check_version(struct jd_ctx *c, const char *v)
{
    struct jpath vp = { NULL, "ociVersion", 0 };
    /* any 1.x SemVer, pre-release included ("1.0.2-dev") */
    if (v[0] != '1' || v[1] != '.' || !(v[2] >= '0' && v[2] <= '9'))
        return jd_fail(c, &vp, "unsupported version \"%s\" (capsa runs 1.x)", v);
    return 0;
}

static int spec_decode(struct jd_ctx *c, json_t *doc, struct oci_spec *s)
{
    static const struct jd_field fields[] = {
        F(struct oci_spec, "ociVersion", JD_STR, oci_version, true),
        FC(struct oci_spec, "process", process, decode_process, false),
        FC(struct oci_spec, "root", root_path, decode_root, false),
        F(struct oci_spec, "hostname", JD_STR, hostname, false),
        F(struct oci_spec, "domainname", JD_STR, domainname, false),
        FC(struct oci_spec, "mounts", mounts, decode_mounts, false),
        FC(struct oci_spec, "hooks", hooks, decode_hooks, false),
        FC(struct oci_spec, "annotations", annotations, decode_annotations, false),
        FC(struct oci_spec, "linux", linux_, oci_linux_decode, false),
        JD_END,
    };
    if (jd_fields(c, doc, NULL, fields, s) < 0)
        return -1;
    if (check_version(c, s->oci_version) < 0)
        return -1;
    if (s->root_path == NULL) {
        struct jpath rp = { NULL, "root", 0 };
        return jd_fail(c, &rp, "required but missing");
    }
    /* without a UTS namespace of its own, setting them would rename the host */
    bool uts = oci_spec_namespace(s, CLONE_NEWUTS) != NULL;
    if (!uts && s->hostname && s->hostname[0]) {
        struct jpath hp = { NULL, "hostname", 0 };
        return jd_fail(c, &hp, "needs a UTS namespace (linux.namespaces)");
    }
    if (!uts && s->domainname && s->domainname[0]) {
        struct jpath dp = { NULL, "domainname", 0 };
        return jd_fail(c, &dp, "needs a UTS namespace (linux.namespaces)");
    }
    return 0;
}

int oci_spec_parse(const char *text, const char *doc_name,
                   struct oci_spec **out, cx_error *err)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return cx_fail(err, 0, "%s: line %d column %d: %s", doc_name,
                       jerr.line, jerr.column, jerr.text);
    struct oci_spec *s = cx_calloc(1, sizeof *s);
    s->doc = doc;
    struct jd_ctx c = { doc_name, &s->pool, err };
    if (json_is_object(doc) ? spec_decode(&c, doc, s) < 0
                            : jd_fail(&c, NULL, "expected a JSON object") < 0) {
        oci_spec_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int oci_spec_load(int dirfd, const char *path, struct oci_spec **out,
                  cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    if (cx_read_file_at(dirfd, path, 16 << 20, &text, NULL, err) < 0)
        return -1;
    return oci_spec_parse(text, "config.json", out, err);
}

void oci_spec_free(struct oci_spec *spec)
{
    if (spec == NULL)
        return;
    jd_pool_free(&spec->pool);
    json_decref(spec->doc);
    free(spec);
}

const struct oci_namespace *oci_spec_namespace(const struct oci_spec *s, int type)
{
    if (s->linux_ == NULL)
        return NULL;
    for (size_t i = 0; i < s->linux_->n_namespaces; i++)
        if (s->linux_->namespaces[i].type == type)
            return &s->linux_->namespaces[i];
    return NULL;
}

const char *oci_env_get(const char **env, const char *name)
{
    size_t n = strlen(name);
    const char *found = NULL;
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            found = env[i] + n + 1; /* the last one wins, as in execve's env */
    return found;
}
