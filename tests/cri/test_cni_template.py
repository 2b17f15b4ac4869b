"""cni_conf_template: the pod CIDR UpdateRuntimeConfig brings, filled into
the admin's template and written into the CNI directory, so that the
network becomes ready and pods get addresses in that CIDR; the same CIDR
again leaves the file alone; a bad CIDR or template writes nothing; a
template capsad cannot fill stops it at start; without a template the CIDR
is accepted and ignored (docs/CAPSAD.md)."""
import ipaddress
import json
import os

import grpc
import pytest

import criclient
from conftest import Capsad, pod_config

CODE = grpc.StatusCode
CIDR = "10.77.5.0/24"
FILE = "10-capsad-template.conflist"


def template(base, bridge="crit0"):
    """A bridge with host-local addresses, in the placeholders of
    docs/CAPSAD.md (and one placeholder inside a string)."""
    return """{
  "cniVersion": "1.0.0",
  "name": "capsa-cri-template",
  "plugins": [
    {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": true,
     "ipam": {"type": "host-local", "dataDir": "%s",
              "ranges": {{.HostLocalRanges}},
              "routes": {{ .HostLocalRoutes }}}},
    {"type": "portmap", "capabilities": {"portMappings": true},
     "capsa-test-first": "{{.PodCIDR}}", "capsa-test-all": {{.PodCIDRRanges}},
     "capsa-test-routes": {{.Routes}}}
  ]
}
""" % (bridge, os.path.join(base, "ipam"))


def update(cri, cidr):
    return cri.call("UpdateRuntimeConfig", runtime_config={"network_config": {"pod_cidr": cidr}})


def network_ready(cri):
    conds = {c.type: c for c in cri.call("Status").status.conditions}
    return conds["NetworkReady"]


def code_of(fn):
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code(), e.value.details()


@pytest.fixture
def templated(tmp_path, capsad):
    """A capsad of its own with an empty CNI directory and a template."""
    d = Capsad(str(tmp_path / "capsad"), capsad.netns)
    tmpl = os.path.join(d.base, "template.json")
    with open(tmpl, "w") as f:
        f.write(template(d.base))
    d.start("--cni-conf-template", tmpl)
    c = criclient.Cri(d.sock)
    try:
        yield d, c
    finally:
        try:
            for p in c.call("ListPodSandbox").items:
                c.call("StopPodSandbox", pod_sandbox_id=p.id)
                c.call("RemovePodSandbox", pod_sandbox_id=p.id)
        finally:
            left = d.teardown()
            assert left == [], left


def test_pod_cidr_makes_the_network(templated, tmp_path):
    d, cri = templated
    path = os.path.join(d.netd, FILE)
    assert os.listdir(d.netd) == []
    cond = network_ready(cri)
    assert not cond.status and cond.reason == "NetworkPluginNotReady"
    update(cri, CIDR)
    assert network_ready(cri).status
    with open(path) as f:
        doc = json.load(f)
    ipam = doc["plugins"][0]["ipam"]
    assert ipam["ranges"] == [[{"subnet": CIDR}]]
    assert ipam["routes"] == [{"dst": "0.0.0.0/0"}]
    pm = doc["plugins"][1]
    assert pm["capsa-test-first"] == CIDR
    assert pm["capsa-test-all"] == [CIDR]
    assert pm["capsa-test-routes"] == ["0.0.0.0/0"]
    assert "wrote %s" % path in d.log_text()

    # the next pod is on that network, with an address in the CIDR
    cfg = pod_config(log_directory=str(tmp_path / "logs"))
    pod = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    ip = cri.call("PodSandboxStatus", pod_sandbox_id=pod).status.network.ip
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(CIDR), ip

    # the same CIDR again (a kubelet's periodic call): the file left alone
    before = os.stat(path)
    update(cri, " %s " % CIDR)
    after = os.stat(path)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)

    # a CIDR that is not one: INVALID_ARGUMENT, nothing written
    for bad in ("10.77.5.0", "10.77.5.0/33", "10.77.5.0/24,,fd00::/64", "x" * 5000,
                ",".join("10.%d.0.0/16" % i for i in range(17)), '10.0.0.0/8"}]'):
        code, details = code_of(lambda: update(cri, bad))
        assert code == CODE.INVALID_ARGUMENT, (bad, details)
    after = os.stat(path)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert sorted(os.listdir(d.netd)) == [FILE]

    # dual stack: both ranges and both default routes
    update(cri, "10.77.6.0/24,fd00:77:6::/64")
    with open(path) as f:
        doc = json.load(f)
    assert doc["plugins"][0]["ipam"]["ranges"] == [[{"subnet": "10.77.6.0/24"}],
                                                   [{"subnet": "fd00:77:6::/64"}]]
    assert doc["plugins"][1]["capsa-test-routes"] == ["0.0.0.0/0", "::/0"]
    # the pod started before keeps its address
    assert cri.call("PodSandboxStatus", pod_sandbox_id=pod).status.network.ip == ip


def test_broken_template(templated):
    """Edited into something capsad cannot fill: FAILED_PRECONDITION, and
    the last configuration stays."""
    d, cri = templated
    update(cri, CIDR)
    path = os.path.join(d.netd, FILE)
    with open(path) as f:
        good = f.read()
    tmpl = os.path.join(d.base, "template.json")
    for text, says in ((template(d.base).replace("{{.Routes}}", "{{range .Routes}}x{{end}}"),
                        "unknown placeholder {{range .Routes}}"),
                       ('{"cniVersion": "1.0.0", "name": "n", "plugins": {{.PodCIDRRanges}}}',
                        "plugins")):
        with open(tmpl, "w") as f:
            f.write(text)
        code, details = code_of(lambda: update(cri, "10.77.9.0/24"))
        assert code == CODE.FAILED_PRECONDITION, details
        assert says in details and tmpl in details, details
        with open(path) as f:
            assert f.read() == good
    os.unlink(tmpl)
    code, details = code_of(lambda: update(cri, "10.77.9.0/24"))
    assert code == CODE.FAILED_PRECONDITION and tmpl in details, details


def test_template_checked_at_start(tmp_path, capsad):
    d = Capsad(str(tmp_path / "capsad"), capsad.netns)
    tmpl = os.path.join(d.base, "template.json")
    with open(tmpl, "w") as f:
        f.write('{"cniVersion": "1.0.0",\n"name": "{{.Name}}", "plugins": []}')
    for args, says in ((["--cni-conf-template", tmpl], "template.json:2: unknown placeholder "
                                                        "{{.Name}}"),
                       (["--cni-conf-template", tmpl + ".none"], "template.json.none")):
        proc = d.start(*args, wait=False)
        assert proc.wait(timeout=20) == 1
        assert says in d.log_text(), d.log_text()
    assert os.listdir(d.netd) == []


def test_without_template_cidr_ignored(cri, capsad):
    before = sorted(os.listdir(capsad.netd))
    update(cri, CIDR)
    update(cri, "not a CIDR")
    update(cri, "")
    assert sorted(os.listdir(capsad.netd)) == before
    assert network_ready(cri).status
