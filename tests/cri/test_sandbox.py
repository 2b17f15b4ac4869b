"""Pod sandboxes through the CRI: the kubelet's calls, their idempotence,
retries, hostile configs, and that capsactl sees the same pods."""
import json
import os
import signal

import grpc
import pytest

import procs
from conftest import conflist, pod_config

CODE = grpc.StatusCode
READY, NOTREADY = 0, 1


def code_of(fn):
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code(), e.value.details()


def status(cri, pid, verbose=False):
    return cri.call("PodSandboxStatus", pod_sandbox_id=pid, verbose=verbose)


def test_lifecycle(cri, capsad):
    cfg = pod_config("web", port_mappings=[{"container_port": 80, "host_port": 18080}])
    pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    assert len(pid) == 64
    st = status(cri, pid, verbose=True)
    s = st.status
    assert s.state == READY
    assert s.metadata.name == "web" and s.metadata.namespace == "default"
    assert s.network.ip.startswith("10.88."), s.network.ip
    assert dict(s.labels) == {"app": "web"} and dict(s.annotations) == {"note": "test"}
    assert s.created_at > 0
    info = json.loads(st.info["info"])
    assert info["pid"] > 0 and procs.pid_alive(info["pid"])
    # the infra container is in the pod's network namespace, on the node's netns side
    pods = json.loads(capsad.capsactl("pod", "ps", "--format", "json").stdout)
    assert [p["Id"] for p in pods] == [pid]
    items = cri.call("ListPodSandbox").items
    assert [(p.id, p.state) for p in items] == [(pid, READY)]
    # stop: NotReady, twice is fine; remove: gone, twice is fine
    cri.call("StopPodSandbox", pod_sandbox_id=pid)
    assert status(cri, pid).status.state == NOTREADY
    assert not procs.pid_alive(info["pid"])
    cri.call("StopPodSandbox", pod_sandbox_id=pid)
    cri.call("RemovePodSandbox", pod_sandbox_id=pid)
    cri.call("RemovePodSandbox", pod_sandbox_id=pid)
    code, msg = code_of(lambda: status(cri, pid))
    assert code == CODE.NOT_FOUND and pid in msg
    assert list(cri.call("ListPodSandbox").items) == []
    # an ID nobody knows: stop and remove succeed, as the kubelet expects
    cri.call("StopPodSandbox", pod_sandbox_id="ab" * 32)
    cri.call("RemovePodSandbox", pod_sandbox_id="ab" * 32)
    # no veth left in the namespace
    r = procs.run(capsad.enter() + ["ip", "-o", "link"])
    assert "veth" not in r.stdout, r.stdout


def test_host_network_and_filters(cri):
    host = pod_config("hostnet", linux={"security_context": {"namespace_options": {
        "network": 2, "pid": 1, "ipc": 0}}})
    a = cri.call("RunPodSandbox", config=host).pod_sandbox_id
    b = cri.call("RunPodSandbox", config=pod_config("other")).pod_sandbox_id
    st = status(cri, a).status
    assert st.state == READY
    assert st.linux.namespaces.options.network == 2
    ids = lambda **f: sorted(p.id for p in cri.call("ListPodSandbox", filter=f).items)
    assert ids() == sorted([a, b])
    assert ids(id=a[:12]) == [a]
    assert ids(label_selector={"app": "other"}) == [b]
    assert ids(label_selector={"app": "other", "x": "y"}) == []
    cri.call("StopPodSandbox", pod_sandbox_id=b)
    assert ids(state={"state": READY}) == [a]
    assert ids(state={"state": NOTREADY}) == [b]


def test_retry_and_name_conflicts(cri):
    cfg = pod_config("again")
    a = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    # the kubelet retrying after a lost reply: the same sandbox
    assert cri.call("RunPodSandbox", config=cfg).pod_sandbox_id == a
    # the same name with another config: refused, naming the holder
    other = dict(cfg, hostname="different")
    code, msg = code_of(lambda: cri.call("RunPodSandbox", config=other))
    assert code == CODE.ALREADY_EXISTS and a in msg
    # a new attempt is a new sandbox
    cfg2 = dict(cfg, metadata=dict(cfg["metadata"], attempt=1))
    b = cri.call("RunPodSandbox", config=cfg2).pod_sandbox_id
    assert b != a


