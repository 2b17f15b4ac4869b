"""Stats through the CRI: ContainerStats, ListContainerStats, PodSandboxStats,
ListPodSandboxStats (memory, CPU and its rate, the writable layer, a pod's
network and processes, filters, exited and unknown containers), and crictl
stats/statsp on them.  capsad reads the numbers from cgroup files."""
import json
import os
import subprocess
import time

import grpc
import pytest

import procs
from conftest import find_tool, pod_config
from test_containers import code_of, create, ctr_config, wait_exit
from test_crictl import Crictl

CODE = grpc.StatusCode
MIB = 1 << 20
CRICTL = find_tool("CRICTL", "crictl")


@pytest.fixture
def pod(cri, tmp_path):
    cfg = pod_config(log_directory=str(tmp_path / "logs"), labels={"app": "stats"})
    os.makedirs(cfg["log_directory"])
    pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    return pid, cfg


def start(cri, pod, name, script, **extra):
    cid = create(cri, pod, ctr_config(name, ["sh", "-c", script], **extra))
    cri.call("StartContainer", container_id=cid)
    return cid


def wait_ready(capsad, cid, timeout=30):
    """Until the container made /tmp/ready (seen in its writable layer:
    the tests do not depend on container logs)."""
    flag = os.path.join(capsad.root, "containers", cid, "upper", "tmp", "ready")
    procs.wait_for(lambda: os.path.exists(flag), timeout=timeout,
                   what="container %s ready" % cid[:12])


def cstats(cri, cid):
    return cri.call("ContainerStats", container_id=cid).stats


# 20 MiB held in a shell variable, 8 MiB written in the container's /tmp;
# the shell stays (busybox sh would exec a last `sleep` in its place)
HOG = ("x=$(head -c 20971520 /dev/zero | tr '\\000' a); "
       "dd if=/dev/zero of=/tmp/fill bs=1M count=8 2>/dev/null; touch /tmp/ready; "
       "sleep 300; echo ${#x}")


def test_memory_and_writable_layer(cri, pod, capsad):
    cid = start(cri, pod, "hog", HOG)
    wait_ready(capsad, cid)
    s = cstats(cri, cid)
    assert s.attributes.id == cid and s.attributes.metadata.name == "hog"
    assert dict(s.attributes.labels) == {"c": "hog"}
    assert dict(s.attributes.annotations) == {"a": "1"}
    m = s.memory
    assert m.timestamp > 0 and m.HasField("usage_bytes")
    assert m.usage_bytes.value >= 20 * MIB, m
    assert 0 < m.working_set_bytes.value <= m.usage_bytes.value, m
    assert m.rss_bytes.value >= 20 * MIB, m
    assert m.page_faults.value > 0
    assert not m.HasField("available_bytes"), "no limit, nothing available to compute"
    # the writable layer: the 8 MiB file, the /tmp directory, a few inodes
    w = s.writable_layer
    assert w.used_bytes.value >= 8 * MIB, w
    assert w.inodes_used.value >= 2, w
    assert w.fs_id.mountpoint == os.path.join(capsad.root, "containers")
    assert w.timestamp > 0
    cpu = s.cpu
    assert cpu.timestamp > 0 and cpu.usage_core_nano_seconds.value > 0


def test_memory_limit_gives_available(cri, pod, capsad):
    limit = 64 * MIB
    cid = start(cri, pod, "limited", HOG,
                linux={"resources": {"memory_limit_in_bytes": limit}})
    wait_ready(capsad, cid)
    m = cstats(cri, cid).memory
    assert m.HasField("available_bytes")
    assert m.available_bytes.value == limit - m.working_set_bytes.value, m


