"""Containers through the CRI: create from the image and the config as the
kubelet merges them, start once, status with exit codes and reasons,
stop, remove, list filters, hostile configs."""
import json
import os
import threading
import time

import grpc
import pytest

import procs
from conftest import pod_config

CODE = grpc.StatusCode
CREATED, RUNNING, EXITED = 0, 1, 2
IMAGE = "localhost/busybox:latest"


def code_of(fn):
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code(), e.value.details()


def ctr_config(name, command=None, args=None, **extra):
    cfg = {"metadata": {"name": name, "attempt": 0}, "image": {"image": IMAGE},
           "log_path": name + ".log", "labels": {"c": name}, "annotations": {"a": "1"}}
    if command is not None:
        cfg["command"] = command
    if args is not None:
        cfg["args"] = args
    cfg.update(extra)
    return cfg


@pytest.fixture
def pod(cri, tmp_path):
    cfg = pod_config(log_directory=str(tmp_path / "logs"))
    os.makedirs(cfg["log_directory"])
    pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    return pid, cfg


def create(cri, pod, cfg):
    pid, pcfg = pod
    return cri.call("CreateContainer", pod_sandbox_id=pid, config=cfg,
                    sandbox_config=pcfg).container_id


def cstatus(cri, cid, verbose=False):
    return cri.call("ContainerStatus", container_id=cid, verbose=verbose).status


def wait_exit(cri, cid, timeout=20):
    procs.wait_for(lambda: cstatus(cri, cid).state == EXITED, timeout=timeout,
                   what="container %s exited" % cid[:12])
    return cstatus(cri, cid)


def test_lifecycle_and_exit_codes(cri, pod, capsad):
    cid = create(cri, pod, ctr_config("sleeper", ["sh", "-c", "sleep 300"]))
    st = cstatus(cri, cid)
    assert st.state == CREATED and st.metadata.name == "sleeper"
    assert st.image.image == IMAGE and st.image_ref.startswith("sha256:")
    assert dict(st.labels) == {"c": "sleeper"}
    assert st.log_path == os.path.join(pod[1]["log_directory"], "sleeper.log")
    cri.call("StartContainer", container_id=cid)
    st = cstatus(cri, cid)
    assert st.state == RUNNING and st.started_at >= st.created_at > 0
    # starts once
    code, msg = code_of(lambda: cri.call("StartContainer", container_id=cid))
    assert code == CODE.FAILED_PRECONDITION
    t0 = time.monotonic()
    cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=cid,
                                              timeout=1))
    assert time.monotonic() - t0 < 10
    st = cstatus(cri, cid)
    assert st.state == EXITED and st.exit_code in (137, 143) and st.reason == "Error"
    assert st.finished_at >= st.started_at
    # exit codes as the process left them; the reason Completed for 0
    a = create(cri, pod, ctr_config("zero", ["true"]))
    b = create(cri, pod, ctr_config("three", ["sh", "-c", "exit 3"]))
    for c in (a, b):
        cri.call("StartContainer", container_id=c)
    assert (wait_exit(cri, a).exit_code, wait_exit(cri, a).reason) == (0, "Completed")
    assert (wait_exit(cri, b).exit_code, wait_exit(cri, b).reason) == (3, "Error")
    # capsactl sees them as members of the pod
    ps = json.loads(capsad.capsactl("ps", "-a", "--format", "json").stdout)
    assert {cid, a, b} <= {c["Id"] for c in ps}
    for c in (cid, a, b):
        cri.call("RemoveContainer", container_id=c)
        cri.call("RemoveContainer", container_id=c)
        code, _ = code_of(lambda: cstatus(cri, c))
        assert code == CODE.NOT_FOUND


