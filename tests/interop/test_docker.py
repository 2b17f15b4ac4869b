"""dockerd 20.10 running containers through the runtime under test (see
conftest.py: INTEROP_RUNTIME), added to a private dockerd with
--add-runtime capsa=RUNTIME and chosen with `docker run --runtime capsa`;
dockerd reaches it through its managed containerd and the runc v2 shim."""
import contextlib
import glob
import json
import os
import re
import time

import pytest

from interop_lib import IMAGE, pid_alive, run, run_pty, wait_for


@contextlib.contextmanager
def removed_after(docker, name):
    try:
        yield name
    finally:
        docker("rm", "-f", name, timeout=30)


def host_cgroup_file(pid, ctrl, name):
    """A v1 cgroup file of process pid, on the host."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrl in ctrls.split(","):
                return "/sys/fs/cgroup/%s%s/%s" % (ctrls, path, name)
    pytest.skip("no v1 %s hierarchy" % ctrl)


def exists(docker, name):
    r = docker("container", "inspect", name)
    return r.returncode == 0


def start_detached(docker, name, *cmd, opts=()):
    r = docker.run("-d", "--name", name, *opts, IMAGE, *cmd)
    assert r.returncode == 0, str(r)
    cid = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", cid), str(r)
    return cid


def test_runtime_is_used(docker, name, runtime):
    """The container runs on the runtime under test: `docker info` lists it,
    and the runtime's own `state`, pointed at the root the shim gave it
    (under --exec-root), knows the container with docker's pid."""
    r = docker.ok("info", "--format", "{{json .Runtimes}}")
    assert '"capsa"' in r.stdout and runtime in r.stdout, str(r)
    with removed_after(docker, name):
        cid = start_detached(docker, name, "sleep", "1000")
        st = docker.inspect(name)
        assert st["HostConfig"]["Runtime"] == "capsa"
        dirs = glob.glob(os.path.join(docker.exec_root, "runtime-*", "moby",
                                      cid))
        assert len(dirs) == 1, os.listdir(docker.exec_root)
        root = os.path.dirname(dirs[0])
        r = run([runtime, "--root", root, "state", cid])
        assert r.returncode == 0, str(r)
        state = json.loads(r.stdout)
        assert (state["id"], state["status"], state["pid"]) == \
            (cid, "running", st["State"]["Pid"]), str(r)


@pytest.mark.parametrize("code", [0, 7])
def test_run_rm_output_and_exit_code(docker, name, code):
    r = docker.run("--rm", "--name", name, IMAGE, "sh", "-c",
                   "echo hello from $(hostname); echo to-stderr >&2; "
                   "exit %d" % code)
    assert r.returncode == code, str(r)
    assert r.stdout == "hello from %s\n" % r.stdout.split()[-1], str(r)
    assert "to-stderr" in r.stderr, str(r)
    assert not exists(docker, name), "--rm left the container behind"


def test_run_missing_command(docker, name):
    r = docker.run("--rm", "--name", name, IMAGE, "no-such-cmd")
    assert r.returncode == 127, str(r)
    assert "no-such-cmd" in r.stderr, str(r)
    assert "executable file not found" in r.stderr, str(r)


def test_run_stdin_and_settings(docker, name):
    """-i: stdin piped through; env, cwd, user and hostname reach the
    process; HOME, which docker leaves to the runtime, is the user's in
    the image's /etc/passwd."""
    r = docker.run("--rm", "-i", "--name", name, "-e", "GREETING=hi there",
                   "-w", "/tmp", "--user", "1:1", "--hostname", "dk-host",
                   IMAGE, "sh", "-c", 'tr a-z A-Z; echo "$GREETING"; pwd; '
                   'id -u; id -g; hostname; echo "$HOME"',
                   input="piped through\n")
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["PIPED THROUGH", "hi there", "/tmp",
                                     "1", "1", "dk-host", "/usr/sbin"], str(r)
    r = docker.run("--rm", "--name", name, IMAGE, "sh", "-c", 'echo "$HOME"')
    assert r.stdout == "/root\n", str(r)