def test_cpu_usage_and_rate(cri, pod):
    cid = start(cri, pod, "busy", "while :; do :; done")
    first = cstats(cri, cid).cpu
    # the first sample has no earlier one to measure a rate against
    assert first.HasField("usage_nano_cores") and first.usage_nano_cores.value == 0
    # within a second the same sample is served again
    again = cstats(cri, cid).cpu
    assert again.timestamp == first.timestamp
    time.sleep(1.5)
    second = cstats(cri, cid).cpu
    assert second.timestamp > first.timestamp
    assert second.usage_core_nano_seconds.value > first.usage_core_nano_seconds.value
    # a busy loop: a good part of a core (the host has 2, shared)
    assert second.usage_nano_cores.value > 100_000_000, second
    used = second.usage_core_nano_seconds.value - first.usage_core_nano_seconds.value
    rate = used * 1e9 / (second.timestamp - first.timestamp)
    assert abs(second.usage_nano_cores.value - rate) < 0.2e9, (second, rate)


def test_list_filters(cri, pod, tmp_path):
    other_cfg = pod_config(log_directory=str(tmp_path / "logs2"), labels={"app": "other"})
    os.makedirs(other_cfg["log_directory"])
    other = (cri.call("RunPodSandbox", config=other_cfg).pod_sandbox_id, other_cfg)
    a = start(cri, pod, "a", "sleep 300", labels={"tier": "x", "c": "a"})
    b = start(cri, pod, "b", "sleep 300", labels={"tier": "y"})
    c = start(cri, other, "c", "sleep 300", labels={"tier": "x"})
    created = create(cri, pod, ctr_config("created", ["sleep", "300"]))

    def ids(**f):
        got = cri.call("ListContainerStats", filter=f).stats
        return sorted(s.attributes.id for s in got)

    assert ids() == sorted([a, b, c, created])
    assert ids(id=a) == [a]
    assert ids(id=a[:12]) == [a]
    assert ids(pod_sandbox_id=pod[0]) == sorted([a, b, created])
    assert ids(pod_sandbox_id=other[0][:10]) == [c]
    assert ids(label_selector={"tier": "x"}) == sorted([a, c])
    assert ids(label_selector={"tier": "x", "c": "a"}) == [a]
    assert ids(label_selector={"tier": "x"}, pod_sandbox_id=pod[0]) == [a]
    assert ids(label_selector={"tier": "z"}) == []
    assert ids(id="0000") == []
    by_id = {s.attributes.id: s for s in cri.call("ListContainerStats").stats}
    assert by_id[a].HasField("cpu") and by_id[a].HasField("memory")
    assert by_id[a].memory.usage_bytes.value > 0
    # created, never started: attributes only
    assert by_id[created].attributes.metadata.name == "created"
    assert not by_id[created].HasField("cpu") and not by_id[created].HasField("memory")


def test_exited_container(cri, pod):
    cid = start(cri, pod, "done", "echo bye > /tmp/bye")
    assert wait_exit(cri, cid).exit_code == 0
    s = cstats(cri, cid)
    assert s.attributes.id == cid and s.attributes.metadata.name == "done"
    assert dict(s.attributes.labels) == {"c": "done"}
    assert not s.HasField("cpu") and not s.HasField("memory") and not s.HasField("swap")
    # its layer is still there, with what it wrote
    assert s.writable_layer.inodes_used.value >= 2
    listed = [x for x in cri.call("ListContainerStats").stats if x.attributes.id == cid]
    assert len(listed) == 1 and not listed[0].HasField("cpu")


def test_not_found(cri, pod):
    for cid in ("f" * 64, "nothing", ""):
        code, msg = code_of(lambda: cri.call("ContainerStats", container_id=cid))
        assert code == CODE.NOT_FOUND, (cid, code, msg)
        code, msg = code_of(lambda: cri.call("PodSandboxStats", pod_sandbox_id=cid))
        assert code == CODE.NOT_FOUND, (cid, code, msg)
    # a removed container is unknown too
    cid = create(cri, pod, ctr_config("gone", ["true"]))
    cri.call("RemoveContainer", container_id=cid)
    assert code_of(lambda: cstats(cri, cid))[0] == CODE.NOT_FOUND


