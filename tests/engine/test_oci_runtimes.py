"""Containers under another OCI runtime (`--runtime runc|crun|PATH`, on
run/create and as capsactl's global option): capsa-shim runs the runtime's
create and exec, and every later step (state, start, kill, pause, delete,
ps) runs the runtime with `--root <runroot>/runtimes/<name>`, the runtime
recorded with the container.  Each runtime's tests are skipped, with the
runtime's own reason, when it is absent or cannot run a container on this
host (crun refuses a hybrid cgroup host whose v2 side has controllers)."""
import json
import os
import shutil
import socket
import subprocess

import pytest

import procs
from oci_probe import probe

RUNTIMES = ("runc", "crun")


@pytest.fixture(params=RUNTIMES)
def rt(request):
    why = probe(request.param)
    if why:
        pytest.skip(why)
    return request.param


class Runtime:
    """The runtime's own view of the engine's containers."""

    def __init__(self, name, engine):
        self.name, self.path = name, shutil.which(name)
        self.root = os.path.join(engine.runroot, "runtimes", name)

    def ids(self):
        if not os.path.isdir(self.root):
            return []
        r = subprocess.run([self.path, "--root", self.root, "list", "-q"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.split()

    def state(self, cid):
        r = subprocess.run([self.path, "--root", self.root, "state", cid], capture_output=True,
                           text=True, timeout=30)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def empty(self):
        return self.ids() == [] and (not os.path.isdir(self.root) or
                                     os.listdir(self.root) == [])


def test_lifecycle(engine, rt):
    """run, exec, top, stats, pause, stop with a time-out, start again,
    restart, kill, rm: each step under the runtime, the record's runtime
    found by every new capsactl."""
    r = Runtime(rt, engine)
    cid = engine.ok("run", "-d", "--runtime", rt, "--name", "c1", "busybox",
                    "sleep", "1000").stdout.strip()
    assert engine.inspect("c1")["OCIRuntime"] == rt
    assert [c["State"] for c in engine.ps()] == ["running"]
    assert r.ids() == [cid]
    st = r.state(cid)
    assert st["status"] == "running" and st["bundle"].endswith("/containers/" + cid)
    # capsa's own root has nothing of it
    assert not os.path.exists(os.path.join(engine.runroot, "runtime", cid))
    # exec: output, exit code, environment of the container
    assert engine.ok("exec", "c1", "echo", "hi").stdout == "hi\n"
    assert engine.run("exec", "c1", "sh", "-c", "exit 3").returncode == 3
    assert engine.run("exec", "c1", "no-such-cmd").returncode == 127
    # top: the runtime's ps; stats: the cgroup of its init
    top = engine.ok("top", "c1").stdout
    assert "sleep 1000" in top, top
    stats = json.loads(engine.ok("stats", "--no-stream", "--format", "json", "c1").stdout)
    assert stats[0]["pids"] == "1", stats
    # pause and unpause through the runtime
    engine.ok("pause", "c1")
    assert engine.inspect("c1")["State"]["Status"] == "paused"
    assert r.state(cid)["status"] == "paused"
    engine.ok("unpause", "c1")
    assert r.state(cid)["status"] == "running"
    # stop: sleep as PID 1 ignores SIGTERM, SIGKILL after 1 s
    engine.ok("stop", "-t", "1", "c1")
    s = engine.inspect("c1")["State"]
    assert s["Status"] == "exited" and s["ExitCode"] == 137, s
    assert r.ids() == []   # the exit command deleted the runtime's container
    # started again: the same runtime
    engine.ok("start", "c1")
    assert engine.inspect("c1")["State"]["Status"] == "running"
    pid1 = r.state(cid)["pid"]
    engine.ok("restart", "-t", "0", "c1")
    pid2 = r.state(cid)["pid"]
    assert pid2 != pid1 and procs.pid_alive(pid2)
    assert engine.inspect("c1")["RestartCount"] >= 0
    engine.ok("kill", "c1")
    assert engine.ok("wait", "c1").stdout == "137\n"
    procs.wait_for(lambda: r.ids() == [], timeout=20, what="runtime container deleted")
    engine.ok("rm", "c1")
    assert engine.ps() == []
    assert r.empty(), os.listdir(r.root)


def run_global(engine, flags, *args):
    """capsactl GLOBAL-FLAGS args..., in the engine's namespace and store."""
    cmd = engine.cmd(*args)
    i = cmd.index(engine.binary) + 1
    return subprocess.run(cmd[:i] + flags + cmd[i:], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, env=engine.env)


def test_foreground_create_and_global_flag(engine, rt):
    r = Runtime(rt, engine)
    out = engine.ok("run", "--rm", "--runtime", shutil.which(rt), "busybox",
                    "sh", "-c", "echo out; echo err >&2; exit 0")
    assert out.stdout == "out\n" and out.stderr == "err\n"
    assert engine.run("run", "--rm", "--runtime", rt, "busybox",
                      "sh", "-c", "exit 7").returncode == 7
    # the global --runtime for what names none; create, then start
    c2 = run_global(engine, ["--runtime", rt], "create", "--name", "c2", "busybox",
                    "sleep", "1000")
    assert c2.returncode == 0, c2.stderr
    cid = c2.stdout.strip()
    assert engine.inspect("c2")["OCIRuntime"] == rt
    assert engine.inspect("c2")["State"]["Status"] == "created"
    engine.ok("start", "c2")
    assert r.ids() == [cid]
    # a flag on the command wins over the global one
    c3 = run_global(engine, ["--runtime", rt], "run", "-d", "--runtime", "capsa",
                    "--name", "c3", "busybox", "sleep", "1000")
    assert c3.returncode == 0, c3.stderr
    assert engine.inspect("c3")["OCIRuntime"] == "capsa"
    assert os.path.isdir(os.path.join(engine.runroot, "runtime", c3.stdout.strip()))
    engine.ok("rm", "-f", "c2", "c3")
    assert r.empty()


def test_unknown_runtime_leaves_nothing(engine):
    r = engine.fails("run", "--runtime", "no-such-runtime", "busybox", "true", code=125)
    assert "no-such-runtime" in r.stderr and "PATH" in r.stderr, r.stderr
    r = engine.fails("create", "--runtime", "bin/runc", "busybox", "true", code=125)
    assert "absolute" in r.stderr, r.stderr
    r = engine.fails("create", "--runtime", "/nonexistent/runc", "busybox", "true", code=125)
    assert "/nonexistent/runc" in r.stderr, r.stderr
    assert engine.ps() == []
    assert os.listdir(os.path.join(engine.root, "containers")) == []


def test_bad_answers_are_errors(engine, tmp_path):
    """A runtime whose `ps` and `state` answer garbage: top and stats fail
    with one line naming it; capsactl neither crashes nor hangs, and the
    container is still stopped and removed through the same runtime."""
    why = probe("runc")
    if why:
        pytest.skip(why)
    fake = tmp_path / "oddrt"
    fake.write_text("#!/bin/sh\n"
                    "for a; do case $a in ps) echo 'PID CMD'; exit 0;;\n"
                    "  state) echo '{\"id\": 1, \"status\": \"dancing\"}'; exit 0;; esac; done\n"
                    "exec %s \"$@\"\n" % shutil.which("runc"))
    fake.chmod(0o755)
    engine.ok("run", "-d", "--runtime", str(fake), "--name", "odd", "busybox", "sleep", "1000")
    assert engine.inspect("odd")["OCIRuntime"] == "oddrt"
    r = engine.fails("top", "odd", code=125)
    assert "oddrt ps: not JSON" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = engine.fails("stats", "--no-stream", "odd", code=125)
    assert "oddrt state: " in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert engine.ok("exec", "odd", "echo", "ok").stdout == "ok\n"
    engine.ok("stop", "-t", "0", "odd")
    engine.ok("rm", "odd")
    runc_root = os.path.join(engine.runroot, "runtimes", "oddrt")
    assert not os.path.isdir(runc_root) or os.listdir(runc_root) == []


def test_runtime_failure_is_reported(engine, rt):
    """The runtime's own error, in one line, and its exit codes: a command
    not found is 127 as under capsa."""
    r = engine.run("run", "--rm", "--runtime", rt, "busybox", "no-such-command")
    assert r.returncode == 127, r.stderr
    assert "no-such-command" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert "level=" not in r.stderr, r.stderr   # runc's logrus line, reduced to its message
    assert engine.ps() == []
    assert Runtime(rt, engine).empty()


def test_service_notify_socket_is_not_passed_on(engine, rt, tmp_path):
    """capsactl (or capsad) run by a Type=notify unit has NOTIFY_SOCKET: the
    runtime must not get it (`runc start` would wait for the container's
    own READY=1, forever)."""
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    try:
        engine.env = dict(engine.env, NOTIFY_SOCKET=path)
        engine.ok("run", "-d", "--runtime", rt, "--name", "n", "busybox", "sleep", "1000",
                  timeout=30)
        assert engine.inspect("n")["State"]["Status"] == "running"
        assert engine.ok("exec", "n", "echo", "ok", timeout=30).stdout == "ok\n"
        engine.ok("rm", "-f", "n")
    finally:
        sock.close()


def test_restart_policy(engine, rt):
    """The exit command (a new capsactl, from the shim) restarts it under
    the recorded runtime."""
    r = Runtime(rt, engine)
    engine.ok("run", "-d", "--runtime", rt, "--restart", "on-failure:2", "--name", "rp",
              "busybox", "sh", "-c", "sleep 0.2; exit 1")
    procs.wait_for(lambda: engine.inspect("rp")["RestartCount"] == 2 and
                   engine.inspect("rp")["State"]["Status"] == "exited", timeout=30,
                   what="two restarts, then exited")
    assert engine.inspect("rp")["State"]["ExitCode"] == 1
    procs.wait_for(lambda: r.ids() == [], timeout=20, what="runtime container deleted")
    engine.ok("rm", "rp")
    assert r.empty()
