"""capsa on a host whose PID 1 is systemd (pure cgroup v2): tests/systemdvm/
run.sh boots a Debian bookworm VM (debootstrapped, cached; Debian's kernel
under qemu TCG) whose capsa-sdvm.service runs cases.sh; each case is a test
here.  The sd-* cases drive the systemd cgroup driver (--systemd-cgroup),
the cri-* cases capsad with that driver through crictl (found as
tests/cri finds it; without one they skip)."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from cri_tools import find_tool  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ["pid1", "cgroup2", "dbus", "cgroupfs", "sd-create", "sd-pause", "sd-resume",
         "sd-update", "sd-delete", "sd-run", "sd-clean",
         # capsad with --cgroup-manager systemd, driven by crictl
         "cri-pod", "cri-ctr", "cri-update", "cri-stats", "cri-restart", "cri-clean"]


@pytest.fixture(scope="module")
def vm_results():
    if os.geteuid() != 0:
        pytest.skip("the VM's image and container cases need root")
    capsa = os.environ.get("CAPSA", os.path.join(HERE, "..", "..", "build", "capsa"))
    # a first run debootstraps the image (about a minute) before booting
    env = dict(os.environ, CRICTL=find_tool("CRICTL", "crictl") or "")
    r = subprocess.run([os.path.join(HERE, "run.sh"), capsa], capture_output=True, text=True,
                       timeout=900, env=env)
    lines = [line.split(" ", 2) for line in r.stdout.splitlines() if line.startswith("SD ")]
    results = {parts[1]: " ".join(parts[2:]) for parts in lines if len(parts) > 1}
    assert "done" in results, "the VM did not finish:\n%s\n%s" % (r.stdout[-2000:],
                                                                  r.stderr[-3000:])
    return results


@pytest.mark.parametrize("case", CASES)
def test_systemd(vm_results, case):
    if vm_results.get(case, "").startswith("skip "):
        pytest.skip(vm_results[case][5:])
    assert vm_results.get(case) == "ok", "%s: %s" % (case, vm_results.get(case, "did not run"))
