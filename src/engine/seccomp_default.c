/* seccomp_default.c: see seccomp_default.h.
 *
 * The profile is src/engine/seccomp_default.json (its first comment
 * describes the format), compiled in as the string of
 * seccomp_default_json.h.  Each call decodes it with jdec, so a mistake in
 * an edited file is reported with its path ("seccomp_default.json:
 * groups[4].action: ..."), then writes the groups that apply, in the
 * file's order, as linux.seccomp rules.  The text is small: decoding it
 * costs well under a millisecond, once per container. */
#include "engine/seccomp_default.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/jdec.h"
#include "common/util.h"
#include "engine/seccomp_default_json.h"

#define DOC "seccomp_default.json"

struct group {
    const char *name, *action, *if_cap, *unless_cap;
    const char **names, **arch, **not_arch;
    uint32_t errno_ret;
    bool has_errno;
    json_t *when;             /* array of arrays of conditions, or NULL */
};

struct profile {
    const char *default_action;
    uint32_t default_errno;
    bool has_default_errno;
    json_t *arches;           /* machine key -> [SCMP_ARCH_*] */
    struct group *groups;
    size_t n_groups;
};

/* uname(2)'s machine -> the profile's key for it */
static const struct { const char *machine, *key; } machines[] = {
    { "x86_64", "x86_64" }, { "i386", "x86" }, { "i486", "x86" }, { "i586", "x86" },
    { "i686", "x86" }, { "aarch64", "aarch64" }, { "armv6l", "arm" }, { "armv7l", "arm" },
    { "armv8l", "arm" }, { "s390x", "s390x" }, { "ppc64le", "ppc64le" },
    { "riscv64", "riscv64" },
};

static bool strv_has(const char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* A typo in a key must not pass: "ifcap" would make a group unconditional. */
static int check_keys(struct jd_ctx *c, json_t *v, const struct jpath *p,
                      const char *const *known)
{
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        if (!strv_has(known, key)) {
            struct jpath kp = { p, key, 0 };
            return jd_fail(c, &kp, "unknown key");
        }
    }
    return 0;
}

static const char *machine_key(const char *machine)
{
    for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++)
        if (strcmp(machines[i].machine, machine) == 0)
            return machines[i].key;
    return NULL;
}

/* when: [[{index, op, value[, valueTwo]}, ...], ...]; the conditions
 * themselves are checked where every linux.seccomp is (oci/seccomp.c). */
static int decode_when(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    if (jd_expect_array(c, v, p) < 0)
        return -1;
    if (json_array_size(v) == 0)
        return jd_fail(c, p, "must hold at least one alternative");
    for (size_t i = 0; i < json_array_size(v); i++) {
        struct jpath ap = { p, NULL, i };
        json_t *alt = json_array_get(v, i);
        if (jd_expect_array(c, alt, &ap) < 0)
            return -1;
        if (json_array_size(alt) == 0)
            return jd_fail(c, &ap, "must hold at least one condition");
        for (size_t k = 0; k < json_array_size(alt); k++) {
            struct jpath cp = { &ap, NULL, k };
            if (jd_expect_object(c, json_array_get(alt, k), &cp) < 0)
                return -1;
        }
    }
    *(json_t **) dst = v;
    return 0;
}

static int check_machines(struct jd_ctx *c, const struct jpath *p, const char *key,
                          const char **v, json_t *arches)
{
    struct jpath kp = { p, key, 0 };
    for (size_t i = 0; v && v[i]; i++)
        if (json_object_get(arches, v[i]) == NULL) {
            struct jpath ep = { &kp, NULL, i };
            return jd_fail(c, &ep, "\"%s\" is not a key of architectures", v[i]);
        }
    return 0;
}

static int check_cap(struct jd_ctx *c, const struct jpath *p, const char *key,
                     const char *cap)
{
    struct jpath kp = { p, key, 0 };
    if (cap && !cx_str_has_prefix(cap, "CAP_"))
        return jd_fail(c, &kp, "\"%s\" is not a capability name (CAP_...)", cap);
    return 0;
}

/* Rules between fields: the action and its errno, the conditions on
 * capabilities and machines. */
static int check_group(struct jd_ctx *c, const struct jpath *p, struct group *g,
                       json_t *arches)
{
    struct jpath ap = { p, "action", 0 }, ep = { p, "errnoRet", 0 };
    struct jpath np = { p, "names", 0 };
    bool is_errno = strcmp(g->action, "errno") == 0;
    if (!is_errno && strcmp(g->action, "allow") != 0 && strcmp(g->action, "deny") != 0)
        return jd_fail(c, &ap, "unknown action \"%s\" (allow, errno or deny)", g->action);
    if (is_errno != g->has_errno)
        return jd_fail(c, &ep, is_errno ? "required with action errno"
                                        : "only action errno takes one");
    if (g->names[0] == NULL)
        return jd_fail(c, &np, "must name at least one syscall");
    if (g->if_cap && g->unless_cap)
        return jd_fail(c, p, "ifCap and unlessCap exclude each other");
    if (check_cap(c, p, "ifCap", g->if_cap) < 0 ||
        check_cap(c, p, "unlessCap", g->unless_cap) < 0)
        return -1;
    return check_machines(c, p, "arch", g->arch, arches) < 0 ? -1
           : check_machines(c, p, "notArch", g->not_arch, arches);
}

