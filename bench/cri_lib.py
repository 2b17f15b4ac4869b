"""bench/cri_lib.py: what bench/cri.py's sections stand on: the run's
settings (from bench/cri.sh's environment), /proc readings (RSS, PSS, the
shims, the machine's load), the read-only registry, the two engines (capsad
started here, containerd through cri-tools' containerd.sh, each with its
own directories under W) and the CRI steps both are driven through."""
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.request

from common import cell, log, problem

ENV = os.environ
W = ENV["W"]
REPO = ENV["REPO"]
sys.path.insert(0, os.path.join(REPO, "tests", "cri"))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
import criclient  # noqa: E402
import procs  # noqa: E402
import registry  # noqa: E402

N = int(ENV.get("N", "10"))
WARMUP = int(ENV.get("WARMUP", "2"))
SEED = ENV.get("SEED") or str(random.randrange(1 << 30))
SECTIONS = ENV.get("SECTIONS", "lat conc list mem").split()
CONC = int(ENV.get("CONC", "50"))
CONC_REPS = int(ENV.get("CONC_REPS", "3"))
LIST_LEVELS = sorted(int(x) for x in ENV.get("LIST_LEVELS", "20 200").split())
PER_POD = int(ENV.get("PER_POD", "10"))
MEM_PODS = int(ENV.get("MEM_PODS", "100"))
RAW = ENV.get("RAW", "")
CAPSAD = ENV["CAPSAD"]
CRICTL = ENV["CRICTL"]
TOOLS = ENV["CRITEST_TOOLS"]
CRI_REGISTRY = ENV["CRI_REGISTRY"]
REG = "127.0.0.1:5000"
BUSYBOX = "registry.k8s.io/e2e-test-images/busybox:1.29-2"
PAUSE = "registry.k8s.io/pause:3.6"
TIMEOUT = 300.0         # seconds, for any one CRI call
FILL_WORKERS = 4        # pods started at a time while filling a node (list, mem)
SETTLE = 5              # seconds before a memory sample
# targets from the issue
POD_TARGET = CTR_TARGET = 0.5    # x containerd's latency
RSS_TARGET = 0.2                 # capsad's idle RSS x containerd's
FLAT = 1.5                       # List* at the top level <= FLAT x at the bottom one

rng = random.Random(SEED)
raw = []        # (section, op, engine, round, ms)
RES = {}        # (engine name, key) -> value, for the report


def now():
    return time.perf_counter()


def shuffled(seq):
    s = list(seq)
    rng.shuffle(s)
    return s


# ------------------------------------------------------------------ /proc
def status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def exe_name(pid):
    try:
        return os.path.basename(os.readlink("/proc/%d/exe" % pid))
    except OSError:
        return ""


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def busy_note():
    """load average and the build and test processes of others (read-only)"""
    names = {}
    for p in pids():
        n = exe_name(p)
        for key in ("cc1", "clang", "ninja", "pytest", "go", "qemu-system-x86_64"):
            if n == key or (key == "pytest" and "pytest" in cmdline(p)):
                names[key] = names.get(key, 0) + 1
    return "load %s%s" % (load(), "; running: " + ", ".join(
        "%s ×%d" % kv for kv in sorted(names.items())) if names else "")


# ------------------------------------------------------------------ the registry
class Registry:
    """docker-registry, read-only over run.sh's data, on 127.0.0.1:5000 of
    this network namespace"""

    def __init__(self):
        self.dir = os.path.join(W, "registry")
        os.makedirs(self.dir)
        self.proc = None

    def start(self):
        conf = os.path.join(self.dir, "config.yml")
        with open(conf, "w") as f:
            f.write(registry.readonly_config(CRI_REGISTRY, REG))
        with open(os.path.join(self.dir, "registry.log"), "ab") as logf:
            self.proc = subprocess.Popen(["docker-registry", "serve", conf], stdin=subprocess.DEVNULL,
                                         stdout=logf, stderr=logf, start_new_session=True)
        with open(os.path.join(self.dir, "registry.pid"), "w") as f:
            f.write("%d\n" % self.proc.pid)
        for _ in range(60):
            try:
                urllib.request.urlopen("http://%s/v2/" % REG, timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.5)
        raise RuntimeError("the registry did not come up; see %s/registry.log" % self.dir)

    def stop(self):
        procs.stop_popen(self.proc)


