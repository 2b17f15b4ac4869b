/* seccomp_compile.c: a profile to a BPF program with libseccomp (see
 * seccomp_internal.h).  Runs in the runtime, never in the container. */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/seccomp_internal.h"

static void ctx_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

static int lib_fail(cx_error *err, int rc, const char *what, size_t i, const char *name)
{
    return cx_fail(err, -rc, "config.json: linux.seccomp.syscalls[%zu]: %s \"%s\"", i, what,
                   name);
}

static bool same_arg_twice(const struct oci_seccomp_rule *r)
{
    unsigned seen = 0;
    for (size_t i = 0; i < r->n_args; i++) {
        if (seen & (1U << r->args[i].index))
            return true;
        seen |= 1U << r->args[i].index;
    }
    return false;
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_seccomp_rule *r, size_t i,
                    int nr, const char *name, cx_error *err)
{
    struct scmp_arg_cmp cmp[OCI_SECCOMP_MAX_ARGS];
    for (size_t k = 0; k < r->n_args; k++)
        cmp[k] = (struct scmp_arg_cmp) { r->args[k].index, (enum scmp_compare) r->args[k].op,
                                         r->args[k].value, r->args[k].value_two };
    int rc;
    if (!same_arg_twice(r)) {
        rc = seccomp_rule_add_array(ctx, r->action, nr, (unsigned) r->n_args, cmp);
        return rc < 0 ? lib_fail(err, rc, "add a rule for", i, name) : 0;
    }
    for (size_t k = 0; k < r->n_args; k++)
        if ((rc = seccomp_rule_add_array(ctx, r->action, nr, 1, &cmp[k])) < 0)
            return lib_fail(err, rc, "add a rule for", i, name);
    return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct oci_seccomp *s, cx_error *err)
{
    for (size_t i = 0; i < s->n_rules; i++) {
        const struct oci_seccomp_rule *r = &s->rules[i];
        if (r->action == s->default_action)
            continue; /* libseccomp refuses it; it would change nothing */
        for (size_t n = 0; n < r->n_names; n++) {
            int nr = seccomp_syscall_resolve_name(r->names[n]);
            if (nr == __NR_SCMP_ERROR) {
                cx_debug("seccomp: syscall \"%s\" unknown to libseccomp: skipped",
                         r->names[n]);
                continue;
            }
            if (add_rule(ctx, r, i, nr, r->names[n], err) < 0)
                return -1;
        }
    }
    return 0;
}

static int add_arches(scmp_filter_ctx ctx, const struct oci_seccomp *s, cx_error *err)
{
    for (size_t i = 0; i < s->n_arches; i++) {
        if (seccomp_arch_exist(ctx, s->arches[i]) == 0)
            continue; /* the native one, or listed twice */
        int rc = seccomp_arch_add(ctx, s->arches[i]);
        if (rc < 0)
            return cx_fail(err, -rc, "config.json: linux.seccomp.architectures[%zu]: add", i);
    }
    return 0;
}

/* libseccomp 2.5 writes the program to an fd only: a memfd, read back. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **insns, unsigned short *len,
                      cx_error *err)
{
    _cleanup_close_ int fd = memfd_create("capsa-seccomp", MFD_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return cx_fail_errno(err, "seccomp: memfd_create");
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0)
        return cx_fail(err, -rc, "seccomp: export the filter");
    if (fstat(fd, &st) < 0)
        return cx_fail_errno(err, "seccomp: stat the filter");
    size_t n = (size_t) st.st_size / sizeof **insns;
    if (n == 0 || (size_t) st.st_size % sizeof **insns)
        return cx_fail(err, EINVAL, "seccomp: libseccomp wrote %lld bytes",
                       (long long) st.st_size);
    if (n > BPF_MAXINSNS)
        return cx_fail(err, E2BIG, "config.json: linux.seccomp: the filter has %zu BPF "
                                   "instructions, more than the kernel's %d", n, BPF_MAXINSNS);
    _cleanup_free_ struct sock_filter *p = cx_calloc(n, sizeof *p);
    if (pread(fd, p, n * sizeof *p, 0) != (ssize_t) (n * sizeof *p))
        return cx_fail_errno(err, "seccomp: read the filter back");
    *insns = TAKE_PTR(p);
    *len = (unsigned short) n;
    return 0;
}

int seccomp_compile(const struct oci_seccomp *s, struct sock_filter **insns,
                    unsigned short *len, cx_error *err)
{
    _cleanup_(ctx_releasep) scmp_filter_ctx ctx = seccomp_init(s->default_action);
    if (ctx == NULL)
        return cx_fail(err, EINVAL, "config.json: linux.seccomp.defaultAction: "
                                    "libseccomp refuses %s", oci_seccomp_action_name(s->default_action));
    /* the runtime loads the program itself and sets no_new_privs only
     * when process.noNewPrivileges asks for it */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (add_arches(ctx, s, err) < 0 || add_rules(ctx, s, err) < 0 ||
        export_bpf(ctx, insns, len, err) < 0)
        return -1;
    if (seccomp_enosys_stub(s, insns, len, err) < 0) {
        free(*insns);
        *insns = NULL;
        return -1;
    }
    return 0;
}