@pytest.mark.parametrize("change, field", [
    ({"metadata": {"name": "", "namespace": "d", "uid": "u"}}, "metadata.name"),
    ({"metadata": {"name": "a/b", "namespace": "d", "uid": "u"}}, "metadata.name"),
    ({"metadata": {"name": "a", "namespace": "..", "uid": "u"}}, "metadata.namespace"),
    ({"log_directory": "relative/logs"}, "log_directory"),
    ({"log_directory": "/var/log/../../etc"}, "log_directory"),
    ({"hostname": "-bad"}, "hostname"),
    ({"port_mappings": [{"container_port": 0, "host_port": 80}]}, "port_mappings"),
    ({"linux": {"security_context": {"namespace_options": {"pid": 3}}}}, "PID namespace"),
])
def test_hostile_configs(cri, capsad, change, field):
    cfg = pod_config("bad")
    cfg.update(change)
    code, msg = code_of(lambda: cri.call("RunPodSandbox", config=cfg))
    assert code == CODE.INVALID_ARGUMENT and field in msg, (code, msg)
    assert list(cri.call("ListPodSandbox").items) == []
    assert capsad.capsactl("pod", "ps", "-q").stdout.strip() == ""


def test_unknown_handler(cri, capsad):
    code, msg = code_of(lambda: cri.call("RunPodSandbox", config=pod_config("h"),
                                         runtime_handler="nope"))
    assert code == CODE.INVALID_ARGUMENT and "nope" in msg
    assert capsad.capsactl("pod", "ps", "-q").stdout.strip() == ""


def test_cni_failures_leave_nothing(cri, capsad):
    """No configuration, then a plugin that fails: an error, and nothing
    left, so the kubelet's retry starts clean."""
    conf = os.path.join(capsad.netd, "10-test.conflist")
    os.rename(conf, conf + ".off")
    try:
        code, msg = code_of(lambda: cri.call("RunPodSandbox", config=pod_config("nonet")))
        assert "CNI configuration" in msg, msg
        fail = os.path.join(capsad.cni_bin, "failing")
        with open(fail, "w") as f:
            f.write('#!/bin/sh\ncat >/dev/null\necho \'{"code": 11, "msg": "nope"}\'\nexit 1\n')
        os.chmod(fail, 0o755)
        capsad.write_netconf({"cniVersion": "1.0.0", "name": "failing",
                              "plugins": [{"type": "failing"}]}, "20-fail.conflist")
        code, msg = code_of(lambda: cri.call("RunPodSandbox", config=pod_config("failnet")))
        assert "nope" in msg, msg
        os.unlink(os.path.join(capsad.netd, "20-fail.conflist"))
    finally:
        os.rename(conf + ".off", conf)
    assert list(cri.call("ListPodSandbox").items) == []
    assert capsad.capsactl("pod", "ps", "-q").stdout.strip() == ""
    assert capsad.capsactl("ps", "-aq").stdout.strip() == ""
    # and the retry works
    cri.call("RunPodSandbox", config=pod_config("nonet"))


RECORDER = """#!/usr/bin/python3
import json, os, sys
conf = json.load(sys.stdin)
with open(%r, "a") as f:
    f.write("%%s %%s\\n" %% (os.environ["CNI_COMMAND"], os.environ.get("CNI_ARGS", "")))
if os.environ["CNI_COMMAND"] == "ADD":
    print(json.dumps(conf.get("prevResult") or {"cniVersion": conf["cniVersion"]}))
"""


