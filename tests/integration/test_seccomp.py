"""linux.seccomp as the container's processes see it.

Each case watches one syscall through tests/helpers/sysprobe (static, built
by meson beside capsa), which makes exactly that syscall and prints
"ok RET", "errno N" or, with --trap, "trapped NR"."""
import array
import errno
import fcntl
import json
import os
import platform
import shutil
import signal
import socket
import struct
import sys
import threading
import time

import pytest

import bundle as bundle_mod
from bundle import load_config, write_config
from conftest import CAPSA, REPO
from helper_bin import helper_binary

sys.path.insert(0, os.path.join(REPO, "tests", "helpers"))
from podman_seccomp import PODMAN_PROFILE, podman_profile  # noqa: E402

SIGSYS_EXIT = 128 + signal.SIGSYS
SYS_getppid = {"x86_64": 110, "aarch64": 173}.get(platform.machine())
SYS_getpgid = {"x86_64": 121, "aarch64": 155}.get(platform.machine())


def sysprobe_path():
    return helper_binary("sysprobe", "SYSPROBE", CAPSA)


@pytest.fixture
def seccomp_bundle(make_bundle):
    """make(args, profile, **process changes) -> bundle with sysprobe in /bin."""
    probe = sysprobe_path()

    def make(args, profile, nnp=True, **process):
        b = make_bundle(args)
        shutil.copy(probe, os.path.join(b, "rootfs", "bin", "sysprobe"))
        cfg = load_config(b)
        cfg["linux"]["seccomp"] = profile
        cfg["process"]["noNewPrivileges"] = nnp
        cfg["process"].update(process)
        write_config(b, cfg)
        return b
    return make


def allow_but(*rules, **extra):
    """defaultAction ALLOW with the given syscalls entries."""
    p = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": list(rules)}
    p.update(extra)
    return p


def rule(names, action, **kw):
    r = {"names": names if isinstance(names, list) else [names], "action": action}
    r.update(kw)
    return r


def run(capsa, bundle, cid):
    return capsa.run("run", "--bundle", bundle, cid)


def probe_lines(capsa, bundle, cid):
    r = run(capsa, bundle, cid)
    assert r.returncode == 0, r.stderr
    return r.stdout.split("\n")[:-1]


NNP = pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])


# ------------------------------------------------------------------ actions

@NNP
def test_errno_default_and_errnoret(capsa, seccomp_bundle, nnp):
    b = seccomp_bundle(["sh", "-c", "sysprobe getcwd; sysprobe chdir /tmp; sysprobe getpid"],
                       allow_but(rule("getcwd", "SCMP_ACT_ERRNO"),
                                 rule("chdir", "SCMP_ACT_ERRNO", errnoRet=42)), nnp=nnp)
    out = probe_lines(capsa, b, "errno")
    assert out[0] == "errno %d" % errno.EPERM
    assert out[1] == "errno 42"
    assert out[2].startswith("ok ")


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                    "SCMP_ACT_KILL_THREAD"])
def test_kill_actions(capsa, seccomp_bundle, action):
    b = seccomp_bundle(["sysprobe", "getppid"], allow_but(rule("getppid", action)))
    r = run(capsa, b, "kill")
    assert r.returncode == SIGSYS_EXIT, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""


@pytest.mark.skipif(SYS_getpgid is None, reason="syscall number table lacks this arch")
def test_trap_delivers_sigsys(capsa, seccomp_bundle):
    b = seccomp_bundle(["sh", "-c", "sysprobe --trap getpgid; sysprobe getpgid"],
                       allow_but(rule("getpgid", "SCMP_ACT_TRAP")))
    r = run(capsa, b, "trap")
    # first with a handler: it sees the trapped syscall; then without one:
    # SIGSYS kills the probe and sh reports 128+SIGSYS
    assert r.stdout.split("\n")[0] == "trapped %d" % SYS_getpgid
    assert r.returncode == SIGSYS_EXIT


def test_trace_without_tracer_is_enosys(capsa, seccomp_bundle):
    b = seccomp_bundle(["sysprobe", "getppid"],
                       allow_but(rule("getppid", "SCMP_ACT_TRACE", errnoRet=5)))
    assert probe_lines(capsa, b, "trace") == ["errno %d" % errno.ENOSYS]


