/* seccomp.c: see seccomp.h. */
#include "oci/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>

#define F JD_F
#define FH JD_FH

struct name_value {
    const char *name;
    uint32_t value;
    bool supported;      /* false: named by the spec, not by this build */
};

static const struct name_value actions[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL, true },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, true },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, true },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, true },
    { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
    { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, true },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG, true },
    { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, true },
};

static const struct name_value operators[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE, true }, { "SCMP_CMP_LT", SCMP_CMP_LT, true },
    { "SCMP_CMP_LE", SCMP_CMP_LE, true }, { "SCMP_CMP_EQ", SCMP_CMP_EQ, true },
    { "SCMP_CMP_GE", SCMP_CMP_GE, true }, { "SCMP_CMP_GT", SCMP_CMP_GT, true },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ, true },
};

/* The spec's list; those the linked libseccomp predates are refused. */
static const struct name_value arches[] = {
    { "SCMP_ARCH_X86", SCMP_ARCH_X86, true },
    { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, true },
    { "SCMP_ARCH_X32", SCMP_ARCH_X32, true },
    { "SCMP_ARCH_ARM", SCMP_ARCH_ARM, true },
    { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, true },
    { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, true },
    { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, true },
    { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, true },
    { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, true },
    { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, true },
    { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, true },
    { "SCMP_ARCH_PPC", SCMP_ARCH_PPC, true },
    { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, true },
    { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, true },
    { "SCMP_ARCH_S390", SCMP_ARCH_S390, true },
    { "SCMP_ARCH_S390X", SCMP_ARCH_S390X, true },
    { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC, true },
    { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64, true },
    { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, true },
#ifdef SCMP_ARCH_LOONGARCH64
    { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64, true },
#else
    { "SCMP_ARCH_LOONGARCH64", 0, false },
#endif
#ifdef SCMP_ARCH_M68K
    { "SCMP_ARCH_M68K", SCMP_ARCH_M68K, true },
#else
    { "SCMP_ARCH_M68K", 0, false },
#endif
#ifdef SCMP_ARCH_SH
    { "SCMP_ARCH_SH", SCMP_ARCH_SH, true },
    { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB, true },
#else
    { "SCMP_ARCH_SH", 0, false },
    { "SCMP_ARCH_SHEB", 0, false },
#endif
};

/* capsa loads the program with seccomp(2) itself, so every flag the
 * kernel knows is available, whatever libseccomp's version. */
static const struct name_value flags[] = {
    { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, true },
    { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, true },
    { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, true },
    { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, true },
};

#define N(a) (sizeof (a) / sizeof (a)[0])

static const struct name_value *lookup(const struct name_value *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

/* The value of a supported name, or a path-naming error. */
static int resolve(struct jd_ctx *c, const struct jpath *p, const struct name_value *t,
                   size_t n, const char *what, const char *name, uint32_t *out)
{
    const struct name_value *e = lookup(t, n, name);
    if (e == NULL)
        return jd_fail(c, p, "unknown %s \"%s\"", what, name);
    if (!e->supported)
        return jd_fail(c, p, "%s \"%s\" is not supported by libseccomp %u.%u.%u", what,
                       name, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
    *out = e->value;
    return 0;
}

/* action + errnoRet -> one libseccomp action value. */
static int fold_action(struct jd_ctx *c, const struct jpath *p, const char *action_key,
                       const char *errno_key, const char *name, bool has_errno,
                       uint32_t errno_ret, uint32_t *out)
{
    struct jpath ap = { p, action_key, 0 }, ep = { p, errno_key, 0 };
    uint32_t v = 0;
    if (resolve(c, &ap, actions, N(actions), "action", name, &v) < 0)
        return -1;
    bool takes_errno = v == SCMP_ACT_ERRNO(0) || v == SCMP_ACT_TRACE(0);
    if (has_errno && !takes_errno)
        return jd_fail(c, &ep, "%s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
                       name);
    if (has_errno && errno_ret > 0xffff)
        return jd_fail(c, &ep, "%u is out of range [0, 65535]", errno_ret);
    *out = takes_errno ? v | (has_errno ? errno_ret : EPERM) : v;
    return 0;
}

static int decode_arg(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    struct raw { uint32_t index; uint64_t value, value_two; const char *op; } r = { 0 };
    static const struct jd_field fields[] = {
        F(struct raw, "index", JD_U32, index, true),
        F(struct raw, "value", JD_U64, value, true),
        F(struct raw, "valueTwo", JD_U64, value_two, false),
        F(struct raw, "op", JD_STR, op, true),
        JD_END,
    };
    struct oci_seccomp_arg *a = dst;
    struct jpath ip = { p, "index", 0 }, op = { p, "op", 0 };
    uint32_t cmp = 0;
    if (jd_fields(c, v, p, fields, &r) < 0)
        return -1;
    if (r.index > 5)
        return jd_fail(c, &ip, "%u is out of range [0, 5]", r.index);
    if (resolve(c, &op, operators, N(operators), "operator", r.op, &cmp) < 0)
        return -1;
    *a = (struct oci_seccomp_arg) { r.index, r.value, r.value_two, (int) cmp };
    return 0;
}

struct raw_rule {
    const char **names;
    const char *action;
    uint32_t errno_ret;
    bool has_errno;
};

/* Syscalls the runtime itself makes once the filter is loaded: a NOTIFY
 * there would wait for an agent that has no fd yet. */
static int check_notify_names(struct jd_ctx *c, const struct jpath *p, const char **names)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], "sendmsg") == 0) {
            struct jpath np = { p, "names", 0 }, ep = { &np, NULL, i };
            return jd_fail(c, &ep, "SCMP_ACT_NOTIFY cannot apply to sendmsg: "
                                   "capsa sends the notify fd with it");
        }
    return 0;
}

