"""containerd (runc v2 shim) running containers through the runtime under
test (see conftest.py: INTEROP_RUNTIME), driven by ctr against a private
containerd."""
import contextlib
import json
import os
import re
import time

from interop_lib import IMAGE, pid_alive, run, run_pty, wait_for


@contextlib.contextmanager
def removed_after(containerd, cid):
    try:
        yield cid
    finally:
        if cid in containerd.containers():
            containerd.remove(cid)


def read_file(path):
    with open(path) as f:
        return f.read().strip()


def start_detached(containerd, cid, *cmd, opts=()):
    r = run(containerd.run_cmd("-d", *opts, IMAGE, cid, *cmd))
    assert r.returncode == 0, str(r)
    tasks = wait_for(lambda: containerd.tasks().get(cid),
                     what="task %s in ctr task ls" % cid)
    pid, status = tasks
    assert status == "RUNNING" and pid > 0, tasks
    return pid


def test_run_rm_output_and_exit_code(containerd, name):
    r = run(containerd.run_cmd("--rm", IMAGE, name,
                               "sh", "-c", "echo hi; exit 4"))
    assert r.returncode == 4, str(r)
    assert r.stdout.replace("\r", "") == "hi\n", str(r)
    assert name not in containerd.containers(), "--rm left the container"


def test_run_rm_exit_zero(containerd, name):
    r = run(containerd.run_cmd("--rm", IMAGE, name,
                               "sh", "-c", "echo out; echo err >&2"))
    assert r.returncode == 0, str(r)
    assert r.stdout == "out\n", str(r)
    assert "err" in r.stderr, str(r)


def test_run_missing_command(containerd, name):
    with removed_after(containerd, name):
        r = run(containerd.run_cmd("--rm", IMAGE, name, "no-such-cmd"))
        assert r.returncode != 0, str(r)
        assert "executable file not found" in r.stderr, str(r)
        assert name not in containerd.tasks(), "a task was left behind"


def test_run_stdin_pipe(containerd, name):
    """stdin reaches the process (ctr does not pass the pipe's EOF on, so
    the container reads one line rather than to the end)."""
    with removed_after(containerd, name):
        r = run(containerd.run_cmd(
            "--rm", IMAGE, name,
            "sh", "-c", 'read -r line; echo "$line" | tr a-z A-Z; echo done'),
            input="piped through\n")
        assert r.returncode == 0, str(r)
        assert r.stdout == "PIPED THROUGH\ndone\n", str(r)


def test_run_process_settings(containerd, name):
    """--env, --cwd and --read-only reach the container."""
    r = run(containerd.run_cmd(
        "--rm", "--env", "GREETING=hi there", "--cwd", "/etc", "--read-only",
        IMAGE, name, "sh", "-c",
        'echo "$GREETING"; pwd; touch /x 2>/dev/null && echo rootfs-writable'
        ' || echo rootfs-ro'))
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["hi there", "/etc", "rootfs-ro"], str(r)


def test_detached_exec_ps_kill_delete(containerd, name):
    with removed_after(containerd, name):
        pid = start_detached(containerd, name, "sleep", "1000")
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            assert f.read().split(b"\0")[0] == b"sleep"
        assert os.readlink("/proc/%d/ns/pid" % pid) != \
            os.readlink("/proc/self/ns/pid")

        # task exec: output, stderr, exit code; the task keeps running
        r = run(containerd.exec_cmd(
            "--exec-id", "e1", name,
            "sh", "-c", "echo exec-out; echo exec-err >&2; exit 6"))
        assert r.returncode == 6, str(r)
        assert r.stdout == "exec-out\n", str(r)
        assert "exec-err" in r.stderr, str(r)
        r = run(containerd.exec_cmd("--exec-id", "e2", "--cwd", "/etc",
                                    "--user", "1", name,
                                    "sh", "-c", "echo $(pwd) $(id -u)"))
        assert (r.returncode, r.stdout) == (0, "/etc 1\n"), str(r)
        r = run(containerd.exec_cmd("--exec-id", "e3", name, "no-such-cmd"))
        assert r.returncode != 0, str(r)
        assert "executable file not found" in r.stderr, str(r)
        assert containerd.tasks()[name] == (pid, "RUNNING")

        # task ps: the init and a detached exec
        r = run(containerd.exec_cmd("-d", "--exec-id", "bg", name,
                                    "sleep", "500"))
        assert r.returncode == 0, str(r)

        def ps():
            r = containerd.ok("task", "ps", name)
            return [line.split(None, 1) for line in r.stdout.splitlines()[1:]]
        rows = wait_for(lambda: (lambda p: p if len(p) == 2 else None)(ps()),
                        what="two processes in ctr task ps")
        assert pid in [int(r[0]) for r in rows], rows
        assert any("ExecID:bg" in r[1] for r in rows if len(r) > 1), rows

        # task kill -s KILL -> STOPPED
        containerd.ok("task", "kill", "-s", "KILL", name)
        wait_for(lambda: containerd.tasks().get(name, (0, ""))[1] == "STOPPED",
                 what="task %s STOPPED in ctr task ls" % name)
        wait_for(lambda: not pid_alive(pid), what="pid %d gone" % pid)

        # task delete (reports the exit status), container delete
        r = containerd.ok("task", "delete", name)
        assert "137" in r.stdout + r.stderr, str(r)
        assert name not in containerd.tasks()
        containerd.ok("container", "delete", name)
        assert name not in containerd.containers()


