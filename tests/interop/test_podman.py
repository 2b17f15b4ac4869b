"""podman (with conmon) running containers through the runtime under test
(see conftest.py: INTEROP_RUNTIME), with a private storage and state."""
import contextlib
import glob
import json
import os
import re
import shutil
import time

import pytest

from interop_lib import IMAGE, REPO, Tmux, pid_alive, run, run_pty, wait_for


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


def start_detached(podman, name, *cmd, opts=()):
    r = podman.run("-d", "--name", name, *opts, IMAGE, *cmd)
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
    r = podman.run("--rm", "--name", name, IMAGE, "sh", "-c",
                   "echo hello from $(hostname); exit %d" % code)
    assert r.returncode == code, str(r)
    assert "hello from " in r.stdout, str(r)
    assert not exists(podman, name), "--rm left the container behind"


def test_run_missing_command_127(podman, name):
    r = podman.run("--rm", "--name", name, IMAGE, "no-such-cmd")
    assert r.returncode == 127, str(r)
    assert "executable file not found" in r.stderr, str(r)
    assert "no-such-cmd" in r.stderr, str(r)
    assert not exists(podman, name)


def test_run_not_executable_126(podman, name):
    r = podman.run("--rm", "--name", name, IMAGE, "/etc/passwd")
    assert r.returncode == 126, str(r)
    assert "permission denied" in r.stderr.lower(), str(r)
    assert not exists(podman, name)


def test_run_stdin_pipe(podman, name):
    r = podman.run("--rm", "-i", "--name", name, IMAGE,
                   "sh", "-c", "tr a-z A-Z; echo done",
                   input="piped through\n")
    assert r.returncode == 0, str(r)
    assert r.stdout == "PIPED THROUGH\ndone\n", str(r)


def test_run_process_settings(podman, name):
    """env, cwd, user and hostname reach the process."""
    r = podman.run(
        "--rm", "--name", name, "-e", "GREETING=hi there", "-w", "/tmp",
        "--user", "1:1", "--hostname", "pm-host", IMAGE,
        "sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g; hostname')
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["hi there", "/tmp", "1", "1",
                                     "pm-host"], r


def test_run_read_only(podman, name):
    """--read-only: a read-only rootfs with writable tmpfs on /tmp, /run and
    /var/tmp, which podman asks for with runc's `tmpcopyup` option (copy
    the image's directory into the new tmpfs)."""
    r = podman.run(
        "--rm", "--name", name, "--read-only", IMAGE, "sh", "-c",
        'touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro; '
        'for d in /tmp /run /var/tmp; do touch $d/y && echo $d-writable; '
        'done; grep -E " /(tmp|run|var/tmp) " /proc/mounts | cut -d" " -f2,3 '
        '| sort')
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == [
        "rootfs-ro", "/tmp-writable", "/run-writable", "/var/tmp-writable",
        "/run tmpfs", "/tmp tmpfs", "/var/tmp tmpfs"], r


def test_run_tmpfs_option(podman, name):
    """--tmpfs DIR:size=1m: podman asks for tmpfs with `tmpcopyup`; on a
    directory the image lacks the tmpfs keeps its own mode (1777: anyone
    may write), or the one given with mode=."""
    r = podman.run(
        "--rm", "--name", name, "--tmpfs", "/scratch:size=1m",
        "--mount", "type=tmpfs,dst=/private,tmpfs-mode=0700", IMAGE,
        "sh", "-c", 'grep " /scratch " /proc/mounts | cut -d" " -f2,3; '
        'touch /scratch/f && echo writable; stat -c "%n %a" /scratch /private')
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["/scratch tmpfs", "writable",
                                     "/scratch 1777", "/private 700"], str(r)


def test_run_device_option(podman, name):
    """--device HOST:CTR: podman's linux.devices entry carries the file type
    bits in fileMode (st_mode of the host node, e.g. 020666), as runc
    accepts."""
    r = podman.run(
        "--rm", "--name", name, "--device", "/dev/null:/dev/mynull", IMAGE,
        "sh", "-c", "stat -c '%F %t:%T %a' /dev/mynull; echo x > /dev/mynull"
        " && echo writable")
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["character special file 1:3 666",
                                     "writable"], str(r)


def test_run_privileged(podman, name):
    """--privileged: every capability and the host's devices."""
    host_devs = sorted(d for d in ("kmsg", "mem", "loop0", "fuse")
                       if os.path.exists(os.path.join("/dev", d)))
    r = podman.run(
        "--rm", "--name", name, "--privileged", IMAGE,
        "sh", "-c", "grep CapEff /proc/self/status; ls /dev")
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
        lines = r.stderr.splitlines()  # one line, as for run
        assert len(lines) == 1 and "no-such-cmd" in lines[0] and \
            "executable file not found" in lines[0], str(r)
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
        steps=[(PROMPT, b"tty; stty size; echo sum=$((6*7)); exit 3\r")],
        env=podman.env)
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
                          steps=[(PROMPT, b"tty; stty size; exit 4\r")],
                          env=podman.env)
        text = out.decode(errors="replace")
        assert rc == 4, text
        assert re.search(r"^/dev/pts/\d+\r?$", text, re.M), text
        assert re.search(r"^31 101\r?$", text, re.M), text
        assert podman.inspect(name)["State"]["Status"] == "running"


