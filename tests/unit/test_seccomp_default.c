/* test_seccomp_default.c: capsa's default seccomp profile
 * (src/engine/seccomp_default.json): decoded by capsa's own linux.seccomp
 * decoder, compiled by libseccomp as the runtime compiles it, and the
 * program run on the syscalls a container makes, by a small classic-BPF
 * interpreter below; the format's checks; the built-in copy against the
 * file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/jdec.h"
#include "common/util.h"
#include "engine/seccomp_default.h"
#include "engine/seccomp_default_json.h"
#include "oci/seccomp.h"
#include "runtime/seccomp_internal.h"

#define ALLOW SECCOMP_RET_ALLOW
#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))
#define NO_ARGS 0, 0, 0

/* podman's default capabilities */
static const char *const podman_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
    "CAP_SYS_CHROOT", NULL,
};

/* ---- the profile, decoded and compiled ---- */

struct prog {
    json_t *json;                /* cx_seccomp_default_for's output */
    struct jd_pool pool;
    struct oci_seccomp *sec;     /* as oci/seccomp.c decodes it */
    struct sock_filter *insns;   /* as the runtime compiles it */
    unsigned short len;
};

/* Decode, and compile unless libseccomp cannot join machine's
 * architectures to this one's in one filter (big- and little-endian:
 * EDOM); *p then holds no program. */
static void prog_make_any(struct prog *p, const char *const *caps, const char *machine)
{
    cx_error err = { 0 };
    struct jpath lp = { NULL, "linux", 0 }, sp = { &lp, "seccomp", 0 };
    *p = (struct prog) { 0 };
    if (cx_seccomp_default_for(caps, machine, &p->json, &err) < 0)
        fail_msg("cx_seccomp_default_for: %s", err.msg);
    struct jd_ctx c = { "config.json", &p->pool, &err };
    if (oci_seccomp_decode(&c, p->json, &sp, &p->sec) < 0)
        fail_msg("oci_seccomp_decode: %s", err.msg);
    if (seccomp_compile(p->sec, &p->insns, &p->len, &err) < 0 && err.errnum != EDOM)
        fail_msg("seccomp_compile: %s (%d)", err.msg, err.errnum);
}

static void prog_make(struct prog *p, const char *const *caps, const char *machine)
{
    prog_make_any(p, caps, machine);
    assert_non_null(p->insns);
}

static void prog_free(struct prog *p)
{
    free(p->insns);
    jd_pool_free(&p->pool);
    json_decref(p->json);
}

/* The classic BPF a seccomp program may hold, run on one syscall. */
static uint32_t bpf_run(const struct sock_filter *f, size_t len, const struct seccomp_data *d)
{
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
    for (size_t pc = 0; pc < len; pc++) {
        const struct sock_filter *i = &f[pc];
        uint32_t k = i->k;
        switch (i->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            assert_true(k % 4 == 0 && k + 4 <= sizeof *d);
            memcpy(&a, (const char *) d + k, 4);
            break;
        case BPF_LD | BPF_IMM: a = k; break;
        case BPF_LDX | BPF_IMM: x = k; break;
        case BPF_LD | BPF_MEM: assert_true(k < BPF_MEMWORDS); a = mem[k]; break;
        case BPF_LDX | BPF_MEM: assert_true(k < BPF_MEMWORDS); x = mem[k]; break;
        case BPF_ST: assert_true(k < BPF_MEMWORDS); mem[k] = a; break;
        case BPF_STX: assert_true(k < BPF_MEMWORDS); mem[k] = x; break;
        case BPF_ALU | BPF_AND | BPF_K: a &= k; break;
        case BPF_ALU | BPF_OR | BPF_K: a |= k; break;
        case BPF_MISC | BPF_TAX: x = a; break;
        case BPF_MISC | BPF_TXA: a = x; break;
        case BPF_JMP | BPF_JA: pc += k; break;
        case BPF_JMP | BPF_JEQ | BPF_K: pc += a == k ? i->jt : i->jf; break;
        case BPF_JMP | BPF_JGT | BPF_K: pc += a > k ? i->jt : i->jf; break;
        case BPF_JMP | BPF_JGE | BPF_K: pc += a >= k ? i->jt : i->jf; break;
        case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) ? i->jt : i->jf; break;
        case BPF_RET | BPF_K: return k;
        case BPF_RET | BPF_A: return a;
        default: fail_msg("BPF opcode %#x at %zu: not in this interpreter", i->code, pc);
        }
    }
    fail_msg("the program ends without a return");
    return 0;
}

