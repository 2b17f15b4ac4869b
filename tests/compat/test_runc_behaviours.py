"""Behaviours engines and scripts rely on, each run against runc 1.1.5 and
capsa with the same bundle and the same checks (issue 15): runc's result is
the reference, so a check that runc fails is a bad check, not a capsa bug.

Run as root:  /usr/bin/python3 -m pytest -q tests/compat/test_runc_behaviours.py
"""
import json
import shutil
import os
import subprocess
import time

import pytest

import driver
from bundle import make_bundle
from helper_bin import helper_binary

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


# -- 7, 8. seccomp -------------------------------------------------------------

def sysprobe():
    return helper_binary("sysprobe", "SYSPROBE", driver.CAPSA)


def test_syscalls_newer_than_the_profile_get_enosys(rt, tmp_path):
    """podman's default profile with EPERM as its default (docker's and
    older profiles; podman's own says ENOSYS): a syscall number above every
    one it names (1000) answers ENOSYS, so programs fall back; one it names
    and denies (246, x86_64's kexec_load) still EPERM."""
    if os.uname().machine != "x86_64":
        pytest.skip("the numbers are x86_64's")
    import sys
    sys.path.insert(0, os.path.join(driver.REPO, "tests", "helpers"))
    from podman_seccomp import PODMAN_PROFILE, podman_profile
    if not os.path.exists(PODMAN_PROFILE):
        pytest.skip("podman's profile is not installed (%s)" % PODMAN_PROFILE)
    profile = podman_profile()
    profile["defaultErrnoRet"] = 1
    b = bundle(tmp_path, "enosys", ["sh", "-c", "sysprobe nr:1000; sysprobe nr:246"],
               extra={"linux": {"seccomp": profile}})
    shutil.copy(sysprobe(), os.path.join(b, "rootfs", "bin", "sysprobe"))
    r = rt.run(rt.new_id("enosys"), b)
    assert r.rc == 0, r
    assert r.stdout.split("\n")[:2] == ["errno 38", "errno 1"], r


def mkdir_killing_profile(arches):
    return {"defaultAction": "SCMP_ACT_ALLOW", "architectures": arches,
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}


def test_start_container_hooks_run_under_the_filter(rt, tmp_path):
    """A profile that kills mkdir: a startContainer hook that runs mkdir
    fails the start ("error running hook", bad system call).  Without
    noNewPrivileges, as runc: with it the filter is loaded last, after the
    hooks (only the user's program runs under it then)."""
    b = bundle(tmp_path, "hookfilter", ["true"], readonly=False, extra={
        "process": {"noNewPrivileges": False},
        "linux": {"seccomp": mkdir_killing_profile(["SCMP_ARCH_X86_64"])},
        "hooks": {"startContainer": [{"path": "/bin/mkdir", "args": ["mkdir", "/tmp/x"]}]}})
    r = rt.run(rt.new_id("hookfilter"), b)  # (runc's start returns before its hooks run)
    assert r.rc != 0 and "error running hook" in r.stderr and "bad system call" in r.stderr, r
    assert not os.path.exists(os.path.join(b, "rootfs", "tmp", "x"))


def test_the_native_arch_is_filtered_when_only_others_are_listed(rt, tmp_path):
    if os.uname().machine != "x86_64":
        pytest.skip("the check names x86's 32-bit ABIs")
    b = bundle(tmp_path, "arch", ["sh", "-c", "mkdir /tmp/y; echo rc=$?"], readonly=False,
               extra={"linux": {"seccomp": mkdir_killing_profile(["SCMP_ARCH_X86",
                                                                  "SCMP_ARCH_X32"])}})
    r = rt.run(rt.new_id("arch"), b)
    assert "rc=0" not in r.stdout, r
    assert not os.path.isdir(os.path.join(b, "rootfs", "tmp", "y"))


# -- 2, 5, 12. exec --cgroup, sub-cgroups at delete, exec --ignore-paused -------

