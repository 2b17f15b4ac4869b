/* devices_bpf.c: the device rules as an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE)
 * attached to the container's cgroup v2 directory: cgroup v2 has no
 * devices controller.  The program sees (access << 16 | type, major,
 * minor) and returns 1 to allow, 0 to deny.  Rules are tested last first,
 * so the last one that matches decides, as on v1; nothing matching denies.
 *
 * The program is named "capsa_devices"; `update` finds ours among the
 * programs attached to the directory and swaps the new one in with
 * BPF_F_REPLACE, so there is no moment with no rules or with both. */
#include <fcntl.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/internal.h"

#define MAX_INSNS 4096

_Static_assert((int) ACC_M == (int) BPF_DEVCG_ACC_MKNOD &&
               (int) ACC_R == (int) BPF_DEVCG_ACC_READ &&
               (int) ACC_W == (int) BPF_DEVCG_ACC_WRITE,
               "cg_access_bits() gives the kernel's bits");

struct prog {
    struct bpf_insn insn[MAX_INSNS];
    int n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (p->n < MAX_INSNS)
        p->insn[p->n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
                                             .off = off, .imm = imm };
}

/* r2: type, r3: access, r4: major, r5: minor */
static void prologue(struct prog *p)
{
    emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);   /* r2 = access_type */
    emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0); /* r3 = r2 */
    emit(p, BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
    emit(p, BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);   /* r4 = major */
    emit(p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);   /* r5 = minor */
}

/* One rule: a block that returns its verdict when everything matches;
 * each test jumps past the block's end when it does not. */
static bool rule(struct prog *p, const struct oci_device_rule *r)
{
    int acc = cg_access_bits(r->access);
    int jumps[8], nj = 0;
    if (r->type != 'a') {
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
             r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    }
    if (acc != 7) { /* what is asked beyond what is allowed must be nothing */
        emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 3, 0, 0);
        emit(p, BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0, ~acc & 7);
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, 0, 0);
    }
    if (r->major >= 0) {
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int32_t) r->major);
    }
    if (r->minor >= 0) {
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t) r->minor);
    }
    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    for (int i = 0; i < nj && p->n <= MAX_INSNS; i++)
        p->insn[jumps[i]].off = (int16_t) (p->n - jumps[i] - 1);
    return nj == 0; /* it matches everything: nothing after it is reached */
}

/* The rules in force, in order: the config's, then the devices every
 * container gets (as cg_v1_devices writes them). */
static void build(struct prog *p, const struct oci_device_rule *rules, size_t n)
{
    p->n = 0;
    prologue(p);
    for (size_t i = n; i-- > 0;)
        if (rule(p, &rules[i]))
            return; /* the verifier refuses unreachable code */
    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0); /* nothing matched: deny */
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int bpf(int cmd, union bpf_attr *attr)
{
    return (int) syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

#define PROG_NAME "capsa_devices"
#define LOG_SIZE 4096   /* the verifier's log, quoted in the error */

/* An fd of our program attached to cg, or -1 when there is none. */
static int ours_attached(int cg)
{
    uint32_t ids[64];
    union bpf_attr q = {
        .query.target_fd = (uint32_t) cg, .query.attach_type = BPF_CGROUP_DEVICE,
        .query.prog_ids = (uint64_t) (uintptr_t) ids, .query.prog_cnt = 64,
    };
    if (bpf(BPF_PROG_QUERY, &q) < 0)
        return -1;
    for (uint32_t i = 0; i < q.query.prog_cnt && i < 64; i++) {
        union bpf_attr get = { .prog_id = ids[i] };
        int fd = bpf(BPF_PROG_GET_FD_BY_ID, &get);
        struct bpf_prog_info info = { 0 };
        union bpf_attr ia = { .info.bpf_fd = (uint32_t) fd, .info.info_len = sizeof info,
                              .info.info = (uint64_t) (uintptr_t) &info };
        if (fd >= 0 && bpf(BPF_OBJ_GET_INFO_BY_FD, &ia) == 0 &&
            strncmp(info.name, PROG_NAME, sizeof info.name) == 0)
            return fd;
        cx_close(fd);
    }
    return -1;
}

int cg_bpf_devices(const char *dir, const struct oci_device_rule *rules, size_t n,
                   cx_error *err)
{
    /* 32 KiB + 4 KiB: on the heap, not the stack (capsad's workers have
     * 512 KiB stacks) nor in static storage (two threads may load at once) */
    _cleanup_free_ struct prog *p = cx_calloc(1, sizeof *p);
    _cleanup_free_ char *log = cx_calloc(1, LOG_SIZE);
    build(p, rules, n);
    if (p->n >= MAX_INSNS)
        return cx_fail(err, 0, "linux.resources.devices: too many rules for one program");
    union bpf_attr load = {
        .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
        .insns = (uint64_t) (uintptr_t) p->insn, .insn_cnt = (uint32_t) p->n,
        .license = (uint64_t) (uintptr_t) "GPL",
    };
    memcpy(load.prog_name, PROG_NAME, sizeof PROG_NAME);
    _cleanup_close_ int prog = bpf(BPF_PROG_LOAD, &load);
    if (prog < 0) { /* again, with the verifier's log for the message */
        int e = errno;
        load.log_buf = (uint64_t) (uintptr_t) log;
        load.log_size = LOG_SIZE;
        load.log_level = 1;
        log[0] = '\0';
        cx_close(bpf(BPF_PROG_LOAD, &load));
        return cx_fail(err, e, "cgroup: load the device filter (%.200s)", log);
    }
    _cleanup_close_ int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0)
        return cx_fail_errno(err, "cgroup: open %s", dir);
    _cleanup_close_ int old = ours_attached(cg);
    union bpf_attr attach = {
        .target_fd = (uint32_t) cg, .attach_bpf_fd = (uint32_t) prog,
        .attach_type = BPF_CGROUP_DEVICE,
        .attach_flags = BPF_F_ALLOW_MULTI | (old >= 0 ? BPF_F_REPLACE : 0),
        .replace_bpf_fd = old >= 0 ? (uint32_t) old : 0,
    };
    if (bpf(BPF_PROG_ATTACH, &attach) < 0)
        return cx_fail_errno(err, "cgroup: attach the device filter to %s", dir);
    return 0;
}