def test_detached_exec_stop_rm(docker, name):
    with removed_after(docker, name):
        cid = start_detached(docker, name, "sh", "-c",
                             "trap 'exit 42' TERM; echo started; "
                             "while :; do sleep 0.1; done")
        st = docker.inspect(name)["State"]
        assert (st["Status"], st["Running"]) == ("running", True), str(st)
        pid = st["Pid"]
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            assert f.read().split(b"\0")[:2] == [b"sh", b"-c"]
        r = docker.ok("ps", "--filter", "id=" + cid, "--format",
                      "{{.Names}} {{.Status}}")
        assert re.fullmatch(name + r" Up .*", r.stdout.strip()), str(r)
        wait_for(lambda: "started" in docker.ok("logs", name).stdout,
                 what="'started' in docker logs")
        # exec: output, stderr, exit code; env and cwd; a missing command
        r = docker("exec", name, "sh", "-c",
                   "echo exec-out; echo exec-err >&2; exit 5")
        assert r.returncode == 5, str(r)
        assert r.stdout == "exec-out\n", str(r)
        assert "exec-err" in r.stderr, str(r)
        r = docker("exec", "-e", "V=42", "-w", "/etc", "-u", "1", name,
                   "sh", "-c", "echo $V $(pwd) $(id -u)")
        assert (r.returncode, r.stdout) == (0, "42 /etc 1\n"), str(r)
        r = docker("exec", name, "no-such-cmd")
        assert r.returncode == 126, str(r)  # docker's "cannot invoke"
        assert "executable file not found" in r.stdout + r.stderr, str(r)
        r = docker("exec", "-t", name, "tty")
        assert r.returncode == 0, str(r)
        assert re.fullmatch(r"/dev/pts/\d+", r.stdout.strip()), str(r)
        assert docker.inspect(name)["State"]["Status"] == "running"
        # stop: SIGTERM reaches the trap, well within the grace period
        t0 = time.monotonic()
        docker.ok("stop", "-t", "5", name)
        assert time.monotonic() - t0 < 4, "SIGTERM did not end it"
        st = docker.inspect(name)["State"]
        assert (st["Status"], st["ExitCode"]) == ("exited", 42), str(st)
        assert not pid_alive(pid)
        # start again, then rm -f of the running container
        docker.ok("start", name)
        st = wait_for(lambda: (lambda s: s if s["Running"] else None)(
            docker.inspect(name)["State"]), what="the container running")
        pid = st["Pid"]
        docker.ok("rm", "-f", name)
        assert not exists(docker, name)
        wait_for(lambda: not pid_alive(pid), what="pid %d gone" % pid)


def test_stop_falls_back_to_sigkill(docker, name):
    """sleep as pid 1 ignores SIGTERM: stop -t 1 ends in SIGKILL (137)."""
    with removed_after(docker, name):
        start_detached(docker, name, "sleep", "1000")
        docker.ok("stop", "-t", "1", name)
        st = docker.inspect(name)["State"]
        assert (st["Status"], st["ExitCode"]) == ("exited", 137), str(st)


def test_kill_pause_top_rm(docker, name):
    with removed_after(docker, name):
        start_detached(docker, name, "sleep", "1000")
        r = docker.ok("top", name)
        assert "sleep 1000" in r.stdout, str(r)
        docker.ok("pause", name)
        st = docker.inspect(name)["State"]
        assert (st["Status"], st["Paused"]) == ("paused", True), str(st)
        docker.ok("unpause", name)
        assert docker.inspect(name)["State"]["Status"] == "running"
        docker.ok("kill", name)
        wait_for(lambda: docker.inspect(name)["State"]["Status"] == "exited",
                 what="the container to exit")
        assert docker.inspect(name)["State"]["ExitCode"] == 137
        docker.ok("rm", name)
        assert not exists(docker, name)


PROMPT = b"# "


def test_run_it_pty(docker, name):
    out, rc = run_pty(docker.run_cmd("--rm", "-it", "--name", name, IMAGE,
                                     "sh"),
                      steps=[(PROMPT, b"tty; stty size; exit 3\r")],
                      env=docker.env)
    text = out.decode(errors="replace")
    assert rc == 3, text
    assert re.search(r"^/dev/pts/\d+\r?$", text, re.M), text
    assert re.search(r"^31 101\r?$", text, re.M), text
    assert not exists(docker, name)


