"""capsad and containerd 1.6's CRI side by side (tests/cri/side_by_side.py,
run as bench/cri.sh's body: both daemons, the registry with critest's
images and every client in a network namespace of their own): the same
scenarios against both, and every difference a kubelet could see either
fixed or allowed with its reason."""
import os
import shutil
import subprocess

import pytest

from conftest import REPO, find_tool

TOOLS = os.environ.get("CRITEST_TOOLS", os.path.join(REPO, "..", "shared", "tools", "critest"))
CRICTL = find_tool("CRICTL", "crictl")
CAPSAD = os.environ.get("CAPSAD", os.path.join(REPO, "build", "capsad"))


def missing():
    if not os.access(os.path.join(TOOLS, "containerd.sh"), os.X_OK):
        return "no %s/containerd.sh (cri-tools' scripts; set CRITEST_TOOLS)" % TOOLS
    if CRICTL is None:
        return "crictl is not installed (set CRICTL)"
    for tool in ("containerd", "containerd-shim-runc-v2", "runc", "docker-registry"):
        if shutil.which(tool) is None:
            return "%s is not installed" % tool
    return None


@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_side_by_side_with_containerd():
    # critest's images from Debian packages into the registry's data (kept
    # between runs: run.sh builds them once)
    for step in ("--prepare", "--stop-registry"):
        r = subprocess.run([os.path.join(TOOLS, "run.sh"), step], capture_output=True,
                           text=True, timeout=1200)
        assert r.returncode == 0, "run.sh %s:\n%s%s" % (step, r.stdout[-2000:], r.stderr[-2000:])
    env = dict(os.environ, CAPSAD=CAPSAD, CRICTL=CRICTL, CRITEST_TOOLS=TOOLS,
               CRI_BODY=os.path.join(REPO, "tests", "cri", "side_by_side.py"))
    r = subprocess.run([os.path.join(REPO, "bench", "cri.sh")], env=env, capture_output=True,
                       text=True, timeout=600)
    print(r.stdout)
    assert r.returncode == 0, "side by side:\n%s\n%s" % (r.stdout, r.stderr[-4000:])
    assert "0 not allowed, 0 scenarios failed" in r.stdout
