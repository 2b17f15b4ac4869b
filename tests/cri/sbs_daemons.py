"""The two CRI servers test_side_by_side.py compares: a private capsad and
Debian's containerd 1.6 with its CRI plugin (started and stopped by
cri-tools' containerd.sh from ../shared/tools/critest, as bench/cri.sh
does), both in one network namespace made here, both pulling critest's
images from one read-only docker-registry on 127.0.0.1:5000 of that
namespace (registry.k8s.io and gcr.io mirrored there).

containerd and its shims live in a private mount namespace as well, held
by a `sleep` of ours: a tmpfs covers /var/lib/cni there (libcni's result
cache, which containerd keeps at that fixed path), so nothing of it
reaches the host, and the overlay, /dev/shm and netns mounts it makes
die with the namespace should `containerd.sh stop` miss one.

    pair = Pair(base)        # base: an empty directory
    pair.start()             # raises Missing(reason) when a tool is absent
    pair.capsad.cri, pair.containerd.cri, pair.crictl(engine, *args)
    pair.stop()              # everything, by PID; what was left
"""
import os
import shutil
import subprocess
import time
import uuid

import criclient
import procs
import registry
from conftest import REPO, Capsad, conflist, find_tool

REG = "127.0.0.1:5000"
BUSYBOX = "registry.k8s.io/e2e-test-images/busybox:1.29-2"
PAUSE = "registry.k8s.io/pause:3.6"
# the images the module uses, as the registry's data holds them (images.txt
# of cri-tools' scripts: upstream name -> repository:tag there)
NEEDED = (("e2e-test-images/busybox", "1.29-2"), ("pause", "3.6"),
          ("k8s-staging-cri-tools/test-image-user-uid", "latest"),
          ("k8s-staging-cri-tools/test-image-user-username", "latest"),
          ("k8s-staging-cri-tools/test-image-user-uid-group", "latest"))
CRI_WORK = os.environ.get("CRI_WORK", "/tmp/capsa-cri")
REGISTRY_DATA = os.environ.get("CRI_REGISTRY", os.path.join(CRI_WORK, "registry", "data"))
CRITEST_TOOLS = os.environ.get("CRITEST_TOOLS",
                               os.path.join(os.path.dirname(REPO), "shared", "tools", "critest"))
CNI_CACHE = "/var/lib/cni"


class Missing(Exception):
    """A tool or the registry's data is absent: the module skips."""


def crictl_path():
    """$CRICTL, PATH, ../shared/bin, then beside the critest tools."""
    found = find_tool("CRICTL", "crictl")
    if found:
        return found
    p = os.path.join(CRITEST_TOOLS, "..", "..", "bin", "crictl")
    return os.path.realpath(p) if os.access(p, os.X_OK) else None


def check_tools():
    """The reason the pair cannot run here, or None."""
    for t in ("containerd", "containerd-shim-runc-v2", "runc", "docker-registry", "nsenter",
              "unshare"):
        if shutil.which(t) is None:
            return "%s is not installed" % t
    if not os.access(os.path.join(CRITEST_TOOLS, "containerd.sh"), os.X_OK):
        return "no %s/containerd.sh (cri-tools' scripts; set CRITEST_TOOLS)" % CRITEST_TOOLS
    if crictl_path() is None:
        return "crictl is not installed (set CRICTL)"
    tags = os.path.join(REGISTRY_DATA, "docker", "registry", "v2", "repositories")
    for repo, tag in NEEDED:
        if not os.path.exists(os.path.join(tags, repo, "_manifests", "tags", tag, "current",
                                           "link")):
            return ("the registry data at %s lacks %s:%s: run %s/run.sh --prepare and "
                    "--stop-registry once, or set CRI_REGISTRY" % (REGISTRY_DATA, repo, tag,
                                                                   CRITEST_TOOLS))
    return criclient.missing()


def run(argv, timeout=120, env=None):
    """argv's result (procs.run: output in files, so that a daemon it
    starts holds no pipe of ours)"""
    return procs.run(argv, timeout=timeout, env=env)