# --------------------------------------------------------------------------
# the rest of podman's container life cycle

def host_cgroup_file(pid, controller, v1name, v2name=None):
    """Path on the host of a cgroup file of process pid: on v1 in the
    hierarchy of `controller`, on v2 (or hybrid without that v1
    controller) in the unified one."""
    v2 = None
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                return "/sys/fs/cgroup/%s%s/%s" % (ctrls, path, v1name)
            if hid == "0":
                v2 = path
    assert v2 is not None and v2name, "no %s cgroup for %d" % (controller, pid)
    base = "/sys/fs/cgroup/unified" if os.path.isdir(
        "/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
    return "%s%s/%s" % (base, v2, v2name)


def read_file(path):
    with open(path) as f:
        return f.read().strip()


def test_logs_after_exit(podman, name):
    """logs: stdout and stderr of a detached container, read once it has
    exited, and its exit code in inspect."""
    with removed_after(podman, name):
        start_detached(podman, name, "sh", "-c",
                       "echo one; echo two >&2; echo three; exit 3")
        wait_for(lambda: podman.inspect(name)["State"]["Status"] == "exited",
                 what="the container to exit")
        assert podman.inspect(name)["State"]["ExitCode"] == 3
        r = podman.ok("logs", name)
        assert r.stdout.splitlines() == ["one", "three"], str(r)
        assert r.stderr.splitlines() == ["two"], str(r)


def test_exec_tty_without_stdin(podman, name):
    """exec -t (no -i): a terminal for the process, the output through it
    (with CRLF), and its exit code."""
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        r = podman("exec", "-t", name, "sh", "-c",
                   "tty; test -t 0 && test -t 1 && echo both-tty; exit 9")
        assert r.returncode == 9, str(r)
        lines = r.stdout.replace("\r", "").splitlines()
        assert re.fullmatch(r"/dev/pts/\d+", lines[0]), str(r)
        assert lines[1:] == ["both-tty"], str(r)
        # without -t: no terminal
        r = podman("exec", name, "sh", "-c", "tty; true")
        assert r.stdout.strip() == "not a tty", str(r)


def test_kill_signals(podman, name):
    """kill -s USR1 reaches a trap (the container keeps running); kill
    (SIGKILL by default) ends it with 137."""
    with removed_after(podman, name):
        start_detached(podman, name, "sh", "-c",
                       "trap 'echo got-usr1' USR1; echo ready; "
                       "while :; do sleep 0.1; done")
        wait_for(lambda: "ready" in podman.ok("logs", name).stdout,
                 what="'ready' in logs")
        podman.ok("kill", "-s", "USR1", name)
        wait_for(lambda: "got-usr1" in podman.ok("logs", name).stdout,
                 what="the USR1 trap's output in logs")
        assert podman.inspect(name)["State"]["Status"] == "running"
        podman.ok("kill", name)
        wait_for(lambda: podman.inspect(name)["State"]["Status"] == "exited",
                 what="the container to exit")
        assert podman.inspect(name)["State"]["ExitCode"] == 137


def test_pause_unpause(podman, name):
    """pause freezes every process (a counter stops), exec is refused while
    paused; unpause lets it go on."""
    with removed_after(podman, name):
        cid = start_detached(podman, name, "sh", "-c",
                             "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; "
                             "sleep 0.02; done")
        pid = podman.inspect(name)["State"]["Pid"]
        podman.ok("pause", name)
        st = podman.inspect(name)["State"]
        assert (st["Status"], st["Paused"]) == ("paused", True), str(st)
        assert [p["State"] for p in ps_json(podman, cid, "-a")] == \
            ["paused"]
        freezer = host_cgroup_file(pid, "freezer", "freezer.state",
                                   "cgroup.freeze")
        assert read_file(freezer) in ("FROZEN", "1"), freezer
        root = "/proc/%d/root/tmp/n" % pid
        n1 = read_file(root)
        time.sleep(0.3)
        assert read_file(root) == n1, "the counter moved while paused"
        r = podman("exec", name, "true")
        assert r.returncode != 0, str(r)
        podman.ok("unpause", name)
        assert podman.inspect(name)["State"]["Status"] == "running"
        assert read_file(freezer) in ("THAWED", "0"), freezer
        wait_for(lambda: read_file(root) != n1, what="the counter to move")
        podman.ok("exec", name, "true")


def test_top_and_stats(podman, name):
    """top lists the container's processes (an exec'd one too); stats
    --no-stream reads its cgroup: memory use, the pids count."""
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        podman.ok("exec", "-d", name, "sleep", "999")
        r = wait_for(lambda: (lambda r: r if "sleep 999" in r.stdout
                              else None)(podman.ok("top", name, "pid",
                                                   "args")),
                     what="the exec'd sleep in podman top")
        assert "sleep 1000" in r.stdout, str(r)
        r = podman.ok("stats", "--no-stream", "--format", "json", name)
        stats = json.loads(r.stdout)
        assert len(stats) == 1, str(r)
        s = stats[0]
        assert s["name"] == name, str(s)
        assert s["pids"] == "2", str(s)
        usage = s["mem_usage"].split("/")[0].strip()
        assert re.fullmatch(r"[\d.]+[kMG]?B", usage) and \
            not usage.startswith("0B"), str(s)


def test_update_memory(podman, name):
    """podman update --memory: the runtime's update changes the limit of
    the running container (read from the host and from inside)."""
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000",
                       opts=["--memory", "64m"])
        pid = podman.inspect(name)["State"]["Pid"]
        path = host_cgroup_file(pid, "memory", "memory.limit_in_bytes",
                                "memory.max")
        assert read_file(path) == str(64 << 20)
        podman.ok("update", "--memory", "48m", name)
        assert read_file(path) == str(48 << 20)
        r = podman.ok("exec", name, "sh", "-c",
                      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                      "2>/dev/null || cat /sys/fs/cgroup/memory.max")
        assert r.stdout.strip() == str(48 << 20), str(r)
        assert podman.inspect(name)["State"]["Status"] == "running"


