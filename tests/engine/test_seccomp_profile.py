"""capsa's default seccomp profile against podman's, syscall by syscall.

tests/helpers/seccomp_default_dump prints the profile the engine writes
into config.json for a set of capabilities; tests/helpers/podman_seccomp.py
resolves podman's profile (/usr/share/containers/seccomp.json) for the same
set, as podman does.  For each set, what one allows and the other does not
must be exactly the differences listed below, each with its reason: a new
difference fails until it is listed, a listed one that went away fails
until it is removed.

"Allowed" here: by an SCMP_ACT_ALLOW rule.  A syscall ours allows only
under argument conditions (clone without namespace flags, personality,
socket) counts as allowed when podman allows it, never as an extra.

    CAPSA_SECCOMP_DUMP=build/tests/helpers/seccomp_default_dump \\
        /usr/bin/python3 -m pytest -q tests/engine/test_seccomp_profile.py
"""
import json
import os
import subprocess
import sys
from collections import namedtuple

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "helpers"))
from podman_seccomp import PODMAN_PROFILE, podman_profile  # noqa: E402

DUMP = os.environ.get("CAPSA_SECCOMP_DUMP",
                      os.path.join(REPO, "build", "tests", "helpers", "seccomp_default_dump"))

PODMAN_CAPS = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
               "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
               "CAP_SETUID", "CAP_SYS_CHROOT")
EVERY_CAP = PODMAN_CAPS + (
    "CAP_AUDIT_WRITE", "CAP_BPF", "CAP_DAC_READ_SEARCH", "CAP_PERFMON", "CAP_SYSLOG",
    "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_NICE", "CAP_SYS_PACCT",
    "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG")
CAP_SETS = {
    "podman-default": PODMAN_CAPS,
    "none": (),
    "runc-default": ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
    "podman+sys_admin": PODMAN_CAPS + ("CAP_SYS_ADMIN",),
    "podman+sys_ptrace+sys_nice": PODMAN_CAPS + ("CAP_SYS_PTRACE", "CAP_SYS_NICE"),
    "every": EVERY_CAP,
}

# A difference shows for a capability set holding one of with (when set)
# and none of without (when set).
Diff = namedtuple("Diff", "reason with_ without", defaults=((), ()))

NEWER = ("newer than podman's list (golang-github-containers-common 0.50): "
         "docker allows it; ")
# allowed by ours, not by podman's
OURS_ONLY = {
    "futex_waitv": Diff(NEWER + "Linux 5.16, waits on several futexes (Wine, Proton)"),
    "set_mempolicy_home_node": Diff(NEWER + "Linux 5.17, NUMA policy of the caller's "
                                    "own memory, like mbind which podman allows"),
    "cachestat": Diff(NEWER + "Linux 6.5, page cache state of a file the caller opened"),
    "fchmodat2": Diff(NEWER + "Linux 6.6, fchmodat with flags; glibc 2.39 calls it"),
    "map_shadow_stack": Diff(NEWER + "Linux 6.6, the caller's own shadow stack (CET)"),
    "futex_wake": Diff(NEWER + "Linux 6.7, futex2"),
    "futex_wait": Diff(NEWER + "Linux 6.7, futex2"),
    "futex_requeue": Diff(NEWER + "Linux 6.7, futex2"),
    "io_pgetevents": Diff("io_getevents with a signal mask: no kernel code beyond what "
                          "io_getevents reaches; docker allows it, podman denies it"),
    "io_pgetevents_time64": Diff("the same, 32-bit time_t ABIs"),
    "vmsplice": Diff("splice from the caller's own memory into a pipe; docker allows it, "
                     "podman denies it; the copy-on-write bugs it was once used for are "
                     "fixed in the page code, not by a filter"),
    "nice": Diff("setpriority's old form (i386, old musl), which podman allows; raising "
                 "a priority is still checked by the kernel (CAP_SYS_NICE)"),
    "io_uring_setup": Diff("io_uring only with CAP_SYS_ADMIN, as the kernel's own "
                           "io_uring_disabled=1 does; podman's list does not name it",
                           with_=("CAP_SYS_ADMIN",)),
    "io_uring_enter": Diff("see io_uring_setup", with_=("CAP_SYS_ADMIN",)),
    "io_uring_register": Diff("see io_uring_setup", with_=("CAP_SYS_ADMIN",)),
    "quotactl_fd": Diff("quotactl on an fd (Linux 5.14), gated like quotactl; podman's "
                        "list does not name it", with_=("CAP_SYS_ADMIN",)),
    "migrate_pages": Diff("moving another process's pages: with CAP_SYS_NICE, the "
                          "capability the kernel asks; podman denies it always",
                          with_=("CAP_SYS_NICE",)),
    "move_pages": Diff("see migrate_pages", with_=("CAP_SYS_NICE",)),
    "userfaultfd": Diff("with CAP_SYS_PTRACE, the capability the kernel asks for faults "
                        "in kernel mode; podman denies it always",
                        with_=("CAP_SYS_PTRACE",)),
}