def test_cni_args_name_the_pod(cri, capsad, tmp_path):
    """The plugins get the pod's identity in CNI_ARGS, as from containerd
    and CRI-O (K8S_POD_NAMESPACE, _NAME, _UID, _INFRA_CONTAINER_ID), on
    ADD and again on DEL."""
    seen = tmp_path / "cni-args"
    rec = os.path.join(capsad.cni_bin, "recorder")
    with open(rec, "w") as f:
        f.write(RECORDER % str(seen))
    os.chmod(rec, 0o755)
    net = conflist(capsad.base, name="capsa-cri-args", subnet="10.87.0.0/16", bridge="cri-args0")
    net["plugins"].append({"type": "recorder"})
    capsad.write_netconf(net, "05-args.conflist")
    try:
        cfg = pod_config("argpod")
        cfg["metadata"].update(namespace="team-a", uid="0f1e2d3c-aaaa-bbbb")
        pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
        cri.call("StopPodSandbox", pod_sandbox_id=pid)
    finally:
        os.unlink(os.path.join(capsad.netd, "05-args.conflist"))
    lines = seen.read_text().splitlines()
    want = {"IgnoreUnknown": "1", "K8S_POD_NAMESPACE": "team-a", "K8S_POD_NAME": "argpod",
            "K8S_POD_UID": "0f1e2d3c-aaaa-bbbb", "K8S_POD_INFRA_CONTAINER_ID": pid}
    assert [l.split(" ", 1)[0] for l in lines] == ["ADD", "DEL"], lines
    for l in lines:
        assert dict(kv.split("=", 1) for kv in l.split(" ", 1)[1].split(";")) == want, l
    # a name that would smuggle another argument in is refused
    bad = pod_config("x;IP=10.0.0.9")
    code, msg = code_of(lambda: cri.call("RunPodSandbox", config=bad))
    assert code == CODE.INVALID_ARGUMENT and "';'" in msg, msg


def test_restart_keeps_pods(cri, capsad):
    """capsad killed: the pods run on; started again, it knows them."""
    pid = cri.call("RunPodSandbox", config=pod_config("survivor")).pod_sandbox_id
    info = json.loads(status(cri, pid, verbose=True).info["info"])
    capsad.stop(signal.SIGKILL)
    assert procs.pid_alive(info["pid"])
    capsad.start()
    assert status(cri, pid).status.state == READY


def test_stop_releases_the_network(cri, capsad, tmp_path):
    """StopPodSandbox answers once the pod's network is gone (veth, lease),
    even with a running container in the pod."""
    cfg = pod_config("netstop")
    pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    ctr = {"metadata": {"name": "c"}, "image": {"image": "localhost/busybox:latest"},
           "command": ["sleep", "300"]}
    cid = cri.call("CreateContainer", pod_sandbox_id=pid, config=ctr).container_id
    cri.call("StartContainer", container_id=cid)
    ip = status(cri, pid).status.network.ip
    cri.call("StopPodSandbox", pod_sandbox_id=pid)
    links = procs.run(capsad.enter() + ["ip", "-o", "link", "show", "type", "veth"]).stdout
    assert links.strip() == "", links
    leases = os.path.join(capsad.base, "ipam", "capsa-cri-test")
    assert ip not in (os.listdir(leases) if os.path.isdir(leases) else []), ip


def test_infra_death_is_not_ready(cri):
    """The infra container killed: the sandbox reads NotReady (the kubelet
    then recreates it), and stop and remove still clean up."""
    pid = cri.call("RunPodSandbox", config=pod_config("dies")).pod_sandbox_id
    info = json.loads(status(cri, pid, verbose=True).info["info"])
    os.kill(info["pid"], signal.SIGKILL)
    procs.wait_for(lambda: status(cri, pid).status.state == NOTREADY, timeout=20,
                   what="NotReady")
    cri.call("StopPodSandbox", pod_sandbox_id=pid)
    cri.call("RemovePodSandbox", pod_sandbox_id=pid)
    assert list(cri.call("ListPodSandbox").items) == []


def test_fifty_pods_at_once(cri):
    import concurrent.futures as cf
    cfgs = [pod_config("many%d" % i) for i in range(50)]
    with cf.ThreadPoolExecutor(max_workers=50) as ex:
        ids = list(ex.map(lambda c: cri.call("RunPodSandbox", config=c, timeout=240)
                          .pod_sandbox_id, cfgs))
    assert len(set(ids)) == 50
    items = cri.call("ListPodSandbox").items
    assert sorted(p.id for p in items) == sorted(ids)
    assert all(p.state == READY for p in items)
    ips = {status(cri, i).status.network.ip for i in ids}
    assert len(ips) == 50 and "" not in ips