static int decode_rule(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        F(struct raw_rule, "names", JD_STRV, names, true),
        F(struct raw_rule, "action", JD_STR, action, true),
        FH(struct raw_rule, "errnoRet", JD_U32, errno_ret, has_errno),
        JD_END,
    };
    struct oci_seccomp_rule *r = dst;
    struct raw_rule raw = { 0 };
    struct jpath np = { p, "names", 0 }, ap = { p, "args", 0 };
    if (jd_fields(c, v, p, fields, &raw) < 0)
        return -1;
    r->names = raw.names;
    while (r->names[r->n_names])
        r->n_names++;
    if (r->n_names == 0)
        return jd_fail(c, &np, "must name at least one syscall");
    if (fold_action(c, p, "action", "errnoRet", raw.action, raw.has_errno, raw.errno_ret,
                    &r->action) < 0)
        return -1;
    if (r->action == SCMP_ACT_NOTIFY && check_notify_names(c, p, r->names) < 0)
        return -1;
    json_t *args = json_object_get(v, "args");
    if (args == NULL || json_is_null(args))
        return 0;
    if (json_is_array(args) && json_array_size(args) > OCI_SECCOMP_MAX_ARGS)
        return jd_fail(c, &ap, "%zu entries, at most %d are accepted",
                       json_array_size(args), OCI_SECCOMP_MAX_ARGS);
    return jd_array_of(c, args, &ap, sizeof *r->args, (void **) &r->args, &r->n_args,
                       decode_arg);
}

static int decode_rules(struct jd_ctx *c, json_t *v, const struct jpath *p,
                        struct oci_seccomp *s)
{
    json_t *a = json_object_get(v, "syscalls");
    struct jpath sp = { p, "syscalls", 0 };
    size_t names = 0;
    if (a == NULL || json_is_null(a))
        return 0;
    if (json_is_array(a) && json_array_size(a) > OCI_SECCOMP_MAX_SYSCALLS)
        return jd_fail(c, &sp, "%zu entries, at most %d are accepted",
                       json_array_size(a), OCI_SECCOMP_MAX_SYSCALLS);
    if (jd_array_of(c, a, &sp, sizeof *s->rules, (void **) &s->rules, &s->n_rules,
                    decode_rule) < 0)
        return -1;
    for (size_t i = 0; i < s->n_rules; i++) {
        names += s->rules[i].n_names;
        s->uses_notify |= s->rules[i].action == SCMP_ACT_NOTIFY;
    }
    if (names > OCI_SECCOMP_MAX_NAMES)
        return jd_fail(c, &sp, "%zu syscall names, at most %d are accepted", names,
                       OCI_SECCOMP_MAX_NAMES);
    return 0;
}

