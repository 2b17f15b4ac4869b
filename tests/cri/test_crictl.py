"""The scenario people run with crictl (cri-tools v1.26.1), against capsad:
version, info, runp, pods, inspectp, create, start, ps, inspect, stop, rm,
stopp, rmp.  crictl is found through $CRICTL, PATH, then ../shared/bin."""
import json
import os

import pytest

import procs
from conftest import find_tool, pod_config

CRICTL = find_tool("CRICTL", "crictl")
pytestmark = pytest.mark.skipif(CRICTL is None, reason="crictl is not installed (set CRICTL)")


class Crictl:
    def __init__(self, capsad):
        self.capsad = capsad
        ep = "unix://" + capsad.sock
        # in capsad's network namespace: port-forward and exec URLs are its
        self.base = capsad.enter() + [CRICTL, "--runtime-endpoint", ep, "--image-endpoint", ep,
                                      "--timeout", "30s"]

    def run(self, *args, input=None, timeout=60):
        return procs.run(self.base + list(args), input=input, timeout=timeout)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, str(r)
        return r.stdout

    def json(self, *args):
        return json.loads(self.ok(args[0], "-o", "json", *args[1:]))


@pytest.fixture
def crictl(cri, capsad):
    return Crictl(capsad)


def test_version_info(crictl):
    out = crictl.ok("version")
    assert "RuntimeName:  capsa" in out and "RuntimeApiVersion:  v1" in out
    info = crictl.json("info")
    conds = {c["type"]: c["status"] for c in info["status"]["conditions"]}
    assert conds == {"RuntimeReady": True, "NetworkReady": True}


def test_pod_and_container_scenario(crictl, tmp_path):
    pod = pod_config("scenario", log_directory=str(tmp_path / "logs"))
    pod_json = tmp_path / "pod.json"
    pod_json.write_text(json.dumps(pod))
    ctr_json = tmp_path / "ctr.json"
    ctr_json.write_text(json.dumps({
        "metadata": {"name": "box"}, "image": {"image": "localhost/busybox:latest"},
        "command": ["sh", "-c", "echo started; sleep 300"], "log_path": "box.log"}))
    pid = crictl.ok("runp", str(pod_json)).strip()
    assert len(pid) == 64
    pods = crictl.json("pods")["items"]
    assert [(p["id"], p["state"]) for p in pods] == [(pid, "SANDBOX_READY")]
    insp = crictl.json("inspectp", pid)
    assert insp["status"]["network"]["ip"].startswith("10.88.")
    cid = crictl.ok("create", pid, str(ctr_json), str(pod_json)).strip()
    crictl.ok("start", cid)
    ps = crictl.json("ps")["containers"]
    assert [(c["id"], c["state"]) for c in ps] == [(cid, "CONTAINER_RUNNING")]
    st = crictl.json("inspect", cid)["status"]
    assert st["state"] == "CONTAINER_RUNNING" and st["metadata"]["name"] == "box"
    crictl.ok("stop", "--timeout", "1", cid)
    st = crictl.json("inspect", cid)["status"]
    assert st["state"] == "CONTAINER_EXITED"
    crictl.ok("rm", cid)
    assert crictl.json("ps", "-a")["containers"] == []
    crictl.ok("stopp", pid)
    assert crictl.json("pods")["items"][0]["state"] == "SANDBOX_NOTREADY"
    crictl.ok("rmp", pid)
    assert crictl.json("pods")["items"] == []
