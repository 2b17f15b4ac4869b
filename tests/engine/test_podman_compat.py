"""capsactl beside podman 4.3: the same command lines on both engines
(podman gets tests/engine/podman.py's PODMAN_RUN_FLAGS on run/create),
compared on what a user or a script sees: exit codes, the container's
stdout and stderr, `ps --format json` fields, `inspect --format` values,
`wait` and `logs` output, states and timings of stop and restart.

Every case and scenario runs once per engine with the same expectations,
written as podman behaves.  Where capsactl differs on purpose, KNOWN holds
the value it shows instead and names its section of known_differences.md
(a listed difference that went away fails, as does one without a
section).  Where capsactl is wrong, BUGS marks its run
xfail(strict=True) with the bug's description.

    CAPSACTL=/tmp/build/capsactl /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/engine/test_podman_compat.py
"""
import json
import os
import platform
import re
import shutil
import time
from collections import namedtuple

import pytest

import procs
from helper_bin import helper_binary
from podman import IMAGE, either, podman_engine, podman_session  # noqa: F401  (fixtures)

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = ("capsactl", "podman")
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CAP_DEFAULT = "00000000800405fb"      # podman's 11 default capabilities
ENV_FILE = "A=from-file\n# a comment\nB=2\n\nC\n"
# PID 1 with a TERM handler: stops at once (podman waits the stop timeout
# for a PID 1 that ignores TERM, even on rm -f)
TRAP_LOOP = "trap 'exit 0' TERM; echo ready; while true; do sleep 0.1; done"


def has(*parts):
    """stderr/stdout check: every part is in the text."""
    def check(text):
        return all(p in text for p in parts)
    check.__name__ = "has%r" % (parts,)
    return check


def startswith(prefix):
    def check(text):
        return isinstance(text, str) and text.startswith(prefix)
    check.__name__ = "startswith(%r)" % prefix
    return check


def between(lo, hi):
    def check(v):
        return lo <= v < hi
    check.__name__ = "between(%s, %s)" % (lo, hi)
    return check


# --------------------------------------------------------------------------
# known differences and bugs

Known = namedtuple("Known", "doc values")


def known(doc, **values):
    """capsactl (or podman) shows values[engine] instead of the shared
    expectation; doc: its section in known_differences.md."""
    return Known(doc, values)


KNOWN = {
    "workdir-missing/rc": known("error-before-create", capsactl=125),
    "user-missing/rc": known("error-before-create", capsactl=125),
    "env-container-var/out": known("container-variable", capsactl="capsa\n"),
    "etc-hostname/out": known("hostname-newline", capsactl="box\n"),
    "run-dir/out": known("no-containerenv", capsactl="absent\n"),
    "seccomp-unshare-userns/out": known("seccomp-unshare", capsactl="errno 1\n"),
    "seccomp-default-errno/out": known("seccomp-default-errno", capsactl="errno 1\n"),
    "stop-timeout-flag/stop_err": known(
        "stop-warning", podman=has("resorting to SIGKILL")),
    "stop-timeout-kill/stop_err": known(
        "stop-warning", podman=has("resorting to SIGKILL")),
}

# capsactl's known bugs: name -> description (its run is xfail(strict));
# the 13 this suite first found are fixed
BUGS = {}


def expected_for(name, kind, expect):
    out = {}
    for key, want in expect.items():
        k = KNOWN.get("%s/%s" % (name, key))
        out[key] = k.values[kind] if k and kind in k.values else want
    return out


def matches(want, got):
    return bool(want(got)) if callable(want) else want == got


def check(name, kind, expect, obs, note=""):
    want = expected_for(name, kind, expect)
    bad = ["  %s: expected %s, got %r" % (k, getattr(w, "__name__", repr(w)), obs.get(k))
           for k, w in want.items() if not matches(w, obs.get(k))]
    assert not bad, "%s on %s differs:\n%s\n%s" % (name, kind, "\n".join(bad), note)


def cases(table):
    """(name, engine) pairs, capsactl's xfail where BUGS lists the name."""
    out = []
    for name in sorted(table):
        for kind in ENGINES:
            marks = ()
            if kind == "capsactl" and name in BUGS:
                marks = (pytest.mark.xfail(strict=True, reason=BUGS[name]),)
            out.append(pytest.param(name, kind, marks=marks, id="%s-%s" % (name, kind)))
    return out