static uint32_t call_nr(const struct prog *p, uint32_t arch, int nr, uint64_t a0,
                        uint64_t a1, uint64_t a2)
{
    struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2 } };
    return bpf_run(p->insns, p->len, &d);
}

#define ABSENT UINT32_MAX

/* The verdict on syscall name from an x86_64 process, or from an i386
 * one for a name x86_64 does not have (stime, umount, ...); ABSENT for a
 * name of other machines only (pciconfig_read). */
static uint32_t call(const struct prog *p, const char *name, uint64_t a0, uint64_t a1,
                     uint64_t a2)
{
    if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
        fail_msg("\"%s\" is not a syscall libseccomp knows", name);
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
    if (nr >= 0)
        return call_nr(p, AUDIT_ARCH_X86_64, nr, a0, a1, a2);
    nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name);
    if (nr >= 0)
        return call_nr(p, AUDIT_ARCH_I386, nr, a0, a1, a2);
    return ABSENT;
}

#define assert_verdict(p, name, want) assert_verdict_args(p, name, NO_ARGS, want)
static void assert_verdict_args(const struct prog *p, const char *name, uint64_t a0,
                                uint64_t a1, uint64_t a2, uint32_t want)
{
    uint32_t got = call(p, name, a0, a1, a2);
    if (got != want && got != ABSENT)
        fail_msg("%s(%#llx, %#llx, %#llx): %#x, expected %#x", name, (unsigned long long) a0,
                 (unsigned long long) a1, (unsigned long long) a2, got, want);
}

/* ---- the profile as JSON ---- */

/* Does an ALLOW rule name it (with conditions too, unless always)? */
static bool json_allows(json_t *profile, const char *name, bool always)
{
    json_t *r, *n;
    size_t i, k;
    json_array_foreach(json_object_get(profile, "syscalls"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "action")), "SCMP_ACT_ALLOW") != 0)
            continue;
        if (always && json_object_get(r, "args") != NULL)
            continue;
        json_array_foreach(json_object_get(r, "names"), k, n)
            if (strcmp(json_string_value(n), name) == 0)
                return true;
    }
    return false;
}

static const char **with_caps(const char *const *base, const char *extra)
{
    static const char *v[64];
    size_t n = 0;
    for (; base[n]; n++)
        v[n] = base[n];
    v[n++] = extra;
    v[n] = NULL;
    return v;
}

/* ---- tests ---- */

static void test_decodes_and_compiles(void **state)
{
    (void) state;
    static const char *const all_caps[] = {
        "CAP_SYS_ADMIN", "CAP_AUDIT_WRITE", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_BPF",
        "CAP_PERFMON", "CAP_SYSLOG", "CAP_SYS_BOOT", "CAP_SYS_TIME", "CAP_SYS_NICE", NULL,
    };
    static const char *const none[] = { NULL };
    const char *const *capsets[] = { none, podman_caps, all_caps };
    const char *machines[] = { "x86_64", "i686", "aarch64", "armv7l", "s390x", "ppc64le",
                               "riscv64", "mips64" };
    size_t compiled = 0;
    for (size_t c = 0; c < 3; c++)
        for (size_t m = 0; m < sizeof machines / sizeof machines[0]; m++) {
            struct prog p;
            prog_make_any(&p, capsets[c], machines[m]);
            assert_int_equal(p.sec->default_action, SCMP_ACT_ERRNO(EPERM));
            assert_true(p.sec->n_rules > 20);
            assert_true(p.insns == NULL || p.len > 100);
            compiled += p.insns != NULL;
            prog_free(&p);
        }
    assert_true(compiled >= 3 * 4); /* the native machine and its kin at least */
    struct prog p;
    prog_make(&p, NULL, "x86_64");
    assert_int_equal(p.sec->n_arches, 3);
    assert_int_equal(p.sec->arches[0], SCMP_ARCH_X86_64);
    assert_int_equal(p.sec->arches[1], SCMP_ARCH_X86);
    assert_int_equal(p.sec->arches[2], SCMP_ARCH_X32);
    prog_free(&p);
}

