"""The container lifecycle through capsa-shim and capsa: run in the
foreground and detached, exit codes as podman gives them, create/start,
stop/kill/pause, logs, names, restart policies, and what is left after."""
import json
import os
import threading
import time

import procs


def test_run_rm_prints_output_and_leaves_nothing(engine):
    r = engine.ok("run", "--rm", "busybox", "echo", "hello")
    assert r.stdout == "hello\n"
    # as with podman, run --rm returns once the removal is over: no wait here
    for _ in range(5):
        assert engine.leftovers() == [] and engine.ps() == []
        assert os.listdir(os.path.join(engine.root, "containers")) == []
        assert os.listdir(os.path.join(engine.runroot, "containers")) == []
        engine.ok("run", "--rm", "busybox", "true")


def test_exit_codes_are_the_containers(engine):
    assert engine.run("run", "--rm", "busybox", "sh", "-c", "exit 3").returncode == 3
    # a death by signal N is 128+N (PID 1 cannot signal itself: kill it from outside)
    engine.ok("run", "-d", "--name", "k9", "busybox", "sleep", "1000")
    engine.ok("kill", "k9")
    assert engine.ok("wait", "k9").stdout == "137\n"


def test_command_not_found_is_127_not_executable_126(engine):
    r = engine.run("run", "--rm", "busybox", "no-such-command")
    assert r.returncode == 127, r.stderr
    assert "no-such-command" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = engine.run("run", "--rm", "busybox", "/etc/passwd")
    assert r.returncode == 126, r.stderr
    assert engine.ps() == []


def test_engine_error_is_125_in_one_line(engine):
    r = engine.run("run", "--rm", "--pull", "never", "busybox:lates", "true")
    assert r.returncode == 125
    assert r.stderr.count("\n") == 1 and "busybox:lates" in r.stderr, r.stderr