def v1_dirs(rt, cid):
    """The container's directory in each hierarchy (a hybrid host's v2 side
    too, under the key ""), from its init's
    /proc/PID/cgroup (runc places it below its caller's own cgroup where
    no cgroupsPath is given, capsa at /ID): {controllers: dir}."""
    out = {}
    with open("/proc/%d/cgroup" % rt.state(cid)[1]["pid"]) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for name in [ctrls or "unified"] + ctrls.split(","):
                d = os.path.join(CG, name.replace("name=", ""), path.lstrip("/"))
                if name and os.path.isdir(d):
                    out[ctrls] = d
                    break
    return out


def make_sub(d, name):
    sub = os.path.join(d, name)
    os.makedirs(sub, exist_ok=True)
    for f in ("cpuset.cpus", "cpuset.mems"):  # a new v1 cpuset starts empty
        if os.path.exists(os.path.join(sub, f)):
            with open(os.path.join(d, f)) as src, open(os.path.join(sub, f), "w") as dst:
                dst.write(src.read())
    return sub


def cgroup_of(pid, hierarchy):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if hierarchy in ctrls.split(","):
                return path
    return None


def exec_detached(rt, cid, tmp_path, *flags):
    pidfile = tmp_path / ("exec-%s.pid" % rt.name)
    if pidfile.exists():
        pidfile.unlink()
    r = rt.call("exec", "-d", "--pid-file", pidfile, *flags, cid, "sleep", "30")
    return r, (int(pidfile.read_text()) if r.rc == 0 else None)


@pytest.fixture
def running(rt, tmp_path):
    if pure_v2():
        pytest.skip("the checks read the v1 hierarchies (the v2 variants run in tests/v2vm)")
    b = bundle(tmp_path, "running", ["sleep", "100"], readonly=False)
    cid = rt.new_id("cg")
    assert rt.run_detached(cid, b).rc == 0
    return cid


def test_exec_cgroup_stays_inside_the_container(rt, tmp_path, running):
    cid = running
    own = {h: cgroup_of(rt.state(cid)[1]["pid"], h) for h in ("pids", "memory")}
    dirs = v1_dirs(rt, cid)
    for d in dirs.values():
        make_sub(d, "sub")
    refused = ["..", "sub/../..", "pids:..", "nosuch", "pids:nosuch"]
    if rt.name == "capsa":  # runc takes "/" as the container's own cgroup
        refused += ["/", "/sys/fs/cgroup", "pids:/"]
    for bad in refused:
        r = rt.call("exec", "--cgroup", bad, cid, "true")
        assert r.rc != 0, (bad, r)
    r, pid = exec_detached(rt, cid, tmp_path, "--cgroup", "sub")
    assert r.rc == 0, r
    for h in ("pids", "memory"):
        assert cgroup_of(pid, h) == own[h] + "/sub", (h, cgroup_of(pid, h))
    r, pid = exec_detached(rt, cid, tmp_path, "--cgroup", "pids:sub")
    assert r.rc == 0, r
    assert cgroup_of(pid, "pids") == own["pids"] + "/sub"
    assert cgroup_of(pid, "memory") == own["memory"]


def test_delete_force_with_sub_cgroups(rt, tmp_path, running):
    """The container moved a process into a sub-cgroup it made: delete
    --force kills it, removes the sub-cgroups, then the container."""
    cid = running
    r, pid = exec_detached(rt, cid, tmp_path)
    assert r.rc == 0, r
    dirs = v1_dirs(rt, cid)
    for d in dirs.values():
        sub = make_sub(os.path.join(d), "foo")
        with open(os.path.join(sub, "cgroup.procs"), "w") as f:
            f.write(str(pid))
    r = rt.call("delete", "--force", cid)
    assert r.rc == 0, r
    assert gone(rt, cid)
    assert not os.path.exists("/proc/%d" % pid) or \
        open("/proc/%d/stat" % pid).read().split()[2] == "Z"
    for d in dirs.values():
        assert not os.path.exists(d), d


