"""Fixtures for the interop suite: the runtime under test driven by real
engines, podman (with conmon), containerd (with its runc v2 shim, through
ctr) and dockerd (with its managed containerd, through the docker client),
exactly as a user drives them.

    /usr/bin/python3 -m pytest -q tests/interop                        # build/capsa
    INTEROP_RUNTIME=runc /usr/bin/python3 -m pytest -q tests/interop   # the reference

INTEROP_RUNTIME selects the OCI runtime the engines call: "capsa" (default:
$CAPSA, else build/capsa), "runc" (/usr/sbin/runc, to check the tests
themselves) or an absolute path to any runc-compatible binary.

Everything each engine keeps lives in a private directory made for the
session (podman --root/--runroot/--tmpdir/--volumepath and its
containers.conf; containerd's root, state, grpc and ttrpc sockets, opt dir,
and ctr's --runc-root and --fifo-dir; dockerd's --data-root, --exec-root,
--pidfile, socket, configuration file and trust key): no system podman
storage, containerd or docker is touched, and no network is used (the image
is the busybox tree of tests/fixtures/mkrootfs.sh, imported from tarballs
made here; containers get --network none, dockerd runs with --bridge none
and no iptables rules). Daemons are stopped by their pid. The tests skip
only when podman/conmon, containerd/ctr/the shim or docker.io are not
installed.
"""
import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from interop_lib import (  # noqa: E402
    IMAGE, REPO, Containerd, Dockerd, Podman, bundle_mod, write_oci_archive,
    write_rootfs_tar)
from scratch_cwd import cwd_elsewhere  # noqa: E402,F401  (a session fixture)


def _runtime_path():
    sel = os.environ.get("INTEROP_RUNTIME", "capsa").strip() or "capsa"
    if sel == "capsa":
        return os.path.abspath(os.environ.get(
            "CAPSA", os.path.join(REPO, "build", "capsa")))
    if sel == "runc":
        return shutil.which("runc") or "/usr/sbin/runc"
    if not os.path.isabs(sel):
        raise pytest.UsageError(
            "INTEROP_RUNTIME must be capsa, runc or an absolute path, not %r"
            % sel)
    return sel


def pytest_report_header(config):
    return "interop runtime: %s" % _runtime_path()


@pytest.fixture(scope="session")
def runtime():
    """Absolute path of the OCI runtime under test."""
    path = _runtime_path()
    if not os.access(path, os.X_OK):
        pytest.fail("runtime %s is missing or not executable (run `make` for "
                    "build/capsa, or set INTEROP_RUNTIME)" % path,
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def image_dir():
    """A scratch directory with the busybox rootfs as a tarball (rootfs.tar,
    for podman import) and as an OCI image-layout archive (oci.tar, for ctr
    images import), both made here without network."""
    rootfs = bundle_mod.ensure_rootfs_template()
    d = tempfile.mkdtemp(prefix="capsa-interop-img-")
    try:
        write_rootfs_tar(rootfs, os.path.join(d, "rootfs.tar"))
        write_oci_archive(os.path.join(d, "rootfs.tar"),
                          os.path.join(d, "oci.tar"))
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def podman(runtime, image_dir):
    """A private podman (see interop_lib.Podman) with IMAGE imported."""
    for b in ("podman", "conmon"):
        if not shutil.which(b):
            pytest.skip("%s is not installed (apt-get install podman)" % b)
    top = tempfile.mkdtemp(prefix="capsa-interop-pm-")
    pm = Podman(top, runtime)
    try:
        r = pm("import", os.path.join(image_dir, "rootfs.tar"), IMAGE,
               timeout=60)
        if r.returncode != 0:
            pytest.fail("podman import failed: %s" % r, pytrace=False)
        yield pm
    finally:
        pm.cleanup()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="session")
def containerd(runtime, image_dir):
    """A private containerd (see interop_lib.Containerd), started here and
    stopped at the end, with IMAGE imported from the OCI archive."""
    for b in ("containerd", "ctr", "containerd-shim-runc-v2"):
        if not shutil.which(b):
            pytest.skip("%s is not installed (apt-get install containerd)" % b)
    top = tempfile.mkdtemp(prefix="capsa-interop-cd-")
    cd = Containerd(top, runtime)
    try:
        try:
            cd.start()
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        r = cd("images", "import", "--index-name", IMAGE,
               os.path.join(image_dir, "oci.tar"), timeout=60)
        if r.returncode != 0:
            pytest.fail("ctr images import failed: %s" % r, pytrace=False)
        yield cd
    finally:
        cd.stop()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="session")
def docker(runtime, image_dir):
    """A private dockerd (see interop_lib.Dockerd), started here with the
    runtime under test added as `capsa`, stopped by pid at the end, with
    IMAGE imported from the rootfs tarball."""
    for b in ("dockerd", "containerd", "containerd-shim-runc-v2"):
        if not shutil.which(b):
            pytest.skip("%s is not installed (apt-get install docker.io)" % b)
    if not os.path.exists("/usr/bin/docker"):
        pytest.skip("/usr/bin/docker is not installed (apt-get install "
                    "docker.io)")
    top = tempfile.mkdtemp(prefix="capsa-interop-dk-")
    dk = Dockerd(top, runtime)
    try:
        try:
            dk.start()
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        r = dk("import", "--change", 'CMD ["sh"]',
               os.path.join(image_dir, "rootfs.tar"), IMAGE, timeout=60)
        if r.returncode != 0:
            pytest.fail("docker import failed: %s" % r, pytrace=False)
        yield dk
    finally:
        dk.stop()
        shutil.rmtree(top, ignore_errors=True)


_counter = [0]


@pytest.fixture
def name(request):
    """A container name unique in the session, made from the test's name."""
    _counter[0] += 1
    base = "".join(c if c.isalnum() else "-" for c in request.node.name)
    return ("ci-%d-%s" % (_counter[0], base.strip("-")))[:60].rstrip("-")