def test_stdout_and_stderr_stay_apart(engine):
    r = engine.ok("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
    assert r.stdout == "out\n" and r.stderr == "err\n"


def test_stdin_with_i(engine):
    r = engine.ok("run", "--rm", "-i", "busybox", "cat", input=b"piped\n")
    assert r.stdout == "piped\n"


def test_detached_then_stop(engine):
    cid = engine.ok("run", "-d", "--name", "sleeper", "busybox", "sleep", "1000").stdout.strip()
    assert len(cid) == 64
    [c] = engine.ps()
    assert c["Id"] == cid and c["State"] == "running" and c["Names"] == ["sleeper"]
    pid = engine.inspect("sleeper")["State"]["Pid"]
    assert pid > 0 and procs.pid_alive(pid)
    # sleep as PID 1 ignores SIGTERM: SIGKILL after -t
    engine.ok("stop", "-t", "1", "sleeper")
    st = engine.inspect("sleeper")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137 and not procs.pid_alive(pid)
    assert engine.leftovers() == [], "a stopped container keeps no mount or process"
    engine.ok("rm", "sleeper")
    assert engine.ps() == []


def test_create_start_wait_logs(engine):
    engine.ok("create", "--name", "c1", "busybox", "sh", "-c", "echo one; echo two >&2")
    [c] = engine.ps()
    assert c["State"] == "created"
    engine.ok("start", "c1")
    assert engine.ok("wait", "c1").stdout == "0\n"
    r = engine.ok("logs", "c1")
    assert r.stdout == "one\n" and r.stderr == "two\n"
    # started again: the log grows, the container runs anew
    engine.ok("start", "c1")
    engine.ok("wait", "c1")
    assert engine.ok("logs", "c1").stdout == "one\none\n"
    r = engine.ok("logs", "--tail", "1", "c1")
    assert r.stdout == "" and r.stderr == "two\n"
    r = engine.ok("logs", "--tail", "2", "c1")
    assert r.stdout == "one\n" and r.stderr == "two\n"


def test_names_are_unique(engine):
    engine.ok("create", "--name", "dup", "busybox", "true")
    r = engine.fails("create", "--name", "dup", "busybox", "true", code=125)
    assert "already in use" in r.stderr
    assert len(engine.ps()) == 1
    r = engine.fails("create", "--name", "bad/name", "busybox", "true", code=125)
    assert "not a valid name" in r.stderr


def test_generated_names_and_id_prefixes(engine):
    cid = engine.ok("create", "busybox", "true").stdout.strip()
    [c] = engine.ps()
    assert "_" in c["Names"][0]
    assert engine.inspect(cid[:8])["Id"] == cid
    engine.ok("rm", cid[:8])


def test_kill_with_signal(engine):
    engine.ok("run", "-d", "--name", "k", "busybox", "sh", "-c",
              "trap 'exit 7' USR1; while true; do sleep 0.1; done")
    time.sleep(0.3)
    engine.ok("kill", "-s", "USR1", "k")
    assert engine.ok("wait", "k").stdout == "7\n"


def test_pause_unpause(engine):
    engine.ok("run", "-d", "--name", "p", "busybox", "sleep", "1000")
    engine.ok("pause", "p")
    assert engine.inspect("p")["State"]["Status"] == "paused"
    assert engine.fails("pause", "p").returncode == 125
    engine.ok("unpause", "p")
    assert engine.inspect("p")["State"]["Status"] == "running"
    engine.ok("rm", "-f", "p")


def test_rm_running_needs_force(engine):
    engine.ok("run", "-d", "--name", "r", "busybox", "sleep", "1000")
    r = engine.fails("rm", "r", code=2)
    assert "-f" in r.stderr
    engine.ok("rm", "-f", "r")
    assert engine.ps() == []


def test_detached_rm_removes_itself(engine):
    engine.ok("run", "-d", "--rm", "--name", "gone", "busybox", "true")
    procs.wait_for(lambda: engine.ps() == [], timeout=20, what="--rm container removed")


def test_restart_on_failure_counts(engine):
    engine.ok("run", "-d", "--name", "rs", "--restart", "on-failure:2", "busybox",
              "sh", "-c", "exit 1")
    procs.wait_for(lambda: engine.inspect("rs")["RestartCount"] == 2 and
                   engine.inspect("rs")["State"]["Status"] == "exited", timeout=30,
                   what="two restarts")
    time.sleep(0.5)
    assert engine.inspect("rs")["RestartCount"] == 2


def test_restart_always_until_stopped(engine):
    engine.ok("run", "-d", "--name", "ra", "--restart", "always", "busybox", "sh", "-c",
              "sleep 0.2")
    procs.wait_for(lambda: engine.inspect("ra")["RestartCount"] >= 2, timeout=30,
                   what="restarts")
    engine.ok("stop", "-t", "1", "ra")
    n = engine.inspect("ra")["RestartCount"]
    time.sleep(1)
    st = engine.inspect("ra")
    assert st["State"]["Status"] == "exited" and st["RestartCount"] == n


def test_inspect_format(engine):
    engine.ok("run", "-d", "--name", "f", "busybox", "sleep", "1000")
    pid = int(engine.ok("inspect", "--format", "{{.State.Pid}}", "f").stdout)
    assert pid == engine.inspect("f")["State"]["Pid"] and pid > 0
    assert engine.ok("inspect", "-f", "{{.Name}} {{.State.Status}}", "f").stdout == \
        "f running\n"


def test_ps_filters_and_quiet(engine):
    a = engine.ok("create", "--name", "a", "--label", "tier=web", "busybox", "true").stdout
    engine.ok("create", "--name", "b", "busybox", "true")
    assert engine.ok("ps", "-q").stdout == ""
    assert engine.ok("ps", "-aq", "--no-trunc", "--filter", "label=tier=web").stdout == a
    assert engine.ok("ps", "-a", "--filter", "name=b", "--format", "{{.Names}}").stdout == "b\n"


def test_many_detached_runs_at_once(engine):
    n = 100
    out = [None] * n

    def run(i):
        out[i] = engine.run("run", "-d", "--name", "m%d" % i, "busybox", "sleep", "1000")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [r.stderr for r in out if r.returncode != 0]
    assert bad == []
    ps = engine.ps()
    assert sorted(c["Names"][0] for c in ps) == sorted("m%d" % i for i in range(n))
    assert all(c["State"] == "running" for c in ps)


def test_one_name_raced_by_many(engine):
    out = [None] * 10

    def run(i):
        out[i] = engine.run("run", "-d", "--name", "same", "busybox", "sleep", "1000")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.returncode for r in out) == [0] + [125] * 9
    assert all("already in use" in r.stderr for r in out if r.returncode)
    assert [c["Names"] for c in engine.ps()] == [["same"]]