def kmsg_now():
    try:
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    os.lseek(fd, 0, os.SEEK_END)
    return fd


def kmsg_lines(fd):
    out = []
    while True:
        try:
            out.append(os.read(fd, 8192).decode(errors="replace"))
        except BlockingIOError:
            return out
        except OSError:   # EPIPE: overwritten while reading
            continue


@pytest.mark.skipif(SYS_getpgid is None, reason="syscall number table lacks this arch")
def test_log_allows_and_logs(capsa, seccomp_bundle):
    b = seccomp_bundle(["sysprobe", "getpgid", "0"],
                       allow_but(rule("getpgid", "SCMP_ACT_LOG")))
    fd = kmsg_now()
    out = probe_lines(capsa, b, "log")
    assert out[0].startswith("ok ")
    if fd is None:
        return
    time.sleep(0.1)
    lines = kmsg_lines(fd)
    os.close(fd)
    with open("/proc/sys/kernel/seccomp/actions_logged") as f:
        if "log" not in f.read().split():
            return
    assert any("type=1326" in l and 'comm="sysprobe"' in l and
               "syscall=%d " % SYS_getpgid in l for l in lines), lines


def test_default_action_and_errnoret_with_podman_profile(capsa, seccomp_bundle):
    """podman's default profile (converted as podman writes config.json):
    busybox runs; add_key is in no entry, so it gets defaultErrnoRet (38)."""
    prof = podman_profile(bundle_mod.DEFAULT_CAPS)
    if prof is None:
        pytest.skip("%s missing (apt-get install golang-github-containers-common)"
                    % PODMAN_PROFILE)
    assert prof["defaultAction"] == "SCMP_ACT_ERRNO" and prof["defaultErrnoRet"] == 38
    b = seccomp_bundle(["sh", "-c", "ls / >/dev/null && echo busybox-ok; sysprobe add_key; "
                        "sysprobe getcwd"], prof)
    out = probe_lines(capsa, b, "podman")
    assert out[0] == "busybox-ok"
    assert out[1] == "errno %d" % errno.ENOSYS
    assert out[2].startswith("ok ")


# ------------------------------------------------------------------ args

def test_argument_filters(capsa, seccomp_bundle):
    # umask(mode): EQ blocks only 0o22; MASKED_EQ (mask 0o7 == 0o3) blocks
    # 0o13 and 0o3 but not 0o5; two conditions on one argument are ORed
    b = seccomp_bundle(
        ["sh", "-c", "for m in 0022 0044 0013 0005 0077 0066; do sysprobe umask $m; done"],
        allow_but(rule("umask", "SCMP_ACT_ERRNO", errnoRet=11,
                       args=[{"index": 0, "value": 0o22, "op": "SCMP_CMP_EQ"}]),
                  rule("umask", "SCMP_ACT_ERRNO", errnoRet=12,
                       args=[{"index": 0, "value": 0o7, "valueTwo": 0o3,
                              "op": "SCMP_CMP_MASKED_EQ"}]),
                  rule("umask", "SCMP_ACT_ERRNO", errnoRet=13,
                       args=[{"index": 0, "value": 0o77, "op": "SCMP_CMP_EQ"},
                             {"index": 0, "value": 0o66, "op": "SCMP_CMP_EQ"}])))
    out = probe_lines(capsa, b, "args")
    assert out[0] == "errno 11"
    assert out[1].startswith("ok ")
    assert out[2] == "errno 12"
    assert out[3].startswith("ok ")
    assert out[4] == "errno 13"
    assert out[5] == "errno 13"


def test_comparison_operators(capsa, seccomp_bundle):
    ops = [("SCMP_CMP_NE", 5, [(5, False), (6, True)]),
           ("SCMP_CMP_LT", 5, [(4, True), (5, False)]),
           ("SCMP_CMP_LE", 5, [(5, True), (6, False)]),
           ("SCMP_CMP_GE", 5, [(5, True), (4, False)]),
           ("SCMP_CMP_GT", 5, [(6, True), (5, False)])]
    for i, (op, value, cases) in enumerate(ops):
        b = seccomp_bundle(
            ["sh", "-c", "; ".join("sysprobe getpgid %d" % v for v, _ in cases)],
            allow_but(rule("getpgid", "SCMP_ACT_ERRNO", errnoRet=77,
                           args=[{"index": 0, "value": value, "op": op}])))
        out = probe_lines(capsa, b, "op%d" % i)
        for (v, blocked), line in zip(cases, out):
            assert (line == "errno 77") == blocked, (op, v, line)


