"""Behaviours engines and scripts rely on, each run against runc 1.1.5 and
capsa with the same bundle and the same checks (issue 15): runc's result is
the reference, so a check that runc fails is a bad check, not a capsa bug.

Run as root:  /usr/bin/python3 -m pytest -q tests/compat/test_runc_behaviours.py
"""
import json
import os
import subprocess
import time

import pytest

import driver
from bundle import make_bundle

CG = "/sys/fs/cgroup"
RUNTIMES = ["runc", "capsa"]


@pytest.fixture(params=RUNTIMES)
def rt(request, tmp_path):
    name = request.param
    binary = driver.RUNC if name == "runc" else driver.CAPSA
    if not os.access(binary, os.X_OK):
        pytest.skip("%s is not installed at %s" % (name, binary))
    r = driver.Runtime(name, binary, tmp_path / ("root-" + name))
    yield r
    r.cleanup()


def bundle(tmp_path, name, args, **kw):
    return make_bundle(tmp_path / ("b-" + name), args=args, **kw)


def pure_v2():
    return os.path.exists(os.path.join(CG, "cgroup.controllers"))


def gone(rt, cid):
    return rt.call("state", cid).rc != 0


# -- 1. device rules ---------------------------------------------------------

def test_explicit_deny_holds_for_a_node_of_linux_devices(rt, tmp_path):
    """deny-all and /dev/kmsg in linux.devices: the node exists, writing
    it fails (EPERM from the device cgroup)."""
    st = os.stat("/dev/kmsg")
    b = bundle(tmp_path, "kmsg", ["sh", "-c", "ls /dev/kmsg && echo x > /dev/kmsg; echo rc=$?"],
               extra={"linux": {"devices": [{
                   "path": "/dev/kmsg", "type": "c", "major": os.major(st.st_rdev),
                   "minor": os.minor(st.st_rdev), "fileMode": 0o666}]}})
    r = rt.run(rt.new_id("kmsg"), b)
    assert r.rc == 0, r
    assert "/dev/kmsg" in r.stdout and "rc=1" in r.stdout, r
    assert "Operation not permitted" in r.stdout + r.stderr, r


# -- 3. --no-pivot ----------------------------------------------------------