static void each_group_name(json_t *doc, void (*fn)(json_t *group, const char *name))
{
    json_t *g, *n;
    size_t i, k;
    json_array_foreach(json_object_get(doc, "groups"), i, g)
        json_array_foreach(json_object_get(g, "names"), k, n)
            fn(g, json_string_value(n));
}

static void check_known(json_t *group, const char *name)
{
    (void) group;
    if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
        fail_msg("\"%s\" is not a syscall libseccomp knows", name);
}

/* Every name of every group, every machine's, libseccomp knows (a typo
 * would be skipped silently by the runtime), and every capability libcap. */
static void test_names_known(void **state)
{
    (void) state;
    json_t *doc = json_loads(seccomp_default_json, 0, NULL), *g;
    size_t i;
    assert_non_null(doc);
    each_group_name(doc, check_known);
    json_array_foreach(json_object_get(doc, "groups"), i, g) {
        const char *keys[] = { "ifCap", "unlessCap" };
        for (size_t k = 0; k < 2; k++) {
            const char *cap = json_string_value(json_object_get(g, keys[k]));
            cap_value_t v;
            if (cap && cap_from_name(cap, &v) < 0)
                fail_msg("%s: \"%s\" is not a capability libcap knows", keys[k], cap);
        }
    }
    json_decref(doc);
}

/* Group names are unique; a name is in one always-allowed group at most;
 * what a deny group names, no group allows. */
static json_t *seen_always, *seen_groups, *denied;

static void note_name(json_t *g, const char *name)
{
    static const char *const conditions[] = { "action", "ifCap", "unlessCap", "arch",
                                              "notArch", "when" };
    const char *action = json_string_value(json_object_get(g, "action"));
    bool plain = true;
    for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++)
        plain &= json_object_get(g, conditions[i]) == NULL;
    if (action && strcmp(action, "deny") == 0) {
        json_object_set_new(denied, name, json_true());
        return;
    }
    if (plain) {
        if (json_object_get(seen_always, name))
            fail_msg("\"%s\" is in two groups that always allow it", name);
        json_object_set_new(seen_always, name, json_true());
    }
}

static void check_not_denied(json_t *g, const char *name)
{
    const char *action = json_string_value(json_object_get(g, "action"));
    if (json_object_get(denied, name) && !(action && strcmp(action, "deny") == 0))
        fail_msg("\"%s\" is in a deny group and in group %s", name,
                 json_string_value(json_object_get(g, "group")));
}

static void test_groups_consistent(void **state)
{
    (void) state;
    json_t *doc = json_loads(seccomp_default_json, 0, NULL), *g;
    size_t i;
    seen_always = json_object();
    seen_groups = json_object();
    denied = json_object();
    json_array_foreach(json_object_get(doc, "groups"), i, g) {
        const char *name = json_string_value(json_object_get(g, "group"));
        assert_non_null(name);
        if (json_object_get(seen_groups, name))
            fail_msg("two groups are named %s", name);
        json_object_set_new(seen_groups, name, json_true());
        if (!json_is_string(json_object_get(g, "comment")))
            fail_msg("group %s says nothing of why", name);
    }
    each_group_name(doc, note_name);
    each_group_name(doc, check_not_denied);
    assert_true(json_object_size(seen_always) > 300);
    assert_int_equal(json_object_size(denied), 29);
    json_decref(seen_always);
    json_decref(seen_groups);
    json_decref(denied);
    json_decref(doc);
}

static const char *const dangerous[] = {
    "mount", "umount", "umount2", "pivot_root", "unshare", "setns", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "settimeofday", "stime", "clock_settime", "add_key", "request_key",
    "keyctl", "bpf", "perf_event_open", "open_by_handle_at", "iopl", "ioperm", "quotactl",
    "quotactl_fd", "userfaultfd", "lookup_dcookie", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr", "sethostname", "setdomainname",
    "syslog", "fanotify_init", "kcmp", "process_madvise", "migrate_pages", "move_pages",
    "vhangup", "io_uring_setup", "io_uring_enter", "io_uring_register", "vm86", "uselib",
    "_sysctl", "nfsservctl", "pciconfig_read", "ustat", "sysfs", NULL,
};