def test_logs_stats_update(docker, name):
    """logs after exit; stats --no-stream (the shim reads the cgroup);
    update --memory (containerd's UpdateTask: the runtime's update, given
    every resource with 0 for those not set) seen from the host and from
    inside: the memory limit lowered, then raised above the old swap
    limit, while cpu shares and the pids limit stay as they were."""
    with removed_after(docker, name):
        start_detached(docker, name, "sh", "-c",
                       "echo one; echo two >&2; exec sleep 1000",
                       opts=["--memory", "64m", "--cpu-shares", "512",
                             "--pids-limit", "50"])
        wait_for(lambda: docker.ok("logs", name).stdout == "one\n",
                 what="'one' in docker logs")
        r = docker.ok("logs", name)
        assert r.stderr == "two\n", str(r)
        r = docker.ok("stats", "--no-stream", "--format",
                      "{{json .}}", name)
        s = json.loads(r.stdout)
        assert s["PIDs"] == "1", str(r)
        usage, limit = [x.strip() for x in s["MemUsage"].split("/")]
        assert limit == "64MiB", str(r)
        assert not usage.startswith("0B"), str(r)
        pid = docker.inspect(name)["State"]["Pid"]

        def cg(ctrl, f):
            with open(host_cgroup_file(pid, ctrl, f)) as fh:
                return fh.read().strip()
        docker.ok("update", "--memory", "48m", "--memory-swap", "96m", name)
        assert docker.inspect(name)["HostConfig"]["Memory"] == 48 << 20
        r = docker.ok("exec", name, "cat",
                      "/sys/fs/cgroup/memory/memory.limit_in_bytes")
        assert r.stdout.strip() == str(48 << 20), str(r)
        r = docker.ok("stats", "--no-stream", "--format", "{{json .}}", name)
        assert json.loads(r.stdout)["MemUsage"].endswith("/ 48MiB"), str(r)
        # up, past the current memory+swap limit (96m): swap goes first
        docker.ok("update", "--memory", "256m", "--memory-swap", "512m", name)
        assert cg("memory", "memory.limit_in_bytes") == str(256 << 20)
        if os.path.exists(host_cgroup_file(pid, "memory",
                                           "memory.memsw.limit_in_bytes")):
            assert cg("memory", "memory.memsw.limit_in_bytes") == \
                str(512 << 20)
        assert cg("cpu", "cpu.shares") == "512"
        assert cg("pids", "pids.max") == "50"
        docker.ok("exec", name, "true")


def test_run_init(docker, name):
    """--init: docker-init (tini) as pid 1, forwarding SIGTERM."""
    if not os.path.exists("/usr/bin/docker-init") and \
            not os.path.exists("/usr/libexec/docker/docker-init"):
        pytest.skip("docker-init is not installed")
    r = docker.run("--rm", "--init", "--name", name + "-a", IMAGE, "sh", "-c",
                   "cat /proc/1/cmdline | tr '\\0' ' '")
    assert r.returncode == 0, str(r)
    assert r.stdout.startswith("/sbin/docker-init -- sh -c"), str(r)
    with removed_after(docker, name):
        start_detached(docker, name, "sleep", "1000", opts=["--init"])
        t0 = time.monotonic()
        docker.ok("stop", "-t", "5", name)
        assert time.monotonic() - t0 < 4, "SIGTERM was not forwarded"
        st = docker.inspect(name)["State"]
        assert (st["Status"], st["ExitCode"]) == ("exited", 143), str(st)


def test_run_read_only_tmpfs_bind(docker, name, tmp_path):
    """--read-only, --tmpfs and -v (read-write and :ro)."""
    (tmp_path / "given").write_text("from the host\n")
    r = docker.run(
        "--rm", "--name", name, "--read-only", "--tmpfs", "/scratch",
        "-v", "%s:/data" % tmp_path, "-v", "%s:/conf:ro" % tmp_path,
        IMAGE, "sh", "-c",
        "touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro; "
        "touch /scratch/f && echo scratch-writable; stat -c %a /scratch; "
        "cat /conf/given; "
        "echo written > /data/out; touch /conf/y 2>/dev/null || "
        "echo conf-ro")
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["rootfs-ro", "scratch-writable", "1777",
                                     "from the host", "conf-ro"], str(r)
    assert (tmp_path / "out").read_text() == "written\n"


def test_join_another_containers_namespaces(docker, name):
    """--pid/--ipc container:NAME: the runtime joins the namespaces of a
    running container by path."""
    with removed_after(docker, name):
        start_detached(docker, name, "sleep", "1000",
                       opts=["--ipc", "shareable"])
        pid = docker.inspect(name)["State"]["Pid"]
        r = docker.run("--rm", "--pid", "container:" + name,
                       "--ipc", "container:" + name, IMAGE, "sh", "-c",
                       "cat /proc/1/cmdline | tr '\\0' ' '; echo; "
                       "readlink /proc/self/ns/ipc")
        assert r.returncode == 0, str(r)
        lines = r.stdout.splitlines()
        assert lines[0] == "sleep 1000 ", str(r)
        assert lines[1] == os.readlink("/proc/%d/ns/ipc" % pid), str(r)
