"""capsad SIGKILLed at every checkpoint of RunPodSandbox and CreateContainer
(the fault-injection build: $CAPSAD_FI, default build-fi/capsad, made by
`make check`; CAPSA_FAULT_STEP=N kills the Nth checkpoint a process passes,
capsad's or one of its children's): started again, the kubelet's retry
succeeds and nothing of the killed attempt is left."""
import json
import os
import signal

import grpc
import pytest

import criclient
import procs
from conftest import REPO, Capsad, conflist, pod_config

CAPSAD_FI = os.environ.get("CAPSAD_FI", os.path.join(REPO, "build-fi", "capsad"))
pytestmark = pytest.mark.skipif(not os.access(CAPSAD_FI, os.X_OK),
                                reason="the fault-injection build %s is missing (make check "
                                "builds it; or set CAPSAD_FI)" % CAPSAD_FI)


@pytest.fixture
def fi(capsad, tmp_path):
    """A capsad of the fault-injection build on the session's store; the
    session's own capsad is stopped meanwhile."""
    capsad.stop()
    d = Capsad(capsad.base, capsad.netns)
    d.binary = CAPSAD_FI
    yield d
    d.stop()
    capsad.start()


def run_fi(d, step=None, trace=None):
    env = {}
    if step:
        env["CAPSA_FAULT_STEP"] = str(step)
    if trace:
        env["CAPSA_FAULT_TRACE"] = trace
    d.start(env=env)


def steps_of(trace, prefix):
    """The checkpoints a clean run passed, of capsad's own process."""
    with open(trace) as f:
        return [int(l.split()[0]) for l in f if l.split(" ", 1)[1].startswith(prefix)]


def retry_is_clean(d, cfg, what):
    run_fi(d)
    c = criclient.Cri(d.sock)
    pid = c.call("RunPodSandbox", config=cfg).pod_sandbox_id
    items = c.call("ListPodSandbox").items
    assert [p.id for p in items] == [pid], (what, items)
    pods = json.loads(d.capsactl("pod", "ps", "--format", "json").stdout)
    assert [p["Id"] for p in pods] == [pid], (what, pods)
    return c, pid


def cleanup(d, c):
    for p in c.call("ListPodSandbox").items:
        c.call("StopPodSandbox", pod_sandbox_id=p.id)
        c.call("RemovePodSandbox", pod_sandbox_id=p.id)
    d.stop()


def test_run_pod_sandbox_killed_at_every_step(fi, tmp_path):
    trace = str(tmp_path / "trace")
    run_fi(fi, trace=trace)
    c = criclient.Cri(fi.sock)
    c.call("RunPodSandbox", config=pod_config("probe"))
    cleanup(fi, c)
    n = sum(1 for _ in open(trace))
    assert n >= 3, open(trace).read()
    for step in range(1, n + 1):
        cfg = pod_config("killed%d" % step)
        run_fi(fi, step=step)
        try:
            criclient.Cri(fi.sock).call("RunPodSandbox", config=cfg, timeout=30)
        except grpc.RpcError:
            pass
        fi.stop(signal.SIGKILL)
        c, _ = retry_is_clean(fi, cfg, "step %d" % step)
        cleanup(fi, c)
        assert fi.capsactl("ps", "-aq").stdout.strip() == "", step


def test_create_container_killed_at_every_step(fi, tmp_path):
    cfg = pod_config("host")
    ctr = {"metadata": {"name": "c"}, "image": {"image": "localhost/busybox:latest"},
           "command": ["sleep", "300"]}
    trace = str(tmp_path / "trace")
    run_fi(fi)
    c = criclient.Cri(fi.sock)
    pid = c.call("RunPodSandbox", config=cfg).pod_sandbox_id
    fi.stop()
    run_fi(fi, trace=trace)
    c = criclient.Cri(fi.sock)
    cid = c.call("CreateContainer", pod_sandbox_id=pid, config=ctr).container_id
    c.call("RemoveContainer", container_id=cid)
    fi.stop()
    n = sum(1 for _ in open(trace))
    for step in range(1, n + 1):
        run_fi(fi, step=step)
        try:
            criclient.Cri(fi.sock).call("CreateContainer", pod_sandbox_id=pid, config=ctr,
                                        timeout=30)
        except grpc.RpcError:
            pass
        fi.stop(signal.SIGKILL)
        run_fi(fi)
        c = criclient.Cri(fi.sock)
        cid = c.call("CreateContainer", pod_sandbox_id=pid, config=ctr).container_id
        ids = [x.id for x in c.call("ListContainers").containers]
        assert ids == [cid], (step, ids)
        # the engine has the infra container and this one only
        assert len(fi.capsactl("ps", "-aq").stdout.split()) == 2, step
        c.call("RemoveContainer", container_id=cid)
        fi.stop()
    run_fi(fi)
    cleanup(fi, criclient.Cri(fi.sock))