static void test_dangerous_denied(void **state)
{
    (void) state;
    struct prog p;
    prog_make(&p, podman_caps, "x86_64");
    for (size_t i = 0; dangerous[i]; i++) {
        if (json_allows(p.json, dangerous[i], false))
            fail_msg("%s is allowed with podman's default capabilities", dangerous[i]);
        assert_verdict(&p, dangerous[i], ERRNO(EPERM));
    }
    /* clone3: ENOSYS, so that libc uses clone */
    assert_false(json_allows(p.json, "clone3", false));
    assert_verdict(&p, "clone3", ERRNO(ENOSYS));
    prog_free(&p);
}

static void test_dangerous_denied_with_every_cap(void **state)
{
    (void) state;
    static const char *const caps[] = {
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO",
        "CAP_SYS_TIME", "CAP_SYS_NICE", "CAP_SYSLOG", "CAP_DAC_READ_SEARCH", NULL,
    };
    static const char *const never[] = {
        "kexec_load", "kexec_file_load", "swapon", "swapoff", "add_key", "request_key",
        "keyctl", "vm86", "uselib", "_sysctl", "pciconfig_read", NULL,
    };
    struct prog p;
    prog_make(&p, caps, "x86_64");
    for (size_t i = 0; never[i]; i++) {
        assert_false(json_allows(p.json, never[i], false));
        assert_verdict(&p, never[i], ERRNO(EPERM));
    }
    prog_free(&p);
}

static void test_sys_admin(void **state)
{
    (void) state;
    static const char *const allowed[] = {
        "mount", "umount2", "unshare", "setns", "pivot_root", "fsopen", "open_tree",
        "sethostname", "bpf", "perf_event_open", "syslog", "quotactl", "clone3",
        "io_uring_setup", NULL,
    };
    struct prog p;
    prog_make(&p, with_caps(podman_caps, "CAP_SYS_ADMIN"), "x86_64");
    for (size_t i = 0; allowed[i]; i++) {
        assert_true(json_allows(p.json, allowed[i], true));
        assert_verdict(&p, allowed[i], ALLOW);
    }
    assert_verdict_args(&p, "clone", CLONE_NEWUSER | CLONE_NEWNS, 0, 0, ALLOW);
    /* still not: another capability's */
    assert_verdict(&p, "init_module", ERRNO(EPERM));
    assert_verdict(&p, "open_by_handle_at", ERRNO(EPERM));
    prog_free(&p);
}

static void test_common_allowed(void **state)
{
    (void) state;
    static const char *const common[] = {
        "read", "write", "openat", "close", "execve", "futex", "mmap", "mprotect", "brk",
        "epoll_wait", "epoll_pwait2", "statx", "newfstatat", "rseq", "close_range",
        "faccessat2", "openat2", "pidfd_open", "pidfd_send_signal", "getrandom",
        "set_robust_list", "arch_prctl", "prlimit64", "rt_sigaction", "sigaltstack",
        "wait4", "fork", "vfork", "io_setup", "memfd_create", "chroot", "ptrace",
        "process_vm_readv", "capset", "setuid", "fchmodat2", "futex_waitv", "cachestat",
        "map_shadow_stack", "landlock_create_ruleset", "modify_ldt", "_llseek", "mmap2",
        "socketcall", NULL,
    };
    struct prog p;
    prog_make(&p, podman_caps, "x86_64");
    for (size_t i = 0; common[i]; i++) {
        if (!json_allows(p.json, common[i], true))
            fail_msg("%s is not always allowed", common[i]);
        assert_verdict(&p, common[i], ALLOW);
    }
    /* x32 is an architecture of the profile */
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, "read");
    assert_true(nr >= 0);
    assert_int_equal(call_nr(&p, AUDIT_ARCH_X86_64, nr, 0, 0, 0), ALLOW);
    prog_free(&p);
}

static void test_clone_flags(void **state)
{
    (void) state;
    const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                            CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                            CLONE_CHILD_CLEARTID;
    const uint64_t ns[] = { CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                            CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET };
    struct prog p;
    prog_make(&p, podman_caps, "x86_64");
    assert_false(json_allows(p.json, "clone", true));
    assert_true(json_allows(p.json, "clone", false));
    assert_verdict_args(&p, "clone", thread, 0, 0, ALLOW);
    assert_verdict_args(&p, "clone", SIGCHLD, 0, 0, ALLOW);
    assert_verdict_args(&p, "clone", CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, ALLOW);
    assert_verdict_args(&p, "clone", CLONE_PIDFD | SIGCHLD, 0, 0, ALLOW);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        assert_verdict_args(&p, "clone", ns[i], 0, 0, ERRNO(EPERM));
        assert_verdict_args(&p, "clone", ns[i] | SIGCHLD, 0, 0, ERRNO(EPERM));
    }
    /* an i386 process: the same rule */
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "clone");
    assert_int_equal(call_nr(&p, AUDIT_ARCH_I386, nr, SIGCHLD, 0, 0), ALLOW);
    assert_int_equal(call_nr(&p, AUDIT_ARCH_I386, nr, CLONE_NEWUSER, 0, 0), ERRNO(EPERM));
    prog_free(&p);
}