/* architectures[] or flags[]: names to values */
static int decode_names(struct jd_ctx *c, const struct jpath *p, const char *key,
                        const char **names, const struct name_value *t, size_t n,
                        const char *what, uint32_t *values, uint32_t *mask)
{
    struct jpath kp = { p, key, 0 };
    for (size_t i = 0; names && names[i]; i++) {
        struct jpath ep = { &kp, NULL, i };
        if (i >= n) /* each name at most once: no list is longer than its table */
            return jd_fail(c, &kp, "more than %zu entries", n);
        uint32_t v = 0;
        if (resolve(c, &ep, t, n, what, names[i], &v) < 0)
            return -1;
        if (values)
            values[i] = v;
        if (mask)
            *mask |= v;
    }
    return 0;
}

struct raw_profile {
    const char *default_action, *listener_path, *listener_metadata;
    uint32_t default_errno;
    bool has_default_errno;
    const char **arches, **flags;
};

static int check_listener(struct jd_ctx *c, const struct jpath *p, struct oci_seccomp *s)
{
    struct jpath mp = { p, "listenerMetadata", 0 }, lp = { p, "listenerPath", 0 };
    struct jpath dp = { p, "defaultAction", 0 };
    if (s->listener_path && s->listener_path[0] == '\0')
        return jd_fail(c, &lp, "must not be empty");
    if (s->listener_metadata && s->listener_path == NULL)
        return jd_fail(c, &mp, "must not be set without listenerPath");
    if (s->default_action == SCMP_ACT_NOTIFY)
        return jd_fail(c, &dp, "SCMP_ACT_NOTIFY cannot be the default action: "
                               "the runtime's own last syscalls would wait for the agent");
    if (s->uses_notify && s->listener_path == NULL)
        return jd_fail(c, &lp, "required when an action is SCMP_ACT_NOTIFY");
    return 0;
}

int oci_seccomp_decode(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        F(struct raw_profile, "defaultAction", JD_STR, default_action, true),
        FH(struct raw_profile, "defaultErrnoRet", JD_U32, default_errno, has_default_errno),
        F(struct raw_profile, "architectures", JD_STRV, arches, false),
        F(struct raw_profile, "flags", JD_STRV, flags, false),
        F(struct raw_profile, "listenerPath", JD_STR, listener_path, false),
        F(struct raw_profile, "listenerMetadata", JD_STR, listener_metadata, false),
        JD_END,
    };
    struct raw_profile raw = { 0 };
    struct oci_seccomp *s = jd_alloc(c->pool, 1, sizeof *s);
    *(struct oci_seccomp **) dst = s;
    if (jd_fields(c, v, p, fields, &raw) < 0)
        return -1;
    s->json = v;
    s->listener_path = raw.listener_path;
    s->listener_metadata = raw.listener_metadata;
    if (fold_action(c, p, "defaultAction", "defaultErrnoRet", raw.default_action,
                    raw.has_default_errno, raw.default_errno, &s->default_action) < 0)
        return -1;
    s->arches = jd_alloc(c->pool, N(arches), sizeof *s->arches);
    if (decode_names(c, p, "architectures", raw.arches, arches, N(arches), "architecture",
                     s->arches, NULL) < 0 ||
        decode_names(c, p, "flags", raw.flags, flags, N(flags), "flag", NULL, &s->flags) < 0)
        return -1;
    while (raw.arches && raw.arches[s->n_arches])
        s->n_arches++;
    if (decode_rules(c, v, p, s) < 0)
        return -1;
    return check_listener(c, p, s);
}

static const char *const *names_of(const struct name_value *t, size_t n, const char **out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].supported)
            out[k++] = t[i].name;
    out[k] = NULL;
    return out;
}

const char *const *oci_seccomp_action_names(void)
{
    static const char *v[N(actions) + 1];
    return names_of(actions, N(actions), v);
}

const char *const *oci_seccomp_operator_names(void)
{
    static const char *v[N(operators) + 1];
    return names_of(operators, N(operators), v);
}

const char *const *oci_seccomp_arch_names(void)
{
    static const char *v[N(arches) + 1];
    return names_of(arches, N(arches), v);
}

const char *const *oci_seccomp_flag_names(void)
{
    static const char *v[N(flags) + 1];
    return names_of(flags, N(flags), v);
}

const char *oci_seccomp_action_name(uint32_t action)
{
    uint32_t base = action & SECCOMP_RET_ACTION_FULL;
    for (size_t i = 1; i < N(actions); i++) /* [0] is KILL, an alias of KILL_THREAD */
        if (actions[i].value == base)
            return actions[i].name;
    return "unknown";
}