def test_rm_force_running(podman, name):
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000")
        pid = podman.inspect(name)["State"]["Pid"]
        t0 = time.monotonic()
        podman.ok("rm", "-f", "-t", "0", name)
        assert time.monotonic() - t0 < 10
        assert not exists(podman, name)
        wait_for(lambda: not pid_alive(pid), what="pid %d gone" % pid)


def test_run_init(podman, name):
    """--init: podman's catatonit as pid 1, forwarding SIGTERM to the
    command (which sleep, as pid 1, would ignore) and reaping."""
    if not os.path.exists("/usr/libexec/podman/catatonit") and \
            not shutil.which("catatonit"):
        pytest.skip("catatonit is not installed (podman --init's default)")
    r = podman.run("--rm", "--init", "--name", name + "-a", IMAGE, "sh", "-c",
                   "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$")
    assert r.returncode == 0, str(r)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("/run/podman-init -- sh -c"), str(r)
    assert lines[1] != "1", str(r)
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000", opts=["--init"])
        t0 = time.monotonic()
        podman.ok("stop", "-t", "5", name)
        assert time.monotonic() - t0 < 4, "SIGTERM was not forwarded"
        st = podman.inspect(name)["State"]
        assert (st["Status"], st["ExitCode"]) == ("exited", 143), str(st)


def test_run_init_path_capsa_init(podman, name):
    """--init --init-path capsa-init: ours as pid 1 in podman's place of
    catatonit: the command is its child, SIGTERM reaches it, and the
    orphans left behind are reaped (no zombie under pid 1)."""
    init = os.path.join(REPO, "build", "capsa-init")
    if not os.access(init, os.X_OK):
        pytest.fail("%s is missing: run make" % init)
    r = podman.run("--rm", "--init", "--init-path", init, "--name", name + "-a", IMAGE,
                   "sh", "-c", "for i in 1 2 3 4; do sh -c 'sleep 0.1 &'; done; sleep 1; "
                   "cat /proc/1/cmdline | tr '\\0' ' '; echo; "
                   "cut -d' ' -f3 /proc/[0-9]*/stat | grep -c Z")
    assert r.returncode == 1, str(r)  # grep -c found no zombie: 0, exit 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("/run/podman-init -- sh -c"), str(r)
    assert lines[1] == "0", str(r)
    with removed_after(podman, name):
        start_detached(podman, name, "sleep", "1000", opts=["--init", "--init-path", init])
        t0 = time.monotonic()
        podman.ok("stop", "-t", "5", name)
        assert time.monotonic() - t0 < 4, "SIGTERM was not forwarded"
        st = podman.inspect(name)["State"]
        assert (st["Status"], st["ExitCode"]) == ("exited", 143), str(st)