static void test_personality_and_socket(void **state)
{
    (void) state;
    struct prog p;
    prog_make(&p, podman_caps, "x86_64");
    assert_verdict_args(&p, "personality", 0, 0, 0, ALLOW);
    assert_verdict_args(&p, "personality", 0x0008, 0, 0, ALLOW);
    assert_verdict_args(&p, "personality", 0x20000, 0, 0, ALLOW);
    assert_verdict_args(&p, "personality", 0x20008, 0, 0, ALLOW);
    assert_verdict_args(&p, "personality", 0xffffffff, 0, 0, ALLOW);
    assert_verdict_args(&p, "personality", 0x0040000, 0, 0, ERRNO(EPERM)); /* ADDR_NO_RANDOMIZE */
    assert_verdict_args(&p, "personality", 0x0400000, 0, 0, ERRNO(EPERM)); /* READ_IMPLIES_EXEC */
    assert_verdict_args(&p, "socket", 2, 1, 0, ALLOW);            /* AF_INET, SOCK_STREAM */
    assert_verdict_args(&p, "socket", 16, 3, 0, ALLOW);           /* NETLINK_ROUTE */
    assert_verdict_args(&p, "socket", 1, 1, 9, ALLOW);            /* AF_UNIX, protocol 9 */
    assert_verdict_args(&p, "socket", 16, 3, 9, ERRNO(EINVAL));   /* NETLINK_AUDIT */
    assert_verdict_args(&p, "socket", 40, 1, 0, ALLOW);           /* AF_VSOCK */
    prog_free(&p);
    prog_make(&p, with_caps(podman_caps, "CAP_AUDIT_WRITE"), "x86_64");
    assert_true(json_allows(p.json, "socket", true));
    assert_verdict_args(&p, "socket", 16, 3, 9, ALLOW);
    prog_free(&p);
}

/* Syscalls newer than the profile answer ENOSYS (the runtime's stub);
 * older ones it does not name, EPERM. */
static void test_newer_enosys(void **state)
{
    (void) state;
    struct prog p;
    prog_make(&p, podman_caps, "x86_64");
    /* the highest it names: futex_requeue, 456 (Linux 6.7) */
    int top = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "futex_requeue");
    assert_int_equal(top, 456);
    assert_int_equal(call_nr(&p, AUDIT_ARCH_X86_64, top, 0, 0, 0), ALLOW);
    assert_int_equal(call_nr(&p, AUDIT_ARCH_X86_64, top + 1, 0, 0, 0), ERRNO(ENOSYS));
    assert_int_equal(call_nr(&p, AUDIT_ARCH_X86_64, 1000, 0, 0, 0), ERRNO(ENOSYS));
    assert_int_equal(call_nr(&p, AUDIT_ARCH_X86_64, 182, 0, 0, 0), ERRNO(EPERM)); /* putpmsg */
    prog_free(&p);
}

struct cap_case {
    const char *cap, *syscall;
};

