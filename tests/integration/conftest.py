"""Fixtures for the integration tests: real containers run by build/capsa
(or $CAPSA) as root, from bundles built by tests/fixtures/bundle.py."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))

import bundle as bundle_mod  # noqa: E402

CAPSA = os.environ.get("CAPSA", os.path.join(REPO, "build", "capsa"))


class Capsa:
    """Runs `capsa --root ROOT ...` and keeps track of what it created."""

    def __init__(self, root):
        self.root = root
        self.binary = CAPSA

    def run(self, *args, timeout=20, stdin=subprocess.DEVNULL, input=None,
            glob=(), **kw):
        """stdout/stderr go to files, not pipes: a created container's init
        keeps the caller's stdio, so a pipe would not see EOF when capsa
        exits (that is the contract: the container owns them)."""
        cmd = [self.binary, "--root", self.root, *glob, *args]
        if input is not None:
            stdin = None
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            r = subprocess.run(cmd, stdin=stdin, input=input, stdout=out, stderr=err,
                               timeout=timeout, text=input is not None, **kw)
            out.seek(0)
            err.seek(0)
            r.stdout = out.read().decode(errors="replace")
            r.stderr = err.read().decode(errors="replace")
        return r

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, "capsa %s failed (%d): %s" % (
            " ".join(args), r.returncode, r.stderr)
        return r

    def fails(self, *args, contains=None, **kw):
        r = self.run(*args, **kw)
        assert r.returncode != 0, "capsa %s unexpectedly succeeded" % " ".join(args)
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, "expected one error line, got %r" % r.stderr
        if contains:
            assert contains in r.stderr, "%r not in %r" % (contains, r.stderr)
        return r

    def state(self, cid):
        return json.loads(self.ok("state", cid).stdout)

    def ids(self):
        return sorted(os.listdir(self.root)) if os.path.isdir(self.root) else []


def cgroup_dirs():
    """Every cgroup directory on this host, a few levels deep."""
    found = set()
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        if top.count("/") >= 8:
            dirs[:] = []
        found.add(top)
    return found


CGROUPS_AT_START = cgroup_dirs()
# the whole host as the session found it (tests/fixtures/leakcheck.py),
# compared by test_zz_nothing_left.py; and every --root a test used
import leakcheck  # noqa: E402
SNAPSHOT_AT_START = leakcheck.snapshot()
ROOTS_USED = []


@pytest.fixture(scope="session", autouse=True)
def _need_root_and_binary():
    if os.geteuid() != 0:
        pytest.skip("integration tests run containers: they need root")
    if not os.access(CAPSA, os.X_OK):
        pytest.fail("capsa binary %s is missing: run make first" % CAPSA)


@pytest.fixture
def capsa(tmp_path):
    root = str(tmp_path / "state")
    ROOTS_USED.append(root)
    c = Capsa(root)
    yield c
    for cid in c.ids():
        subprocess.run([CAPSA, "--root", root, "delete", "--force", cid],
                       capture_output=True, timeout=20)


@pytest.fixture
def make_bundle(tmp_path):
    counter = [0]

    def make(args=("true",), **kw):
        counter[0] += 1
        return bundle_mod.make_bundle(str(tmp_path / ("bundle%d" % counter[0])),
                                      args=list(args), **kw)
    return make


def host_mounts():
    with open("/proc/self/mountinfo") as f:
        return f.read()


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split()[1]
    except FileNotFoundError:
        return None
    return None


def wait_gone(pid, timeout=5.0):
    """True once pid no longer runs (gone or a zombie)."""
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state = proc_status(pid, "State")
        if state is None or state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def subreaper():
    return bundle_mod.Subreaper()