def test_exec_ignore_paused(rt, tmp_path, running):
    cid = running
    assert rt.call("pause", cid).rc == 0
    r = rt.call("exec", cid, "true")
    assert r.rc != 0 and "paused" in r.stderr, r
    marker = "/tmp/ran-%s" % rt.name
    rootfs = os.path.join(tmp_path, "b-running", "rootfs")
    # runc's exec waits until the container is resumed; capsa's -d returns
    # once the process is placed: resume from the side either way
    ex = rt.popen("exec", "-d", "--ignore-paused", cid, "sh", "-c", "touch " + marker)
    time.sleep(0.5)
    assert not os.path.exists(rootfs + marker)
    assert rt.call("resume", cid).rc == 0
    r = ex.wait()
    assert r.rc == 0, r
    for _ in range(100):
        if os.path.exists(rootfs + marker):
            break
        time.sleep(0.05)
    assert os.path.exists(rootfs + marker)


# -- 14. update inside a parent with its own CPU limit ---------------------------

def read(d, f):
    with open(os.path.join(d, f)) as fh:
        return fh.read().strip()


def write(d, f, v):
    with open(os.path.join(d, f), "w") as fh:
        fh.write(str(v))


def test_update_cpu_inside_a_limited_parent(rt, tmp_path):
    if pure_v2():
        pytest.skip("v1's cfs files (the v2 variant runs in tests/v2vm)")
    pod = os.path.join(CG, "cpu", "capsa-pod-" + rt.name)
    os.makedirs(pod, exist_ok=True)
    try:
        write(pod, "cpu.cfs_period_us", 100000)
        write(pod, "cpu.cfs_quota_us", 100000)        # the pod: one CPU
        rt_ok = os.path.exists(os.path.join(pod, "cpu.rt_runtime_us"))
        if rt_ok:
            write(pod, "cpu.rt_runtime_us", 20000)     # 2 % realtime
        b = bundle(tmp_path, "pod", ["sleep", "100"], extra={"linux": {
            "cgroupsPath": "/capsa-pod-%s/c" % rt.name,
            "resources": {"cpu": {"period": 100000, "quota": 50000}}}})
        cid = rt.new_id("pod")
        assert rt.run_detached(cid, b).rc == 0
        c = os.path.join(pod, "c")
        r = rt.call("update", "--cpu-period", "10000", "--cpu-quota", "3000", cid)
        assert r.rc == 0, r
        assert (read(c, "cpu.cfs_period_us"), read(c, "cpu.cfs_quota_us")) == ("10000", "3000")
        r = rt.call("update", "--cpu-period", "200000", "--cpu-quota", "150000", cid)
        assert r.rc == 0, r
        assert (read(c, "cpu.cfs_period_us"), read(c, "cpu.cfs_quota_us")) == \
            ("200000", "150000")
        if rt_ok:
            r = rt.call("update", "--cpu-rt-period", "500000", "--cpu-rt-runtime", "5000", cid)
            assert r.rc == 0, r
            assert (read(c, "cpu.rt_period_us"), read(c, "cpu.rt_runtime_us")) == \
                ("500000", "5000")
        if rt_ok and rt.name == "capsa":
            # a shorter period whose old runtime would exceed the parent's
            # share: runc 1.1.5 writes the period first and fails (EINVAL)
            r = rt.call("update", "--cpu-rt-period", "100000", "--cpu-rt-runtime", "1000", cid)
            assert r.rc == 0, r
            assert (read(c, "cpu.rt_period_us"), read(c, "cpu.rt_runtime_us")) == \
                ("100000", "1000")
        rt.call("delete", "--force", cid)
    finally:
        for _ in range(50):
            try:
                os.rmdir(os.path.join(pod, "c")) if os.path.isdir(os.path.join(pod, "c")) \
                    else None
                os.rmdir(pod)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)


