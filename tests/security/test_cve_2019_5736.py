"""CVE-2019-5736: a container overwrites the host's runtime binary through
/proc/self/exe or /proc/PID/exe.

The advisory's attack: the container gets the runtime's binary executed as
one of its own processes (an image whose entrypoint, or whose /bin/sh, is
/proc/self/exe; or a process reaching /proc/PID/exe of the runtime's init
or exec helper), holds /proc/PID/exe, waits until nothing executes the file
any more (ETXTBSY until then) and reopens it for writing.

Every test runs a copy of capsa (the capsa_copy fixture): a failure
overwrites the copy, never the build.  The attacker is tests/helpers/attack
("attack exe": hold the exe of every process whose program is neither
busybox nor itself, then keep reopening it for writing).  Each test also
runs a "victim" (a copy of busybox, a binary nobody protects) the same
way, and the attacker must overwrite it: the attack works, so a clean
result for capsa means capsa stopped it."""
import os
import shutil
import time

import pytest

from bundle import load_config, write_config
from conftest import add_glibc, put_attack, userns_bundle, wait_for_file


VICTIM = ["/victim/sleep", "0.3"]


def evil_image(make_bundle, args=("sleep", "100"), **kw):
    """A bundle whose image carries a libc (so our binary runs inside), the
    attacker, a victim binary (/victim/sleep, a copy of busybox), and
    /bin/evilsh -> /proc/self/exe."""
    b = make_bundle(list(args), readonly=False, **kw)
    rootfs = os.path.join(b, "rootfs")
    put_attack(b)
    add_glibc(rootfs)
    os.makedirs(os.path.join(rootfs, "victim"))
    shutil.copy(os.path.join(rootfs, "bin", "busybox"), os.path.join(rootfs, "victim", "sleep"))
    os.symlink("/proc/self/exe", os.path.join(rootfs, "bin", "evilsh"))
    return b


def victim_overwritten(bundle):
    with open(os.path.join(bundle, "rootfs", "victim", "sleep"), "rb") as f:
        return f.read(5) == b"pwned"


def attack_result(bundle):
    out = wait_for_file(os.path.join(bundle, "rootfs", "result"), contains="held")
    assert out is not None, "the attacker never reported"
    return out


def test_cve_2019_5736_exec_of_proc_self_exe(capsa_copy, make_bundle):
    """`capsa exec` of /proc/self/exe, and of an image's /bin/evilsh linked
    to it, runs capsa's binary inside the container: the attacker holding
    its /proc/PID/exe must not be able to write it once it exits."""
    c = capsa_copy
    digest = c.digest()
    b = evil_image(make_bundle)
    c.ok("run", "-d", "--bundle", b, "x")
    c.ok("exec", "-d", "x", "sh", "-c", "attack exe 3 > /result")
    time.sleep(0.3)
    for prog in ("/proc/self/exe", "evilsh"):
        r = c.run("exec", "x", prog, "--version")
        assert "capsa version" in r.stdout, (prog, r.stdout, r.stderr)  # it ran inside
    c.ok("exec", "x", *VICTIM)  # control: an unprotected binary
    out = attack_result(b)
    assert c.digest() == digest, "the container overwrote the runtime binary"
    assert victim_overwritten(b), "control: the attack did not work at all: %r" % out
    assert out.count("overwrote") == 1, out


def test_cve_2019_5736_run_entrypoint_is_proc_self_exe(capsa_copy, make_bundle):
    """`capsa run` of an image whose entrypoint is /proc/self/exe, in the
    pid namespace of a running container whose process attacks."""
    c = capsa_copy
    digest = c.digest()
    a = evil_image(make_bundle)
    c.ok("run", "-d", "--bundle", a, "a")
    c.ok("exec", "-d", "a", "sh", "-c", "attack exe 3 > /result")
    pidns = "/proc/%d/ns/pid" % c.state("a")["pid"]
    time.sleep(0.3)
    for i, args in enumerate((["/proc/self/exe", "--version"], ["evilsh", "--version"],
                              VICTIM)):
        b = evil_image(make_bundle, args)
        cfg = load_config(b)
        cfg["linux"]["namespaces"] = [ns for ns in cfg["linux"]["namespaces"]
                                      if ns["type"] != "pid"] + [{"type": "pid", "path": pidns}]
        write_config(b, cfg)
        r = c.run("run", "--bundle", b, "b%d" % i)
        assert r.returncode == 0, r.stderr
        if i < 2:
            assert "capsa version" in r.stdout
        else:
            victim = b
    out = attack_result(a)
    assert c.digest() == digest, "the container overwrote the runtime binary"
    assert victim_overwritten(victim), "control: the attack did not work at all: %r" % out
    assert out.count("overwrote") == 1, out