def test_no_pivot_leaves_no_whole_procfs_to_mount_from(rt, tmp_path):
    """--no-pivot: a process with CAP_SETFCAP makes a user, mount and pid
    namespace and mounts a new procfs; the kernel must refuse it ("mount
    too revealing") as it does after pivot_root."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP"]
    b = bundle(tmp_path, "nopivot",
               ["unshare", "-mrpf", "sh", "-c", "mount -t proc none /proc && echo mounted"],
               extra={"process": {"capabilities": {k: caps for k in (
                   "bounding", "effective", "permitted")}}})
    r = rt.call("run", "--no-pivot", "--bundle", b, rt.new_id("nopivot"))
    assert "mounted" not in r.stdout, r
    assert r.rc != 0 and "ermission denied" in r.stdout + r.stderr, r


# -- 4, 6. a cgroup that exists already ---------------------------------------

def existing_cgroup(name):
    """A cgroup made before the container, in the freezer (v1) or the one
    v2 tree: (its directory, the container's cgroupsPath)."""
    base = CG if pure_v2() else os.path.join(CG, "freezer")
    if not os.path.isdir(base):
        pytest.skip("no freezer hierarchy on this host (%s)" % base)
    d = os.path.join(base, name)
    os.makedirs(d, exist_ok=True)
    return d, "/" + name


def thaw_and_remove(d):
    f = "cgroup.freeze" if pure_v2() else "freezer.state"
    with open(os.path.join(d, f), "w") as fh:
        fh.write("0" if pure_v2() else "THAWED")
    for _ in range(50):
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def test_a_frozen_cgroup_is_refused_not_hung_in(rt, tmp_path):
    d, path = existing_cgroup("capsa-frozen-" + rt.name)
    try:
        with open(os.path.join(d, "cgroup.freeze" if pure_v2() else "freezer.state"), "w") as f:
            f.write("1" if pure_v2() else "FROZEN")
        b = bundle(tmp_path, "frozen", ["sleep", "30"],
                   extra={"linux": {"cgroupsPath": path}})
        cid = rt.new_id("frozen")
        r = rt.call("run", "-d", "--bundle", b, cid, timeout=15)
        assert r.rc == 1, r
        assert "container's cgroup unexpectedly frozen" in r.stderr, r
        assert gone(rt, cid)
    finally:
        thaw_and_remove(d)


def every_hierarchy(name):
    """name made in every cgroup hierarchy mounted here."""
    bases = [CG] if pure_v2() else [
        os.path.join(CG, e) for e in sorted(os.listdir(CG))
        if os.path.ismount(os.path.join(CG, e))]
    dirs = [os.path.join(b, name) for b in bases]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    return dirs


def test_a_cgroup_with_processes_is_warned_about(rt, tmp_path):
    name = "capsa-busy-" + rt.name
    dirs = every_hierarchy(name)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        for d in dirs:
            try:
                with open(os.path.join(d, "cgroup.procs"), "w") as f:
                    f.write(str(sleeper.pid))
            except OSError:
                pass  # a new v1 cpuset has no cpus yet: the others will do
        b = bundle(tmp_path, "busy", ["true"], extra={"linux": {"cgroupsPath": "/" + name}})
        r = rt.call("run", "--bundle", b, rt.new_id("busy"))
        assert r.rc == 0, r
        assert "container's cgroup is not empty: 1 process(es) found" in r.stderr, r
    finally:
        sleeper.kill()
        sleeper.wait()
        for d in dirs:
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


# -- 9. the console's owner -----------------------------------------------------

def test_the_console_belongs_to_the_process_user(rt, tmp_path):
    b = bundle(tmp_path, "tty", ["sh", "-c", "echo owner $(stat -c %u:%g $(tty))"],
               terminal=True, extra={"process": {"user": {"uid": 1000, "gid": 1000}}})
    sock = str(tmp_path / "console.sock")
    cs = driver.ConsoleSocket(sock)
    try:
        cid = rt.new_id("tty")
        r = rt.create(cid, b, extra=["--console-socket", sock])
        assert r.rc == 0, r
        assert cs.wait(3) and cs.error is None, cs.error
        assert rt.start(cid).rc == 0
        out = cs.read_master(timeout=5, until=lambda: rt.status(cid) == "stopped")
    finally:
        cs.close()
    text = out.decode(errors="replace")
    assert "owner 1000:5" in text, text


# -- 10. exec --process from a pipe ------------------------------------------------

def test_exec_process_from_a_pipe(rt, tmp_path):
    b = bundle(tmp_path, "pipe", ["sleep", "30"])
    cid = rt.new_id("pipe")
    assert rt.run_detached(cid, b).rc == 0
    proc = {"args": ["sh", "-c", "echo from-pipe"], "cwd": "/", "user": {"uid": 0, "gid": 0},
            "env": ["PATH=/bin:/usr/bin"]}
    rfd, wfd = os.pipe()
    os.write(wfd, json.dumps(proc).encode())
    os.close(wfd)
    try:
        r = rt.popen("exec", "-p", "/dev/fd/3", cid, fds={3: rfd}).wait()
    finally:
        os.close(rfd)
    assert r.rc == 0 and "from-pipe" in r.stdout, r


# -- 13, 15. the command line -----------------------------------------------------

def test_flags_after_the_container_id(rt, tmp_path):
    b = bundle(tmp_path, "late", ["sleep", "30"])
    cid = rt.new_id("late")
    assert rt.call("run", cid, "--bundle", b, "--detach").rc == 0
    r = rt.call("update", cid, "--pids-limit", "77")
    assert r.rc == 0, r
    assert rt.call("kill", cid, "KILL", "--all").rc == 0
    rt.wait_status(cid, "stopped")
    assert rt.call("delete", cid, "--force").rc == 0
    assert gone(rt, cid)


COMMANDS = ["checkpoint", "create", "delete", "events", "exec", "kill", "list", "pause",
            "ps", "restore", "resume", "run", "spec", "start", "state", "update", "features"]


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_for_every_command(rt, flag):
    for cmd in COMMANDS:
        r = rt.call(cmd, flag)
        assert r.rc == 0 and cmd in r.stdout, (cmd, r)


# -- 16. device access letters ---------------------------------------------------

def test_unknown_device_access_letters_are_ignored(rt, tmp_path):
    b = bundle(tmp_path, "rwa", ["sh", "-c", "head -c1 /dev/zero >/dev/null && echo ok"],
               extra={"linux": {"resources": {"devices": [
                   {"allow": False, "access": "rwm"},
                   {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwa"}]}}})
    r = rt.run(rt.new_id("rwa"), b)
    assert r.rc == 0 and "ok" in r.stdout, r


# -- 19. createContainer hooks' working directory ----------------------------------

def test_create_container_hooks_run_in_the_rootfs(rt, tmp_path):
    out = tmp_path / ("hook-cwd-" + rt.name)
    b = bundle(tmp_path, "hookcwd", ["true"], extra={"hooks": {"createContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", "pwd > %s; ls ./bin/busybox >> %s" % (out, out)]}]}})
    r = rt.run(rt.new_id("hookcwd"), b)
    assert r.rc == 0, r
    cwd, listed = out.read_text().splitlines()[:2]
    assert os.path.realpath(cwd) == os.path.realpath(os.path.join(b, "rootfs")), cwd
    assert listed == "./bin/busybox"


# -- 20. linux.resources.unified on a v1 or hybrid host ----------------------------

def test_unified_for_a_v1_controller_is_refused_up_front(rt, tmp_path):
    if pure_v2():
        pytest.skip("this host is pure cgroup v2: unified is its native form (tests/v2vm)")
    b = bundle(tmp_path, "unified", ["true"],
               extra={"linux": {"resources": {"unified": {"memory.max": "10485760"}}}})
    cid = rt.new_id("unified")
    r = rt.call("run", "--bundle", b, cid)
    assert r.rc != 0 and "invalid configuration" in r.stderr, r
    assert gone(rt, cid)
    assert not os.path.exists(os.path.join(CG, "memory", cid))