ADMIN = ("CAP_SYS_ADMIN",)
MOUNTS = ("podman allows mounting and leaves it to the kernel's CAP_SYS_ADMIN check; "
          "ours, as docker's, needs CAP_SYS_ADMIN: the mount code then stays out of "
          "reach even in a user namespace")
# allowed by podman's, not by ours
PODMAN_ONLY = {
    "mount": Diff(MOUNTS, without=ADMIN),
    "umount": Diff(MOUNTS, without=ADMIN),
    "umount2": Diff(MOUNTS, without=ADMIN),
    "pivot_root": Diff(MOUNTS, without=ADMIN),
    "fsopen": Diff(MOUNTS + " (the fd-based mount API)", without=ADMIN),
    "fsconfig": Diff(MOUNTS + " (the fd-based mount API)", without=ADMIN),
    "fsmount": Diff(MOUNTS + " (the fd-based mount API)", without=ADMIN),
    "fspick": Diff(MOUNTS + " (the fd-based mount API)", without=ADMIN),
    "move_mount": Diff(MOUNTS + " (the fd-based mount API)", without=ADMIN),
    "open_tree": Diff(MOUNTS + " (the fd-based mount API)", without=ADMIN),
    "mount_setattr": Diff(MOUNTS + " (the fd-based mount API)", without=ADMIN),
    "unshare": Diff("a new user namespace hands out every capability inside it, and "
                    "with them kernel code only root reached: CAP_SYS_ADMIN, as docker",
                    without=ADMIN),
    "setns": Diff("joining namespaces: CAP_SYS_ADMIN, as docker (podman lists it under "
                  "CAP_SYS_ADMIN too, and also unconditionally)", without=ADMIN),
    "clone3": Diff("its flags are in memory, out of a filter's reach: ENOSYS without "
                   "CAP_SYS_ADMIN so the C library falls back to clone, whose namespace "
                   "flags the filter sees (docker does the same)", without=ADMIN),
    "syslog": Diff("the kernel log is the host's: CAP_SYSLOG or CAP_SYS_ADMIN",
                   without=("CAP_SYSLOG", "CAP_SYS_ADMIN")),
    "reboot": Diff("CAP_SYS_BOOT, as docker; without it the kernel refuses anyway",
                   without=("CAP_SYS_BOOT",)),
    "keyctl": Diff("kernel keyrings are shared with the host's processes of the same "
                   "uid: denied with add_key and request_key, which podman denies too"),
    "syscall": Diff("MIPS o32's indirect syscall: ours has no MIPS architectures"),
    "query_module": Diff("removed in Linux 2.6; podman allows it with CAP_SYS_MODULE",
                         with_=("CAP_SYS_MODULE",)),
}


def applies(diff, caps):
    caps = set(caps)
    if diff.with_ and not caps & set(diff.with_):
        return False
    return not caps & set(diff.without)