class Holder:
    """A process in the pair's network namespace and in a private mount
    namespace of its own with a tmpfs on /var/lib/cni; containerd runs
    in both (nsenter -t PID)."""

    def __init__(self, netns):
        self.netns, self.proc = netns, None
        self.made_cni_dir = False

    def start(self):
        # a mount point is a directory of the host's: made when missing,
        # removed after (once the namespace that mounted on it is gone)
        if not os.path.isdir(CNI_CACHE):
            os.makedirs(CNI_CACHE)
            self.made_cni_dir = True
        script = ("mount -t tmpfs -o size=16m,mode=0755 capsa-sbs-cni %s && echo ready && "
                  "exec sleep 86400" % CNI_CACHE)
        self.proc = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + self.netns, "unshare", "--mount",
             "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError("the mount namespace for containerd could not be made")
        return self

    def enter(self):
        return ["nsenter", "-t", str(self.proc.pid), "--net", "--mount"]

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=20)
            self.proc.stdout.close()
            self.proc = None
        if self.made_cni_dir:
            try:
                os.rmdir(CNI_CACHE)
            except OSError:
                pass
            self.made_cni_dir = False


class Registry:
    """docker-registry, read-only over critest's data, on REG of the
    pair's network namespace."""

    def __init__(self, base, netns):
        self.dir = os.path.join(base, "registry")
        self.netns, self.proc = netns, None
        os.makedirs(self.dir, exist_ok=True)

    def start(self):
        conf = os.path.join(self.dir, "config.yml")
        with open(conf, "w") as f:
            f.write(registry.readonly_config(REGISTRY_DATA, REG))
        with open(os.path.join(self.dir, "registry.log"), "ab") as logf:
            self.proc = subprocess.Popen(
                ["nsenter", "--net=/run/netns/" + self.netns, "docker-registry", "serve", conf],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
        probe = ["nsenter", "--net=/run/netns/" + self.netns, "/usr/bin/python3", "-c",
                 "import urllib.request; urllib.request.urlopen('http://%s/v2/', timeout=2)"
                 % REG]
        deadline = time.monotonic() + 30
        while run(probe, timeout=10).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the registry did not come up; see %s/registry.log"
                                   % self.dir)
            time.sleep(0.2)
        return self

    def stop(self):
        procs.stop_popen(self.proc)
        self.proc = None


class CapsadEngine:
    """capsad with registries.conf pointing registry.k8s.io and gcr.io at
    the registry."""
    name = "capsad"

    def __init__(self, base, netns):
        self.d = Capsad(os.path.join(base, "capsad"), netns)
        self.root = self.d.base
        self.cri = None

    @property
    def sock(self):
        return self.d.sock

    def start(self):
        conf = os.path.join(self.d.base, "registries.conf")
        with open(conf, "w") as f:
            for prefix in ("registry.k8s.io", "gcr.io"):
                f.write('[[registry]]\nprefix = "%s"\nlocation = "%s"\ninsecure = true\n\n'
                        % (prefix, REG))
        self.d.write_netconf(conflist(self.d.base, name="capsa-sbs", subnet="10.90.0.0/16",
                                      bridge="sbs-cap0"))
        self.d.start("--registries-conf", conf)
        self.cri = criclient.Cri(self.d.sock)

    def stop(self):
        """capsad stopped, whatever its store still holds removed; the
        processes and mounts left under its directory (killed, unmounted)
        and the sanitizer's reports in its log."""
        if self.cri is not None:
            self.cri.close()
        self.d.stop()
        self.d.capsactl("pod", "rm", "-fa", check=False)
        self.d.capsactl("rm", "-fa", check=False)
        left = procs.procs_with(self.d.base)
        if left:
            procs.kill_and_wait(left)
        mounts = procs.mounts_under(self.d.base)
        procs.umount_under(self.d.base)
        bad = [ln for ln in self.d.log_text().splitlines()
               if "runtime error:" in ln or "ERROR: AddressSanitizer" in ln
               or "LeakSanitizer" in ln]
        return {"capsad processes": left, "capsad mounts": mounts, "sanitizer": bad[:20]}