def send_udp(capsad, ip, n=5):
    """Datagrams to the pod from capsad's network namespace (to a closed
    port: the pod answers with ICMP, so both directions count)."""
    code = ("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "for _ in range(%d): s.sendto(b'x' * 1000, (%r, 9))\n" % (n, ip))
    subprocess.run(capsad.enter() + ["/usr/bin/python3", "-c", code], check=True, timeout=30)


def test_pod_stats(cri, pod, capsad):
    cid = start(cri, pod, "hog", HOG)
    wait_ready(capsad, cid)
    ip = cri.call("PodSandboxStatus", pod_sandbox_id=pod[0]).status.network.ip
    assert ip
    send_udp(capsad, ip)
    s = cri.call("PodSandboxStats", pod_sandbox_id=pod[0]).stats
    a = s.attributes
    assert a.id == pod[0] and a.metadata.name == pod[1]["metadata"]["name"]
    assert dict(a.labels) == {"app": "stats"} and dict(a.annotations) == {"note": "test"}
    lx = s.linux
    net = lx.network
    assert net.default_interface.name == "eth0"
    assert net.default_interface.rx_bytes.value >= 5000, net
    assert net.default_interface.tx_bytes.value > 0, net
    assert net.default_interface.HasField("rx_errors") and net.default_interface.HasField(
        "tx_errors")
    assert "eth0" in [i.name for i in net.interfaces]
    assert "lo" not in [i.name for i in net.interfaces]
    # the pause process and the member's shell and sleep
    assert lx.process.process_count.value >= 3, lx.process
    assert [c.attributes.id for c in lx.containers] == [cid]
    member = lx.containers[0]
    assert member.memory.usage_bytes.value >= 20 * MIB
    # the pod's memory is its members' and its infra container's
    assert lx.memory.usage_bytes.value >= member.memory.usage_bytes.value
    assert lx.memory.working_set_bytes.value <= lx.memory.usage_bytes.value
    assert lx.cpu.usage_core_nano_seconds.value >= member.cpu.usage_core_nano_seconds.value


def test_list_pod_stats(cri, pod, tmp_path):
    other_cfg = pod_config(log_directory=str(tmp_path / "logs2"), labels={"app": "other"})
    os.makedirs(other_cfg["log_directory"])
    other = cri.call("RunPodSandbox", config=other_cfg).pod_sandbox_id
    stopped_cfg = pod_config(log_directory=str(tmp_path / "logs3"), labels={"app": "stats"})
    os.makedirs(stopped_cfg["log_directory"])
    stopped = cri.call("RunPodSandbox", config=stopped_cfg).pod_sandbox_id
    cri.call("StopPodSandbox", pod_sandbox_id=stopped)

    def ids(**f):
        return sorted(s.attributes.id for s in
                      cri.call("ListPodSandboxStats", filter=f).stats)

    # ready pods only, as containerd lists them
    assert ids() == sorted([pod[0], other])
    assert ids(id=other[:8]) == [other]
    assert ids(label_selector={"app": "stats"}) == [pod[0]]
    assert ids(label_selector={"app": "stats"}, id=other) == []
    # the stopped one still answers by id, without numbers
    s = cri.call("PodSandboxStats", pod_sandbox_id=stopped).stats
    assert s.attributes.id == stopped
    assert not s.linux.HasField("cpu") and not s.linux.HasField("network")
    listed = cri.call("ListPodSandboxStats", filter={"id": pod[0]}).stats[0]
    assert listed.linux.HasField("cpu") and listed.linux.HasField("memory")
    assert listed.linux.network.default_interface.name == "eth0"


def test_host_network_pod_has_no_network(cri, tmp_path):
    cfg = pod_config(log_directory=str(tmp_path / "logs"),
                     linux={"security_context": {"namespace_options": {"network": 2}}})
    os.makedirs(cfg["log_directory"])
    pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    s = cri.call("PodSandboxStats", pod_sandbox_id=pid).stats
    assert s.linux.HasField("cpu") and s.linux.process.process_count.value >= 1
    assert not s.linux.HasField("network")


def test_concurrent_stats(cri, pod):
    """Many calls at once on the same containers (the sample table is
    shared by every handler thread): every answer whole."""
    import concurrent.futures
    cids = [start(cri, pod, "p%d" % i, "while :; do :; done") for i in range(3)]

    def one(_):
        got = cri.call("ListContainerStats", filter={"pod_sandbox_id": pod[0]}).stats
        return sorted((s.attributes.id, s.HasField("cpu")) for s in got)

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        for _ in range(3):
            results = list(ex.map(one, range(32)))
            assert all(r == sorted((c, True) for c in cids) for r in results), results
            time.sleep(1.1)
    rates = [cstats(cri, c).cpu.usage_nano_cores.value for c in cids]
    assert all(r > 0 for r in rates), rates


needs_crictl = pytest.mark.skipif(CRICTL is None, reason="crictl is not installed (set CRICTL)")


class StatsCrictl(Crictl):
    def ok(self, *args, **kw):
        """crictl stats/statsp (v1.26.1) talk to the runtime service only;
        should a crictl check the image service first, a capsad without
        ImageFsInfo cannot serve it: skip, saying so."""
        r = self.run(*args, **kw)
        if r.returncode != 0 and "ImageFsInfo is not implemented" in r.stderr:
            pytest.skip("this crictl needs ImageFsInfo, which this capsad lacks")
        assert r.returncode == 0, str(r)
        return r.stdout


@pytest.fixture
def crictl(cri, capsad):
    return StatsCrictl(capsad)


def table(out, header):
    """The rows of crictl's table (it clears the screen first)."""
    lines = out.replace("\x1b[2J\x1b[H", "").strip().splitlines()
    assert lines[0].split() == header, out
    return [ln.split() for ln in lines[1:]]


@needs_crictl
def test_crictl_stats(crictl, cri, pod, capsad):
    cid = start(cri, pod, "hog", HOG)
    wait_ready(capsad, cid)
    busy = start(cri, pod, "busy", "while :; do :; done")
    exited = start(cri, pod, "quick", "true")
    wait_exit(cri, exited)
    # CPU % from two samples a second apart: a stale second one fails it
    rows = table(crictl.ok("stats"), ["CONTAINER", "NAME", "CPU", "%", "MEM", "DISK", "INODES"])
    assert sorted(r[0] for r in rows) == sorted([cid[:13], busy[:13]])   # running ones only
    by_name = {r[1]: r for r in rows}
    assert float(by_name["busy"][2]) > 10, rows
    assert by_name["hog"][3].endswith("MB") and float(by_name["hog"][3][:-2]) >= 20, rows
    assert by_name["hog"][4].endswith("MB") and float(by_name["hog"][4][:-2]) >= 8, rows
    doc = json.loads(crictl.ok("stats", "-o", "json", "--id", cid))
    (s,) = doc["stats"]
    assert s["attributes"]["id"] == cid
    assert int(s["memory"]["workingSetBytes"]["value"]) > 0
    assert int(s["writableLayer"]["usedBytes"]["value"]) >= 8 * MIB
    everything = json.loads(crictl.ok("stats", "-a", "-o", "json"))["stats"]
    assert {x["attributes"]["id"] for x in everything} == {cid, busy, exited}
    labelled = json.loads(crictl.ok("stats", "-o", "json", "--label", "c=hog"))["stats"]
    assert [x["attributes"]["id"] for x in labelled] == [cid]


@needs_crictl
def test_crictl_statsp(crictl, cri, pod, capsad):
    cid = start(cri, pod, "hog", HOG)
    wait_ready(capsad, cid)
    rows = table(crictl.ok("statsp"), ["POD", "POD", "ID", "CPU", "%", "MEM"])
    assert [r[:2] for r in rows] == [[pod[1]["metadata"]["name"], pod[0][:13]]], rows
    assert float(rows[0][3][:-2]) >= 20, rows
    doc = json.loads(crictl.ok("statsp", "-o", "json", "--id", pod[0]))
    (s,) = doc["stats"]
    assert s["attributes"]["id"] == pod[0]
    assert s["linux"]["network"]["defaultInterface"]["name"] == "eth0"
    assert len(s["linux"]["containers"]) == 1
