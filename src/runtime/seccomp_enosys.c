/* seccomp_enosys.c: syscalls newer than the profile answer ENOSYS (see
 * seccomp_internal.h).
 *
 * A default-deny profile names the syscalls it knows; one added to the
 * kernel later (clone3, openat2, faccessat2, close_range, ...) would meet
 * the default action, usually EPERM.  Programs probe such a syscall and
 * fall back to an older one only on ENOSYS, so EPERM breaks them.  As runc
 * does, every syscall numbered above the highest one the profile names (per
 * architecture) returns ENOSYS: a few instructions put in front of
 * libseccomp's program.  x32 syscalls of x86_64 (the 0x40000000 bit) are
 * left to libseccomp's program. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/seccomp_internal.h"

#define X32_SYSCALL_BIT 0x40000000U
#define MAX_STUB_ARCHES 16

/* Only where the default denies: an allowing default lets new syscalls
 * through anyway, and ENOSYS as the default changes nothing. */
static bool default_denies(uint32_t action)
{
    uint32_t kind = action & 0xffff0000U;
    if (action == SCMP_ACT_ERRNO(ENOSYS))
        return false;
    return kind == SCMP_ACT_KILL_THREAD || kind == SCMP_ACT_KILL_PROCESS ||
           kind == SCMP_ACT_TRAP || kind == (SCMP_ACT_ERRNO(0) & 0xffff0000U);
}

/* The highest syscall number the profile names for arch, or -1. */
static long highest_named(const struct oci_seccomp *s, uint32_t arch)
{
    long max = -1;
    for (size_t i = 0; i < s->n_rules; i++)
        for (size_t n = 0; n < s->rules[i].n_names; n++) {
            int nr = seccomp_syscall_resolve_name_arch(arch, s->rules[i].names[n]);
            if (nr >= 0 && nr > max)
                max = nr;
        }
    return max;
}

static size_t collect_arches(const struct oci_seccomp *s, uint32_t *arches, long *max)
{
    size_t n = 0;
    uint32_t all[MAX_STUB_ARCHES + 1] = { seccomp_arch_native() };
    size_t n_all = 1;
    for (size_t i = 0; i < s->n_arches && n_all < MAX_STUB_ARCHES; i++)
        all[n_all++] = s->arches[i];
    for (size_t i = 0; i < n_all; i++) {
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup |= arches[k] == all[i];
        long m = dup ? -1 : highest_named(s, all[i]);
        if (m >= 0) {
            arches[n] = all[i];
            max[n++] = m;
        }
    }
    return n;
}

#define STMT(code, k) ((struct sock_filter) BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter) BPF_JUMP(code, k, jt, jf))

int seccomp_enosys_stub(const struct oci_seccomp *s, struct sock_filter **insns,
                        unsigned short *len, cx_error *err)
{
    uint32_t arches[MAX_STUB_ARCHES];
    long max[MAX_STUB_ARCHES];
    size_t n_arches = default_denies(s->default_action) ? collect_arches(s, arches, max) : 0;
    if (n_arches == 0)
        return 0;
    /* per arch: ld arch; jeq; ld nr; [jge x32]; jgt max. Then ja L; E: ret */
    struct sock_filter stub[MAX_STUB_ARCHES * 5 + 2];
    size_t blocks = 0;
    for (size_t i = 0; i < n_arches; i++)
        blocks += arches[i] == AUDIT_ARCH_X86_64 ? 5 : 4;
    size_t e = blocks + 1, l = blocks + 2, pc = 0;
    for (size_t i = 0; i < n_arches; i++) {
        bool x86_64 = arches[i] == AUDIT_ARCH_X86_64;
        size_t end = pc + (x86_64 ? 5 : 4);
        stub[pc++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        stub[pc] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, arches[i], 0, (uint8_t) (end - pc - 1));
        pc++;
        stub[pc++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        if (x86_64) {
            stub[pc] = JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, (uint8_t) (l - pc - 1), 0);
            pc++;
        }
        stub[pc] = JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t) max[i], (uint8_t) (e - pc - 1),
                        (uint8_t) (l - pc - 1));
        pc++;
    }
    stub[pc++] = STMT(BPF_JMP | BPF_JA, 1);                       /* no arch of ours: L */
    stub[pc++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS); /* E */
    if (pc + *len > BPF_MAXINSNS)
        return cx_fail(err, E2BIG, "config.json: linux.seccomp: the filter has %zu BPF "
                                   "instructions, more than the kernel's %d", pc + *len,
                       BPF_MAXINSNS);
    struct sock_filter *p = cx_calloc(pc + *len, sizeof *p);
    memcpy(p, stub, pc * sizeof *p);
    memcpy(p + pc, *insns, *len * sizeof *p);
    free(*insns);
    *insns = p;
    *len = (unsigned short) (pc + *len);
    return 0;
}