class ContainerdEngine:
    """Debian's containerd 1.6 through containerd.sh, with CRI_WORK under
    base, in the holder's namespaces."""
    name = "containerd"

    def __init__(self, base, holder, crictl):
        self.work = os.path.join(base, "ctd")
        self.root = os.path.join(self.work, "containerd")
        self.sock = os.path.join(self.root, "containerd.sock")
        self.holder = holder
        self.env = dict(os.environ, CRI_WORK=self.work, CRICTL=crictl, CNI_BRIDGE="sbs-ctd0",
                        CNI_SUBNET="10.99.0.0/16")
        self.cri = None
        self.pid = None

    def script(self, *args):
        return run(self.holder.enter() + [os.path.join(CRITEST_TOOLS, "containerd.sh"), *args],
                   timeout=300, env=self.env)

    def start(self):
        r = self.script("start")
        if r.returncode != 0:
            raise RuntimeError("containerd.sh start: %s" % (r.stderr or r.stdout)[-800:])
        with open(os.path.join(self.root, "containerd.pid")) as f:
            self.pid = int(f.read())
        self.cri = criclient.Cri(self.sock)

    def stop(self):
        """containerd.sh stop (every pod removed, containerd stopped by its
        PID, mounts and host changes undone); whatever still names the work
        directory then (containerd, shims) killed by PID and reported."""
        if self.cri is not None:
            self.cri.close()
        r = self.script("stop")
        said = [ln for ln in (r.stdout + r.stderr).splitlines()
                if ln.strip() and "No such file or directory" not in ln]
        left = procs.procs_with(self.work)
        if left:
            procs.kill_and_wait(left)
        return {"containerd.sh stop": [] if r.returncode == 0 else said,
                "containerd processes": left}


class Pair:
    def __init__(self, base):
        self.base = base
        self.netns = "capsa-sbs-" + uuid.uuid4().hex[:8]
        self.crictl_bin = crictl_path()
        self.registry = self.holder = self.capsad = self.containerd = None
        self.netns_made = False

    @property
    def engines(self):
        return (self.capsad, self.containerd)

    def start(self):
        why = check_tools()
        if why:
            raise Missing(why)
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        self.netns_made = True
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        self.registry = Registry(self.base, self.netns).start()
        self.holder = Holder(self.netns).start()
        self.capsad = CapsadEngine(self.base, self.netns)
        self.capsad.start()
        self.containerd = ContainerdEngine(self.base, self.holder, self.crictl_bin)
        self.containerd.start()
        for e in self.engines:
            e.cri.call("PullImage", image={"image": BUSYBOX}, timeout=300)
        # containerd pulls its sandbox image itself; pulled here so that the
        # first RunPodSandbox is not the slow one
        self.containerd.cri.call("PullImage", image={"image": PAUSE}, timeout=300)

    def crictl(self, engine, *args, timeout=60):
        ep = "unix://" + engine.sock
        return procs.run(["nsenter", "--net=/run/netns/" + self.netns, self.crictl_bin,
                          "--runtime-endpoint", ep, "--image-endpoint", ep, "--timeout", "30s",
                          *args], timeout=timeout)

    def stop(self):
        """Both daemons, the registry, the holder and the namespace gone,
        each step taken whatever the one before did; what was left behind
        and what failed ({} when nothing)."""
        left = {}

        def step(what, fn):
            try:
                left.update(fn() or {})
            except BaseException as e:      # pytest.fail from procs.run too
                left["stopping " + what] = repr(e)[:500]
        if self.containerd is not None:
            step("containerd", self.containerd.stop)
        if self.capsad is not None:
            step("capsad", self.capsad.stop)
        if self.registry is not None:
            step("the registry", self.registry.stop)
        if self.holder is not None:
            step("the mount namespace", self.holder.stop)
        if self.netns_made:
            step("the network namespace", self.del_netns)
        return {k: v for k, v in left.items() if v}

    def del_netns(self):
        links = run(["ip", "-n", self.netns, "-o", "link"]).stdout
        subprocess.run(["ip", "netns", "del", self.netns], check=False)
        self.netns_made = False
        # the bridges go with the namespace; a veth is a pod's not torn down
        return {"veths": [ln.split(":")[1].strip() for ln in links.splitlines()
                          if "veth" in ln]}