def test_command_args_env_workdir(cri, pod, tmp_path):
    """command replaces the image's entrypoint, args its cmd; env and the
    working directory as given; the log at the kubelet's path."""
    cfg = ctr_config("echo", ["sh", "-c"], ['echo "$GREETING from $(pwd)"'],
                     envs=[{"key": "GREETING", "value": b"hello"}], working_dir="/tmp")
    cid = create(cri, pod, cfg)
    cri.call("StartContainer", container_id=cid)
    assert wait_exit(cri, cid).exit_code == 0
    log = os.path.join(pod[1]["log_directory"], "echo.log")
    procs.wait_for(lambda: os.path.exists(log) and "hello" in open(log).read(), timeout=10,
                   what="the log line")
    line = open(log).read().splitlines()[0]
    # CRI log format: time stream tag message
    ts, stream, tag, msg = line.split(" ", 3)
    assert stream == "stdout" and tag == "F" and msg == "hello from /tmp", line


def test_list_filters(cri, pod):
    a = create(cri, pod, ctr_config("a", ["sleep", "300"], labels={"tier": "x"}))
    b = create(cri, pod, ctr_config("b", ["sleep", "300"], labels={"tier": "y"}))
    cri.call("StartContainer", container_id=a)
    ids = lambda **f: sorted(c.id for c in cri.call("ListContainers", filter=f).containers)
    assert ids() == sorted([a, b])
    assert ids(id=a[:10]) == [a]
    assert ids(pod_sandbox_id=pod[0]) == sorted([a, b])
    assert ids(pod_sandbox_id="ff" * 32) == []
    assert ids(state={"state": RUNNING}) == [a]
    assert ids(state={"state": CREATED}) == [b]
    assert ids(label_selector={"tier": "y"}) == [b]


def lstate(cri, cid):
    return [c.state for c in cri.call("ListContainers", filter={"id": cid}).containers]


def test_list_sees_an_exit_at_once(cri, pod):
    """The lists read states cheaply (src/cri/ctr_live.h), never staler than
    ContainerStatus: once a status says exited, the next ListContainers
    and ListContainerStats say so too (the kubelet's PLEG relies on it),
    and the state filter agrees."""
    cid = create(cri, pod, ctr_config("brief", ["sh", "-c", "sleep 1; exit 3"]))
    keep = create(cri, pod, ctr_config("keep", ["sleep", "300"]))
    for c in (cid, keep):
        cri.call("StartContainer", container_id=c)
    assert lstate(cri, cid) == [RUNNING]
    deadline = time.monotonic() + 20
    while cstatus(cri, cid).state != EXITED:
        assert lstate(cri, cid) in ([RUNNING], [EXITED])
        assert time.monotonic() < deadline, "no exit"
    assert lstate(cri, cid) == [EXITED]
    ids = lambda **f: sorted(c.id for c in cri.call("ListContainers", filter=f).containers)
    assert ids(state={"state": EXITED}) == [cid]
    assert ids(state={"state": RUNNING}) == [keep]
    st = [s for s in cri.call("ListContainerStats").stats if s.attributes.id == cid]
    assert len(st) == 1 and not st[0].HasField("cpu")   # no numbers once exited
    assert lstate(cri, keep) == [RUNNING]


def test_list_sees_an_exit_without_its_shim(cri, pod):
    """A container whose shim was killed writes no exit file: its end is
    still seen by the next list (its init's pidfd), with no exit code."""
    cid = create(cri, pod, ctr_config("orphan", ["sleep", "300"]))
    cri.call("StartContainer", container_id=cid)
    assert lstate(cri, cid) == [RUNNING]
    info = json.loads(cri.call("ContainerStatus", container_id=cid, verbose=True).info["info"])
    shims = procs.procs_with(cid, exe="capsa-shim")
    assert shims, "no shim for %s" % cid
    procs.kill_and_wait(shims)
    assert lstate(cri, cid) == [RUNNING]   # its process lives on
    procs.kill_and_wait([info["pid"]])
    assert lstate(cri, cid) == [EXITED]
    st = cstatus(cri, cid)
    assert (st.state, st.reason, st.exit_code) == (EXITED, "Unknown", 255), st