def allowed(profile):
    """(always, at all): the names of ALLOW rules without / with conditions."""
    always, any_ = set(), set()
    for rule in profile["syscalls"]:
        if rule["action"] != "SCMP_ACT_ALLOW":
            continue
        any_.update(rule["names"])
        if not rule.get("args"):
            always.update(rule["names"])
    return always, any_


def ours(caps):
    if not os.access(DUMP, os.X_OK):
        pytest.fail("%s is missing: build it (or set CAPSA_SECCOMP_DUMP)" % DUMP,
                    pytrace=False)
    out = subprocess.run([DUMP, *caps], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def podman(caps):
    p = podman_profile(caps)
    if p is None:
        pytest.skip("%s missing (apt-get install golang-github-containers-common)"
                    % PODMAN_PROFILE)
    return p


@pytest.mark.parametrize("name", sorted(CAP_SETS))
def test_differences_are_the_listed_ones(name):
    caps = CAP_SETS[name]
    our_always, our_any = allowed(ours(caps))
    pod_always, pod_any = allowed(podman(caps))
    extra = our_always - pod_any
    missing = pod_always - our_any
    want_extra = {n for n, d in OURS_ONLY.items() if applies(d, caps)}
    want_missing = {n for n, d in PODMAN_ONLY.items() if applies(d, caps)}
    assert sorted(extra - want_extra) == [], "allowed by ours only, with no reason listed"
    assert sorted(want_extra - extra) == [], "listed in OURS_ONLY, but no longer a difference"
    assert sorted(missing - want_missing) == [], "allowed by podman's only, with no reason listed"
    assert sorted(want_missing - missing) == [], "listed in PODMAN_ONLY, but no longer a difference"


def test_podman_default_caps_deny_what_podman_denies():
    """With podman's default capabilities, nothing podman's profile denies
    (its explicit EPERM list included) is allowed by ours, but the listed."""
    pod = podman(PODMAN_CAPS)
    denied = set()
    for rule in pod["syscalls"]:
        if rule["action"] == "SCMP_ACT_ERRNO" and not rule.get("args"):
            denied.update(rule["names"])
    assert {"kexec_load", "swapon", "userfaultfd", "open_by_handle_at"} <= denied
    our_always, our_any = allowed(ours(PODMAN_CAPS))
    assert sorted((our_any & denied) - set(OURS_ONLY)) == []


def test_same_architectures_and_a_denying_default():
    """The same architectures as podman's (native and compat); a denying
    default: EPERM where podman answers ENOSYS, the runtime answering
    ENOSYS itself above the highest syscall the profile names."""
    o, p = ours(PODMAN_CAPS), podman(PODMAN_CAPS)
    assert o["architectures"] == p["architectures"]
    assert o["architectures"]  # a machine the profile knows
    assert (o["defaultAction"], o["defaultErrnoRet"]) == ("SCMP_ACT_ERRNO", 1)
    assert (p["defaultAction"], p["defaultErrnoRet"]) == ("SCMP_ACT_ERRNO", 38)


def test_argument_rules():
    """The argument conditions ours adds to what podman allows outright."""
    o = ours(PODMAN_CAPS)
    rules = [r for r in o["syscalls"] if "clone" in r["names"]]
    assert rules == [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 0x7e020000, "valueTwo": 0}]}]
    rules = [r for r in o["syscalls"] if "clone3" in r["names"]]
    assert rules == [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
    values = sorted(r["args"][0]["value"] for r in o["syscalls"] if "personality" in r["names"])
    assert values == [0, 8, 0x20000, 0x20008, 0xffffffff]
    admin = ours(PODMAN_CAPS + ("CAP_SYS_ADMIN",))
    assert [r for r in admin["syscalls"] if "clone3" in r["names"]] == [
        {"names": ["clone", "clone3", "setns", "unshare"], "action": "SCMP_ACT_ALLOW"}]
