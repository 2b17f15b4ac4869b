"""capsa on a pure cgroup v2 host: tests/v2vm/run.sh boots a VM (Debian's
kernel under qemu TCG) whose init runs the cases; each case is a test here."""
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ["limits", "placed", "pause", "resume", "update", "stats", "delete", "devices",
         "devupdate", "oom", "devnode", "frozen", "execcg", "subdel", "ignorepaused", "podcpu",
         "clean"]


@pytest.fixture(scope="module")
def vm_results():
    if os.geteuid() != 0:
        pytest.skip("the VM's container cases need root")
    capsa = os.environ.get("CAPSA", os.path.join(HERE, "..", "..", "build", "capsa"))
    r = subprocess.run([os.path.join(HERE, "run.sh"), capsa], capture_output=True, text=True,
                       timeout=400)
    lines = [line.split(" ", 2) for line in r.stdout.splitlines() if line.startswith("V2 ")]
    results = {parts[1]: " ".join(parts[2:]) for parts in lines}
    assert "done" in results, "the VM did not finish:\n%s\n%s" % (r.stdout[-2000:],
                                                                  r.stderr[-2000:])
    return results


@pytest.mark.parametrize("case", CASES)
def test_v2(vm_results, case):
    assert vm_results.get(case) == "ok", "%s: %s" % (case, vm_results.get(case, "did not run"))