def test_retry_same_config(cri, pod):
    cfg = ctr_config("again", ["true"])
    a = create(cri, pod, cfg)
    assert create(cri, pod, cfg) == a
    other = dict(cfg, args=["x"])
    code, msg = code_of(lambda: create(cri, pod, other))
    assert code == CODE.ALREADY_EXISTS and a in msg


@pytest.mark.parametrize("change, text", [
    ({"log_path": "../../etc/passwd"}, "log_path"),
    ({"log_path": "/abs.log"}, "log_path"),
    ({"mounts": [{"container_path": "/x/../../etc", "host_path": "/tmp"}]}, "container_path"),
    ({"mounts": [{"container_path": "relative", "host_path": "/tmp"}]}, "container_path"),
    ({"mounts": [{"container_path": "/data", "host_path": "tmp"}]}, "host_path"),
    ({"metadata": {"name": "a/b"}}, "metadata.name"),
    ({"envs": [{"key": "A=B", "value": b"x"}]}, "env"),
    ({"linux": {"security_context": {"capabilities": {"add_capabilities": ["NOPE"]}}}},
     "NOPE"),
])
def test_hostile_configs(cri, pod, capsad, change, text):
    cfg = ctr_config("bad", ["true"])
    cfg.update(change)
    code, msg = code_of(lambda: create(cri, pod, cfg))
    assert code == CODE.INVALID_ARGUMENT and text in msg, (code, msg)
    assert list(cri.call("ListContainers").containers) == []
    # only the infra container is in the engine
    assert len(capsad.capsactl("ps", "-aq").stdout.split()) == 1


def test_missing_sandbox_and_image(cri, pod):
    code, _ = code_of(lambda: cri.call("CreateContainer", pod_sandbox_id="ab" * 32,
                                       config=ctr_config("x", ["true"])))
    assert code == CODE.NOT_FOUND
    code, msg = code_of(lambda: create(cri, pod, dict(ctr_config("x", ["true"]),
                                                       image={"image": "nosuch:1"})))
    assert code == CODE.NOT_FOUND and "nosuch" in msg
    cri.call("StopPodSandbox", pod_sandbox_id=pod[0])
    code, _ = code_of(lambda: create(cri, pod, ctr_config("x", ["true"])))
    assert code == CODE.FAILED_PRECONDITION
    # unknown containers: stop and status NotFound, remove succeeds
    code, _ = code_of(lambda: cri.call("StartContainer", container_id="cd" * 32))
    assert code == CODE.NOT_FOUND
    cri.call("RemoveContainer", container_id="cd" * 32)


def test_pod_removal_takes_containers(cri, pod, capsad):
    a = create(cri, pod, ctr_config("a", ["sleep", "300"]))
    cri.call("StartContainer", container_id=a)
    cri.call("StopPodSandbox", pod_sandbox_id=pod[0])
    assert cstatus(cri, a).state == EXITED
    cri.call("RemovePodSandbox", pod_sandbox_id=pod[0])
    assert list(cri.call("ListContainers").containers) == []
    assert capsad.capsactl("ps", "-aq").stdout.strip() == ""


def exec_sync(cri, cid, cmd, timeout=0, deadline=None):
    return cri.call("ExecSync", request=cri.msg("ExecSyncRequest", container_id=cid, cmd=cmd,
                                                timeout=timeout), timeout=deadline)