@pytest.fixture
def hostdir(tmp_path, capsactl):
    """A host directory for binds: f (text), sysprobe, envfile."""
    d = tmp_path / "host"
    d.mkdir()
    (d / "f").write_text("fromhost\n")
    (d / "envfile").write_text(ENV_FILE)
    shutil.copy(helper_binary("sysprobe", "SYSPROBE", capsactl), d / "sysprobe")
    return d


@pytest.fixture(scope="session")
def image_id(busybox_layout):
    """The busybox layout's config digest: both engines' image ID."""
    man = json.loads(busybox_layout.read_blob(busybox_layout.resolve("latest")["digest"]))
    return man["config"]["digest"].split(":", 1)[1]


# --------------------------------------------------------------------------
# `run --rm ...`: rc, stdout, stderr

Run = namedtuple("Run", "args rc out err input env", defaults=(0, "", "", None, None))
PROBE = ["-v", "{dir}:/h:ro", "busybox", "/h/sysprobe"]
UNSHARE = "nr:%d" % {"aarch64": 97, "s390x": 303, "ppc64le": 282}.get(platform.machine(), 272)
CGROUP_PIDS = "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"
CGROUP_MEM = ("cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || "
              "cat /sys/fs/cgroup/memory.max")

RUNS = {
    "exit-code": Run(["busybox", "sh", "-c", "exit 3"], rc=3),
    "exit-code-255": Run(["busybox", "sh", "-c", "exit 255"], rc=255),
    "not-found": Run(["busybox", "no-such-command"], rc=127, err=has("no-such-command")),
    "runtime-error-message": Run(["busybox", "no-such-command"], rc=127,
                                 err=lambda e: "not found" in e and "Input/output" not in e),
    "not-executable": Run(["busybox", "/etc/passwd"], rc=126, err=has("/etc/passwd")),
    "unknown-image": Run(["--pull", "never", "localhost/nothere", "true"], rc=125,
                         err=has("nothere", "image not known")),
    "unknown-flag": Run(["--no-such-flag", "busybox", "true"], rc=125,
                        err=has("--no-such-flag")),
    "bad-memory": Run(["--memory", "lots", "busybox", "true"], rc=125, err=has("lots")),
    "missing-env-file": Run(["--env-file", "/nonexistent", "busybox", "true"], rc=125,
                            err=has("/nonexistent")),
    "stdout-stderr": Run(["busybox", "sh", "-c", "echo out; echo err >&2"],
                         out="out\n", err="err\n"),
    "stdin-i": Run(["-i", "busybox", "cat"], out="piped\n", input=b"piped\n"),
    "stdin-none": Run(["busybox", "cat"]),
    "image-cmd": Run(["busybox"]),
    "cmd-override": Run(["busybox", "echo", "over"], out="over\n"),
    "pid1": Run(["busybox", "sh", "-c", "echo $$"], out="1\n"),
    "init": Run(["--init", "busybox", "sh", "-c", "[ $$ != 1 ] && echo not-pid1"],
                out="not-pid1\n"),
    "env": Run(["busybox", "sh", "-c", "env | grep -v -e ^HOSTNAME= -e ^container= | sort"],
               out="HOME=/root\n%s\nPWD=/\nSHLVL=1\nTERM=xterm\n" % PATH_ENV),
    "env-container-var": Run(["busybox", "sh", "-c", "echo $container"], out="podman\n"),
    "env-flags": Run(["-e", "A=1", "-e", "B=two", "busybox", "sh", "-c", "echo $A:$B"],
                     out="1:two\n"),
    "env-from-host": Run(["-e", "H6_FROM_HOST", "-e", "H6_UNSET", "busybox", "sh", "-c",
                          "echo $H6_FROM_HOST:${H6_UNSET-unset}"], out="hostval:unset\n",
                         env={"H6_FROM_HOST": "hostval"}),
    "env-file": Run(["--env-file", "{dir}/envfile", "busybox", "sh", "-c",
                     "echo $A:$B:${C-unset}"], out="from-file:2:unset\n"),
    "env-file-then-flag": Run(["--env-file", "{dir}/envfile", "-e", "A=flag", "busybox", "sh",
                               "-c", "echo $A:$B"], out="flag:2\n"),
    "id": Run(["busybox", "id"], out="uid=0(root) gid=0(root)\n"),
    "user-uid": Run(["-u", "1000", "busybox", "sh", "-c", "id; echo $HOME"],
                    out="uid=1000(user) gid=1000(user) groups=1000(user)\n/home/user\n"),
    "user-name": Run(["-u", "user", "busybox", "id"],
                     out="uid=1000(user) gid=1000(user) groups=1000(user)\n"),
    "user-uid-gid": Run(["-u", "1000:1000", "-w", "/home/user", "busybox", "sh", "-c",
                         "id -u; pwd; touch mine && echo wrote"], out="1000\n/home/user\nwrote\n"),
    "user-missing": Run(["-u", "nosuch", "busybox", "id"], rc=126, err=has("nosuch")),
    "workdir": Run(["-w", "/tmp", "busybox", "pwd"], out="/tmp\n"),
    "workdir-missing": Run(["-w", "/made/new", "busybox", "pwd"], rc=126, err=has("/made/new")),
    "entrypoint": Run(["--entrypoint", "echo", "busybox", "hello"], out="hello\n"),
    "entrypoint-empty": Run(["--entrypoint", "", "busybox", "echo", "x"], out="x\n"),
    "entrypoint-and-cmd": Run(["--entrypoint", "/bin/sh", "busybox", "-c", "echo $0 $1", "a", "b"],
                              out="a b\n"),
    "hostname": Run(["--hostname", "box", "busybox", "sh", "-c", "hostname; echo $HOSTNAME"],
                    out="box\nbox\n"),
    "etc-hostname": Run(["--hostname", "box", "busybox", "cat", "/etc/hostname"], out="box"),
    "hosts": Run(["--hostname", "box", "busybox", "sh", "-c",
                  "grep -qw localhost /etc/hosts && grep -qw box /etc/hosts && echo ok"],
                 out="ok\n"),
    "default-hostname": Run(["busybox", "sh", "-c",
                             "hostname | grep -qxE '[0-9a-f]{12}' && echo short-id"],
                            out="short-id\n"),
    "run-dir": Run(["busybox", "sh", "-c", "test -e /run/.containerenv && echo present "
                    "|| echo absent"], out="present\n"),
    "read-only": Run(["--read-only", "busybox", "sh", "-c", "touch /x; echo $?"], out="1\n",
                     err="touch: /x: Read-only file system\n"),
    "read-only-tmpfs": Run(["--read-only", "busybox", "sh", "-c",
                            "for d in /tmp /var/tmp /run /dev/shm; do touch $d/f && echo $d; "
                            "done"], out="/tmp\n/var/tmp\n/run\n/dev/shm\n"),
    "tmpfs": Run(["--tmpfs", "/x", "busybox", "sh", "-c",
                  "touch /x/a && grep ' /x ' /proc/mounts"],
                 out="tmpfs /x tmpfs rw,nosuid,nodev,relatime 0 0\n"),
    "tmpfs-size": Run(["--tmpfs", "/x:size=1m", "busybox", "sh", "-c",
                       "grep ' /x ' /proc/mounts"],
                      out="tmpfs /x tmpfs rw,nosuid,nodev,relatime,size=1024k 0 0\n"),
    "bind-ro": Run(["-v", "{dir}:/x:ro", "busybox", "sh", "-c", "cat /x/f; touch /x/g; echo $?"],
                   out="fromhost\n1\n", err="touch: /x/g: Read-only file system\n"),
    "bind-missing-source": Run(["-v", "{dir}/nonexistent:/x", "busybox", "true"], rc=125,
                               err=has("nonexistent")),
    "cap-default": Run(["busybox", "grep", "Cap", "/proc/self/status"],
                       out="CapInh:\t%s\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\nCapAmb:\t%s\n" % (
                           "0" * 16, CAP_DEFAULT, CAP_DEFAULT, CAP_DEFAULT, "0" * 16)),
    "cap-drop-all": Run(["--cap-drop", "ALL", "busybox", "sh", "-c",
                         "id; chown 1000 /tmp; echo $?; grep CapEff /proc/self/status"],
                        out="uid=0(root) gid=0(root)\n1\nCapEff:\t%s\n" % ("0" * 16),
                        err="chown: /tmp: Operation not permitted\n"),
    "cap-add": Run(["--cap-add", "NET_ADMIN", "busybox", "grep", "CapEff", "/proc/self/status"],
                   out="CapEff:\t00000000800415fb\n"),
    "privileged": Run(["--privileged", "busybox", "sh", "-c",
                       "grep -e CapEff -e CapBnd -e Seccomp: /proc/self/status"],
                      out="CapEff:\t{hostcaps}\nCapBnd:\t{hostcaps}\nSeccomp:\t0\n"),
    "no-new-privileges": Run(["--security-opt", "no-new-privileges", "busybox", "grep",
                              "NoNewPrivs", "/proc/self/status"], out="NoNewPrivs:\t1\n"),
    "new-privileges-default": Run(["busybox", "grep", "-e", "NoNewPrivs", "-e", "Seccomp:",
                                   "/proc/self/status"], out="NoNewPrivs:\t0\nSeccomp:\t2\n"),
    "seccomp-unconfined": Run(["--security-opt", "seccomp=unconfined", "busybox", "grep",
                               "Seccomp:", "/proc/self/status"], out="Seccomp:\t0\n"),
    # unshare(CLONE_NEWUSER), unshare(CLONE_NEWNS)
    "seccomp-unshare-userns": Run(PROBE + [UNSHARE, "0x10000000"], out="ok 0\n"),
    "seccomp-unshare-mountns": Run(PROBE + [UNSHARE, "0x20000"], out="errno 1\n"),
    "seccomp-unshare-with-sys-admin": Run(["--cap-add", "SYS_ADMIN"] + PROBE
                                          + [UNSHARE, "0x20000"], out="ok 0\n"),
    "seccomp-default-errno": Run(PROBE + ["add_key"], out="errno 38\n"),
    "seccomp-unknown-syscall": Run(PROBE + ["nr:9999"], out="errno 38\n"),
    "pids-limit": Run(["--pids-limit", "50", "busybox", "sh", "-c", CGROUP_PIDS], out="50\n"),
    "pids-limit-default": Run(["busybox", "sh", "-c", CGROUP_PIDS], out="2048\n"),
    "memory": Run(["--memory", "64m", "busybox", "sh", "-c", CGROUP_MEM], out="67108864\n"),
    "ulimit": Run(["--ulimit", "nofile=100:200", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"],
                  out="100\n200\n"),
    "devices": Run(["busybox", "sh", "-c", "ls /dev | tr '\\n' ' '"],
                   out="fd full mqueue null ptmx pts random shm stderr stdin stdout tty "
                       "urandom zero "),
}


def host_caps():
    with open("/proc/self/status") as f:
        return re.search(r"^CapBnd:\t(\w+)$", f.read(), re.M).group(1)


def subst(v, hostdir):
    if not isinstance(v, str):
        return v
    return v.replace("{dir}", str(hostdir)).replace("{hostcaps}", host_caps())


@pytest.mark.parametrize("name,either", cases(RUNS), indirect=["either"])
def test_run(name, either, hostdir):
    c = RUNS[name]
    args = ["run", "--rm"] + [subst(a, hostdir) for a in c.args]
    for k, v in (c.env or {}).items():
        either.env[k] = v
    r = either.run(*args, input=c.input)
    obs = {"rc": r.returncode, "out": r.stdout, "err": r.stderr}
    expect = {"rc": c.rc, "out": subst(c.out, hostdir), "err": c.err}
    check(name, either.kind, {k: v for k, v in expect.items() if v is not None}, obs,
          "stdout: %r\nstderr: %r" % (r.stdout, r.stderr))
    # (that it is gone as run returns: run_rm_gone_on_return)
    procs.wait_for(lambda: either.ps() == [], timeout=10, what="the --rm container removed")


# --------------------------------------------------------------------------
# lifecycle scenarios: fn(engine, ctx) -> observations; ctx.dir is a host
# directory (a Path), ctx.image_id busybox's ID

SCENARIOS = {}


Ctx = namedtuple("Ctx", "dir image_id")


def scenario(**expect):
    def deco(fn):
        SCENARIOS[fn.__name__.replace("_", "-")] = (fn, expect)
        return fn
    return deco


def fmt(e, name, template):
    return e.ok("inspect", "--format", template, name).stdout.rstrip("\n")


def timed(e, *args, **kw):
    t0 = time.monotonic()
    r = e.run(*args, **kw)
    return r, time.monotonic() - t0


def wait_ready(e, name, word="ready"):
    procs.wait_for(lambda: word in e.run("logs", name).stdout, timeout=20,
                   what="%s in the logs of %s" % (word, name))


@scenario(created="created 0 false c1", ps_state="created", start_out="c1\n", wait_out="4\n",
          exited="exited 4", ps_status=startswith("Exited (4)"), logs_out="one\n",
          logs_err="two\n", tail_out="", tail_err="two\n", rerun_out="one\none\n",
          rerun_err="two\ntwo\n", tail0_out="")
def create_start_wait_logs(e, d):
    o = {}
    e.ok("create", "--name", "c1", "busybox", "sh", "-c", "echo one; echo two >&2; exit 4")
    o["created"] = fmt(e, "c1", "{{.State.Status}} {{.State.ExitCode}} {{.Config.Tty}} {{.Name}}")
    o["ps_state"] = e.ps()[0]["State"]
    o["start_out"] = e.ok("start", "c1").stdout
    o["wait_out"] = e.ok("wait", "c1").stdout
    o["exited"] = fmt(e, "c1", "{{.State.Status}} {{.State.ExitCode}}")
    o["ps_status"] = e.ps()[0]["Status"]
    r = e.ok("logs", "c1")
    o["logs_out"], o["logs_err"] = r.stdout, r.stderr
    r = e.ok("logs", "--tail", "1", "c1")
    o["tail_out"], o["tail_err"] = r.stdout, r.stderr
    e.ok("start", "c1")
    e.ok("wait", "c1")
    r = e.ok("logs", "c1")
    o["rerun_out"], o["rerun_err"] = r.stdout, r.stderr
    o["tail0_out"] = e.ok("logs", "--tail", "0", "c1").stdout
    return o


@scenario(created="created", running="running", running_ps="running",
          running_status=startswith("Up "), pid_alive=True, tty="true", wait_out="5\n",
          exited="exited 5 0", exited_ps=[True, 5, "exited"])
def state_transitions(e, d):
    o = {}
    e.ok("create", "-t", "--name", "t", "-v", "%s:/w" % d.dir, "busybox", "sh", "-c",
         "while [ ! -e /w/go ]; do sleep 0.05; done; exit 5")
    o["created"] = fmt(e, "t", "{{.State.Status}}")
    e.ok("start", "t")
    o["running"] = fmt(e, "t", "{{.State.Status}}")
    [c] = e.ps()
    o["running_ps"], o["running_status"] = c["State"], c["Status"]
    o["pid_alive"] = procs.pid_alive(int(fmt(e, "t", "{{.State.Pid}}")))
    o["tty"] = fmt(e, "t", "{{.Config.Tty}}")
    (d.dir / "go").write_text("")
    o["wait_out"] = e.ok("wait", "t").stdout
    o["exited"] = fmt(e, "t", "{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}")
    [c] = e.ps()
    o["exited_ps"] = [c["Exited"], c["ExitCode"], c["State"]]
    return o


@scenario(names=["p"], state="exited", status=startswith("Exited (4) "), exit_code=4,
          exited=True, command=["sh", "-c", "exit 4"], image=IMAGE,
          id=lambda v: bool(re.fullmatch("[0-9a-f]{64}", v)), image_id=True,
          auto_remove=False, running=["running", False], running_status=startswith("Up "))
def ps_json_fields(e, d):
    e.run("run", "--name", "p", "busybox", "sh", "-c", "exit 4")
    [c] = e.ps()
    o = {"names": c["Names"], "state": c["State"], "status": c["Status"],
         "exit_code": c["ExitCode"], "exited": c["Exited"], "command": c["Command"],
         "image": c["Image"], "id": c["Id"], "image_id": c["ImageID"] == d.image_id,
         "auto_remove": c["AutoRemove"]}
    e.ok("run", "-d", "--name", "q", "busybox", "sh", "-c", TRAP_LOOP)
    [q] = [x for x in e.ps() if x["Names"] == ["q"]]
    o["running"], o["running_status"] = [q["State"], q["Exited"]], q["Status"]
    return o


@scenario(rm_failed=True, says_force=True, still_running="running", rm_f_out="r\n",
          after=[])
def rm_running_needs_force(e, d):
    e.ok("run", "-d", "--name", "r", "busybox", "sh", "-c", TRAP_LOOP)
    r = e.run("rm", "r")
    o = {"rm_failed": r.returncode != 0, "says_force": "force" in r.stderr or "-f" in r.stderr}
    o["still_running"] = fmt(e, "r", "{{.State.Status}}")
    o["rm_f_out"] = e.ok("rm", "-f", "r").stdout
    o["after"] = e.ps()
    return o


@scenario(rc=2)
def rm_running_exit_code(e, d):
    e.ok("run", "-d", "--name", "r", "busybox", "sh", "-c", TRAP_LOOP)
    return {"rc": e.run("rm", "r").returncode}


@scenario(rc=1)
def rm_missing_exit_code(e, d):
    return {"rc": e.run("rm", "nosuch").returncode}


@scenario(rc=0, out="r\n", after=[])
def rm_time_flag(e, d):
    e.ok("run", "-d", "--name", "r", "busybox", "sleep", "1000")
    r = e.run("rm", "-f", "-t", "0", "r")
    return {"rc": r.returncode, "out": r.stdout, "after": e.ps()}


@scenario(stop=125, start=125, kill=125, logs=125, wait=125, inspect=125, restart=125,
          says_name=True)
def missing_container(e, d):
    o = {}
    for cmd in ("stop", "start", "kill", "logs", "wait", "inspect", "restart"):
        r = e.run(cmd, "nosuch")
        o[cmd] = r.returncode
        o.setdefault("says_name", True)
        o["says_name"] = o["says_name"] and "nosuch" in r.stderr
    return o


@scenario(rc=125, says=lambda s: "container" in s or "object" in s)
def inspect_missing_message(e, d):
    r = e.run("inspect", "nosuch")
    return {"rc": r.returncode, "says": r.stderr}


@scenario(create=125, run=125, says=True, left=1)
def name_in_use(e, d):
    e.ok("create", "--name", "dup", "busybox", "true")
    a = e.run("create", "--name", "dup", "busybox", "true")
    b = e.run("run", "--name", "dup", "busybox", "true")
    return {"create": a.returncode, "run": b.returncode, "left": len(e.ps()),
            "says": "already in use" in a.stderr and "already in use" in b.stderr}


@scenario(out="3\n0\n")
def wait_two(e, d):
    e.run("run", "--name", "a", "busybox", "sh", "-c", "exit 3")
    e.ok("run", "--name", "b", "busybox", "true")
    return {"out": e.ok("wait", "a", "b").stdout}


@scenario(rc=3, out="hi\n", err="")
def start_attach(e, d):
    e.ok("create", "--name", "a", "busybox", "sh", "-c", "echo hi; exit 3")
    r = e.run("start", "-a", "a")
    return {"rc": r.returncode, "out": r.stdout, "err": r.stderr}


@scenario(out="a\n", logs="run\nrun\n", code="exited 2")
def restart_command(e, d):
    e.run("run", "--name", "a", "busybox", "sh", "-c", "echo run; exit 2")
    o = {"out": e.ok("restart", "a").stdout}
    e.ok("wait", "a")
    o["logs"] = e.ok("logs", "a").stdout
    o["code"] = fmt(e, "a", "{{.State.Status}} {{.State.ExitCode}}")
    return o


@scenario(stop_out="t\n", stop_err="", fast=True, wait_out="42\n", logs="ready\ngot-term\n")
def stop_trapped_term(e, d):
    e.ok("run", "-d", "--name", "t", "busybox", "sh", "-c",
         "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.1; done")
    wait_ready(e, "t")
    r, took = timed(e, "stop", "t")
    return {"stop_out": r.stdout, "stop_err": r.stderr, "fast": took < 8,
            "wait_out": e.ok("wait", "t").stdout, "logs": e.ok("logs", "t").stdout}


@scenario(stop_out="k\n", stop_err="", took=between(1, 9.5), code="exited 137")
def stop_timeout_kill(e, d):
    """sleep as PID 1 ignores SIGTERM: SIGKILL after -t 1."""
    e.ok("run", "-d", "--name", "k", "busybox", "sleep", "1000")
    r, took = timed(e, "stop", "-t", "1", "k")
    return {"stop_out": r.stdout, "stop_err": r.stderr, "took": took,
            "code": fmt(e, "k", "{{.State.Status}} {{.State.ExitCode}}")}


@scenario(stop_err="", took=between(1, 9.5), code="exited 137")
def stop_timeout_flag(e, d):
    e.ok("run", "-d", "--name", "k", "--stop-timeout", "1", "busybox", "sleep", "1000")
    r, took = timed(e, "stop", "k")
    return {"stop_err": r.stderr, "took": took,
            "code": fmt(e, "k", "{{.State.Status}} {{.State.ExitCode}}")}


@scenario(took=between(0, 5), code="exited 137")
def stop_time_zero(e, d):
    e.ok("run", "-d", "--name", "k", "busybox", "sleep", "1000")
    r, took = timed(e, "stop", "-t", "0", "k")
    assert r.returncode == 0, r.stderr
    return {"took": took, "code": fmt(e, "k", "{{.State.Status}} {{.State.ExitCode}}")}


@scenario(code="exited 9", fast=True)
def stop_signal_flag(e, d):
    e.ok("run", "-d", "--name", "s", "--stop-signal", "USR1", "busybox", "sh", "-c",
         "trap 'exit 9' USR1; echo ready; while true; do sleep 0.1; done")
    wait_ready(e, "s")
    r, took = timed(e, "stop", "s")
    return {"code": fmt(e, "s", "{{.State.Status}} {{.State.ExitCode}}"), "fast": took < 8}


@scenario(logs="ready\nchild-alive\n", err="", code="exited 0")
def stop_signal_reaches_pid1_only(e, d):
    """The stop signal goes to PID 1; its children are its business."""
    e.ok("run", "-d", "--name", "s", "busybox", "sh", "-c",
         "sleep 1000 & c=$!; trap 'sleep 0.3; kill -0 $c 2>/dev/null && echo child-alive "
         "|| echo child-gone; exit 0' TERM; echo ready; wait")
    wait_ready(e, "s")
    e.ok("stop", "s")
    r = e.ok("logs", "s")
    return {"logs": r.stdout, "err": r.stderr,
            "code": fmt(e, "s", "{{.State.Status}} {{.State.ExitCode}}")}


@scenario(kill_out="k\n", wait_out="137\n", again=125, trapped="7\n")
def kill_signals(e, d):
    e.ok("run", "-d", "--name", "k", "busybox", "sleep", "1000")
    o = {"kill_out": e.ok("kill", "k").stdout, "wait_out": e.ok("wait", "k").stdout}
    o["again"] = e.run("kill", "k").returncode
    e.ok("run", "-d", "--name", "u", "busybox", "sh", "-c",
         "trap 'exit 7' USR1; echo ready; while true; do sleep 0.1; done")
    wait_ready(e, "u")
    e.ok("kill", "-s", "USR1", "u")
    o["trapped"] = e.ok("wait", "u").stdout
    return o


@scenario(state="running", logs="ready\nusr1\n")
def kill_reaches_pid1_only(e, d):
    e.ok("run", "-d", "--name", "k", "busybox", "sh", "-c",
         "trap 'echo usr1' USR1; sleep 1000 & c=$!; echo ready; "
         "while kill -0 $c 2>/dev/null; do sleep 0.1; done; echo child-gone; exit 5")
    wait_ready(e, "k")
    e.ok("kill", "-s", "USR1", "k")
    procs.wait_for(lambda: "usr1" in e.run("logs", "k").stdout, timeout=10, what="the trap")
    time.sleep(0.5)
    return {"state": fmt(e, "k", "{{.State.Status}}"), "logs": e.ok("logs", "k").stdout}


@scenario(count=2, state="exited 1", logs="run\nrun\nrun\n", ps_state="exited")
def restart_on_failure(e, d):
    e.ok("run", "-d", "--name", "rs", "--restart", "on-failure:2", "busybox", "sh", "-c",
         "echo run; exit 1")
    procs.wait_for(lambda: fmt(e, "rs", "{{.RestartCount}} {{.State.Status}}") == "2 exited",
                   timeout=30, what="two restarts")
    time.sleep(1)
    return {"count": int(fmt(e, "rs", "{{.RestartCount}}")),
            "state": fmt(e, "rs", "{{.State.Status}} {{.State.ExitCode}}"),
            "logs": e.ok("logs", "rs").stdout, "ps_state": e.ps()[0]["State"]}


@scenario(running="2 running", runs="run\nrun\nrun\n", stopped="exited 137", frozen="2")
def restart_always(e, d):
    """--restart always: the third run stays up (it counts its runs in a
    bind), so stop finds it running, not between two restarts."""
    e.ok("run", "-d", "--name", "ra", "--restart", "always", "-v", "%s:/w" % d.dir, "busybox",
         "sh", "-c", "echo run >> /w/runs; [ $(grep -c run /w/runs) -ge 3 ] && exec sleep 1000; "
         "exit 2")
    procs.wait_for(lambda: fmt(e, "ra", "{{.RestartCount}} {{.State.Status}}") == "2 running"
                   and (d.dir / "runs").read_text().count("run") == 3, timeout=30,
                   what="two restarts")
    o = {"running": fmt(e, "ra", "{{.RestartCount}} {{.State.Status}}")}
    e.ok("stop", "-t", "1", "ra")
    time.sleep(1)
    o["runs"] = (d.dir / "runs").read_text()
    o["stopped"] = fmt(e, "ra", "{{.State.Status}} {{.State.ExitCode}}")
    o["frozen"] = fmt(e, "ra", "{{.RestartCount}}")
    return o


@scenario(left=None)
def run_rm_gone_on_return(e, d):
    """run --rm returns once the container is removed: ps right after it
    lists nothing (10 rounds; the first one that lists it is recorded).
    The files written make the removal take a while."""
    for i in range(10):
        e.ok("run", "--rm", "busybox", "sh", "-c", "cd /tmp && seq 3000 | xargs touch")
        if e.ok("ps", "-aq").stdout:
            return {"left": "listed after round %d" % (i + 1)}
    return {"left": None}


@scenario(gone=True)
def detached_rm(e, d):
    e.ok("run", "-d", "--rm", "--name", "gone", "busybox", "true")
    procs.wait_for(lambda: e.ps() == [], timeout=20, what="the --rm container removed")
    return {"gone": True}


@scenario(ls="shared\n", second="written\n", ro="1\n", waiter="seen\n", rm="shared\n", after="")
def named_volume_shared(e, d):
    e.ok("run", "-d", "--name", "w", "-v", "shared:/d", "busybox", "sh", "-c",
         "while [ ! -e /d/go ]; do sleep 0.05; done; echo seen")
    e.ok("run", "--rm", "-v", "shared:/d", "busybox", "sh", "-c", "echo written > /d/f")
    o = {"ls": e.ok("volume", "ls", "-q").stdout}
    o["second"] = e.ok("run", "--rm", "-v", "shared:/d", "busybox", "cat", "/d/f").stdout
    o["ro"] = e.ok("run", "--rm", "-v", "shared:/d:ro", "busybox", "sh", "-c",
                   "touch /d/g 2>/dev/null; echo $?").stdout
    e.ok("run", "--rm", "-v", "shared:/d", "busybox", "touch", "/d/go")
    e.ok("wait", "w")
    o["waiter"] = e.ok("logs", "w").stdout
    e.ok("rm", "w")
    o["rm"] = e.ok("volume", "rm", "shared").stdout
    o["after"] = e.ok("volume", "ls", "-q").stdout
    return o


@scenario(host="new\n", owner=0)
def bind_rw(e, d):
    e.ok("run", "--rm", "-v", "%s:/x" % d.dir, "busybox", "sh", "-c", "echo new > /x/new")
    return {"host": (d.dir / "new").read_text(), "owner": (d.dir / "new").stat().st_uid}


@scenario(label="web", image_label="busybox", filtered="l\n")
def labels(e, d):
    e.ok("create", "--name", "l", "--label", "tier=web", "busybox", "true")
    lab = e.inspect("l")["Config"]["Labels"] or {}
    return {"label": lab.get("tier"), "image_label": lab.get("org.capsa.test"),
            "filtered": e.ok("ps", "-a", "--filter", "label=org.capsa.test=busybox",
                             "--format", "{{.Names}}").stdout}


@scenario(fields="1000|/tmp|3")
def inspect_config_fields(e, d):
    e.ok("create", "--name", "i", "-u", "1000", "-w", "/tmp", "--stop-timeout", "3",
         "busybox", "true")
    return {"fields": fmt(e, "i", "{{.Config.User}}|{{.Config.WorkingDir}}|"
                                  "{{.Config.StopTimeout}}")}


@scenario(status=lambda s: re.fullmatch(r"Exited \(0\) [2-5] seconds ago", s))
def status_ago(e, d):
    e.ok("run", "--name", "a", "busybox", "true")
    time.sleep(2.2)
    return {"status": e.ok("ps", "-a", "--format", "{{.Status}}").stdout.strip()}


@pytest.mark.parametrize("name,either", cases(SCENARIOS), indirect=["either"])
def test_scenario(name, either, hostdir, image_id):
    fn, expect = SCENARIOS[name]
    obs = fn(either, Ctx(hostdir, image_id))
    check(name, either.kind, expect, obs, json.dumps(obs, default=str, indent=1))


# --------------------------------------------------------------------------
# the lists themselves

def test_known_differences_are_documented():
    """Every KNOWN entry names a case and a section of
    known_differences.md; every section is used, or says it is not
    compared."""
    with open(os.path.join(HERE, "known_differences.md")) as f:
        text = f.read()
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    for key, k in KNOWN.items():
        name, field = key.split("/", 1)
        assert name in RUNS or name in SCENARIOS, key
        assert field in (("rc", "out", "err") if name in RUNS else SCENARIOS[name][1]), key
        assert k.doc in sections, "%s: no section '## %s'" % (key, k.doc)
        assert set(k.values) <= set(ENGINES), key
    used = {k.doc for k in KNOWN.values()}
    for sec, body in sections.items():
        # (the network sections: test_networks_podman.py's, checked there)
        assert sec in used or "Not compared" in body or "test_networks_podman.py" in body, \
            "section %s: no KNOWN entry" % sec
    for name in BUGS:
        assert name in RUNS or name in SCENARIOS, name
