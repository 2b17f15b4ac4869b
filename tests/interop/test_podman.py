"""podman (with conmon) running containers through the runtime under test
(see conftest.py: INTEROP_RUNTIME), with a private storage and state."""
import contextlib
import os
import re
import time

import pytest

from interop_lib import IMAGE, pid_alive, run, run_pty, wait_for


@contextlib.contextmanager
def removed_after(podman, name):
    try:
        yield name
    finally:
        podman("rm", "-f", "-t", "0", name, timeout=30)


def exists(podman, name):
    r = podman("container", "exists", name)
    assert r.returncode in (0, 1), r
    return r.returncode == 0


def start_detached(podman, name, *cmd):
    r = run(podman.run_cmd("-d", "--name", name, IMAGE, *cmd))
    assert r.returncode == 0, r
    cid = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", cid), r
    return cid


# a container that runs until told to stop and says so by its exit code
TRAP_LOOP = ["sh", "-c",
             "trap 'exit 42' TERM; echo started; while :; do sleep 0.1; done"]


@pytest.mark.parametrize("code", [0, 7])
def test_run_rm_output_and_exit_code(podman, name, code):
    r = run(podman.run_cmd("--rm", "--name", name, IMAGE, "sh", "-c",
                           "echo hello from $(hostname); exit %d" % code))
    assert r.returncode == code, r
    assert "hello from " in r.stdout, r
    assert not exists(podman, name), "--rm left the container behind"


def test_run_missing_command_127(podman, name):
    r = run(podman.run_cmd("--rm", "--name", name, IMAGE, "no-such-cmd"))
    assert r.returncode == 127, r
    assert "executable file not found" in r.stderr, r
    assert "no-such-cmd" in r.stderr, r
    assert not exists(podman, name)


def test_run_not_executable_126(podman, name):
    r = run(podman.run_cmd("--rm", "--name", name, IMAGE, "/etc/passwd"))
    assert r.returncode == 126, r
    assert "permission denied" in r.stderr.lower(), r
    assert not exists(podman, name)


def test_run_stdin_pipe(podman, name):
    r = run(podman.run_cmd("--rm", "-i", "--name", name, IMAGE,
                           "sh", "-c", "tr a-z A-Z; echo done"),
            input="piped through\n")
    assert r.returncode == 0, r
    assert r.stdout == "PIPED THROUGH\ndone\n", r


def test_run_process_settings(podman, name):
    """env, cwd, user, hostname and a read-only rootfs reach the process."""
    r = run(podman.run_cmd(
        "--rm", "--name", name, "-e", "GREETING=hi there", "-w", "/tmp",
        "--user", "1:1", "--hostname", "pm-host", "--read-only", IMAGE,
        "sh", "-c",
        'echo "$GREETING"; pwd; id -u; id -g; hostname; '
        'touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro; '
        'touch /tmp/y && echo tmp-writable'))
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["hi there", "/tmp", "1", "1", "pm-host",
                                     "rootfs-ro", "tmp-writable"], r


def test_detached_exec_ps_stop_rm(podman, name):
    with removed_after(podman, name):
        cid = start_detached(podman, name, *TRAP_LOOP)
        # ps: running
        r = podman.ok("ps", "--no-trunc", "--filter", "id=" + cid,
                      "--format", "{{.ID}} {{.Names}} {{.State}}")
        assert r.stdout.split() == [cid, name, "running"], r
        wait_for(lambda: "started" in podman.ok("logs", name).stdout,
                 what="'started' in podman logs")
        # exec: output and exit code
        r = podman("exec", name, "sh", "-c", "echo exec-out; echo exec-err >&2;"
                   " exit 5")
        assert r.returncode == 5, r
        assert r.stdout == "exec-out\n", r
        assert "exec-err" in r.stderr, r
        r = podman("exec", "-e", "V=42", "-w", "/etc", name,
                   "sh", "-c", "echo $V $(pwd)")
        assert (r.returncode, r.stdout) == (0, "42 /etc\n"), r
        r = podman("exec", name, "no-such-cmd")
        assert r.returncode == 127, r
        # the container is still up after the execs
        assert podman.inspect(name)["State"]["Status"] == "running"
        # stop: SIGTERM reaches the trap, well within the 1 s grace
        t0 = time.monotonic()
        r = podman("stop", "-t", "1", name)
        elapsed = time.monotonic() - t0
        assert r.returncode == 0, r
        st = podman.inspect(name)["State"]
        assert st["Status"] == "exited", st
        assert st["ExitCode"] == 42, (st, "SIGTERM not delivered to the trap")
        assert elapsed < 5, elapsed
        r = podman.ok("ps", "-a", "--filter", "id=" + cid,
                      "--format", "{{.State}}")
        assert r.stdout.strip() == "exited", r
        # rm
        podman.ok("rm", name)
        assert not exists(podman, name)


def test_stop_falls_back_to_sigkill(podman, name):
    """sleep as pid 1 ignores SIGTERM: stop -t 1 must end in SIGKILL."""
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        t0 = time.monotonic()
        r = podman("stop", "-t", "1", name)
        assert r.returncode == 0, r
        assert time.monotonic() - t0 < 10
        st = podman.inspect(name)["State"]
        assert (st["Status"], st["ExitCode"]) == ("exited", 137), st


def test_inspect_pid_while_running(podman, name):
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        st = podman.inspect(name)["State"]
        assert st["Status"] == "running" and st["Running"] is True, st
        pid = st["Pid"]
        assert isinstance(pid, int) and pid > 0, st
        # the pid is the container's init on this host: sleep, in its own
        # pid namespace
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            assert f.read().split(b"\0")[0] == b"sleep"
        assert os.readlink("/proc/%d/ns/pid" % pid) != \
            os.readlink("/proc/self/ns/pid")
        r = podman.ok("top", name, "pid", "args")
        assert "sleep 1000" in r.stdout, r
        podman.ok("kill", "-s", "KILL", name)
        wait_for(lambda: not pid_alive(pid), what="pid %d to exit" % pid)
        wait_for(lambda: podman.inspect(name)["State"]["Status"] == "exited",
                 what="State.Status exited")
        st = podman.inspect(name)["State"]
        assert st["Pid"] == 0 and st["ExitCode"] == 137, st


PROMPT = b"# "


def test_run_it_pty(podman, name):
    out, rc = run_pty(podman.run_cmd(
        "--rm", "-it", "--name", name, IMAGE, "sh"),
        steps=[(PROMPT, b"tty; stty size; echo sum=$((6*7)); exit 3\r")])
    text = out.decode(errors="replace")
    assert rc == 3, text
    assert re.search(r"^/dev/pts/\d+\r?$", text, re.M), text
    assert re.search(r"^31 101\r?$", text, re.M), text
    assert "sum=42" in text, text
    assert not exists(podman, name)


def test_exec_it_pty(podman, name):
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        out, rc = run_pty(podman.cmd("exec", "-it", name, "sh"),
                          steps=[(PROMPT, b"tty; stty size; exit 4\r")])
        text = out.decode(errors="replace")
        assert rc == 4, text
        assert re.search(r"^/dev/pts/\d+\r?$", text, re.M), text
        assert re.search(r"^31 101\r?$", text, re.M), text
        assert podman.inspect(name)["State"]["Status"] == "running"
