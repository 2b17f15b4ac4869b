"""Runtime handlers: capsad given `--runtime runc=PATH --runtime
crun=PATH` runs a pod whose RunPodSandbox names a handler, its infra
container and every container of it, under that runtime (the runtime's
own --root, <runroot>/runtimes/<name>, lists them), through every step the
kubelet takes; an unknown handler is INVALID_ARGUMENT and leaves nothing.
A runtime that cannot run a container on this host is skipped with its
own reason (tests/fixtures/oci_probe.py)."""
import json
import os
import shutil
import signal
import subprocess

import grpc
import pytest

import procs
from conftest import pod_config
from oci_probe import probe

CODE = grpc.StatusCode
READY = 0
CREATED, RUNNING, EXITED = 0, 1, 2
IMAGE = "localhost/busybox:latest"
HANDLERS = ("runc", "crun")


@pytest.fixture(scope="module", autouse=True)
def with_handlers(capsad):
    """The session's capsad, started again with the handlers of the
    runtimes installed here; as it was afterwards."""
    extra = []
    for h in HANDLERS:
        if shutil.which(h):
            extra += ["--runtime", "%s=%s" % (h, shutil.which(h))]
    # and one whose binary is not there
    extra += ["--runtime", "ghost=/nonexistent/ghost-runtime"]
    capsad.stop()
    capsad.start(*extra)
    capsad.handler_args = extra
    yield
    capsad.stop()
    capsad.start()


@pytest.fixture(params=HANDLERS)
def handler(request):
    why = probe(request.param)
    if why:
        pytest.skip(why)
    return request.param