# ------------------------------------------------------------------ the engines
class Engine:
    """a CRI server of this bench: its socket, its daemon's pid, how its
    shims are told apart (their executable's name and W's part in their
    command line)"""
    shim = ""

    def __init__(self, name, label, sub):
        self.name, self.label = name, label
        self.dir = os.path.join(W, sub)
        self.cri = None
        self.failures = 0
        self.first_fail = None
        self.seq = 0
        self.lock = threading.Lock()

    def endpoint(self):
        return "unix://" + self.sock

    def connect(self):
        self.cri = criclient.Cri(self.sock, timeout=TIMEOUT)

    def failed(self, what, e):
        with self.lock:
            self.failures += 1
            if self.first_fail is None:
                self.first_fail = "%s: %s" % (what, getattr(e, "details", lambda: str(e))() or e)
        log("  %s: %s failed: %s" % (self.name, what, str(e).splitlines()[0][:300]))

    def next_name(self, tag):
        with self.lock:
            self.seq += 1
            return "%s-%d" % (tag, self.seq)

    def rss(self):
        return status_kb(self.pid, "VmRSS")

    def shims(self):
        """[(pid, rss kB, pss kB)] of this engine's shims"""
        return [(p, status_kb(p, "VmRSS"), pss_kb(p)) for p in pids()
                if exe_name(p) == self.shim and self.dir in cmdline(p)]

    def version(self):
        v = self.cri.call("Version")
        return "%s %s (CRI %s)" % (v.runtime_name, v.runtime_version, v.runtime_api_version)


# capsad --log-level debug: "/runtime.v1.RuntimeService/ListContainers: OK in 0.312 ms, 100 bytes"
CALL_LINE = re.compile(r"/runtime\.v1\.\w+/(\w+): OK in ([0-9.]+) ms")


class Capsad(Engine):
    shim = "capsa-shim"

    def __init__(self):
        super().__init__("capsad", "capsad", "capsad")
        self.sock = os.path.join(self.dir, "capsad.sock")
        self.proc = None

    def start(self):
        d = self.dir
        for sub in ("root", "run", "net.d"):
            os.makedirs(os.path.join(d, sub))
        with open(os.path.join(d, "registries.conf"), "w") as f:
            for prefix in ("registry.k8s.io", "gcr.io"):
                f.write('[[registry]]\nprefix = "%s"\nlocation = "%s"\ninsecure = true\n'
                        % (prefix, REG))
        # containerd.sh's network less its loopback plugin (capsad brings
        # up lo itself): bridge with a gateway and masquerade, host-local, portmap
        with open(os.path.join(d, "net.d", "10-bench.conflist"), "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": "capsad-bench", "plugins": [
                {"type": "bridge", "bridge": "capsad0", "isGateway": True, "ipMasq": True,
                 "hairpinMode": True,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
                          "routes": [{"dst": "0.0.0.0/0"}],
                          "dataDir": os.path.join(d, "ipam")}},
                {"type": "portmap", "capabilities": {"portMappings": True}}]}, f)
        argv = [CAPSAD, "--listen", self.endpoint(), "--root", os.path.join(d, "root"),
                "--runroot", os.path.join(d, "run"),
                "--registries-conf", os.path.join(d, "registries.conf"),
                "--cni-conf-dir", os.path.join(d, "net.d"), "--cni-bin-dir", "/usr/lib/cni",
                "--stream-port", "0"] + ENV.get("CAPSAD_FLAGS", "").split()
        with open(os.path.join(d, "capsad.log"), "ab") as logf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=logf, start_new_session=True)
        self.pid = self.proc.pid
        with open(os.path.join(d, "capsad.pid"), "w") as f:
            f.write("%d\n" % self.pid)
        for _ in range(100):
            if self.proc.poll() is not None:
                raise RuntimeError("capsad exited with %s; see %s/capsad.log"
                                   % (self.proc.returncode, d))
            if os.path.exists(self.sock):
                try:
                    criclient.Cri(self.sock).call("Version", timeout=2)
                    break
                except Exception:
                    pass
            time.sleep(0.2)
        self.connect()

    def log_size(self):
        return os.path.getsize(os.path.join(self.dir, "capsad.log"))

    def call_times(self, offset):
        """{method: [ms]} of the calls capsad logged from offset on: its own
        time per call, from the request's bytes to the reply's (debug level)"""
        times = {}
        with open(os.path.join(self.dir, "capsad.log"), "rb") as f:
            f.seek(offset)
            for line in f.read().decode(errors="replace").splitlines():
                m = CALL_LINE.search(line)
                if m:
                    times.setdefault(m.group(1), []).append(float(m.group(2)))
        return times

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                problem("capsad (pid %d) did not exit on SIGTERM in 30 s: killed" % self.pid)
                self.proc.kill()
                self.proc.wait()
        # whatever a failed removal left in the store
        ctl = os.path.join(os.path.dirname(CAPSAD), "capsactl")
        for what in (["pod", "rm", "-fa"], ["rm", "-fa"]):
            subprocess.run([ctl, "--root", os.path.join(self.dir, "root"), "--runroot",
                            os.path.join(self.dir, "run")] + what, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=300)