def test_kill_sigterm_reaches_trap(containerd, name):
    with removed_after(containerd, name):
        start_detached(containerd, name, "sh", "-c",
                       "trap 'exit 42' TERM; while :; do sleep 0.1; done")
        containerd.ok("task", "kill", name)  # SIGTERM by default
        wait_for(lambda: containerd.tasks().get(name, (0, ""))[1] == "STOPPED",
                 what="task %s STOPPED" % name)
        r = containerd.ok("task", "delete", name)
        assert "exit code 42" in r.stdout + r.stderr, str(r)
        containerd.ok("container", "delete", name)


PROMPT = b"# "


def test_run_tty(containerd, name):
    out, rc = run_pty(containerd.run_cmd("--rm", "-t", IMAGE, name, "sh"),
                      steps=[(PROMPT, b"tty; stty size; echo sum=$((6*7)); "
                                      b"exit 3\r")])
    text = out.decode(errors="replace")
    assert rc == 3, text
    assert re.search(r"^/dev/pts/\d+\r*$", text, re.M), text
    assert re.search(r"^31 101\r*$", text, re.M), text
    assert "sum=42" in text, text
    assert name not in containerd.containers()


def test_exec_tty(containerd, name):
    with removed_after(containerd, name):
        start_detached(containerd, name, "sleep", "1000")
        out, rc = run_pty(containerd.exec_cmd("-t", "--exec-id", "tty1", name,
                                              "sh"),
                          steps=[(PROMPT, b"tty; stty size; exit 5\r")])
        text = out.decode(errors="replace")
        assert rc == 5, text
        assert re.search(r"^/dev/pts/\d+\r*$", text, re.M), text
        assert re.search(r"^31 101\r*$", text, re.M), text
        assert containerd.tasks()[name][1] == "RUNNING"


def test_pause_resume(containerd, name):
    """task pause freezes the task (PAUSED, a counter stops, the freezer
    cgroup FROZEN), task resume lets it go on (RUNNING)."""
    with removed_after(containerd, name):
        pid = start_detached(containerd, name, "sh", "-c",
                             "i=0; while :; do i=$((i+1)); echo $i > /tmp/n;"
                             " sleep 0.02; done")
        counter = "/proc/%d/root/tmp/n" % pid
        wait_for(lambda: os.path.exists(counter), what="the counter file")
        containerd.ok("task", "pause", name)
        assert containerd.tasks()[name] == (pid, "PAUSED")
        n1 = read_file(counter)
        time.sleep(0.3)
        assert read_file(counter) == n1, "the counter moved while paused"
        containerd.ok("task", "resume", name)
        assert containerd.tasks()[name] == (pid, "RUNNING")
        wait_for(lambda: read_file(counter) != n1, what="the counter to move")
        containerd.ok("task", "kill", "-s", "KILL", name)
        wait_for(lambda: containerd.tasks().get(name, (0, ""))[1] == "STOPPED",
                 what="task %s STOPPED" % name)
        containerd.ok("task", "delete", name)
        containerd.ok("container", "delete", name)
        assert name not in containerd.containers()


def test_metrics(containerd, name):
    """task metrics: containerd's cgroups library reads the task's cgroup
    (v1 here: memory, pids, cpu): the memory limit given with
    --memory-limit, the two processes, some memory and cpu used."""
    with removed_after(containerd, name):
        start_detached(containerd, name, "sh", "-c",
                       "sleep 1000 & i=0; while [ $i -lt 20000 ]; do "
                       "i=$((i+1)); done; wait", opts=["--memory-limit",
                                                        str(48 << 20)])
        r = containerd.ok("task", "metrics", "--format", "json", name)
        m = json.loads(r.stdout)
        if "memory" in m and "usage" in m["memory"]:  # cgroup v1 (Metrics)
            assert m["memory"]["usage"]["limit"] == 48 << 20, r.stdout
            assert m["memory"]["usage"]["usage"] > 0, r.stdout
            assert m["pids"]["current"] == 2, r.stdout
            assert m["cpu"]["usage"]["total"] > 0, r.stdout
        else:  # cgroup v2
            assert m["memory"]["usage_limit"] == 48 << 20, r.stdout
            assert m["memory"]["usage"] > 0, r.stdout
            assert m["pids"]["current"] == 2, r.stdout
            assert m["cpu"]["usage_usec"] > 0, r.stdout
        # the table format too
        r = containerd.ok("task", "metrics", name)
        assert "memory.usage_in_bytes" in r.stdout or \
            "memory.usage" in r.stdout, str(r)
