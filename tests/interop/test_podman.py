"""podman (with conmon) running containers through the runtime under test
(see conftest.py: INTEROP_RUNTIME), with a private storage and state."""
import contextlib
import json
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
    assert r.returncode in (0, 1), str(r)
    return r.returncode == 0


def start_detached(podman, name, *cmd):
    r = run(podman.run_cmd("-d", "--name", name, IMAGE, *cmd))
    assert r.returncode == 0, str(r)
    cid = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", cid), str(r)
    return cid


def ps_json(podman, cid, *opts):
    r = podman.ok("ps", *opts, "--filter", "id=" + cid, "--format", "json")
    return json.loads(r.stdout or "[]")


# a container that runs until told to stop and says so by its exit code
TRAP_LOOP = ["sh", "-c",
             "trap 'exit 42' TERM; echo started; while :; do sleep 0.1; done"]


@pytest.mark.parametrize("code", [0, 7])
def test_run_rm_output_and_exit_code(podman, name, code):
    r = run(podman.run_cmd("--rm", "--name", name, IMAGE, "sh", "-c",
                           "echo hello from $(hostname); exit %d" % code))
    assert r.returncode == code, str(r)
    assert "hello from " in r.stdout, str(r)
    assert not exists(podman, name), "--rm left the container behind"


def test_run_missing_command_127(podman, name):
    r = run(podman.run_cmd("--rm", "--name", name, IMAGE, "no-such-cmd"))
    assert r.returncode == 127, str(r)
    assert "executable file not found" in r.stderr, str(r)
    assert "no-such-cmd" in r.stderr, str(r)
    assert not exists(podman, name)


def test_run_not_executable_126(podman, name):
    r = run(podman.run_cmd("--rm", "--name", name, IMAGE, "/etc/passwd"))
    assert r.returncode == 126, str(r)
    assert "permission denied" in r.stderr.lower(), str(r)
    assert not exists(podman, name)


def test_run_stdin_pipe(podman, name):
    r = run(podman.run_cmd("--rm", "-i", "--name", name, IMAGE,
                           "sh", "-c", "tr a-z A-Z; echo done"),
            input="piped through\n")
    assert r.returncode == 0, str(r)
    assert r.stdout == "PIPED THROUGH\ndone\n", str(r)


