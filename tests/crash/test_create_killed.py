"""Crash safety of create: SIGKILL at every checkpoint, then delete --force
cleans everything, and state/list never show a corrupt entry.

Runs the fault-injection build ($CAPSA_FI, default build-fi/capsa: meson
-Dfault_injection=true), whose create passes CX_FAULT() checkpoints
(src/common/fault.h) after each setup step: the record, its lock, the
clone, the id maps, each cgroup made and configured, the cgroups
recorded, GO, the runtime hooks, READY, state.json, the init released.
A clean run with CAPSA_FAULT_TRACE lists the steps of each config; then
for every step N, `create` runs with CAPSA_FAULT_STEP=N and must die by
SIGKILL there."""
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))

import bundle as bundle_mod  # noqa: E402
import leakcheck  # noqa: E402

CAPSA = os.environ.get("CAPSA_FI", os.path.join(REPO, "build-fi", "capsa"))

HOOK = {"path": "/bin/true", "args": ["true"]}
CONFIGS = {
    # namespaces, resources in every hierarchy, runtime hooks
    "default": {"linux": {"resources": {"memory": {"limit": 64 << 20},
                                        "pids": {"limit": 64},
                                        "cpu": {"shares": 512}}},
                "hooks": {"prestart": [HOOK], "createRuntime": [HOOK]}},
    # a user namespace: the id maps written by the runtime
    "userns": {"linux": {"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                         "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}},
}


@pytest.fixture(scope="module", autouse=True)
def _need_root_and_binary():
    if os.geteuid() != 0:
        pytest.skip("crash tests run containers: they need root")
    if not os.access(CAPSA, os.X_OK):
        pytest.fail("fault-injection build %s is missing: make check builds it "
                    "(meson setup build-fi -Dfault_injection=true)" % CAPSA)


def capsa(root, *args, env=None, timeout=30):
    """stdio in files: a created init keeps them (a pipe would not end)."""
    e = dict(os.environ)
    e.pop("CAPSA_FAULT_STEP", None)
    e.pop("CAPSA_FAULT_TRACE", None)
    e.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        r = subprocess.run([CAPSA, "--root", root, *args], env=e, timeout=timeout,
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        r.stdout = out.read().decode(errors="replace")
        r.stderr = err.read().decode(errors="replace")
    return r


def make(tmp_path, kind):
    b = str(tmp_path / ("bundle-%s" % kind))
    if not os.path.isdir(b):
        ns = None
        if kind == "userns":
            ns = bundle_mod.DEFAULT_NAMESPACES + ["user"]
        bundle_mod.make_bundle(b, args=["sleep", "300"], namespaces=ns, extra=CONFIGS[kind])
        # the mapped root is an unprivileged uid on the host: let it
        # traverse pytest's 0700 directories down to the bundle
        path = b
        while kind == "userns" and path not in ("/", "/tmp"):
            os.chmod(path, os.stat(path).st_mode | 0o111)
            path = os.path.dirname(path)
    return b


def steps_of(tmp_path, kind):
    root = str(tmp_path / "probe-root")
    trace = str(tmp_path / ("trace-" + kind))
    b = make(tmp_path, kind)
    r = capsa(root, "create", "--bundle", b, "probe", env={"CAPSA_FAULT_TRACE": trace})
    assert r.returncode == 0, r.stderr
    capsa(root, "delete", "--force", "probe")
    with open(trace) as f:
        return [line.split(None, 1)[1].strip() for line in f]


def settle(before, needles, timeout=2.0):
    """What is left (naming one of needles) once killed processes had time
    to die and be reaped."""
    end = time.monotonic() + timeout
    while True:
        left = leakcheck.related(leakcheck.diff(before, leakcheck.snapshot()), needles)
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.05)


def check_readable(root, cid):
    """list and state show the half-made container as a clean entry (or
    none at all), never a torn one."""
    r = capsa(root, "list", "--format", "json")
    assert r.returncode == 0, r.stderr
    entries = json.loads(r.stdout or "[]") or []
    mine = [e for e in entries if e["id"] == cid]
    for e in mine:
        assert e["status"] in ("creating", "created", "stopped"), e
    r = capsa(root, "state", cid)
    if mine:
        assert r.returncode == 0, r.stderr
        st = json.loads(r.stdout)
        assert st["id"] == cid and st["status"] in ("creating", "created", "stopped"), st
    else:
        assert r.returncode != 0 and "does not exist" in r.stderr, r.stderr
    return mine[0]["status"] if mine else "absent"


RESULTS = []


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_create_killed_at_every_step(tmp_path, kind):
    steps = steps_of(tmp_path, kind)
    assert "cloned" in steps and "state-written" in steps and "init-released" in steps
    if kind == "default":
        assert "runtime-hooks-run" in steps and steps.count("cgroup-made") > 1
    if kind == "userns":
        assert "id-maps" in steps
    b = make(tmp_path, kind)
    failures = []
    for n, step in enumerate(steps, 1):
        root = str(tmp_path / ("root-%d" % n))
        cid = "fi-%s-%d" % (kind, n)
        before = leakcheck.snapshot()
        r = capsa(root, "create", "--bundle", b, cid, env={"CAPSA_FAULT_STEP": str(n)})
        assert r.returncode == -9, "step %d (%s): create exited %d: %s" % (
            n, step, r.returncode, r.stderr)
        seen = check_readable(root, cid)
        r = capsa(root, "delete", "--force", cid)
        deleted = r.returncode == 0 or "does not exist" in r.stderr
        left = settle(before, [cid, str(tmp_path)])
        gone = not os.path.exists(os.path.join(root, cid))
        ok = deleted and gone and not left
        RESULTS.append((kind, n, step, seen, "clean" if ok else "LEFT %s%s" % (
            left, "" if gone else " state dir")))
        if not ok:
            failures.append("step %d (%s): delete rc=%d %s; left %s; state dir %s" % (
                n, step, r.returncode, r.stderr.strip(), left, "gone" if gone else "kept"))
    print("\n".join("%-8s %2d %-18s list: %-8s %s" % x for x in RESULTS if x[0] == kind))
    assert not failures, "\n".join(failures)
