"""capsa-init (a container's PID 1 wrapper) and capsa-pause (a pod's
namespace holder), copied into busybox bundles and run as PID 1 there.
Both are static: the release build's binaries are used whichever capsa
is under test (the sanitized build links them dynamically)."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import REPO, wait_gone

INIT = os.environ.get("CAPSA_INIT", os.path.join(REPO, "build", "capsa-init"))
PAUSE = os.environ.get("CAPSA_PAUSE", os.path.join(REPO, "build", "capsa-pause"))


@pytest.fixture
def with_helper(make_bundle):
    def make(helper, args):
        if not os.access(helper, os.X_OK):
            pytest.fail("%s is missing: run make" % helper)
        b = make_bundle(args, readonly=False)
        shutil.copy(helper, os.path.join(b, "rootfs", os.path.basename(helper)))
        return b
    return make


def run_fg(capsa, bundle, cid, out):
    """`capsa run` in the foreground, its stdio on a file; the Popen."""
    return subprocess.Popen([capsa.binary, "--root", capsa.root, "run", "--bundle", bundle, cid],
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def zombies_in(capsa, cid):
    """Zombie children of the container's PID 1, read from the host's /proc
    (cgroup.procs does not list zombies)."""
    init = capsa.state(cid)["pid"]
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] == "Z" and int(fields[1]) == init:
            found.append(int(d))
    return found


def test_init_passes_the_exit_status_through(capsa, with_helper):
    b = with_helper(INIT, ["/capsa-init", "--", "sh", "-c", "exit 7"])
    assert capsa.run("run", "--bundle", b, "ini7").returncode == 7
    b = with_helper(INIT, ["/capsa-init", "--", "sh", "-c", "kill -KILL $$"])
    assert capsa.run("run", "--bundle", b, "ini9").returncode == 137
    b = with_helper(INIT, ["/capsa-init", "--", "/no/such/program"])
    r = capsa.run("run", "--bundle", b, "ini127")
    assert r.returncode == 127 and "exec /no/such/program" in r.stderr + r.stdout, r


def test_init_forwards_sigterm(capsa, with_helper, tmp_path):
    """sleep has no handler for SIGTERM: as PID 1 itself it would ignore
    it; under capsa-init it gets it and dies, and the container with it."""
    b = with_helper(INIT, ["/capsa-init", "--", "sleep", "100"])
    with open(tmp_path / "out", "w") as out:
        p = run_fg(capsa, b, "initerm", out)
        for _ in range(100):
            if "initerm" in capsa.ids():
                break
            time.sleep(0.05)
        time.sleep(0.2)
        capsa.ok("kill", "initerm", "TERM")
        assert p.wait(timeout=10) == 128 + 15


def test_init_forwards_to_the_process_group(capsa, with_helper, tmp_path):
    """-g: a signal reaches every process of the child's group, not only
    the child (here a shell waiting for a sleep that must die too)."""
    b = with_helper(INIT, ["/capsa-init", "-g", "--", "sh", "-c", "sleep 100; echo after"])
    with open(tmp_path / "out", "w") as out:
        p = run_fg(capsa, b, "inigrp", out)
        time.sleep(0.5)
        capsa.ok("kill", "inigrp", "USR1")
        assert p.wait(timeout=10) == 128 + 10
    assert "after" not in open(tmp_path / "out").read()


def test_init_reaps_orphans(capsa, with_helper):
    """Grandchildren orphaned to PID 1 must not stay zombies."""
    b = with_helper(INIT, ["/capsa-init", "--", "sh", "-c",
                           "for i in 1 2 3 4; do sh -c 'sleep 0.1 &'; done; sleep 100"])
    capsa.ok("run", "-d", "--bundle", b, "inireap")
    time.sleep(1.0)
    assert zombies_in(capsa, "inireap") == []
    capsa.ok("delete", "--force", "inireap")


def test_init_usage_errors():
    r = subprocess.run([INIT], capture_output=True, text=True)
    assert r.returncode == 2 and "no program to run" in r.stderr
    r = subprocess.run([INIT, "--bogus", "true"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown option --bogus" in r.stderr
    r = subprocess.run([INIT, "-p"], capture_output=True, text=True)
    assert r.returncode == 2 and "needs a signal" in r.stderr
    r = subprocess.run([INIT, "-v"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("capsa-init version ")
    assert "statically linked" in subprocess.run(["file", "-L", INIT], capture_output=True,
                                                 text=True).stdout


def test_pause_reaps_and_stops_on_sigterm(capsa, with_helper, tmp_path):
    b = with_helper(PAUSE, ["/capsa-pause"])
    with open(tmp_path / "out", "w") as out:
        p = run_fg(capsa, b, "pausec", out)
        for _ in range(100):
            if "pausec" in capsa.ids() and capsa.state("pausec")["status"] == "running":
                break
            time.sleep(0.05)
        # orphans of an exec'd shell land on PID 1, which must reap them
        capsa.ok("exec", "pausec", "sh", "-c", "sleep 0.1 & sleep 0.1 & exit 0")
        time.sleep(0.6)
        assert zombies_in(capsa, "pausec") == []
        pid = capsa.state("pausec")["pid"]
        capsa.ok("kill", "pausec", "TERM")
        assert p.wait(timeout=10) == 0
        assert wait_gone(pid)
    r = subprocess.run([PAUSE, "extra"], capture_output=True, text=True)
    assert r.returncode == 2 and "takes no arguments" in r.stderr
