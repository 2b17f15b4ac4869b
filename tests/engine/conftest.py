"""Fixtures for the engine suite (capsactl run and the container
lifecycle through capsa-shim and capsa), run as root:

    /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/engine

Each test gets a fresh store (--root/--runroot under pytest's temporary
directory) holding localhost/busybox:latest, an image written by
tests/fixtures/oci_images.py from Debian's busybox-static.  At teardown
every container is removed with `rm -fa`, and the test fails if anything
is left: a mount under the store, a shim or container process that names
the store, a runtime state directory.

Every capsactl of the suite runs in a network namespace the session makes
(`capsa-engine-*`, its loopback up), entered with nsenter: containers
are on the default network unless a test says otherwise, and its bridge,
veths and firewall rules live and die in that namespace, never on the
host's network."""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))

import oci_images  # noqa: E402
import procs  # noqa: E402
from scratch_cwd import cwd_elsewhere  # noqa: E402,F401  (a session fixture)

CAPSACTL = os.environ.get("CAPSACTL", os.path.join(REPO, "build", "capsactl"))
RUN_TIMEOUT = 60


@pytest.fixture(scope="session", autouse=True)
def _need_root():
    if os.geteuid() != 0:
        pytest.skip("containers need root here")


@pytest.fixture(scope="session", autouse=True)
def engine_netns(_need_root):
    """The suite's network namespace (see the module's docstring)."""
    name = "capsa-engine-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    Engine.netns = name
    yield name
    Engine.netns = None
    subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture(scope="session")
def capsactl():
    if not os.access(CAPSACTL, os.X_OK):
        pytest.fail("capsactl binary %s is missing: build it first (or set CAPSACTL)"
                    % CAPSACTL, pytrace=False)
    return CAPSACTL


@pytest.fixture(scope="session")
def busybox_layout(tmp_path_factory):
    """An OCI layout directory named busybox: pulled as localhost/busybox."""
    return oci_images.write_image(tmp_path_factory.mktemp("layouts") / "busybox",
                                  oci_images.busybox_image())


class Checked:
    """ok(), fails() and ps() over a run() that returns a CompletedProcess;
    `label` names the engine in failure messages (capsactl, podman)."""
    label = "capsactl"

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, "%s %s: exit %s\n%s%s" % (
            self.label, " ".join(map(str, args)), r.returncode, r.stdout, r.stderr)
        return r

    def fails(self, *args, code=None, **kw):
        r = self.run(*args, **kw)
        assert r.returncode != 0, "%s %s succeeded:\n%s" % (self.label, " ".join(args), r.stdout)
        if code is not None:
            assert r.returncode == code, (r.returncode, r.stderr)
        return r

    def ps(self, *extra):
        return json.loads(self.ok("ps", "-a", "--format", "json", *extra).stdout)


class Engine(Checked):
    """A fresh store; run() calls capsactl on it, ok()/fails() assert.
    netns: the network namespace capsactl runs in (named in /run/netns)."""
    netns = None

    def __init__(self, binary, base):
        self.binary, self.base = binary, base
        self.root = os.path.join(base, "root")
        self.runroot = os.path.join(base, "run")
        for d in (self.root, self.runroot):
            os.makedirs(d, exist_ok=True)
        self.env = dict(os.environ)

    def cmd(self, *args):
        enter = ["nsenter", "--net=/run/netns/" + self.netns] if self.netns else []
        return enter + [self.binary, "--root", self.root, "--runroot", self.runroot,
                        *[os.fspath(a) for a in args]]

    def run(self, *args, timeout=RUN_TIMEOUT, input=None):
        """Output through files, not pipes: a shim that outlives capsactl
        must not hold our pipe open."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                r = subprocess.run(self.cmd(*args), input=input,
                                   stdin=None if input is not None else subprocess.DEVNULL,
                                   stdout=out, stderr=err, timeout=timeout, env=self.env)
            except subprocess.TimeoutExpired:
                pytest.fail("timed out after %ss: %s" % (timeout, " ".join(self.cmd(*args))),
                            pytrace=False)
            out.seek(0)
            err.seek(0)
            r.stdout = out.read().decode(errors="replace")
            r.stderr = err.read().decode(errors="replace")
        return r

    def inspect(self, name):
        return json.loads(self.ok("inspect", name).stdout)[0]

    def wait_state(self, name, state, timeout=20):
        procs.wait_for(lambda: self.inspect(name)["State"]["Status"] == state,
                       timeout=timeout, what="%s %s" % (name, state))

    def leftovers(self, ids=()):
        """What the store left behind: mounts, processes, runtime state, the
        cgroups of containers ids."""
        left = ["mount " + m for m in procs.mounts_under(self.base)]
        for cid in ids:
            left += ["cgroup " + g for g in glob.glob("/sys/fs/cgroup/*/capsa/" + cid) +
                     glob.glob("/sys/fs/cgroup/capsa/" + cid)]
        left += ["process %d %s" % (p, procs.cmdline(p)) for p in procs.procs_with(self.base)]
        rt = os.path.join(self.runroot, "runtime")
        if os.path.isdir(rt):
            left += ["runtime state " + d for d in os.listdir(rt) if not d.startswith("@")]
        # other runtimes' (--runtime runc): <runroot>/runtimes/<name>/<id>
        for d in glob.glob(os.path.join(self.runroot, "runtimes", "*", "*")):
            left.append("runtime state " + os.path.relpath(d, self.runroot))
        return left


@pytest.fixture
def engine(capsactl, tmp_path, busybox_layout):
    e = Engine(capsactl, str(tmp_path / "store"))
    e.ok("pull", "-q", "oci:%s:latest" % busybox_layout.path)
    yield e
    ids = e.run("ps", "-aq", "--no-trunc").stdout.split()
    pods = e.run("pod", "rm", "-fa")
    assert pods.returncode == 0, pods.stderr
    r = e.run("rm", "-fa")
    procs.wait_for(lambda: not procs.procs_with(e.base), timeout=20, what="shims gone")
    left = e.leftovers(ids)
    if left:
        procs.kill_and_wait([p for p in procs.procs_with(e.base)])
        procs.umount_under(e.base)
    assert r.returncode == 0, r.stderr
    assert left == [], left
    assert e.ps() == []