def runtime_ids(capsad, name):
    """What the runtime itself lists under the engine's root for it."""
    root = os.path.join(capsad.runroot, "runtimes", name)
    if not os.path.isdir(root):
        return []
    r = subprocess.run([shutil.which(name), "--root", root, "list", "-q"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return sorted(r.stdout.split())


def runtime_dir_empty(capsad, name):
    root = os.path.join(capsad.runroot, "runtimes", name)
    return not os.path.isdir(root) or os.listdir(root) == []


def ctr_config(name, command):
    return {"metadata": {"name": name, "attempt": 0}, "image": {"image": IMAGE},
            "command": command, "log_path": name + ".log"}


def inspect(capsad, what):
    return json.loads(capsad.capsactl("inspect", what).stdout)[0]


def exec_sync(cri, cid, cmd):
    return cri.call("ExecSync", request=cri.msg("ExecSyncRequest", container_id=cid, cmd=cmd,
                                                timeout=10))


def memory_limit(pid):
    """memory.limit_in_bytes (v1) or memory.max (v2) of pid's cgroup."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if "memory" in ctrls.split(","):
                return int(open("/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % path).read())
            if ctrls == "" and os.path.exists("/sys/fs/cgroup/memory.max"):
                v = open("/sys/fs/cgroup%s/memory.max" % path).read().strip()
                return -1 if v == "max" else int(v)
    return None


def test_pod_under_handler(cri, capsad, handler, tmp_path):
    cfg = pod_config(log_directory=str(tmp_path / "logs"))
    os.makedirs(cfg["log_directory"])
    pid = cri.call("RunPodSandbox", config=cfg, runtime_handler=handler).pod_sandbox_id
    st = cri.call("PodSandboxStatus", pod_sandbox_id=pid).status
    assert st.state == READY and st.runtime_handler == handler
    assert [p.runtime_handler for p in cri.call("ListPodSandbox").items] == [handler]
    # the infra container: under the handler's runtime, not capsa's
    pod = json.loads(capsad.capsactl("pod", "inspect", pid).stdout)
    pod = pod[0] if isinstance(pod, list) else pod
    infra = pod["InfraContainerID"]
    assert inspect(capsad, infra)["OCIRuntime"] == handler
    assert runtime_ids(capsad, handler) == [infra]
    assert not os.path.exists(os.path.join(capsad.runroot, "runtime", infra))
    # a container of the pod: the pod's runtime too
    cid = cri.call("CreateContainer", pod_sandbox_id=pid, config=ctr_config(
        "app", ["sh", "-c", "echo started; sleep 300"]), sandbox_config=cfg).container_id
    assert inspect(capsad, cid)["OCIRuntime"] == handler
    cri.call("StartContainer", container_id=cid)
    cst = cri.call("ContainerStatus", container_id=cid).status
    assert cst.state == RUNNING
    assert runtime_ids(capsad, handler) == sorted([infra, cid])
    # exec, stats, an update of its resources: each through the runtime
    r = exec_sync(cri, cid, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (r.stdout, r.stderr, r.exit_code) == (b"out\n", b"err\n", 3)
    # it shares the pod's namespaces: the infra container's hostname
    assert exec_sync(cri, cid, ["hostname"]).stdout.decode().strip() == cfg["hostname"]
    stats = cri.call("ContainerStats", container_id=cid).stats
    assert stats.attributes.id == cid and stats.memory.working_set_bytes.value > 0
    cri.call("UpdateContainerResources", container_id=cid,
             linux={"memory_limit_in_bytes": 64 << 20})
    init = json.loads(subprocess.run(
        [shutil.which(handler), "--root", os.path.join(capsad.runroot, "runtimes", handler),
         "state", cid], capture_output=True, text=True, check=True).stdout)["pid"]
    assert memory_limit(init) == 64 << 20
    # stop and remove, then the pod: nothing left in the runtime's root
    cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=cid,
                                              timeout=1))
    cst = cri.call("ContainerStatus", container_id=cid).status
    assert cst.state == EXITED and cst.exit_code in (137, 143)
    assert runtime_ids(capsad, handler) == [infra]
    cri.call("RemoveContainer", container_id=cid)
    cri.call("StopPodSandbox", pod_sandbox_id=pid)
    assert runtime_ids(capsad, handler) == []
    cri.call("RemovePodSandbox", pod_sandbox_id=pid)
    assert runtime_dir_empty(capsad, handler)
    assert list(cri.call("ListPodSandbox").items) == []


def test_restarted_capsad_knows_the_runtime(cri, capsad, handler):
    """capsad killed: the pod runs on under the runtime; a new capsad finds
    the runtime in the records and stops and removes through it."""
    cfg = pod_config()
    pid = cri.call("RunPodSandbox", config=cfg, runtime_handler=handler).pod_sandbox_id
    cid = cri.call("CreateContainer", pod_sandbox_id=pid, config=ctr_config(
        "app", ["sleep", "300"]), sandbox_config=cfg).container_id
    cri.call("StartContainer", container_id=cid)
    capsad.stop(signal.SIGKILL)
    assert len(runtime_ids(capsad, handler)) == 2
    capsad.start(*capsad.handler_args)
    assert cri.call("ContainerStatus", container_id=cid).status.state == RUNNING
    assert exec_sync(cri, cid, ["echo", "again"]).stdout == b"again\n"
    cri.call("StopPodSandbox", pod_sandbox_id=pid)
    assert runtime_ids(capsad, handler) == []
    cri.call("RemovePodSandbox", pod_sandbox_id=pid)
    assert runtime_dir_empty(capsad, handler)


def test_capsa_and_a_handler_side_by_side(cri, capsad, handler):
    """The default handler stays capsa's, in process."""
    a = cri.call("RunPodSandbox", config=pod_config()).pod_sandbox_id
    b = cri.call("RunPodSandbox", config=pod_config(), runtime_handler=handler).pod_sandbox_id
    infra = {p["Id"]: p["InfraContainerID"]
             for p in [json.loads(capsad.capsactl("pod", "inspect", x).stdout) for x in (a, b)]
             for p in ([p] if isinstance(p, dict) else p)}
    assert inspect(capsad, infra[a])["OCIRuntime"] == "capsa"
    assert os.path.isdir(os.path.join(capsad.runroot, "runtime", infra[a]))
    assert runtime_ids(capsad, handler) == [infra[b]]
    for p in (a, b):
        cri.call("StopPodSandbox", pod_sandbox_id=p)
        cri.call("RemovePodSandbox", pod_sandbox_id=p)
    assert runtime_dir_empty(capsad, handler)


def test_unknown_handler_leaves_nothing(cri, capsad):
    with pytest.raises(grpc.RpcError) as e:
        cri.call("RunPodSandbox", config=pod_config("h"), runtime_handler="kata")
    assert e.value.code() == CODE.INVALID_ARGUMENT and "kata" in e.value.details()
    assert list(cri.call("ListPodSandbox").items) == []
    assert capsad.capsactl("pod", "ps", "-q").stdout.strip() == ""
    assert capsad.capsactl("ps", "-aq").stdout.strip() == ""
    for h in HANDLERS:
        assert runtime_dir_empty(capsad, h)


def test_missing_runtime_binary_leaves_nothing(cri, capsad):
    """A handler whose binary is gone: the error names it, and neither the
    pod, its infra container nor a record is left for the retry."""
    with pytest.raises(grpc.RpcError) as e:
        cri.call("RunPodSandbox", config=pod_config("g"), runtime_handler="ghost")
    assert "/nonexistent/ghost-runtime" in e.value.details(), e.value.details()
    assert list(cri.call("ListPodSandbox").items) == []
    assert capsad.capsactl("pod", "ps", "-q").stdout.strip() == ""
    assert capsad.capsactl("ps", "-aq").stdout.strip() == ""


def test_status_lists_the_handlers(cri, capsad):
    st = cri.call("Status", verbose=True)
    info = json.loads(st.info["config"])
    names = [h for h in HANDLERS if shutil.which(h)]
    for h in names:
        assert info["runtimes"][h]["path"] == shutil.which(h), info["runtimes"]
    # the default handler (""), then each by name, claiming no feature
    assert [h.name for h in st.runtime_handlers] == ["", "capsa"] + names + ["ghost"]
    assert not any(h.features.user_namespaces or h.features.recursive_read_only_mounts
                   for h in st.runtime_handlers)