@pytest.mark.parametrize("ptrace", [False, True], ids=["plain", "cap_sys_ptrace"])
def test_cve_2019_5736_init_during_create_and_start(capsa_copy, make_bundle, ptrace):
    """Between create and start the init is capsa's binary: the attacker,
    exec'd into the created container, holds /proc/1/exe if it can (with
    CAP_SYS_PTRACE it passes non-dumpable) and writes once start has
    replaced the init's program."""
    c = capsa_copy
    digest = c.digest()
    b = evil_image(make_bundle)
    if ptrace:
        cfg = load_config(b)
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append("CAP_SYS_PTRACE")
        write_config(b, cfg)
    c.ok("create", "--bundle", b, "x")
    c.ok("exec", "-d", "x", "sh", "-c", "attack exe 2 > /result")
    time.sleep(0.5)
    c.ok("start", "x")
    time.sleep(0.2)
    c.ok("exec", "x", *VICTIM)  # control
    out = attack_result(b)
    assert c.digest() == digest, "the container overwrote the runtime binary"
    assert victim_overwritten(b), "control: the attack did not work at all: %r" % out
    assert out.count("overwrote") == 1, out
    held = int(out.split("held")[1].split()[0])
    # without CAP_SYS_PTRACE non-dumpable keeps the attacker out (it holds
    # the victim only); with it the attacker holds the init's exe (and the
    # exec helper's): the read-only clone is what keeps the file safe
    assert held >= 2 if ptrace else held == 1, out


def test_cve_2019_5736_init_exe_and_fds_unreachable(capsa, make_bundle):
    """While the init waits for start, a container process cannot open its
    exe or fds (non-dumpable); after start /proc/1/exe is the container's
    program and no capsa fd is left open."""
    capsa.ok("create", "--bundle", make_bundle(["sleep", "100"]), "cve")
    r = capsa.run("exec", "cve", "sh", "-c",
                  "cat /proc/1/exe > /dev/null && echo exe-readable; "
                  "readlink /proc/1/fd/0 > /dev/null 2>&1 && echo fds-readable; "
                  "readlink /proc/1/exe || echo no-link")
    assert r.returncode == 0, r.stderr
    assert "exe-readable" not in r.stdout and "fds-readable" not in r.stdout
    assert "no-link" in r.stdout
    capsa.ok("start", "cve")
    out = capsa.ok("exec", "cve", "sh", "-c",
                   "readlink /proc/1/exe; ls -l /proc/1/fd | grep -c capsa; true").stdout.split()
    assert out == ["/bin/busybox", "0"]


def test_cve_2019_5736_protection_where_the_root_is_the_hosts(capsa, make_bundle):
    """The init runs from a detached read-only clone of the binary's mount
    whenever the container shares the host's user namespace (with or
    without CAP_SYS_PTRACE); in a user namespace of its own the container's
    root cannot write the host's binary and the re-exec is saved."""
    capsa.ok("create", "--bundle", make_bundle(["sleep", "100"]), "plain")
    pid = capsa.state("plain")["pid"]
    assert os.readlink("/proc/%d/exe" % pid) == "/"  # a detached clone
    assert os.statvfs("/proc/%d/exe" % pid).f_flag & os.ST_RDONLY
    capsa.ok("create", "--bundle", userns_bundle(make_bundle, ["sleep", "100"]), "userns")
    exe = os.readlink("/proc/%d/exe" % capsa.state("userns")["pid"])
    assert exe == os.path.realpath(capsa.binary)