static void test_capability_groups(void **state)
{
    (void) state;
    static const struct cap_case cases[] = {
        { "CAP_SYS_MODULE", "init_module" }, { "CAP_SYS_MODULE", "delete_module" },
        { "CAP_SYS_BOOT", "reboot" }, { "CAP_SYS_PTRACE", "kcmp" },
        { "CAP_SYS_PTRACE", "process_madvise" }, { "CAP_SYS_PTRACE", "userfaultfd" },
        { "CAP_SYS_TIME", "settimeofday" }, { "CAP_SYS_TIME", "clock_settime" },
        { "CAP_SYS_TIME", "stime" }, { "CAP_SYS_RAWIO", "iopl" }, { "CAP_SYS_RAWIO", "ioperm" },
        { "CAP_SYSLOG", "syslog" }, { "CAP_BPF", "bpf" }, { "CAP_PERFMON", "perf_event_open" },
        { "CAP_DAC_READ_SEARCH", "open_by_handle_at" }, { "CAP_SYS_PACCT", "acct" },
        { "CAP_SYS_NICE", "move_pages" }, { "CAP_SYS_NICE", "migrate_pages" },
        { "CAP_SYS_TTY_CONFIG", "vhangup" }, { "CAP_SYS_CHROOT", "chroot" },
    };
    static const char *const none[] = { NULL };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const caps[] = { cases[i].cap, NULL };
        struct prog with, without;
        prog_make(&with, caps, "x86_64");
        prog_make(&without, none, "x86_64");
        if (!json_allows(with.json, cases[i].syscall, true))
            fail_msg("%s does not allow %s", cases[i].cap, cases[i].syscall);
        assert_verdict(&with, cases[i].syscall, ALLOW);
        assert_false(json_allows(without.json, cases[i].syscall, false));
        assert_verdict(&without, cases[i].syscall, ERRNO(EPERM));
        prog_free(&with);
        prog_free(&without);
    }
}

static json_t *rule_for(json_t *profile, const char *name)
{
    json_t *r, *n;
    size_t i, k;
    json_array_foreach(json_object_get(profile, "syscalls"), i, r)
        json_array_foreach(json_object_get(r, "names"), k, n)
            if (strcmp(json_string_value(n), name) == 0)
                return r;
    return NULL;
}

static void assert_json(json_t *v, const char *want)
{
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    assert_non_null(w);
    if (!json_equal(v, w)) {
        static char got[8192];
        char *text = json_dumps(v, JSON_COMPACT);
        snprintf(got, sizeof got, "%s", text ? text : "(null)");
        free(text);
        json_decref(w);
        fail_msg("got %s\nexpected %s", got, want);
    }
    json_decref(w);
}

static void test_machines(void **state)
{
    (void) state;
    json_t *out = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_seccomp_default_for(podman_caps, "s390x", &out, &err), 0);
    assert_json(json_object_get(out, "architectures"), "[\"SCMP_ARCH_S390X\",\"SCMP_ARCH_S390\"]");
    assert_json(rule_for(out, "clone"),
                "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,"
                "\"op\":\"SCMP_CMP_MASKED_EQ\",\"value\":2114060288,\"valueTwo\":0}]}");
    assert_non_null(rule_for(out, "s390_runtime_instr"));
    assert_null(rule_for(out, "arch_prctl"));
    json_decref(out);
    assert_int_equal(cx_seccomp_default_for(podman_caps, "aarch64", &out, &err), 0);
    assert_json(json_object_get(out, "architectures"), "[\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"]");
    assert_non_null(rule_for(out, "arm_fadvise64_64"));
    assert_non_null(rule_for(out, "set_tls"));
    assert_null(rule_for(out, "modify_ldt"));
    assert_json(json_object_get(rule_for(out, "clone"), "args"),
                "[{\"index\":0,\"op\":\"SCMP_CMP_MASKED_EQ\",\"value\":2114060288,"
                "\"valueTwo\":0}]");
    json_decref(out);
    assert_int_equal(cx_seccomp_default_for(podman_caps, "i686", &out, &err), 0);
    assert_json(json_object_get(out, "architectures"), "[\"SCMP_ARCH_X86\"]");
    assert_non_null(rule_for(out, "modify_ldt"));
    json_decref(out);
    /* a machine the profile does not know: the runtime's native arch only */
    assert_int_equal(cx_seccomp_default_for(podman_caps, "mips64", &out, &err), 0);
    assert_json(json_object_get(out, "architectures"), "[]");
    assert_null(rule_for(out, "arch_prctl"));
    assert_null(rule_for(out, "riscv_flush_icache"));
    assert_non_null(rule_for(out, "clone"));
    json_decref(out);
}