# -------------------------------------------------------- the runtime's own calls

@NNP
def test_profile_blocking_the_runtimes_calls_still_runs(capsa, seccomp_bundle, nnp):
    """getcwd, chdir, setuid, setgroups, close_range, prctl, capset (with
    no_new_privs) are all made by capsa before the filter is loaded."""
    blocked = ["getcwd", "chdir", "fchdir", "setresuid", "setresgid", "setgroups",
               "close_range", "umask", "openat2", "readlink"]
    if nnp:
        blocked += ["capset", "prctl"]
    b = seccomp_bundle(["sysprobe", "getcwd"],
                       allow_but(rule(blocked, "SCMP_ACT_ERRNO", errnoRet=40)), nnp=nnp,
                       user={"uid": 1000, "gid": 1000, "umask": 0o22}, cwd="/tmp")
    assert probe_lines(capsa, b, "own") == ["errno 40"]


def test_without_nnp_no_capability_is_left_over(capsa, seccomp_bundle):
    """CAP_SYS_ADMIN was held for the load: the process gets exactly the
    configured sets."""
    b = seccomp_bundle(["grep", "-E", "^(Cap(Eff|Prm)|NoNewPrivs)", "/proc/self/status"],
                       allow_but(rule("getcwd", "SCMP_ACT_ERRNO")), nnp=False)
    cfg = load_config(b)
    caps = cfg["process"]["capabilities"]
    out = dict(l.split(":\t") for l in probe_lines(capsa, b, "caps"))
    want = 0
    for name in caps["effective"]:
        want |= 1 << CAP_NUMBERS[name]
    assert int(out["CapEff"], 16) == want
    assert int(out["CapPrm"], 16) == want
    assert out["NoNewPrivs"] == "0"


CAP_NUMBERS = {"CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10, "CAP_AUDIT_WRITE": 29,
               "CAP_SYS_ADMIN": 21}


def test_without_nnp_capset_blocked_fails_clearly(capsa, seccomp_bundle):
    b = seccomp_bundle(["true"], allow_but(rule("capset", "SCMP_ACT_ERRNO")), nnp=False)
    r = run(capsa, b, "capset")
    assert r.returncode != 0
    assert "drop CAP_SYS_ADMIN, held to load the seccomp filter" in r.stderr


# ------------------------------------------------------------------ exec

@NNP
def test_exec_is_filtered(capsa, seccomp_bundle, nnp):
    b = seccomp_bundle(["sleep", "30"],
                       allow_but(rule("getcwd", "SCMP_ACT_ERRNO", errnoRet=42)), nnp=nnp)
    capsa.ok("run", "-d", "--bundle", b, "ex")
    r = capsa.ok("exec", "ex", "sysprobe", "getcwd")
    assert r.stdout == "errno 42\n"
    r = capsa.ok("exec", "--cwd", "/tmp", "--user", "1000:1000", "ex", "sysprobe", "getcwd")
    assert r.stdout == "errno 42\n"
    capsa.ok("kill", "ex", "KILL")


# ------------------------------------------------------------------ notify

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101