def test_exec_sync(cri, pod):
    cid = create(cri, pod, ctr_config("probe", ["sleep", "300"]))
    cri.call("StartContainer", container_id=cid)
    r = exec_sync(cri, cid, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (r.stdout, r.stderr, r.exit_code) == (b"out\n", b"err\n", 3)
    assert exec_sync(cri, cid, ["true"]).exit_code == 0
    # a command that is not there: the runtime's error, as containerd answers
    code, msg = code_of(lambda: exec_sync(cri, cid, ["/no/such/binary"]))
    assert code == CODE.UNKNOWN and "/no/such/binary" in msg, msg
    # bounded output: 8 MiB of each stream at most
    r = exec_sync(cri, cid, ["head", "-c", "9000000", "/dev/zero"], deadline=60)
    assert len(r.stdout) == 8 << 20
    # the timeout: DeadlineExceeded, soon, and the process gone
    t0 = time.monotonic()
    code, msg = code_of(lambda: exec_sync(cri, cid, ["sh", "-c", "sleep 60"], timeout=1))
    assert code == CODE.DEADLINE_EXCEEDED, msg
    assert time.monotonic() - t0 < 8
    r = exec_sync(cri, cid, ["ps"])
    assert b"sleep 60" not in r.stdout, r.stdout
    # and the call's own deadline bounds it too
    code, _ = code_of(lambda: exec_sync(cri, cid, ["sleep", "60"], deadline=1.5))
    assert code == CODE.DEADLINE_EXCEEDED
    cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=cid,
                                              timeout=0))
    code, _ = code_of(lambda: exec_sync(cri, cid, ["true"]))
    assert code == CODE.FAILED_PRECONDITION


def test_container_events(cri, pod):
    """GetContainerEvents: created, started, stopped, deleted, in order,
    for a container the test drives and for one that exits by itself."""
    events = []
    stream = cri.call("GetContainerEvents", timeout=60)

    def read():
        try:
            for ev in stream:
                events.append((ev.container_id, ev.container_event_type))
        except Exception as e:
            events.append(("error", repr(e)[:300]))

    t = threading.Thread(target=read, daemon=True)
    t.start()
    time.sleep(0.5)
    a = create(cri, pod, ctr_config("ev", ["sleep", "300"]))
    cri.call("StartContainer", container_id=a)
    b = create(cri, pod, ctr_config("self", ["true"]))
    cri.call("StartContainer", container_id=b)
    wait_exit(cri, b)
    cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=a,
                                              timeout=0))
    cri.call("RemoveContainer", container_id=a)
    try:
        procs.wait_for(lambda: (a, 3) in events and (b, 2) in events, timeout=10,
                       what="the events")
    except BaseException:
        print("events:", events)
        raise
    stream.cancel()
    assert [e for i, e in events if i == a] == [0, 1, 2, 3], events
    assert [e for i, e in events if i == b] == [0, 1, 2], events


def test_oom_killed(cri, pod):
    """A container the kernel kills for memory reads OOMKilled, not Error."""
    cfg = ctr_config("hog", ["sh", "-c", "x=a; while true; do x=$x$x; done"],
                     linux={"resources": {"memory_limit_in_bytes": 20 << 20}})
    cid = create(cri, pod, cfg)
    cri.call("StartContainer", container_id=cid)
    st = wait_exit(cri, cid, timeout=60)
    assert (st.reason, st.exit_code) == ("OOMKilled", 137), st


def cgroup_paths(pid):
    """controller(s) -> cgroup path of process pid."""
    with open("/proc/%d/cgroup" % pid) as f:
        return {ctrls: path for _, ctrls, path in
                (l.rstrip("\n").split(":", 2) for l in f)}


def remove_cgroup_tree(rel):
    """rel (a directory below a hierarchy's root) removed from every
    hierarchy, v1 or v2, deepest first."""
    top = "/sys/fs/cgroup"
    for base in [top] + [os.path.join(top, h) for h in os.listdir(top)]:
        d = os.path.join(base, rel.lstrip("/"))
        if os.path.isdir(d) and os.path.realpath(d).startswith(top):
            for sub in sorted((w[0] for w in os.walk(d)), key=len, reverse=True):
                os.rmdir(sub)


