"""SPDY interop: Go's moby/spdystream, the library crictl and the kubelet
use for exec, attach and port-forward, against our frames and header
blocks (src/cri/stream) in spdy_echo, a minimal server on them.

    /usr/bin/python3 -m pytest -q tests/cri/spdy

Needs the Go toolchain and the library's source as Debian packages it
(golang-go, golang-github-docker-spdystream-dev, which installs it under
/usr/share/gocode): skipped without them.  SPDY_ECHO names the server
(default build/tests/unit/spdy_echo; a sanitized one from build-asan
works too)."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
GOPATH = "/usr/share/gocode"
SPDYSTREAM = os.path.join(GOPATH, "src/github.com/moby/spdystream")
ECHO = os.path.abspath(os.environ.get(
    "SPDY_ECHO", os.path.join(REPO, "build", "tests", "unit", "spdy_echo")))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    go = shutil.which("go")
    if go is None:
        pytest.skip("no Go toolchain (apt-get install golang-go)")
    if not os.path.isdir(SPDYSTREAM):
        pytest.skip("no spdystream source (apt-get install golang-github-docker-spdystream-dev)")
    if not os.access(ECHO, os.X_OK):
        pytest.skip("%s is not built" % ECHO)
    tmp = tmp_path_factory.mktemp("spdy-go")
    out = tmp / "client"
    # GOPATH mode: the Debian package is a GOPATH tree, and nothing is
    # fetched from the network
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="",
               GOCACHE=str(tmp / "cache"), GOTOOLCHAIN="local")
    subprocess.run([go, "build", "-o", str(out), "."], cwd=os.path.join(HERE, "client"),
                   env=env, check=True, timeout=300)
    return str(out)


def test_go_client_against_our_frames(client):
    """The upgrade (refused without a common version, then v4), 40
    streams each created, replied to and echoed (3 MiB on one), pings
    both before and after, GOAWAY both ways: every frame the Go library
    writes is parsed here, every one we write is parsed by it."""
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    p = subprocess.run([client, ECHO], capture_output=True, text=True, timeout=240, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "40 streams echoed" in p.stdout
    assert "streams=40 fins=40 bytes=3916409 pings=2" in p.stderr
    assert "ERROR" not in p.stderr and "runtime error" not in p.stderr