static void test_shape(void **state)
{
    (void) state;
    json_t *out = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_seccomp_default_for(podman_caps, "x86_64", &out, &err), 0);
    assert_int_equal(json_object_size(out), 4);
    assert_json(json_object_get(out, "defaultAction"), "\"SCMP_ACT_ERRNO\"");
    assert_json(json_object_get(out, "defaultErrnoRet"), "1");
    assert_json(json_object_get(out, "architectures"),
                "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]");
    /* 17 plain groups, personality x5, clone, clone3, socket x2 + audit,
     * x86, chroot */
    assert_int_equal(json_array_size(json_object_get(out, "syscalls")), 29);
    assert_json(rule_for(out, "clone3"),
                "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}");
    assert_json(json_array_get(json_object_get(out, "syscalls"), 28),
                "{\"names\":[\"chroot\"],\"action\":\"SCMP_ACT_ALLOW\"}");
    assert_json(json_array_get(json_object_get(out, "syscalls"), 26),
                "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":22,\"args\":"
                "[{\"index\":0,\"op\":\"SCMP_CMP_EQ\",\"value\":16},"
                "{\"index\":2,\"op\":\"SCMP_CMP_EQ\",\"value\":9}]}");
    json_decref(out);
}

/* cx_seccomp_default() is cx_seccomp_default_for() on this machine. */
static void test_native(void **state)
{
    (void) state;
    struct utsname u;
    json_t *a = NULL, *b = NULL;
    cx_error err = { 0 };
    assert_int_equal(uname(&u), 0);
    assert_int_equal(cx_seccomp_default(podman_caps, &a, &err), 0);
    assert_int_equal(cx_seccomp_default_for(podman_caps, u.machine, &b, &err), 0);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}

/* ---- the format's checks ---- */

#define MINI(groups) \
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":{\"x86_64\":" \
    "[\"SCMP_ARCH_X86_64\"]},\"groups\":[" groups "]}"

static void expect_error(const char *text, const char *msg)
{
    json_t *out = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_seccomp_default_from(text, "p.json", NULL, "x86_64", &out, &err), -1);
    assert_null(out);
    assert_string_equal(err.msg, msg);
}

static void test_format_errors(void **state)
{
    (void) state;
    expect_error("{", "p.json: line 1: string or '}' expected near end of file");
    expect_error("{\"architectures\":{},\"groups\":[]}",
                 "p.json: defaultAction: required but missing");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":{}}",
                 "p.json: groups: required but missing");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"action\":\"maybe\"}"),
                 "p.json: groups[0].action: unknown action \"maybe\" (allow, errno or deny)");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"action\":\"errno\"}"),
                 "p.json: groups[0].errnoRet: required with action errno");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"errnoRet\":1}"),
                 "p.json: groups[0].errnoRet: only action errno takes one");
    expect_error(MINI("{\"group\":\"a\",\"names\":[]}"),
                 "p.json: groups[0].names: must name at least one syscall");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"]},{\"names\":[\"read\"]}"),
                 "p.json: groups[1].group: required but missing");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"arch\":[\"x86-64\"]}"),
                 "p.json: groups[0].arch[0]: \"x86-64\" is not a key of architectures");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"notArch\":[\"x86_64\",\"vax\"]}"),
                 "p.json: groups[0].notArch[1]: \"vax\" is not a key of architectures");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"ifCap\":\"SYS_ADMIN\"}"),
                 "p.json: groups[0].ifCap: \"SYS_ADMIN\" is not a capability name (CAP_...)");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"ifCap\":\"CAP_A\","
                      "\"unlessCap\":\"CAP_B\"}"),
                 "p.json: groups[0]: ifCap and unlessCap exclude each other");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"when\":[]}"),
                 "p.json: groups[0].when: must hold at least one alternative");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"when\":[[]]}"),
                 "p.json: groups[0].when[0]: must hold at least one condition");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"when\":[[{}],[1]]}"),
                 "p.json: groups[0].when[1][0]: expected an object, got integer");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"when\":{}}"),
                 "p.json: groups[0].when: expected an array, got object");
    expect_error(MINI("{\"group\":\"a\",\"names\":[\"read\"],\"ifcap\":\"CAP_SYS_ADMIN\"}"),
                 "p.json: groups[0].ifcap: unknown key");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":{},\"groups\":[],"
                 "\"syscalls\":[]}", "p.json: syscalls: unknown key");
    expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":{\"x86_64\":"
                 "\"SCMP_ARCH_X86_64\"},\"groups\":[]}",
                 "p.json: architectures.x86_64: expected an array, got string");
}