def test_pod_cgroup_parent_holds_every_container(cri, tmp_path):
    """The kubelet's pod cgroup (linux.cgroup_parent) holds the infra
    container and each container of the pod, so the pod's limits apply
    to all of them."""
    parent = "/kubepods-test/pod" + os.urandom(4).hex()
    cfg = pod_config(log_directory=str(tmp_path / "logs"), linux={"cgroup_parent": parent})
    os.makedirs(cfg["log_directory"])
    pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    try:
        infra = json.loads(cri.call("PodSandboxStatus", pod_sandbox_id=pid,
                                    verbose=True).info["info"])["pid"]
        cid = create(cri, (pid, cfg), ctr_config("member", ["sleep", "300"]))
        cri.call("StartContainer", container_id=cid)
        member = json.loads(cri.call("ContainerStatus", container_id=cid,
                                     verbose=True).info["info"])["pid"]
        for p in (infra, member):
            paths = cgroup_paths(p)
            checked = [c for c, path in paths.items() if c and "memory" in c.split(",")]
            checked += [c for c, path in paths.items() if c == "" and
                        not os.path.isdir("/sys/fs/cgroup/unified")]
            assert checked, paths
            for c in checked:
                assert paths[c].startswith(parent + "/"), (p, c, paths[c])
    finally:
        cri.call("StopPodSandbox", pod_sandbox_id=pid)
        cri.call("RemovePodSandbox", pod_sandbox_id=pid)
        remove_cgroup_tree(parent.rsplit("/", 1)[0])


def test_resources_in_status(cri, pod):
    """ContainerStatus.resources: zeros when none were asked (as containerd
    answers), the config's as created, then what UpdateContainerResources
    changed (the kubelet's in-place resize reads them back); the memory
    limit is the cgroup's."""
    plain = create(cri, pod, ctr_config("plain", ["true"]))
    res = cstatus(cri, plain).resources
    assert res.HasField("linux") and res.linux.memory_limit_in_bytes == 0
    cfg = ctr_config("sized", ["sleep", "300"],
                     linux={"resources": {"memory_limit_in_bytes": 64 << 20, "cpu_shares": 512,
                                          "oom_score_adj": 500}})
    cid = create(cri, pod, cfg)
    lin = cstatus(cri, cid).resources.linux
    # a limit without swap bounds memory and swap together (no swap), as
    # containerd sets it
    assert (lin.memory_limit_in_bytes, lin.memory_swap_limit_in_bytes, lin.cpu_shares,
            lin.oom_score_adj) == (64 << 20, 64 << 20, 512, 500)
    cri.call("StartContainer", container_id=cid)
    cri.call("UpdateContainerResources", container_id=cid,
             linux={"memory_limit_in_bytes": 128 << 20, "cpu_period": 100000,
                    "cpu_quota": 50000})
    lin = cstatus(cri, cid).resources.linux
    assert (lin.memory_limit_in_bytes, lin.memory_swap_limit_in_bytes, lin.cpu_shares,
            lin.cpu_period, lin.cpu_quota, lin.oom_score_adj) == \
        (128 << 20, 128 << 20, 512, 100000, 50000, 500)
    # the cgroup's: the limit, and no swap beyond it (v2: memory.swap.max
    # 0; v1: memory+swap equal to the limit, where the kernel counts swap)
    r = exec_sync(cri, cid, ["sh", "-c", "cd /sys/fs/cgroup; cat memory.max memory.swap.max "
                                         "memory/memory.limit_in_bytes "
                                         "memory/memory.memsw.limit_in_bytes 2>/dev/null"])
    lines = r.stdout.decode().split()
    assert lines[0] == str(128 << 20), r
    assert lines[1:] in ([], ["0"], [str(128 << 20)]), r
    # still there once it exited
    cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=cid,
                                              timeout=0))
    assert cstatus(cri, cid).resources.linux.memory_limit_in_bytes == 128 << 20