class Containerd(Engine):
    """Debian's containerd with its CRI plugin, started and stopped by
    cri-tools' containerd.sh (its config: runc through
    containerd-shim-runc-v2, cgroupfs, overlayfs, pause:3.6)"""
    shim = "containerd-shim-runc-v2"

    def __init__(self):
        super().__init__("containerd", "containerd", "ctd")
        self.sock = os.path.join(self.dir, "containerd", "containerd.sock")
        self.env = dict(os.environ, CRI_WORK=self.dir, CRICTL=CRICTL)

    def script(self, *args, timeout=600):
        return subprocess.run([os.path.join(TOOLS, "containerd.sh")] + list(args), env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def start(self):
        r = self.script("start")
        if r.returncode != 0:
            raise RuntimeError("containerd.sh start: %s" % (r.stderr or r.stdout)[-600:])
        with open(os.path.join(self.dir, "containerd", "containerd.pid")) as f:
            self.pid = int(f.read())
        self.connect()

    def stop(self):
        r = self.script("stop")
        said = [ln for ln in (r.stdout + r.stderr).splitlines()
                if ln.strip() and "No such file or directory" not in ln]   # (its /proc scan)
        log("  containerd.sh stop: " + "; ".join(said[-6:]))
        if r.returncode != 0:
            problem("containerd.sh stop exited %d: %s" % (r.returncode, cell(r.stderr, 400)))


# ------------------------------------------------------------------ CRI steps
def pod_config(e, name):
    logdir = os.path.join(W, "logs", e.name, name)
    os.makedirs(logdir, exist_ok=True)
    return {"metadata": {"name": name, "namespace": "bench-cri",
                         "uid": "%s-%s-%d" % (e.name, name, os.getpid()), "attempt": 0},
            "hostname": name, "log_directory": logdir, "linux": {}}


def ctr_config(name):
    return {"metadata": {"name": name}, "image": {"image": BUSYBOX},
            "command": ["sleep", "3600"], "log_path": name + ".log", "linux": {}}


def run_pod(e, cfg):
    return e.cri.call("RunPodSandbox", config=cfg).pod_sandbox_id


def create_ctr(e, pod, cfg, name):
    return e.cri.call("CreateContainer", pod_sandbox_id=pod, config=ctr_config(name),
                      sandbox_config=cfg).container_id


def start_ctr(e, cid):
    e.cri.call("StartContainer", container_id=cid)


def exec_true(e, cid):
    r = e.cri.call("ExecSync", request=criclient.msg("ExecSyncRequest", container_id=cid,
                                                      cmd=["true"], timeout=30))
    if r.exit_code != 0:
        raise RuntimeError("ExecSync true: exit code %d, stderr %r" % (r.exit_code, r.stderr[:200]))


def remove_pod(e, pod):
    e.cri.call("StopPodSandbox", pod_sandbox_id=pod)
    e.cri.call("RemovePodSandbox", pod_sandbox_id=pod)


def purge(e):
    """every pod of e stopped and removed (a failed step's leftovers)"""
    try:
        for p in e.cri.call("ListPodSandbox").items:
            try:
                remove_pod(e, p.id)
            except Exception as ex:
                e.failed("removing pod %s" % p.id[:12], ex)
    except Exception as ex:
        e.failed("ListPodSandbox", ex)


def keep_ms(keep, e, op, rnd, section, t0, t1):
    v = (t1 - t0) * 1000
    raw.append((section, op, e.name, rnd, v))
    if rnd >= 0:
        keep.setdefault((e.name, op), []).append(v)


def crictl(e, *args):
    return subprocess.run([CRICTL, "-r", e.endpoint(), "-i", e.endpoint(), "-t", "300s"] +
                          list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=TIMEOUT)
