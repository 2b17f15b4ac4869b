"""Fixtures for tests/shim: capsa-shim as podman's monitor
(`podman --conmon capsa-shim`), with capsa and with runc as the runtime, and
driven directly through its pipes for the fault cases.

    /usr/bin/python3 -m pytest -q tests/shim                 # both runtimes
    SHIM_RUNTIMES=runc /usr/bin/python3 -m pytest -q tests/shim

CAPSA_SHIM (default build/capsa-shim) and CAPSA (default build/capsa) name
the binaries.  Every podman is private (root, runroot, tmpdir, volumes under
a temporary directory, vfs storage, --network none); the image is the
busybox rootfs of tests/fixtures/mkrootfs.sh imported from a tarball."""
import os
import shutil
import tempfile

import pytest

from shim_lib import IMAGE, REPO, Podman, bundle_mod, write_rootfs_tar
from scratch_cwd import cwd_elsewhere  # noqa: E402,F401  (a session fixture)

SHIM = os.path.abspath(os.environ.get(
    "CAPSA_SHIM", os.path.join(REPO, "build", "capsa-shim")))
CAPSA = os.path.abspath(os.environ.get(
    "CAPSA", os.path.join(REPO, "build", "capsa")))
RUNC = shutil.which("runc") or "/usr/sbin/runc"
RUNTIMES = [r.strip() for r in os.environ.get(
    "SHIM_RUNTIMES", "capsa,runc").split(",") if r.strip()]


def runtime_path(sel):
    return {"capsa": CAPSA, "runc": RUNC}.get(sel, sel)


def pytest_report_header(config):
    return "capsa-shim: %s; runtimes: %s" % (SHIM, ", ".join(RUNTIMES))


def _with_sanitizer_env(shim_path):
    """podman starts its monitor with an environment of its own: under
    SHIM_ASAN_LOGS the shim is run through a wrapper that puts the
    sanitizers' options (log files in that directory) back."""
    logs = os.environ.get("SHIM_ASAN_LOGS")
    if not logs:
        return shim_path
    import tempfile
    wrapper = os.path.join(tempfile.mkdtemp(prefix="shim-asan-"), "capsa-shim")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexport ASAN_OPTIONS='%s' UBSAN_OPTIONS='%s'\nexec %s \"$@\"\n" % (
            os.environ.get("ASAN_OPTIONS", ""), os.environ.get("UBSAN_OPTIONS", ""),
            shim_path))
    os.chmod(wrapper, 0o755)
    return wrapper


@pytest.fixture(scope="session")
def shim():
    if not os.access(SHIM, os.X_OK):
        pytest.fail("%s is missing (run `make`, or set CAPSA_SHIM)" % SHIM,
                    pytrace=False)
    return _with_sanitizer_env(SHIM)


@pytest.fixture(scope="session")
def rootfs_tar():
    d = tempfile.mkdtemp(prefix="capsa-shim-img-")
    try:
        yield write_rootfs_tar(bundle_mod.ensure_rootfs_template(),
                               os.path.join(d, "rootfs.tar"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def make_podman(runtime, shim, rootfs_tar):
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    path = runtime_path(runtime)
    if not os.access(path, os.X_OK):
        pytest.fail("runtime %s is missing" % path, pytrace=False)
    top = tempfile.mkdtemp(prefix="capsa-shim-pm-")
    pm = Podman(top, path, shim)
    r = pm("import", rootfs_tar, IMAGE, timeout=120)
    if r.returncode != 0:
        pytest.fail("podman import failed: %s" % r, pytrace=False)
    return pm


@pytest.fixture(scope="session", params=RUNTIMES)
def podman(request, shim, rootfs_tar):
    """A private podman whose monitor is capsa-shim; once per runtime."""
    pm = make_podman(request.param, shim, rootfs_tar)
    try:
        yield pm
    finally:
        pm.cleanup()
        shutil.rmtree(pm.top, ignore_errors=True)


@pytest.fixture(scope="session")
def runtime_bin():
    """The first runtime selected, for the direct (podman-less) cases."""
    path = runtime_path(RUNTIMES[0])
    if not os.access(path, os.X_OK):
        pytest.fail("runtime %s is missing" % path, pytrace=False)
    return path


_n = [0]


@pytest.fixture
def name(request):
    _n[0] += 1
    base = "".join(c if c.isalnum() else "-" for c in request.node.name)
    return ("sh-%d-%s" % (_n[0], base.strip("-")))[:60].rstrip("-")


@pytest.fixture(scope="session", autouse=True)
def _sanitizer_reports():
    """With SHIM_ASAN_LOGS=DIR (make check runs the suite once more against
    the ASan+UBSan shim, ASAN_OPTIONS=log_path=DIR/asan): a detached shim's
    stderr is /dev/null, so its sanitizer reports go to files there, and
    any file at the end fails the session."""
    logs = os.environ.get("SHIM_ASAN_LOGS")
    yield
    if logs and os.path.isdir(logs):
        found = sorted(os.listdir(logs))
        text = "".join(open(os.path.join(logs, f)).read()[:3000] for f in found[:3])
        assert not found, "sanitizer reports from capsa-shim: %s\n%s" % (found, text)
