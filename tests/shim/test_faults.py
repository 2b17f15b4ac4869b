"""capsa-shim under bad input and faults, driven directly through its pipes
(shim_lib.Driver plays podman's part) and through podman: errors reach the
caller as one readable line, no shim stays behind once its container is
gone, and no exit code is lost."""
import fcntl
import os
import subprocess
import time

import pytest

from shim_lib import (IMAGE, Driver, attach, bundle_mod, pid_alive, procs_with,
                      read_frames, run, wait_for)


@pytest.fixture
def top(tmp_path):
    return str(tmp_path)


def script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def shim_args(top, runtime, cid="c1", extra=()):
    return ["--api-version", "1", "-c", cid, "-u", cid, "-r", runtime, "-b", top,
            "-p", os.path.join(top, "pidfile"), "--exit-dir", os.path.join(top, "exits"),
            "--full-attach", "-l", "k8s-file:" + os.path.join(top, "ctr.log"),
            "--conmon-pidfile", os.path.join(top, "conmon.pid")] + list(extra)


def shim_gone(top):
    wait_for(lambda: not procs_with(top, "capsa-shim"), 15, what="the shim to exit")


def make_bundle(top, args, **kw):
    bundle_mod.make_bundle(top, args=args, **kw)
    os.makedirs(os.path.join(top, "exits"), exist_ok=True)
    os.makedirs(os.path.join(top, "state"), exist_ok=True)


def real_args(top, runtime_bin, extra=()):
    return shim_args(top, runtime_bin, extra=["--runtime-arg", "--root", "--runtime-arg",
                                              os.path.join(top, "state")] + list(extra))


def exit_code(top, cid="c1", timeout=20):
    path = os.path.join(top, "exits", cid)
    wait_for(lambda: os.path.exists(path), timeout, what="the exit file")
    with open(path) as f:
        return f.read()


def log_text(path):
    """The stream as written: P records joined to the next, F ends a line."""
    out = []
    with open(path) as f:
        for rec in f.read().splitlines():
            _, _, tag, text = rec.split(" ", 3) if rec.count(" ") >= 3 else rec.split(" ") + [""]
            out.append(text + ("\n" if tag == "F" else ""))
    return "".join(out)


