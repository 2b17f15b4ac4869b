"""Fixtures for the image suite (capsactl pull/push/images/load/save and
the unpacker), run as root:

    /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/image

Ground truth comes from tests/fixtures: OCI layouts written there
(oci_images.py), Debian's docker-registry in three auth modes
(registry.py + token_server.py), a misbehaving Python registry
(hostile_registry.py), umoci's unpack and a tree comparison
(treecmp.py).  The binary under test is $CAPSACTL, else build/capsactl;
only the tests that take the `capsactl` or `store` fixture need it.
Daemons are stopped by pid at teardown; everything lives under pytest's
temporary directories."""
import os
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))

import oci_images  # noqa: E402
import procs  # noqa: E402
from hostile_registry import HostileRegistry  # noqa: E402
from registry import Registry  # noqa: E402
from scratch_cwd import cwd_elsewhere  # noqa: E402,F401  (a session fixture)

CAPSACTL = os.environ.get("CAPSACTL", os.path.join(REPO, "build", "capsactl"))
RUN_TIMEOUT = 120


@pytest.fixture(scope="session", autouse=True)
def _need_root():
    if os.geteuid() != 0:
        pytest.skip("the image suite unpacks device nodes and owners: it needs root")


# --- the binary under test ----------------------------------------------------

@pytest.fixture(scope="session")
def capsactl():
    """Path of the capsactl binary ($CAPSACTL or <repo>/build/capsactl)."""
    if not os.access(CAPSACTL, os.X_OK):
        pytest.fail("capsactl binary %s is missing: build it first (or set CAPSACTL)"
                    % CAPSACTL, pytrace=False)
    return CAPSACTL


class Store:
    """A fresh --root/--runroot pair; run() calls capsactl on it."""

    def __init__(self, binary, base):
        self.binary, self.base = binary, base
        self.root = os.path.join(base, "root")
        self.runroot = os.path.join(base, "runroot")
        self.home = os.path.join(base, "home")
        for d in (self.root, self.runroot, self.home):
            os.makedirs(d, exist_ok=True)
        self.env = dict(os.environ, HOME=self.home)

    def run(self, *args, timeout=RUN_TIMEOUT, input=None, glob=()):
        """CompletedProcess (stdout/stderr as text) of
        capsactl --root R --runroot RR [glob] args.  Output goes through
        files, not pipes (a helper that outlives capsactl would hold a
        pipe open); a timeout fails the test."""
        cmd = [self.binary, "--root", self.root, "--runroot", self.runroot,
               *glob, *[os.fspath(a) for a in args]]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                r = subprocess.run(cmd, input=input, stdin=None if input is not None
                                   else subprocess.DEVNULL, stdout=out, stderr=err,
                                   timeout=timeout, env=self.env,
                                   text=isinstance(input, str))
            except subprocess.TimeoutExpired:
                pytest.fail("timed out after %ss: %s" % (timeout, " ".join(cmd)),
                            pytrace=False)
            out.seek(0)
            err.seek(0)
            r.stdout = out.read().decode(errors="replace")
            r.stderr = err.read().decode(errors="replace")
        return r

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, "capsactl %s failed (%d): %s" % (
            " ".join(map(str, args)), r.returncode, r.stderr)
        return r

    def fails(self, *args, contains=None, **kw):
        r = self.run(*args, **kw)
        assert r.returncode != 0, "capsactl %s unexpectedly succeeded" % " ".join(map(str, args))
        if contains:
            assert contains in r.stderr, "%r not in %r" % (contains, r.stderr)
        return r


@pytest.fixture
def store(capsactl, tmp_path):
    s = Store(capsactl, str(tmp_path / "store"))
    yield s
    # whatever a test left behind under its own store: processes, mounts
    procs.kill_and_wait(procs.procs_with(s.base))
    procs.umount_under(s.base)


# --- images ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def busybox_layout(tmp_path_factory):
    """oci_images.Layout of busybox_image(), tag "latest"."""
    return oci_images.write_image(tmp_path_factory.mktemp("busybox") / "layout",
                                  oci_images.busybox_image(), "latest")


@pytest.fixture(scope="session")
def rich_layout(tmp_path_factory):
    """oci_images.Layout of rich_image() (gzip/none layers), tag "latest"."""
    return oci_images.write_image(tmp_path_factory.mktemp("rich") / "layout",
                                  oci_images.rich_image(), "latest")


@pytest.fixture(scope="session")
def multiarch_layout(tmp_path_factory):
    """An OCI index of amd64, arm64/v8 and arm/v7 images, tag "latest"."""
    return oci_images.write_index(tmp_path_factory.mktemp("multi") / "layout",
                                  oci_images.multiarch_images(), "latest")


# --- registries ---------------------------------------------------------------

def _registry(tmp_path_factory, mode):
    reg = Registry(str(tmp_path_factory.mktemp("registry-" + mode)), mode=mode)
    reg.start()
    return reg


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """docker-registry without auth: .url (127.0.0.1:PORT), .log_path."""
    reg = _registry(tmp_path_factory, "plain")
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def registry_basic(tmp_path_factory):
    """docker-registry with htpasswd Basic auth: .user, .password, .creds."""
    reg = _registry(tmp_path_factory, "basic")
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def _registry_token_session(tmp_path_factory):
    reg = _registry(tmp_path_factory, "token")
    yield reg
    reg.stop()


@pytest.fixture
def registry_token(_registry_token_session):
    """docker-registry with token auth; .token is the TokenServer (its
    records are cleared and its settings restored around each test)."""
    t = _registry_token_session.token
    t.reset()
    yield _registry_token_session
    t.allow_anonymous, t.anonymous_actions = True, ("pull",)
    t.deny_scopes.clear()
    t.reset()


@pytest.fixture(scope="session")
def busybox_ref(registry, busybox_layout):
    """busybox pushed to the plain registry: "127.0.0.1:PORT/test/busybox:latest"."""
    return oci_images.load_into_registry(busybox_layout.path, "latest", registry.url,
                                         repo="test/busybox")


@pytest.fixture
def hostile_registry(busybox_layout):
    """A HostileRegistry serving busybox_layout (any repository name, tag
    "latest"), faults off; set reg.faults.* in the test."""
    reg = HostileRegistry(busybox_layout.path).start()
    yield reg
    reg.stop()