def test_run_cap_drop(podman, name):
    r = podman.run("--rm", "--name", name, "--cap-drop", "CHOWN",
                   "--cap-drop", "NET_RAW", IMAGE, "sh", "-c",
                   "grep -E '^Cap(Eff|Bnd)' /proc/self/status; "
                   "chown 1 /tmp 2>/dev/null && echo chown-ok || echo chown-denied")
    assert r.returncode == 0, str(r)
    lines = r.stdout.split()
    eff, bnd = int(lines[1], 16), int(lines[3], 16)
    for cap in (0, 13):  # CAP_CHOWN, CAP_NET_RAW
        assert not eff & (1 << cap) and not bnd & (1 << cap), str(r)
    assert eff & (1 << 1), "CAP_DAC_OVERRIDE should stay: " + str(r)
    assert lines[-1] == "chown-denied", str(r)


def test_run_user_by_name(podman, name):
    """--user NAME: uid and gid from the image's /etc/passwd; no
    capabilities left in the effective set."""
    r = podman.run("--rm", "--name", name, "--user", "daemon", IMAGE,
                   "sh", "-c", "id -u; id -g; grep CapEff /proc/self/status")
    assert r.returncode == 0, str(r)
    lines = r.stdout.split()
    assert lines[:2] == ["1", "1"], str(r)
    assert int(lines[3], 16) == 0, str(r)


def test_run_memory_and_pids_limits(podman, name):
    """--memory and --pids-limit reach the container's cgroup, seen from
    inside (the container's own cgroup mounted at /sys/fs/cgroup), and the
    pids limit holds."""
    r = podman.run(
        "--rm", "--name", name, "--memory", "32m", "--pids-limit", "12",
        IMAGE, "sh", "-c",
        "cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes pids/pids.max "
        "2>/dev/null || cat memory.max pids.max; "
        "(for i in $(seq 20); do sleep 5 & done) 2>/dev/null; "
        "read n < pids/pids.current || read n < pids.current; echo $n")
    # (the container's processes end with its pid 1, the shell)
    assert r.returncode == 0, str(r)
    lines = r.stdout.split()
    assert lines[:2] == [str(32 << 20), "12"], str(r)
    # (the subshell dies when a fork is refused: one less than the limit)
    assert 10 <= int(lines[2]) <= 12, str(r)


def test_run_memory_oom(podman, name):
    """--memory is enforced: a process that outgrows it is killed by the
    kernel (137). (inspect's OOMKilled is not checked: conmon 2.1.6 does
    not report it on this hybrid host with runc either.)"""
    r = podman.run("--rm", "--name", name, "--memory", "16m",
                   "--memory-swap", "16m", IMAGE, "sh", "-c",
                   "head -c 64m /dev/zero | tail > /dev/null")
    assert r.returncode == 137, str(r)


def test_run_bind_mounts(podman, name, tmp_path):
    """-v HOST:CTR (read-write: a file written inside is the host's) and
    -v HOST:CTR:ro (writes refused)."""
    rw = tmp_path / "rw"
    ro = tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    (ro / "given").write_text("from the host\n")
    r = podman.run("--rm", "--name", name, "-v", "%s:/data" % rw,
                   "-v", "%s:/conf:ro" % ro, IMAGE, "sh", "-c",
                   "cat /conf/given; echo written > /data/out; "
                   "touch /conf/x 2>/dev/null && echo ro-writable "
                   "|| echo ro-refused")
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["from the host", "ro-refused"], str(r)
    assert (rw / "out").read_text() == "written\n"
    assert not (ro / "x").exists()