def cleanup(top, runtime_bin, cid="c1"):
    subprocess.run([runtime_bin, "--root", os.path.join(top, "state"), "delete", "-f", cid],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# -- the command line ---------------------------------------------------------

def test_version_first_line_is_conmon(shim):
    r = run([shim, "--version"])
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[0] == "conmon version 2.1.6", str(r)
    assert lines[1].startswith("capsa-shim version "), str(r)


@pytest.mark.parametrize("args,msg", [
    (["--bogus"], "unknown option --bogus"),
    (["-c", "x", "-u", "x"], "runtime path not provided"),
    (["-u", "x", "-r", "/bin/true"], "container ID not provided"),
    (["-c", "x", "-u", "x", "-r", "/nonexistent/rt"], "runtime /nonexistent/rt: No such file"),
    (["-c", "x", "-u", "x", "-r", "/bin/true", "-l", "journald:"], "journald log driver is not supported"),
    (["-c", "x", "-u", "x", "-r", "/bin/true", "--timeout"], "needs a value"),
])
def test_bad_command_lines(shim, args, msg):
    r = run([shim] + args)
    assert r.returncode == 1, str(r)
    assert msg in r.stderr and r.stderr.count("\n") == 1, str(r)


# -- the runtime fails or hangs ---------------------------------------------

def test_runtime_fails_create(shim, top):
    rt = script(os.path.join(top, "rt"), 'echo "fake-runtime: cannot create: no such thing" >&2; exit 1')
    d = Driver(shim, top).start(shim_args(top, rt))
    assert d.wait_parent()[0] == 0
    m = d.message()
    assert m["data"] == -1, m
    assert m["message"] == "fake-runtime: cannot create: no such thing", m
    shim_gone(top)
    assert not os.path.exists(os.path.join(top, "exits", "c1"))


def test_runtime_killed_by_signal(shim, top):
    rt = script(os.path.join(top, "rt"), "kill -9 $$")
    d = Driver(shim, top).start(shim_args(top, rt))
    m = d.message()
    assert m["data"] == -1 and "killed by signal 9" in m["message"], m
    shim_gone(top)


def test_runtime_hangs_timeout(shim, top):
    rt = script(os.path.join(top, "rt"), "exec sleep 1000")
    t0 = time.monotonic()
    d = Driver(shim, top).start(shim_args(top, rt, extra=["--timeout", "1"]))
    m = d.message(timeout=15)
    assert m["data"] == -1 and "timed out after 1 s" in m["message"], m
    assert time.monotonic() - t0 < 10
    shim_gone(top)
    assert not procs_with(top, "sleep")


def test_runtime_missing_pidfile(shim, top):
    rt = script(os.path.join(top, "rt"), "exit 0")
    d = Driver(shim, top).start(shim_args(top, rt))
    m = d.message()
    assert m["data"] == -1 and "pid file is unreadable" in m["message"], m
    shim_gone(top)


def test_podman_shows_runtime_error(podman, name, tmp_path):
    wrapper = script(str(tmp_path / "rt"), 'for a; do [ "$a" = create ] && '
                     '{ echo "wrapper: create refused by test" >&2; exit 1; }; done; '
                     'exec %s "$@"' % podman.runtime)
    argv = [a if a != podman.runtime else wrapper for a in podman.run_cmd(
        "--name", name, IMAGE, "true")]
    r = run(argv, env=podman.env)
    assert r.returncode != 0, str(r)
    assert "create refused by test" in r.stderr, str(r)
    podman("rm", "-f", name)


# -- the engine goes away ---------------------------------------------------

def test_engine_gone_before_start_creates_nothing(shim, top):
    marker = os.path.join(top, "runtime-ran")
    rt = script(os.path.join(top, "rt"), "touch %s; exit 1" % marker)
    d = Driver(shim, top).start(shim_args(top, rt), go=False)
    rc, err = d.wait_parent()
    assert rc != 0
    assert "closed the start pipe" in err and "c1 not created" in err, err
    shim_gone(top)
    assert not os.path.exists(marker)
    assert not os.path.exists(os.path.join(top, "conmon.pid"))


def test_engine_gone_before_pid_undoes_create(shim, top, runtime_bin):
    """The engine dies while the runtime creates: it never learns the pid,
    so it would never start or delete the container; the shim deletes it,
    and does not run the exit command (the engine's cleanup would race with
    a new start of the same container)."""
    make_bundle(top, ["sh", "-c", "echo ran > /ran; exit 3"])
    done = os.path.join(top, "exit-command-ran")
    cmd = script(os.path.join(top, "on-exit"), "touch %s" % done)
    d = Driver(shim, top).start(real_args(top, runtime_bin, extra=["--exit-command", cmd]))
    d.sync.close()          # gone before the shim can send the pid
    try:
        assert d.wait_parent()[0] == 0
        shim_gone(top)
        r = run([runtime_bin, "--root", os.path.join(top, "state"), "list", "-q"])
        assert r.returncode == 0 and r.stdout == "", str(r)
        with open(os.path.join(top, "pidfile")) as f:
            assert not pid_alive(int(f.read()))
        assert not os.path.exists(os.path.join(top, "rootfs", "ran"))
        assert not os.path.exists(os.path.join(top, "exits", "c1"))
        assert not os.path.exists(done)
    finally:
        cleanup(top, runtime_bin)


def test_create_waits_for_previous_shim_of_container(shim, top):
    """A shim still undoing the create of a dead engine holds
    <bundle>/shim.lock; the next shim of the same container runs its
    runtime only once that lock is free."""
    marker = os.path.join(top, "runtime-ran")
    rt = script(os.path.join(top, "rt"), "touch %s; echo refused >&2; exit 1" % marker)
    held = os.open(os.path.join(top, "shim.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        d = Driver(shim, top).start(shim_args(top, rt))
        time.sleep(0.5)
        assert not os.path.exists(marker)
    finally:
        os.close(held)
    m = d.message()
    assert m["data"] == -1 and m["message"] == "refused", m
    assert os.path.exists(marker)
    shim_gone(top)


# -- the container misbehaves -----------------------------------------------

def test_closed_attach_client(shim, top, runtime_bin):
    make_bundle(top, ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; sleep 1; exit 7"])
    d = Driver(shim, top).start(real_args(top, runtime_bin))
    try:
        pid = d.message()["data"]
        assert pid > 0
        c = attach(os.path.join(top, "attach"))
        subprocess.run([runtime_bin, "--root", os.path.join(top, "state"), "start", "c1"], check=True)
        c.recv(8193)
        c.close()  # gone mid-stream, with output pending
        assert exit_code(top) == "7"
        assert log_text(os.path.join(top, "ctr.log")).splitlines() == \
            ["line%d" % i for i in range(3000)]
        shim_gone(top)
    finally:
        cleanup(top, runtime_bin)


def test_full_disk_for_logs(shim, top, runtime_bin):
    make_bundle(top, ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo 0123456789012345678901234567890123456789; i=$((i+1)); done; exit 5"])
    logs = os.path.join(top, "logs")
    os.makedirs(logs)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", logs], check=True)
    try:
        args = real_args(top, runtime_bin)
        args[args.index("k8s-file:" + os.path.join(top, "ctr.log"))] = \
            "k8s-file:" + os.path.join(logs, "ctr.log")
        d = Driver(shim, top).start(args)
        assert d.message()["data"] > 0
        subprocess.run([runtime_bin, "--root", os.path.join(top, "state"), "start", "c1"], check=True)
        assert exit_code(top) == "5"
        shim_gone(top)
        assert os.path.getsize(os.path.join(logs, "ctr.log")) <= 64 * 1024
    finally:
        cleanup(top, runtime_bin)
        subprocess.run(["umount", "-l", logs])


def test_container_never_reads_stdin(shim, top, runtime_bin):
    make_bundle(top, ["sh", "-c", "echo up; sleep 2; exit 3"])
    d = Driver(shim, top).start(real_args(top, runtime_bin, extra=["-i"]))
    try:
        assert d.message()["data"] > 0
        c = attach(os.path.join(top, "attach"))
        subprocess.run([runtime_bin, "--root", os.path.join(top, "state"), "start", "c1"], check=True)
        c.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # until the shim stops taking it
            try:
                sent += c.send(b"x" * 4096)
            except BlockingIOError:
                break
        assert sent >= 64 * 1024
        frames = read_frames(c, timeout=15)
        assert (2, b"up\n") in frames, frames
        assert exit_code(top) == "3"
        shim_gone(top)
    finally:
        cleanup(top, runtime_bin)


def test_100mb_as_fast_as_possible(podman, name):
    t0 = time.monotonic()
    r = podman.run("-d", "--log-opt", "max-size=8mb", "--name", name, IMAGE, "sh", "-c",
                   "yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
                   "0123456789abcdefghijklmnopqrstuvwx | head -c 100000000; exit 11")
    assert r.returncode == 0, str(r)
    pid = podman.inspect(name)["State"].get("ConmonPid", 0)
    r = podman("wait", name, timeout=120)
    assert r.stdout.strip() == "11", str(r)
    elapsed = time.monotonic() - t0
    path = podman.inspect(name)["HostConfig"]["LogConfig"]["Path"]
    size = os.path.getsize(path)
    assert 0 < size <= 8 * 1024 * 1024, size
    wait_for(lambda: not pid or not pid_alive(pid), 10, what="the shim to exit")
    podman.ok("rm", name)
    print("100 MB through the shim in %.1f s" % elapsed)