def test_run_process_settings(podman, name):
    """env, cwd, user and hostname reach the process."""
    r = run(podman.run_cmd(
        "--rm", "--name", name, "-e", "GREETING=hi there", "-w", "/tmp",
        "--user", "1:1", "--hostname", "pm-host", IMAGE,
        "sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g; hostname'))
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["hi there", "/tmp", "1", "1",
                                     "pm-host"], r


def test_run_read_only(podman, name):
    """--read-only: a read-only rootfs with writable tmpfs on /tmp, /run and
    /var/tmp, which podman asks for with runc's `tmpcopyup` option (copy
    the image's directory into the new tmpfs)."""
    r = run(podman.run_cmd(
        "--rm", "--name", name, "--read-only", IMAGE, "sh", "-c",
        'touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro; '
        'for d in /tmp /run /var/tmp; do touch $d/y && echo $d-writable; '
        'done; grep -E " /(tmp|run|var/tmp) " /proc/mounts | cut -d" " -f2,3 '
        '| sort'))
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == [
        "rootfs-ro", "/tmp-writable", "/run-writable", "/var/tmp-writable",
        "/run tmpfs", "/tmp tmpfs", "/var/tmp tmpfs"], r


def test_run_tmpfs_option(podman, name):
    """--tmpfs DIR:size=1m: podman asks for tmpfs with `tmpcopyup`."""
    r = run(podman.run_cmd(
        "--rm", "--name", name, "--tmpfs", "/scratch:size=1m", IMAGE,
        "sh", "-c", 'grep " /scratch " /proc/mounts | cut -d" " -f2,3; '
        'touch /scratch/f && echo writable'))
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["/scratch tmpfs", "writable"], str(r)


def test_run_device_option(podman, name):
    """--device HOST:CTR: podman's linux.devices entry carries the file type
    bits in fileMode (st_mode of the host node, e.g. 020666), as runc
    accepts."""
    r = run(podman.run_cmd(
        "--rm", "--name", name, "--device", "/dev/null:/dev/mynull", IMAGE,
        "sh", "-c", "stat -c '%F %t:%T %a' /dev/mynull; echo x > /dev/mynull"
        " && echo writable"))
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["character special file 1:3 666",
                                     "writable"], str(r)


def test_run_privileged(podman, name):
    """--privileged: every capability and the host's devices."""
    host_devs = sorted(d for d in ("kmsg", "mem", "loop0", "fuse")
                       if os.path.exists(os.path.join("/dev", d)))
    r = run(podman.run_cmd(
        "--rm", "--name", name, "--privileged", IMAGE,
        "sh", "-c", "grep CapEff /proc/self/status; ls /dev"))
    assert r.returncode == 0, str(r)
    lines = r.stdout.split()
    eff = int(lines[1], 16)
    assert eff & (1 << 21), "no CAP_SYS_ADMIN: " + str(r)  # CAP_SYS_ADMIN
    missing = [d for d in host_devs if d not in lines[2:]]
    assert not missing, "host devices %s not in /dev: %s" % (missing, r)


def test_detached_exec_ps_stop_rm(podman, name):
    with removed_after(podman, name):
        cid = start_detached(podman, name, *TRAP_LOOP)
        # ps: running
        ps = ps_json(podman, cid)
        assert len(ps) == 1, str(ps)
        assert (ps[0]["Names"], ps[0]["State"]) == ([name], "running"), str(ps)
        assert ps[0]["Pid"] > 0, str(ps)
        wait_for(lambda: "started" in podman.ok("logs", name).stdout,
                 what="'started' in podman logs")
        # exec: output and exit code
        r = podman("exec", name, "sh", "-c", "echo exec-out; echo exec-err >&2;"
                   " exit 5")
        assert r.returncode == 5, str(r)
        assert r.stdout == "exec-out\n", str(r)
        assert "exec-err" in r.stderr, str(r)
        r = podman("exec", "-e", "V=42", "-w", "/etc", name,
                   "sh", "-c", "echo $V $(pwd)")
        assert (r.returncode, r.stdout) == (0, "42 /etc\n"), str(r)
        r = podman("exec", name, "no-such-cmd")
        assert r.returncode == 127, str(r)
        # the container is still up after the execs
        assert podman.inspect(name)["State"]["Status"] == "running"
        # stop: SIGTERM reaches the trap, well within the 1 s grace
        t0 = time.monotonic()
        r = podman("stop", "-t", "1", name)
        elapsed = time.monotonic() - t0
        assert r.returncode == 0, str(r)
        st = podman.inspect(name)["State"]
        assert st["Status"] == "exited", str(st)
        assert st["ExitCode"] == 42, (st, "SIGTERM not delivered to the trap")
        assert elapsed < 5, elapsed
        assert ps_json(podman, cid) == [], "ps lists a stopped container"
        ps = ps_json(podman, cid, "-a")
        assert [(p["State"], p["ExitCode"]) for p in ps] == [("exited", 42)], str(ps)
        # rm
        podman.ok("rm", name)
        assert not exists(podman, name)


def test_stop_falls_back_to_sigkill(podman, name):
    """sleep as pid 1 ignores SIGTERM: stop -t 1 must end in SIGKILL."""
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        t0 = time.monotonic()
        r = podman("stop", "-t", "1", name)
        assert r.returncode == 0, str(r)
        assert time.monotonic() - t0 < 10
        st = podman.inspect(name)["State"]
        assert (st["Status"], st["ExitCode"]) == ("exited", 137), str(st)


def test_inspect_pid_while_running(podman, name):
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        st = podman.inspect(name)["State"]
        assert st["Status"] == "running" and st["Running"] is True, str(st)
        pid = st["Pid"]
        assert isinstance(pid, int) and pid > 0, str(st)
        # the pid is the container's init on this host: sleep, in its own
        # pid namespace
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            assert f.read().split(b"\0")[0] == b"sleep"
        assert os.readlink("/proc/%d/ns/pid" % pid) != \
            os.readlink("/proc/self/ns/pid")
        r = podman.ok("top", name, "pid", "args")
        assert "sleep 1000" in r.stdout, str(r)
        podman.ok("kill", "-s", "KILL", name)
        wait_for(lambda: not pid_alive(pid), what="pid %d to exit" % pid)
        wait_for(lambda: podman.inspect(name)["State"]["Status"] == "exited",
                 what="State.Status exited")
        st = podman.inspect(name)["State"]
        assert st["Pid"] == 0 and st["ExitCode"] == 137, str(st)


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
