"""Fixtures for the CRI suite: capsad, the Kubernetes CRI server, driven by
a gRPC client of our own (criclient.py, messages generated at test time from
src/cri/proto/cri.proto) and by crictl, as root:

    /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/cri

The session starts one private capsad: its own socket, --root, --runroot
and CNI configuration directory under pytest's temporary directory, run in
a network namespace the session makes (`capsa-cri-*`, loopback up) through
nsenter, so pods' bridges, veths and ports never touch the host's network.
The store holds localhost/busybox:latest (tests/fixtures/oci_images.py).
Each test ends by removing every sandbox through the CRI and failing if a
pod, shim, mount or record of the store is left."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
sys.path.insert(0, HERE)

import criclient  # noqa: E402
from cri_tools import find_tool  # noqa: E402,F401  (the suite imports it from here)
import leakcheck  # noqa: E402
import oci_images  # noqa: E402
import procs  # noqa: E402
from scratch_cwd import cwd_elsewhere  # noqa: E402,F401  (a session fixture)

# the host as the session found it (tests/fixtures/leakcheck.py), for
# test_zz_nothing_left.py
SNAPSHOT_AT_START = leakcheck.snapshot()

BUILD = os.environ.get("CAPSA_BUILD", os.path.join(REPO, "build"))
CAPSAD = os.environ.get("CAPSAD", os.path.join(BUILD, "capsad"))
CAPSACTL = os.environ.get("CAPSACTL", os.path.join(BUILD, "capsactl"))
CNI_BIN = "/usr/lib/cni"


def conflist(base, name="capsa-cri-test", subnet="10.88.0.0/16", bridge="cri0"):
    return {
        "cniVersion": "1.0.0", "name": name,
        "plugins": [
            {"type": "bridge", "bridge": bridge, "isGateway": True, "ipMasq": True,
             "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]],
                      "routes": [{"dst": "0.0.0.0/0"}],
                      "dataDir": os.path.join(base, "ipam")}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ]}


class Capsad:
    """A private capsad in the session's network namespace."""

    def __init__(self, base, netns):
        self.base, self.netns = base, netns
        self.root = os.path.join(base, "root")
        self.runroot = os.path.join(base, "run")
        self.netd = os.path.join(base, "net.d")
        self.sock = os.path.join(base, "capsad.sock")
        self.log = os.path.join(base, "capsad.log")
        # the CNI plugins, and room for the tests' own (a plugin that hangs)
        self.cni_bin = os.path.join(base, "cni-bin")
        for d in (self.root, self.runroot, self.netd, self.cni_bin):
            os.makedirs(d, exist_ok=True)
        for p in os.listdir(CNI_BIN):
            dst = os.path.join(self.cni_bin, p)
            if not os.path.exists(dst):
                os.symlink(os.path.join(CNI_BIN, p), dst)
        self.proc = None
        self.binary = CAPSAD

    def enter(self):
        return ["nsenter", "--net=/run/netns/" + self.netns]

    def argv(self, *extra):
        return self.enter() + [
            self.binary, "--listen", "unix://" + self.sock, "--root", self.root,
            "--runroot", self.runroot, "--cni-conf-dir", self.netd,
            "--cni-bin-dir", self.cni_bin, "--stream-port", "0", "--log-level", "debug", *extra]

    def start(self, *extra, wait=True, env=None):
        logf = open(self.log, "ab")
        # a plugin that hangs is cut off after 20 s (the default is 60; 50
        # pods at once on 2 CPUs take some seconds each)
        env = dict(os.environ, CAPSACTL_CNI_TIMEOUT="20", **(env or {}))
        self.proc = subprocess.Popen(self.argv(*extra), stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf, env=env)
        logf.close()
        if wait:
            procs.wait_for(self.ready, timeout=20, what="capsad answering on " + self.sock)
        return self.proc

    def ready(self):
        if self.proc.poll() is not None:
            pytest.fail("capsad exited with %s:\n%s" % (self.proc.returncode,
                                                         self.log_text(6000)),
                        pytrace=False)
        if not os.path.exists(self.sock):
            return False
        try:
            criclient.Cri(self.sock).call("Version", timeout=2)
            return True
        except Exception:
            return False

    def log_text(self, tail=None):
        with open(self.log, errors="replace") as f:
            text = f.read()
        return text[-tail:] if tail else text

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
        if self.proc:
            self.proc.wait(timeout=20)
        self.proc = None

    def capsactl(self, *args, check=True):
        r = procs.run(self.enter() + [CAPSACTL, "--root", self.root, "--runroot", self.runroot,
                                      *args], timeout=120)
        if check:
            assert r.returncode == 0, str(r)
        return r

    def teardown(self):
        """Stopped, its pods and containers removed, whatever process or
        mount of its directory is left killed or unmounted; those processes
        (a test fails on any)."""
        self.stop()
        self.capsactl("pod", "rm", "-fa", check=False)
        self.capsactl("rm", "-fa", check=False)
        left = procs.procs_with(self.base)
        procs.kill_and_wait(left)
        procs.umount_under(self.base)
        return left

    def write_netconf(self, doc=None, fname="10-test.conflist"):
        with open(os.path.join(self.netd, fname), "w") as f:
            json.dump(doc or conflist(self.base), f)


