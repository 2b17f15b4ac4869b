"""The run flags capsad maps CRI's configs onto, end to end: a --device
node, a --sysctl, --cgroup-parent, --group-add, --oom-score-adj and the
log at --log-opt path=, as the container's process sees them and as
`logs` and `inspect` read them back; --pid/--ipc/--uts host; the CPU set,
CFS quota and period and the memory reservation in the cgroup files."""
import glob
import os
import socket
import uuid

import procs

SCRIPT = ("stat -c %t:%T /dev/mynull; echo gone > /dev/mynull && echo written; "
          "cat /proc/sys/net/core/somaxconn; id -G; cat /proc/self/oom_score_adj; "
          "grep -m1 :memory: /proc/self/cgroup")


def test_cri_flags_end_to_end(engine, tmp_path):
    parent = "/capsa-test-" + uuid.uuid4().hex[:8]
    log = tmp_path / "logs" / "c.log"
    log.parent.mkdir()
    try:
        engine.ok("run", "-d", "--name", "c", "--device", "/dev/null:/dev/mynull:rw",
                  "--sysctl", "net.core.somaxconn=123", "--cgroup-parent", parent,
                  "--group-add", "nogroup", "--oom-score-adj", "500",
                  "--log-opt", "path=%s" % log, "busybox", "sh", "-c", SCRIPT)
        engine.wait_state("c", "exited")
        info = engine.inspect("c")
        cid = info["Id"]
        assert info["State"]["ExitCode"] == 0
        assert info["LogPath"] == str(log)
        out = engine.ok("logs", "c").stdout.splitlines()
        assert out[:5] == ["1:3", "written", "123", "0 65534", "500"], out
        assert out[5].endswith(":memory:%s/capsa-%s" % (parent, cid)), out
        # the shim wrote the custom file, not the default one
        assert os.path.getsize(log) > 0
        assert not os.path.exists(os.path.join(engine.root, "containers", cid, "ctr.log"))
        engine.ok("rm", "c")
        procs.wait_for(lambda: not glob.glob("/sys/fs/cgroup/*%s/capsa-%s" % (parent, cid)),
                       timeout=10, what="the container's cgroups removed")
    finally:
        # the parent is the caller's (the kubelet's pod cgroup): left by rm
        for d in glob.glob("/sys/fs/cgroup/*" + parent) + glob.glob("/sys/fs/cgroup" + parent):
            for sub in glob.glob(d + "/capsa-*"):
                os.rmdir(sub)
            os.rmdir(d)


def test_cri_flags_refused(engine):
    r = engine.fails("run", "--rm", "--device", "/dev/pts:/dev/x", "busybox", "true", code=125)
    assert "--device /dev/pts: a directory" in r.stderr
    r = engine.fails("run", "--rm", "--network", "host", "--sysctl", "net.core.somaxconn=1",
                     "busybox", "true", code=125)
    assert "not allowed with --network host" in r.stderr
    r = engine.fails("run", "--rm", "--group-add", "nosuchgroup", "busybox", "true", code=125)
    assert "--group-add nosuchgroup: no such group" in r.stderr
    assert engine.ps() == []


def test_host_namespaces(engine):
    script = "for n in pid ipc uts; do readlink /proc/self/ns/$n; done; hostname; " \
             "stat -c %d /dev/shm"
    r = engine.ok("run", "--rm", "--pid", "host", "--ipc", "host", "--uts", "host", "busybox",
                  "sh", "-c", script)
    want = [os.readlink("/proc/self/ns/" + n) for n in ("pid", "ipc", "uts")]
    lines = r.stdout.splitlines()
    assert lines[:3] == want, lines
    assert lines[3] == socket.gethostname()
    assert lines[4] == str(os.stat("/dev/shm").st_dev)  # the host's, bound
    r = engine.ok("run", "--rm", "busybox", "sh", "-c", script)
    lines = r.stdout.splitlines()
    assert not set(lines[:3]) & set(want), lines
    assert lines[4] != str(os.stat("/dev/shm").st_dev)


def test_cpu_and_memory_limits(engine):
    r = engine.ok("run", "--rm", "--cpuset-cpus", "0", "--cpu-quota", "20000", "--cpu-period",
                  "50000", "-m", "64m", "--memory-reservation", "32m", "busybox", "sh", "-c",
                  "cd /sys/fs/cgroup; cat cpuset/cpuset.cpus cpu/cpu.cfs_quota_us "
                  "cpu/cpu.cfs_period_us memory/memory.soft_limit_in_bytes 2>/dev/null || "
                  "cat cpuset.cpus.effective cpu.max memory.low")
    # cgroup v1, else v2 (cpu.max is "QUOTA PERIOD")
    assert r.stdout.split() == ["0", "20000", "50000", str(32 << 20)], r.stdout