def test_run_it_tmux(podman, name, tmp_path):
    """An interactive `podman run -it` in a tmux window, as a person uses
    it: type a command, read its output on the screen, exit."""
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    tm = Tmux(str(tmp_path), env=podman.env)
    try:
        tm.start(podman.run_cmd("--rm", "-it", "--name", name, IMAGE, "sh"))
        tm.wait_screen(lambda s: s.endswith("#"), what="the shell's prompt")
        tm.send("echo typed-$((6*7)); tty; stty size")
        text = tm.wait_screen(lambda s: re.search(r"^\d+ \d+\n/ #$", s,
                                                  re.M),
                              what="the command's output, then the prompt")
        assert "typed-42" in text, text
        assert re.search(r"^/dev/pts/\d+$", text, re.M), text
        assert re.search(r"^30 100$", text, re.M), text
        # ^C reaches the foreground command only, not the shell (pid 1)
        tm.send("sleep 30")
        tm.wait_screen(lambda s: s.endswith("# sleep 30"),
                       what="sleep 30 typed")
        time.sleep(0.3)
        tm.tmux("send-keys", "-t", "main", "C-c")
        tm.wait_screen(lambda s: s.endswith("#"), what="the prompt after ^C")
        tm.send("echo after-ctrl-c-$?")
        tm.wait_screen(lambda s: s.endswith("after-ctrl-c-130\n/ #"),
                       what="the shell back after ^C")
        tm.send("exit 6")
        assert tm.exit_status(timeout=15) == 6
    finally:
        tm.stop()
    assert not exists(podman, name)


# --------------------------------------------------------------------------
# a runtime's error, as the podman user reads it

FAILURES = {
    # the runtime finds the command missing: 127
    "missing-command": ((IMAGE, "no-such-cmd"), 127,
                        ["no-such-cmd", "executable file not found"]),
    # a configuration the kernel refuses (kernel.msgmax has a minimum of
    # 0): podman's generic OCI runtime error, 126
    "bad-sysctl": (("--sysctl", "kernel.msgmax=-5", IMAGE, "true"), 126,
                   ["msgmax", "nvalid argument"]),
}


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("case", sorted(FAILURES))
def test_runtime_error_one_line(podman, name, tmp_path, fmt, case):
    """A failing container's error reaches the user as one readable line:
    `Error: RUNTIME: <the runtime's message>: <podman's classification>`,
    whether podman reads it back from the runtime's --log-format=json log
    (runtime listed in runtime_supports_json) or from its stderr."""
    env = None
    if fmt == "text":
        conf = tmp_path / "containers.conf"
        conf.write_text("[engine]\nruntime_supports_json = []\n")
        env = dict(podman.env, CONTAINERS_CONF=str(conf))
    args, code, words = FAILURES[case]
    r = run(podman.run_cmd("--rm", "--name", name, *args), env=env)
    assert r.returncode == code, str(r)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, "not one line: " + str(r)
    line = lines[0]
    assert line.startswith("Error: "), str(r)
    for w in words:
        assert w in line, "%r not in the error: %s" % (w, r)
    assert os.path.basename(podman.runtime) in line, str(r)
    # readable: no JSON, no logrus fields, no escaped quotes. (runc's
    # stderr, which podman shows when it does not use json, is logrus's
    # text format: time="..." level=error msg="...": not checked for runc.)
    if fmt == "json" or os.path.basename(podman.runtime) != "runc":
        for junk in ('{"', '"msg"', "level=", "time=", '\\"'):
            assert junk not in line, "%r in the error: %s" % (junk, r)
    assert not exists(podman, name)


def test_runtime_json_log(podman, name):
    """With the runtime in runtime_supports_json podman runs it with
    --log-format=json --log FILE: after a failed start FILE holds exactly
    one JSON object, the error (podman parses the whole file as one)."""
    r = podman("create", *podman.run_opts, "--name", name, IMAGE, "no-such-cmd")
    assert r.returncode == 0, str(r)
    with removed_after(podman, name):
        cid = r.stdout.strip().splitlines()[-1]
        r = podman("start", name)
        assert r.returncode != 0, str(r)
        logs = glob.glob(os.path.join(podman.top, "run", "*-containers", cid,
                                      "userdata", "oci-log"))
        assert len(logs) == 1, logs
        text = read_file(logs[0])
        obj = json.loads(text)  # one object: fails on several lines
        assert obj["level"] == "error", text
        assert "no-such-cmd" in obj["msg"], text
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                            r"(Z|[+-]\d\d:\d\d)", obj["time"]), text


def test_run_uidmap(podman, name):
    """--uidmap/--gidmap: a user namespace, root inside mapped to 100000
    outside; the image's files appear owned by root inside."""
    r = podman.run("--rm", "--name", name, "--uidmap", "0:100000:65536",
                   "--gidmap", "0:100000:65536", IMAGE, "sh", "-c",
                   "id -u; cat /proc/self/uid_map; stat -c %u /bin/busybox")
    assert r.returncode == 0, str(r)
    lines = r.stdout.split()
    assert lines == ["0", "0", "100000", "65536", "0"], str(r)
