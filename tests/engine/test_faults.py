"""capsactl SIGKILLed at every checkpoint (CX_FAULT) of run, start, stop
and rm, with the fault-injection build ($CAPSACTL_FI, default
build-fi/capsactl, made by `make check`): afterwards `ps -a` tells the
truth (a container listed as running has a live init, one listed as
exited has none) and `rm -fa` removes everything, mounts and shims
included.  Also: a container that exits at once, and a shim killed under a
running container (its state reads exited, never a made-up code)."""
import os
import signal

import pytest

import procs
from conftest import REPO, Engine

CAPSACTL_FI = os.environ.get("CAPSACTL_FI", os.path.join(REPO, "build-fi", "capsactl"))


@pytest.fixture
def fi(engine):
    if not os.access(CAPSACTL_FI, os.X_OK):
        pytest.fail("the fault-injection build %s is missing (make check builds it; or set "
                    "CAPSACTL_FI)" % CAPSACTL_FI, pytrace=False)
    f = Engine(CAPSACTL_FI, engine.base)
    yield f


def steps(fi, *args):
    trace = os.path.join(fi.base, "trace")
    if os.path.exists(trace):
        os.unlink(trace)
    fi.env["CAPSA_FAULT_TRACE"] = trace
    fi.ok(*args)
    del fi.env["CAPSA_FAULT_TRACE"]
    return [ln.split(" ", 1)[1] for ln in open(trace).read().splitlines()]


def killed_at(fi, n, *args):
    fi.env["CAPSA_FAULT_STEP"] = str(n)
    r = fi.run(*args)
    del fi.env["CAPSA_FAULT_STEP"]
    assert r.returncode == -signal.SIGKILL, (n, args, r.returncode, r.stderr)


def truthful(engine):
    """ps -a works and agrees with the processes; returns the states."""
    states = []
    for c in engine.ps():
        st = engine.inspect(c["Id"])["State"]
        assert st["Status"] == c["State"]
        if st["Status"] in ("running", "paused"):
            assert st["Pid"] > 0 and procs.pid_alive(st["Pid"]), c
        states.append(st["Status"])
    return states


def clean(engine):
    engine.ok("rm", "-fa")
    procs.wait_for(lambda: not procs.procs_with(engine.base), timeout=20, what="shims gone")
    assert engine.leftovers() == []
    assert engine.ps() == []


def test_run_killed_at_every_step(engine, fi):
    names = steps(fi, "run", "-d", "--name", "x", "busybox", "sleep", "1000")
    assert "container recorded" in names and "container started" in names
    clean(engine)
    for n, name in enumerate(names, 1):
        killed_at(fi, n, "run", "-d", "--name", "x", "busybox", "sleep", "1000")
        states = truthful(engine)
        assert len(states) <= 1, (n, name, states)
        clean(engine)


def test_start_killed_at_every_step(engine, fi):
    engine.ok("create", "--name", "x", "busybox", "sleep", "1000")
    names = steps(fi, "start", "x")
    engine.ok("stop", "-t", "0", "x")
    for n, name in enumerate(names, 1):
        killed_at(fi, n, "start", "x")
        assert len(truthful(engine)) == 1, (n, name)
        # a start after the kill works (or finds it running)
        engine.ok("start", "x")
        assert truthful(engine) == ["running"], (n, name)
        engine.ok("stop", "-t", "0", "x")
        assert truthful(engine) == ["exited"], (n, name)


def test_stop_killed_at_every_step(engine, fi):
    engine.ok("run", "-d", "--name", "x", "busybox", "sleep", "1000")
    names = steps(fi, "stop", "-t", "0", "x")
    for n, name in enumerate(names, 1):
        engine.ok("start", "x")
        killed_at(fi, n, "stop", "-t", "0", "x")
        truthful(engine)
        engine.ok("stop", "-t", "0", "x")
        assert truthful(engine) == ["exited"], (n, name)
        assert engine.leftovers() == [], (n, name)


def test_rm_killed_at_every_step(engine, fi):
    engine.ok("run", "-d", "--name", "x", "busybox", "sleep", "1000")
    names = steps(fi, "rm", "-f", "x")
    assert "rootfs unmounted" in names
    for n, name in enumerate(names, 1):
        engine.ok("run", "-d", "--name", "x", "busybox", "sleep", "1000")
        killed_at(fi, n, "rm", "-f", "x")
        truthful(engine)
        clean(engine)


def test_container_exiting_at_once(engine):
    for _ in range(5):
        engine.ok("run", "-d", "--name", "quick", "busybox", "true")
        assert engine.ok("wait", "quick").stdout == "0\n"
        assert engine.inspect("quick")["State"]["Status"] == "exited"
        engine.ok("rm", "quick")


def test_shim_killed_reads_exited_unknown(engine):
    engine.ok("run", "-d", "--name", "orphan", "busybox", "sleep", "1000")
    shim = int(open(os.path.join(engine.runroot, "containers",
                                 engine.inspect("orphan")["Id"], "shim.pid")).read())
    pid = engine.inspect("orphan")["State"]["Pid"]
    os.kill(shim, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    procs.wait_for(lambda: not procs.pid_alive(pid) and not procs.pid_alive(shim),
                   what="container and shim gone")
    [c] = engine.ps()
    assert c["State"] == "exited" and c["Status"].startswith("Exited (unknown)"), c
    engine.ok("rm", "orphan")


def clean_pods(engine):
    engine.ok("pod", "rm", "-fa")
    clean(engine)
    assert engine.ok("pod", "ps", "-q").stdout == ""


def test_pod_create_and_run_killed_at_every_step(engine, fi):
    # the infra image first (its making runs a capsactl-full of its own)
    engine.ok("pod", "create", "--name", "warm")
    engine.ok("pod", "rm", "warm")
    names = steps(fi, "pod", "create", "--name", "p")
    assert "pod recorded" in names and "infra container created" in names
    clean_pods(engine)
    for n, name in enumerate(names, 1):
        killed_at(fi, n, "pod", "create", "--name", "p")
        truthful(engine)
        clean_pods(engine)
    engine.ok("pod", "create", "--name", "p")
    engine.ok("pod", "start", "p")
    names = steps(fi, "run", "-d", "--pod", "p", "--name", "x", "busybox", "sleep", "1000")
    engine.ok("rm", "-f", "x")
    for n, name in enumerate(names, 1):
        killed_at(fi, n, "run", "-d", "--pod", "p", "--name", "x", "busybox", "sleep", "1000")
        states = truthful(engine)
        assert len(states) <= 2, (n, name, states)
        engine.ok("rm", "-f", "x") if engine.run("inspect", "x").returncode == 0 else None
    # the pod still works after all that
    engine.ok("run", "--rm", "--pod", "p", "busybox", "true")
    clean_pods(engine)