static void test_format_rules(void **state)
{
    (void) state;
    const char *text = MINI(
        "{\"group\":\"a\",\"names\":[\"read\",\"write\"]},"
        "{\"group\":\"b\",\"names\":[\"mount\"],\"ifCap\":\"CAP_SYS_ADMIN\"},"
        "{\"group\":\"c\",\"names\":[\"clone3\"],\"unlessCap\":\"CAP_SYS_ADMIN\","
        "\"action\":\"errno\",\"errnoRet\":38},"
        "{\"group\":\"d\",\"names\":[\"arch_prctl\"],\"arch\":[\"x86_64\"]},"
        "{\"group\":\"e\",\"names\":[\"kexec_load\"],\"action\":\"deny\"},"
        "{\"group\":\"f\",\"names\":[\"personality\"],\"notArch\":[\"x86_64\"]},"
        "{\"group\":\"g\",\"names\":[\"socket\"],\"when\":[[{\"index\":0,\"op\":\"SCMP_CMP_EQ\","
        "\"value\":1}],[{\"index\":0,\"op\":\"SCMP_CMP_EQ\",\"value\":2}]]}");
    const char *const admin[] = { "CAP_SYS_ADMIN", NULL };
    json_t *out = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_seccomp_default_from(text, "p.json", NULL, "x86_64", &out, &err), 0);
    assert_json(out, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
                     "[\"SCMP_ARCH_X86_64\"],\"syscalls\":["
                     "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                     "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
                     "{\"names\":[\"arch_prctl\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                     "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
                     "[{\"index\":0,\"op\":\"SCMP_CMP_EQ\",\"value\":1}]},"
                     "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
                     "[{\"index\":0,\"op\":\"SCMP_CMP_EQ\",\"value\":2}]}]}");
    json_decref(out);
    assert_int_equal(cx_seccomp_default_from(text, "p.json", admin, "riscv64", &out, &err), 0);
    assert_json(out, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[],\"syscalls\":["
                     "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                     "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                     "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                     "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
                     "[{\"index\":0,\"op\":\"SCMP_CMP_EQ\",\"value\":1}]},"
                     "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
                     "[{\"index\":0,\"op\":\"SCMP_CMP_EQ\",\"value\":2}]}]}");
    json_decref(out);
}

/* ---- the built-in copy is the file ---- */

/* path (relative to the source tree) from the source tree: CAPSA_SOURCE_DIR,
 * else found from this file's name as the compiler saw it, relative to
 * the build tree (tests/unit/ above this executable) unless absolute. */
static char *source_path(const char *rel)
{
    const char *env = getenv("CAPSA_SOURCE_DIR");
    char exe[PATH_MAX], file[PATH_MAX];
    if (env && env[0])
        return cx_asprintf("%s/%s", env, rel);
    snprintf(file, sizeof file, "%s", __FILE__);
    *strrchr(file, '/') = '\0'; /* <src>/tests/unit */
    if (file[0] == '/')
        return cx_asprintf("%s/../../%s", file, rel);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0'; /* <build>/tests/unit */
    return cx_asprintf("%s/../../%s/../../%s", exe, file, rel);
}

static void test_embedded_matches_file(void **state)
{
    (void) state;
    _cleanup_free_ char *path = source_path("src/engine/seccomp_default.json");
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    cx_error err = { 0 };
    char line[CX_ERROR_MAX + 128];
    if (cx_read_file_at(AT_FDCWD, path, 1 << 20, &text, &len, &err) < 0) {
        cx_error_format(&err, line, sizeof line);
        fail_msg("%s (set CAPSA_SOURCE_DIR to the source tree)", line);
    }
    if (len != sizeof seccomp_default_json - 1 || memcmp(text, seccomp_default_json, len) != 0)
        fail_msg("src/engine/seccomp_default_json.h is out of date: run scripts/embed-json.py "
                 "src/engine/seccomp_default.json src/engine/seccomp_default_json.h");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decodes_and_compiles),
        cmocka_unit_test(test_names_known),
        cmocka_unit_test(test_groups_consistent),
        cmocka_unit_test(test_dangerous_denied),
        cmocka_unit_test(test_dangerous_denied_with_every_cap),
        cmocka_unit_test(test_sys_admin),
        cmocka_unit_test(test_common_allowed),
        cmocka_unit_test(test_clone_flags),
        cmocka_unit_test(test_personality_and_socket),
        cmocka_unit_test(test_newer_enosys),
        cmocka_unit_test(test_capability_groups),
        cmocka_unit_test(test_machines),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_native),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_format_rules),
        cmocka_unit_test(test_embedded_matches_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