@pytest.fixture(scope="session", autouse=True)
def _need_root():
    if os.geteuid() != 0:
        pytest.skip("capsad needs root")
    for p in (CAPSAD, CAPSACTL):
        if not os.access(p, os.X_OK):
            pytest.fail("%s is missing: build first (or set CAPSAD/CAPSACTL)" % p,
                        pytrace=False)


@pytest.fixture(scope="session")
def cri_netns(_need_root):
    name = "capsa-cri-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture(scope="session")
def capsad(tmp_path_factory, cri_netns):
    base = str(tmp_path_factory.mktemp("capsad"))
    d = Capsad(base, cri_netns)
    d.write_netconf()
    layout = oci_images.write_image(tmp_path_factory.mktemp("layouts") / "busybox",
                                    oci_images.busybox_image())
    d.capsactl("pull", "-q", "oci:%s:latest" % layout.path)
    d.start()
    yield d
    d.stop()
    # a sanitized build (make check-cri) reports into capsad's log too
    # (capsad-stream's reports, and capsad's own when no log_path takes them)
    bad = [l for l in d.log_text().splitlines()
           if "runtime error:" in l or "ERROR: AddressSanitizer" in l or "LeakSanitizer" in l]
    assert bad == [], "sanitizer reports in %s:\n%s" % (d.log, "\n".join(bad[:20]))
    d.capsactl("pod", "rm", "-fa", check=False)
    d.capsactl("rm", "-fa", check=False)
    left = procs.procs_with(base)
    if left:
        procs.kill_and_wait(left)
    procs.umount_under(base)
    assert left == [], left


@pytest.fixture
def cri(capsad):
    """The client; at the end every sandbox the test left is removed through
    the CRI, and nothing may remain of it."""
    if capsad.proc is None or capsad.proc.poll() is not None:
        capsad.start()
    c = criclient.Cri(capsad.sock)
    yield c
    if capsad.proc is None or capsad.proc.poll() is not None:
        capsad.start()
    for p in c.call("ListPodSandbox").items:
        c.call("StopPodSandbox", pod_sandbox_id=p.id)
        c.call("RemovePodSandbox", pod_sandbox_id=p.id)
    assert list(c.call("ListPodSandbox").items) == []
    pods = json.loads(capsad.capsactl("pod", "ps", "--format", "json").stdout or "[]")
    assert pods == [], pods
    procs.wait_for(lambda: not [p for p in procs.procs_with(capsad.base)
                                if p != capsad.proc.pid and "capsad" not in procs.cmdline(p)],
                   timeout=20, what="no shim or container of the store left")


_uid = [0]


def pod_config(name=None, **extra):
    """A PodSandboxConfig as the kubelet fills it (as a dict)."""
    _uid[0] += 1
    name = name or "pod%d" % _uid[0]
    cfg = {"metadata": {"name": name, "namespace": "default",
                        "uid": "%08d-0000-4000-8000-%012d" % (os.getpid(), _uid[0]),
                        "attempt": 0},
           "hostname": name, "log_directory": "/tmp/capsa-cri-logs/" + name,
           "labels": {"app": name}, "annotations": {"note": "test"},
           "linux": {"security_context": {"namespace_options": {}}}}
    cfg.update(extra)
    return cfg