static int decode_group(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        JD_F(struct group, "group", JD_STR, name, true),
        JD_F(struct group, "action", JD_STR, action, false),
        JD_FH(struct group, "errnoRet", JD_U32, errno_ret, has_errno),
        JD_F(struct group, "ifCap", JD_STR, if_cap, false),
        JD_F(struct group, "unlessCap", JD_STR, unless_cap, false),
        JD_F(struct group, "names", JD_STRV, names, true),
        JD_F(struct group, "arch", JD_STRV, arch, false),
        JD_F(struct group, "notArch", JD_STRV, not_arch, false),
        JD_FC(struct group, "when", when, decode_when, false),
        JD_END,
    };
    static const char *const known[] = { "group", "comment", "action", "errnoRet", "ifCap",
                                         "unlessCap", "names", "arch", "notArch", "when",
                                         NULL };
    struct group *g = dst;
    g->action = "allow";
    return check_keys(c, v, p, known) < 0 ? -1 : jd_fields(c, v, p, fields, g);
}

static int decode_profile(struct jd_ctx *c, json_t *doc, struct profile *pr)
{
    static const struct jd_field fields[] = {
        JD_F(struct profile, "defaultAction", JD_STR, default_action, true),
        JD_FH(struct profile, "defaultErrnoRet", JD_U32, default_errno, has_default_errno),
        JD_F(struct profile, "architectures", JD_OBJECT, arches, true),
        JD_END,
    };
    static const char *const known[] = { "comment", "defaultAction", "defaultErrnoRet",
                                         "architectures", "groups", NULL };
    struct jpath gp = { NULL, "groups", 0 }, ap = { NULL, "architectures", 0 };
    json_t *groups = json_object_get(doc, "groups"), *v;
    const char *key, **arches;
    if (jd_fields(c, doc, NULL, fields, pr) < 0 || check_keys(c, doc, NULL, known) < 0)
        return -1;
    json_object_foreach(pr->arches, key, v) {
        struct jpath kp = { &ap, key, 0 };
        if (jd_strv_value(c, v, &kp, &arches) < 0)
            return -1;
    }
    if (groups == NULL)
        return jd_fail(c, &gp, "required but missing");
    if (jd_array_of(c, groups, &gp, sizeof *pr->groups, (void **) &pr->groups,
                    &pr->n_groups, decode_group) < 0)
        return -1;
    for (size_t i = 0; i < pr->n_groups; i++) {
        struct jpath ep = { &gp, NULL, i };
        if (check_group(c, &ep, &pr->groups[i], pr->arches) < 0)
            return -1;
    }
    return 0;
}

static bool applies(const struct group *g, const char *const *caps, const char *key)
{
    if (strcmp(g->action, "deny") == 0)
        return false;
    if ((g->if_cap && !strv_has(caps, g->if_cap)) ||
        (g->unless_cap && strv_has(caps, g->unless_cap)))
        return false;
    if (g->arch && (key == NULL || !strv_has(g->arch, key)))
        return false;
    return !(g->not_arch && key && strv_has(g->not_arch, key));
}

static json_t *rule(const struct group *g, json_t *args)
{
    json_t *r = json_object(), *names = json_array();
    for (size_t i = 0; g->names[i]; i++)
        json_array_append_new(names, json_string(g->names[i]));
    json_object_set_new(r, "names", names);
    if (strcmp(g->action, "errno") == 0) {
        json_object_set_new(r, "action", json_string("SCMP_ACT_ERRNO"));
        json_object_set_new(r, "errnoRet", json_integer(g->errno_ret));
    } else {
        json_object_set_new(r, "action", json_string("SCMP_ACT_ALLOW"));
    }
    if (args)
        json_object_set_new(r, "args", json_deep_copy(args));
    return r;
}

static json_t *build(const struct profile *pr, const char *const *caps, const char *key)
{
    json_t *out = json_object(), *syscalls = json_array();
    json_t *arches = key ? json_object_get(pr->arches, key) : NULL;
    json_object_set_new(out, "defaultAction", json_string(pr->default_action));
    if (pr->has_default_errno)
        json_object_set_new(out, "defaultErrnoRet", json_integer(pr->default_errno));
    json_object_set_new(out, "architectures", arches ? json_deep_copy(arches) : json_array());
    for (size_t i = 0; i < pr->n_groups; i++) {
        const struct group *g = &pr->groups[i];
        if (!applies(g, caps, key))
            continue;
        if (g->when == NULL)
            json_array_append_new(syscalls, rule(g, NULL));
        for (size_t k = 0; g->when && k < json_array_size(g->when); k++)
            json_array_append_new(syscalls, rule(g, json_array_get(g->when, k)));
    }
    json_object_set_new(out, "syscalls", syscalls);
    return out;
}

int cx_seccomp_default_from(const char *text, const char *doc, const char *const *caps,
                            const char *machine, json_t **out, cx_error *err)
{
    struct jd_pool pool = { 0 };
    struct jd_ctx c = { doc, &pool, err };
    struct profile pr = { 0 };
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (root == NULL)
        return cx_fail(err, EINVAL, "%s: line %d: %s", doc, jerr.line, jerr.text);
    int rc = decode_profile(&c, root, &pr);
    if (rc == 0) {
        const char *key = machine_key(machine);
        if (key && json_object_get(pr.arches, key) == NULL)
            key = NULL;
        *out = build(&pr, caps, key);
    }
    jd_pool_free(&pool);
    json_decref(root);
    return rc;
}

int cx_seccomp_default_for(const char *const *caps, const char *machine, json_t **out,
                           cx_error *err)
{
    return cx_seccomp_default_from(seccomp_default_json, DOC " (built in)", caps, machine,
                                   out, err);
}

int cx_seccomp_default(const char *const *caps, json_t **out, cx_error *err)
{
    struct utsname u;
    if (uname(&u) < 0)
        return cx_fail_errno(err, "uname, for the default seccomp profile's architectures");
    return cx_seccomp_default_for(caps, u.machine, out, err);
}