# -- 17, 18. mounts -------------------------------------------------------------

def test_userns_bind_of_a_source_only_host_root_reaches(rt, tmp_path):
    """A user namespace (0 -> 100000) and a bind of a 0700 directory of the
    host's root: the runtime opens the source before the init joins the
    user namespace, so the mount is made."""
    from test_compat import USERNS_MAP, make_traversable
    from bundle import DEFAULT_NAMESPACES, default_config
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    (secret / "inner").mkdir()  # reaching it needs search permission on secret
    b = bundle(tmp_path, "userns-bind", ["sh", "-c", "ls -d /data && echo bound; "
                                         "grep ' /data ' /proc/self/mounts"],
               namespaces=DEFAULT_NAMESPACES + ["user"],
               extra={"linux": {"uidMappings": USERNS_MAP, "gidMappings": USERNS_MAP},
                      "mounts": default_config()["mounts"] + [
                          {"destination": "/data", "type": "bind",
                           "source": str(secret / "inner"),
                           "options": ["rbind", "ro", "nosuid"]}]})
    os.chmod(secret, 0o700)
    os.mkdir(os.path.join(b, "rootfs", "data"))  # the container's root could not make it
    make_traversable(b)
    r = rt.run(rt.new_id("ubind"), b)
    assert r.rc == 0 and "bound" in r.stdout, r
    opts = r.stdout.split("bound", 1)[1].split()[3].split(",")
    assert {"ro", "nosuid"} <= set(opts), r.stdout


def test_a_read_only_dev(rt, tmp_path):
    """/dev as a read-only tmpfs: the default nodes, /dev/pts and the
    console are made first, ro comes last."""
    from bundle import default_config
    mounts = default_config()["mounts"]
    for m in mounts:
        if m["destination"] == "/dev":
            m["options"] = m["options"] + ["ro"]
    b = bundle(tmp_path, "rodev", ["sh", "-c", "ls /dev/null /dev/pts/ptmx >/dev/null && "
                                   "echo nodes; touch /dev/x 2>/dev/null; echo touch=$?; "
                                   "grep ' /dev tmpfs' /proc/self/mounts"],
               extra={"mounts": mounts})
    r = rt.run(rt.new_id("rodev"), b)
    assert r.rc == 0 and "nodes" in r.stdout and "touch=1" in r.stdout, r
    assert " ro," in r.stdout.split("touch=1")[1], r


# -- 11. --debug -----------------------------------------------------------------

def test_debug_logs_the_steps(rt, tmp_path):
    """--debug: debug lines on stderr (runc's text form), or in --log as
    JSON; capsa's name the steps: namespaces, mounts, cgroups, hooks, the
    rootfs, delete."""
    b = bundle(tmp_path, "debug", ["true"], extra={"hooks": {"createRuntime": [
        {"path": "/bin/true"}]}})
    r = rt.call("--debug", "run", "--bundle", b, rt.new_id("debug"))
    assert r.rc == 0 and "level=debug" in r.stderr, r
    log = tmp_path / "debug.json"
    r = rt.call("--debug", "--log", log, "--log-format", "json", "run", "--bundle", b,
                rt.new_id("debug"))
    assert r.rc == 0, r
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    debug = [line["msg"] for line in lines if line["level"] == "debug"]
    assert debug, lines
    if rt.name == "capsa":
        text = "\n".join(debug)
        for step in ("namespaces", "mounts[0]: proc", "cgroup /sys/fs/cgroup",
                     "hooks.createRuntime[0]: /bin/true", "pivot_root", "start ", "delete "):
            assert step in text, (step, text)
    r = rt.call("--log", log, "--log-format", "json", "run", "--bundle", b, rt.new_id("debug"))
    assert r.rc == 0 and "level=debug" not in r.stderr, r