class Agent:
    """A seccomp agent: accepts connections on a unix socket, takes the
    container process state and the fd (SCM_RIGHTS), and answers each
    notification with answer(nr) -> (val, error)."""

    def __init__(self, path, answer):
        self.path, self.answer = path, answer
        self.states, self.handled, self.errors = [], [], []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        try:
            with conn:
                conn.settimeout(10)
                data, fds = b"", []
                while True:
                    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16))
                    for level, typ, cdata in anc:
                        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                            a = array.array("i")
                            a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
                            fds.extend(a)
                    if not msg:
                        break
                    data += msg
                    try:
                        state = json.loads(data)
                        break
                    except ValueError:
                        continue
            self.states.append((state, len(fds)))
            self.notifications(fds[0])
        except Exception as e:   # reported by the test
            self.errors.append(repr(e))

    def notifications(self, fd):
        try:
            while not self.stop.is_set():
                buf = bytearray(80)
                try:
                    fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf)
                except OSError as e:
                    if e.errno == errno.EINTR:
                        continue
                    return   # ENOENT: the filtered process is gone
                nid, pid, flags, nr = struct.unpack_from("=QIIi", buf)
                val, error = self.answer(nr)
                self.handled.append(nr)
                resp = bytearray(struct.pack("=QqiI", nid, val, error, 0))
                try:
                    fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def agent(tmp_path):
    agents = []

    def start(answer):
        a = Agent(str(tmp_path / ("agent%d.sock" % len(agents))), answer)
        agents.append(a)
        return a
    yield start
    for a in agents:
        a.close()


def notify_profile(agent, metadata="MKNOD=/dev/null"):
    return allow_but(rule(["getppid", "getpgid"], "SCMP_ACT_NOTIFY"),
                     listenerPath=agent.path, listenerMetadata=metadata)


@pytest.mark.skipif(SYS_getppid is None, reason="syscall number table lacks this arch")
@NNP
def test_notify_answer_reaches_the_process(capsa, seccomp_bundle, agent, nnp):
    a = agent(lambda nr: (4242, 0) if nr == SYS_getppid else (0, -errno.EROFS))
    b = seccomp_bundle(["sh", "-c", "sysprobe getppid; sysprobe getpgid 0"],
                       notify_profile(a), nnp=nnp)
    cfg = load_config(b)
    cfg["annotations"] = {"org.example.key": "value"}
    write_config(b, cfg)
    pidfile = os.path.join(b, "init.pid")
    r = capsa.run("run", "--pid-file", pidfile, "--bundle", b, "nt")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["ok 4242", "errno %d" % errno.EROFS]
    with open(pidfile) as f:
        pid = int(f.read())
    assert not a.errors, a.errors
    assert len(a.states) == 1
    state, nfds = a.states[0]
    assert nfds == 1
    assert state["fds"] == ["seccompFd"]
    assert state["pid"] == pid
    assert state["metadata"] == "MKNOD=/dev/null"
    assert state["ociVersion"] == cfg["ociVersion"]
    s = state["state"]
    assert (s["id"], s["pid"], s["bundle"]) == ("nt", pid, b)
    assert s["status"] == "created"
    assert s["annotations"] == {"org.example.key": "value"}
    assert SYS_getppid in a.handled and SYS_getpgid in a.handled


@pytest.mark.skipif(SYS_getppid is None, reason="syscall number table lacks this arch")
def test_notify_exec(capsa, seccomp_bundle, agent):
    a = agent(lambda nr: (777, 0))
    prof = notify_profile(a)
    del prof["listenerMetadata"]
    b = seccomp_bundle(["sleep", "30"], prof)
    capsa.ok("run", "-d", "--bundle", b, "nx")
    r = capsa.ok("exec", "nx", "sysprobe", "getppid")
    assert r.stdout == "ok 777\n"
    assert len(a.states) == 2   # the init's and the exec'd process's
    st, _ = a.states[1]
    assert st["state"]["status"] == "running"
    assert "metadata" not in st
    assert st["pid"] != capsa.state("nx")["pid"]
    capsa.ok("kill", "nx", "KILL")


@pytest.mark.skipif(SYS_getppid is None, reason="syscall number table lacks this arch")
def test_notify_wait_killable_recv(capsa, seccomp_bundle, agent):
    """capsa loads with seccomp(2) itself, so the flag libseccomp 2.5
    lacks is honoured (kernel 5.19+) beside NEW_LISTENER."""
    a = agent(lambda nr: (31, 0))
    prof = notify_profile(a)
    prof["flags"] = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
    b = seccomp_bundle(["sysprobe", "getppid"], prof)
    assert probe_lines(capsa, b, "wk") == ["ok 31"]


