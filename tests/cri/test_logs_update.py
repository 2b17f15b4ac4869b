"""UpdateContainerResources (the new limits in the container's cgroup,
refusals), ReopenContainerLog after the kubelet's rotation (no line lost,
none twice), and `crictl logs -f` following a log across that rotation."""
import json
import os
import re
import subprocess
import time

import grpc
import pytest

import procs
from conftest import find_tool
from test_containers import code_of, create, cstatus, ctr_config, pod  # noqa: F401 (fixture)
from test_crictl import Crictl

CODE = grpc.StatusCode
MIB = 1 << 20
CRICTL = find_tool("CRICTL", "crictl")


def pid_of(cri, cid):
    info = cri.call("ContainerStatus", container_id=cid, verbose=True).info["info"]
    return json.loads(info)["pid"]


def cgroup_file(pid, v1_controller, v1_file, v2_file):
    """The path of a cgroup file of process pid, v1 or v2, whichever holds
    the controller."""
    with open("/proc/%d/cgroup" % pid) as f:
        lines = [l.rstrip("\n").split(":", 2) for l in f]
    for _, ctrls, path in lines:
        if v1_controller in ctrls.split(","):
            for d in os.listdir("/sys/fs/cgroup"):
                if v1_controller in d.split(","):
                    return os.path.join("/sys/fs/cgroup", d, path.lstrip("/"), v1_file)
    for _, ctrls, path in lines:
        if ctrls == "" and not os.path.isdir("/sys/fs/cgroup/unified"):
            return os.path.join("/sys/fs/cgroup", path.lstrip("/"), v2_file)
    pytest.skip("no %s controller for the container" % v1_controller)


def read(path):
    with open(path) as f:
        return f.read().strip()


def memory_limit(pid):
    v = read(cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max"))
    return v


def cpu_quota(pid):
    p = cgroup_file(pid, "cpu", "cpu.cfs_quota_us", "cpu.max")
    v = read(p)
    if p.endswith("cpu.max"):
        quota, period = v.split()
        return quota, period
    return v, read(os.path.join(os.path.dirname(p), "cpu.cfs_period_us"))


def test_update_container_resources(cri, pod):
    cid = create(cri, pod, ctr_config("resized", ["sleep", "300"],
                                      linux={"resources": {"memory_limit_in_bytes": 64 * MIB}}))
    cri.call("StartContainer", container_id=cid)
    pid = pid_of(cri, cid)
    assert memory_limit(pid) == str(64 * MIB)
    assert cstatus(cri, cid).resources.linux.memory_limit_in_bytes == 64 * MIB
    cri.call("UpdateContainerResources", container_id=cid,
             linux={"memory_limit_in_bytes": 128 * MIB, "cpu_quota": 50000,
                    "cpu_period": 100000, "cpu_shares": 256})
    assert memory_limit(pid) == str(128 * MIB)
    assert cpu_quota(pid) == ("50000", "100000")
    # what the kubelet reads back after an in-place resize
    res = cstatus(cri, cid).resources.linux
    assert (res.memory_limit_in_bytes, res.cpu_quota, res.cpu_shares) == (128 * MIB, 50000, 256)
    # the container runs on with its new limits
    assert cstatus(cri, cid).state == 1
    r = cri.call("ExecSync", request=cri.msg("ExecSyncRequest", container_id=cid,
                                             cmd=["true"], timeout=10))
    assert r.exit_code == 0
    # an unknown container, an exited one
    code, _ = code_of(lambda: cri.call("UpdateContainerResources", container_id="nosuch",
                                       linux={"memory_limit_in_bytes": 128 * MIB}))
    assert code == CODE.NOT_FOUND
    cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=cid,
                                              timeout=0))
    code, msg = code_of(lambda: cri.call("UpdateContainerResources", container_id=cid,
                                         linux={"memory_limit_in_bytes": 128 * MIB}))
    assert code == CODE.FAILED_PRECONDITION and "not running" in msg


def log_lines(paths):
    """The messages of CRI log files, in order: "TIME STREAM TAG MSG"."""
    out = []
    for p in paths:
        if not os.path.exists(p):
            continue
        with open(p) as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 3)
                assert len(parts) == 4 and parts[1] in ("stdout", "stderr"), line
                out.append(parts[3])
    return out


COUNT_TO = "i=0; while [ $i -lt {n} ]; do echo line $i; i=$((i+1)); usleep {us}; done"


def rotate(cri, cid, log):
    """What the kubelet does: rename the log, ask for a new one."""
    os.rename(log, log + ".1")
    cri.call("ReopenContainerLog", container_id=cid)
    assert os.path.exists(log), "ReopenContainerLog returned before the new log existed"


def test_reopen_log_loses_no_line(cri, pod):
    n = 600
    cid = create(cri, pod, ctr_config("chatty", ["sh", "-c", COUNT_TO.format(n=n, us=5000)]))
    log = cstatus(cri, cid).log_path
    cri.call("StartContainer", container_id=cid)
    procs.wait_for(lambda: len(log_lines([log])) >= 100, timeout=20, what="100 lines")
    rotate(cri, cid, log)
    procs.wait_for(lambda: cstatus(cri, cid).state == 2, timeout=30, what="the count to end")
    before, after = log_lines([log + ".1"]), log_lines([log])
    assert before and after, "the rotation fell outside the run"
    assert before + after == ["line %d" % i for i in range(n)]
    # a stopped container has no writer to reopen
    code, _ = code_of(lambda: cri.call("ReopenContainerLog", container_id=cid))
    assert code == CODE.FAILED_PRECONDITION
    code, _ = code_of(lambda: cri.call("ReopenContainerLog", container_id="nosuch"))
    assert code == CODE.NOT_FOUND


@pytest.mark.skipif(CRICTL is None, reason="crictl is not installed (set CRICTL)")
def test_crictl_logs_follow_across_rotation(cri, pod, capsad):
    """`crictl logs -f` started before the first line: it prints every line
    once, the rotation between them, and ends when the container does."""
    n = 300
    cid = create(cri, pod, ctr_config("followed", ["sh", "-c", "sleep 1; " +
                                                   COUNT_TO.format(n=n, us=10000)]))
    log = cstatus(cri, cid).log_path
    cri.call("StartContainer", container_id=cid)
    follower = subprocess.Popen(Crictl(capsad).base + ["logs", "-f", cid],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        procs.wait_for(lambda: len(log_lines([log])) >= 100, timeout=20, what="100 lines")
        rotate(cri, cid, log)
        out, err = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 0, err
    got = [l for l in out.splitlines() if l.startswith("line ")]
    assert got == ["line %d" % i for i in range(n)], (len(got), got[:3], got[-3:])