def test_notify_listener_missing_fails_create(capsa, seccomp_bundle, tmp_path):
    b = seccomp_bundle(["true"], allow_but(rule("getppid", "SCMP_ACT_NOTIFY"),
                                           listenerPath=str(tmp_path / "nobody.sock")))
    capsa.fails("create", "--bundle", b, "nl",
                contains="connect to the seccomp listener %s" % (tmp_path / "nobody.sock"))
    assert [i for i in capsa.ids() if not i.startswith("@")] == []


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("profile,expect", [
    (allow_but(rule("getcwd", "SCMP_ACT_FOO"), rule("x", "SCMP_ACT_ALLOW")),
     'config.json: linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_FOO"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]},
     'config.json: linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_PDP11"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]},
     'config.json: linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_NOPE"'),
    (allow_but(rule("a", "SCMP_ACT_ALLOW"), rule("umask", "SCMP_ACT_ERRNO",
               args=[{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}])),
     'config.json: linux.seccomp.syscalls[1].args[0].op: unknown operator "SCMP_CMP_ABOUT"'),
    (allow_but(rule("umask", "SCMP_ACT_LOG", errnoRet=3)),
     "config.json: linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_LOG takes no errno"),
    ({"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 3},
     "config.json: linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL takes no errno"),
    (allow_but(rule("getppid", "SCMP_ACT_NOTIFY")),
     "config.json: linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY"),
    ({"syscalls": []}, "config.json: linux.seccomp.defaultAction: required but missing"),
])
def test_bad_profiles_fail_create_cleanly(capsa, seccomp_bundle, profile, expect):
    b = seccomp_bundle(["true"], profile)
    capsa.fails("create", "--bundle", b, "bad", contains=expect)
    assert capsa.ids() == []


def test_unknown_syscall_names_are_skipped(capsa, seccomp_bundle):
    b = seccomp_bundle(["sysprobe", "getcwd"],
                       allow_but(rule(["no_such_syscall", "getcwd"], "SCMP_ACT_ERRNO",
                                      errnoRet=9)))
    assert probe_lines(capsa, b, "unk") == ["errno 9"]


def test_flags_and_arches(capsa, seccomp_bundle):
    b = seccomp_bundle(["sysprobe", "getcwd"],
                       allow_but(rule("getcwd", "SCMP_ACT_ERRNO", errnoRet=9),
                                 architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                                                "SCMP_ARCH_X32"],
                                 flags=["SECCOMP_FILTER_FLAG_LOG",
                                        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                        "SECCOMP_FILTER_FLAG_TSYNC"]))
    assert probe_lines(capsa, b, "flags") == ["errno 9"]


def test_program_is_cached_per_profile(capsa, seccomp_bundle):
    p1 = allow_but(rule("getcwd", "SCMP_ACT_ERRNO", errnoRet=9))
    p2 = allow_but(rule("getcwd", "SCMP_ACT_ERRNO", errnoRet=10))
    for i, (p, how) in enumerate([(p1, "compiled"), (p1, "from the cache"),
                                  (p2, "compiled")]):
        b = seccomp_bundle(["sysprobe", "getcwd"], p)
        r = capsa.run("run", "--bundle", b, "c%d" % i, glob=("--debug",))
        assert r.returncode == 0, r.stderr
        assert r.stdout == "errno %d\n" % p["syscalls"][0]["errnoRet"]
        assert "instructions %s" % how in r.stderr, r.stderr
    cache = os.path.join(capsa.root, "@seccomp-cache")
    assert os.stat(cache).st_mode & 0o777 == 0o700
    assert len(os.listdir(cache)) == 2


def test_features(capsa):
    f = json.loads(capsa.ok("features").stdout)["linux"]["seccomp"]
    assert f["enabled"] is True
    assert set(f["actions"]) >= {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                 "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",
                                 "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
    assert len(f["operators"]) == 7
    assert "SCMP_ARCH_X86_64" in f["archs"]
    assert "SECCOMP_FILTER_FLAG_LOG" in f["knownFlags"]
    assert set(f["supportedFlags"]) <= set(f["knownFlags"])
    assert "SECCOMP_FILTER_FLAG_SPEC_ALLOW" in f["supportedFlags"]
