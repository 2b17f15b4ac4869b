"""bench/pull_lib.py: what bench/pull.py's sections stand on: the run's
settings (from bench/pull.sh's environment), spawning and measuring a
command, the image the benchmark pulls, and the contenders (capsactl,
podman, ctr, skopeo, the floor), each knowing how to pull into an empty
private store and clean up after itself."""
import json
import os
import platform
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import time

from common import devnull, log, problem, problems, version_of  # noqa: F401  (for pull.py too)

W = os.environ["W"]
REPO = os.environ["REPO"]
CAPSACTL = os.environ["CAPSACTL"]
PULL_SH = os.environ["PULL_SH"]
ENV = os.environ
N = int(ENV.get("N", "5"))
SEED = ENV.get("SEED") or str(random.randrange(1 << 30))
CONTENDERS = ENV.get("CONTENDERS", "capsactl podman ctr skopeo floor").split()
DROP = ENV.get("DROP_CACHES", "1") != "0"
SECTIONS = ENV.get("SECTIONS", "pull shared profile").split()
SIZE_MB = int(ENV.get("SIZE_MB", "300"))
FILES = int(ENV.get("FILES", "10000"))
LAYERS = int(ENV.get("LAYERS", "5"))
KEEP_IMAGE = ENV.get("KEEP_IMAGE", "")
RAW = ENV.get("RAW", "")
TIMEOUT = 600
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
RSS_TARGET_KB = 16 * 1024

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
sys.path.insert(0, os.path.join(REPO, "tests", "interop"))
import oci_images  # noqa: E402
import procs  # noqa: E402
from registry import Registry  # noqa: E402

rng = random.Random(SEED)
raw = []


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def du_kib(path):
    r = subprocess.run(["du", "-sxk", path], capture_output=True, text=True)
    return int(r.stdout.split()[0]) if r.returncode == 0 and r.stdout else 0


def count_files(dirs):
    """Regular files below each of dirs (lstat: no symlink followed)."""
    n = 0
    for d in dirs:
        for dirpath, _, names in os.walk(d):
            for name in names:
                try:
                    n += stat.S_ISREG(os.lstat(os.path.join(dirpath, name)).st_mode)
                except OSError:
                    pass
    return n


def fs_desc(path):
    """The file system type of path, and for ext4 whether it has a journal
    (without one, ext4 checks the inode table for recently deleted inodes
    on every inode allocation: see bench/README.md)."""
    fstype = subprocess.run(["findmnt", "-no", "FSTYPE,SOURCE", "-T", path], capture_output=True,
                            text=True).stdout.split()
    if not fstype:
        return "?"
    if fstype[0] == "ext4" and len(fstype) > 1:
        dev = os.path.basename(fstype[1])
        jbd = os.path.isdir("/proc/fs/jbd2") and any(
            e.startswith(dev + "-") for e in os.listdir("/proc/fs/jbd2"))
        return "ext4 on %s (%s)" % (fstype[1], "journal" if jbd else "no journal")
    return " ".join(fstype)


def run_ok(argv, env=None, timeout=300, what=None):
    r = subprocess.run(argv, stdin=devnull, capture_output=True, text=True,
                       env=env, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (what or " ".join(argv), r.returncode,
                                                       (r.stderr or r.stdout)[-2000:]))
    return r.stdout


# ------------------------------------------------------------------ spawning
class Res:
    ns = 0
    cpu = 0.0
    status = 0
    maxrss = 0
    err = ""
    timed_out = False

    def ok(self):
        return not self.timed_out and os.WIFEXITED(self.status) and os.WEXITSTATUS(self.status) == 0


_child = [0]


def _alarm(signum, frame):
    if _child[0] > 0:
        try:
            os.killpg(_child[0], signal.SIGKILL)
        except ProcessLookupError:
            pass


signal.signal(signal.SIGALRM, _alarm)


def spawn(argv, env=None, tag="run"):
    """posix_spawn argv under GNU time (stdin/stdout /dev/null, stderr to a
    file, own session), wait4 it: wall ns around spawn..reap, cpu seconds of
    the tree reaped, GNU time's %M (largest RSS of one process of the tree)."""
    errpath = os.path.join(W, tag + ".stderr")
    rsspath = os.path.join(W, tag + ".rss")
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "%M", "-o", rsspath, "--"] + argv
    errfd = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
          (os.POSIX_SPAWN_DUP2, errfd, 2)]
    r = Res()
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env or os.environ, file_actions=fa, setsid=True)
    _child[0] = pid
    try:
        _, status, ru = os.wait4(pid, 0)
    except BaseException:   # SIGTERM/SIGINT: take the contender down too
        signal.setitimer(signal.ITIMER_REAL, 0)
        _alarm(0, None)
        os.waitpid(pid, 0)
        raise
    t1 = time.perf_counter_ns()
    left = signal.setitimer(signal.ITIMER_REAL, 0)[0]
    _child[0] = 0
    os.close(errfd)
    r.ns, r.status, r.cpu = t1 - t0, status, ru.ru_utime + ru.ru_stime
    r.timed_out = left == 0 and not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
    with open(errpath, "rb") as f:
        r.err = f.read()[-3000:].decode(errors="replace")
    if GNU_TIME:
        try:
            with open(rsspath) as f:
                r.maxrss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            r.maxrss = 0
    return r


def status_text(r):
    if r.timed_out:
        return "timed out after %ds" % TIMEOUT
    if os.WIFEXITED(r.status):
        return "exit status %d" % os.WEXITSTATUS(r.status)
    return "killed by signal %d" % os.WTERMSIG(r.status)


def proc_cpu(pid):
    """utime+stime (s) of a live process and its reaped children."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / tck


def proc_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


# ------------------------------------------------------------------ the image
def build_image():
    """The big image (tag latest) and the shared one (tag shared: the big
    image's first LAYERS-1 layers plus a small new top layer) in one
    layout; (layout dir, info dict)."""
    top = KEEP_IMAGE or os.path.join(W, "image")
    layout = os.path.join(top, "layout")
    info_path = os.path.join(top, "info.json")
    want = {"size_mb": SIZE_MB, "files": FILES, "layers": LAYERS}
    if KEEP_IMAGE and os.path.exists(info_path):
        with open(info_path) as f:
            info = json.load(f)
        if info.get("params") == want:
            log("image: reusing %s" % layout)
            return layout, info
        shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(top, exist_ok=True)
    t = time.monotonic()
    lay = oci_images.big_image(layout, target_bytes=SIZE_MB << 20, min_files=FILES,
                               layers=LAYERS)
    man = json.loads(lay.read_blob(lay.resolve("latest")["digest"]))
    cfg = json.loads(lay.read_blob(man["config"]["digest"]))
    # the expected result, from the tars themselves
    files = entries = ubytes = 0
    per_layer = []
    for d in man["layers"]:
        lf = lb = 0
        with tarfile.open(lay.blob_path(d["digest"]), "r:gz") as tf:
            for ti in tf:
                entries += 1
                if ti.isreg():
                    lf += 1
                    lb += ti.size
        files += lf
        ubytes += lb
        per_layer.append({"digest": d["digest"], "size": d["size"], "files": lf, "bytes": lb})
    # the second image: the first LAYERS-1 layers and a new small one
    new = oci_images.Layer(level=1).dir("etc").file("etc/bench-top", b"the second image\n")
    for i in range(64):
        new.file("etc/bench-top-%02d" % i, (b"%064d\n" % i) * 256)
    ndigest, nsize, ndiff = lay.add_layer(new)
    keep = LAYERS - 1
    cfg2 = dict(cfg)
    cfg2["rootfs"] = {"type": "layers", "diff_ids": cfg["rootfs"]["diff_ids"][:keep] + [ndiff]}
    cfg2["history"] = cfg["history"][:keep] + [{"created": oci_images.CREATED,
                                                "created_by": "ADD top"}]
    cdigest, csize = lay.put_blob(json.dumps(cfg2, sort_keys=True).encode())
    man2 = {"schemaVersion": 2, "mediaType": oci_images.MT_OCI_MANIFEST,
            "config": {"mediaType": oci_images.MT_OCI_CONFIG, "digest": cdigest, "size": csize},
            "layers": man["layers"][:keep] + [{"mediaType": new.media_type, "digest": ndigest,
                                               "size": nsize}]}
    mdigest, msize = lay.put_blob(json.dumps(man2, indent=2).encode())
    lay.tag({"mediaType": oci_images.MT_OCI_MANIFEST, "digest": mdigest, "size": msize}, "shared")
    info = {"params": want, "files": files, "entries": entries, "bytes": ubytes,
            "compressed": sum(d["size"] for d in man["layers"]), "layers": per_layer,
            "image_id": man["config"]["digest"].split(":", 1)[1],
            "image2_id": cdigest.split(":", 1)[1], "new_layer_size": nsize}
    with open(info_path, "w") as f:
        json.dump(info, f)
    log("image: built in %.1fs: %d layers, %d regular files, %.1f MiB uncompressed, "
        "%.1f MiB gzip" % (time.monotonic() - t, LAYERS, files, ubytes / 2**20,
                           info["compressed"] / 2**20))
    return layout, info


# ------------------------------------------------------------------ contenders
class Contender:
    name = "?"
    unpacks = True
    daemon_note = ""

    def __init__(self, ref, ref2, base_url):
        self.ref, self.ref2, self.base_url = ref, ref2, base_url
        self.times, self.cpus, self.rss, self.daemon_rss = [], [], [], []
        self.failures, self.first_fail = 0, None
        self.dir = None

    def store_dir(self, rnd):
        self.dir = os.path.join(W, "%s-%s" % (self.name, rnd))
        os.makedirs(self.dir)
        return self.dir

    def start(self, rnd):   # untimed setup; returns (argv, env)
        raise NotImplementedError

    def pull_argv(self, ref):
        raise NotImplementedError

    def after(self, res):   # untimed, right after the timed run
        pass

    def layer_dirs(self):
        return []

    def cleanup(self):
        if self.dir:
            procs.umount_under(self.dir)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


class Capsactl(Contender):
    name = "capsactl"

    def version(self):
        return version_of([CAPSACTL, "version"], lambda s: s.split()[-1] if s.split() else "?")

    def base(self):
        return [CAPSACTL, "--root", os.path.join(self.dir, "root"),
                "--runroot", os.path.join(self.dir, "run")]

    def start(self, rnd):
        self.store_dir(rnd)
        return self.pull_argv(self.ref), None

    def pull_argv(self, ref):
        return self.base() + ["pull", "--tls-verify=false", ref]

    def layer_dirs(self):
        d = os.path.join(self.dir, "root", "layers")
        return [os.path.join(d, x, "diff") for x in os.listdir(d)] if os.path.isdir(d) else []

    def store_path(self):
        return os.path.join(self.dir, "root")

    def nlayers(self):
        return len(self.layer_dirs())

    def cleanup(self):
        if self.dir and os.path.isdir(os.path.join(self.dir, "root")):
            subprocess.run(self.base() + ["rmi", "-a"], stdin=devnull, stdout=devnull,
                           stderr=devnull, timeout=120)
        super().cleanup()


PODMAN_CONF = '[engine]\nimage_copy_tmp_dir = "{tmp}"\n'


class Podman(Contender):
    name = "podman"

    def version(self):
        return version_of(["podman", "--version"], lambda s: s.split()[-1])

    def start(self, rnd):
        d = self.store_dir(rnd)
        for sub in ("tmp", "net", "copytmp"):
            os.makedirs(os.path.join(d, sub))
        conf = os.path.join(d, "containers.conf")
        with open(conf, "w") as f:
            f.write(PODMAN_CONF.format(tmp=os.path.join(d, "copytmp")))
        self.env = dict(os.environ, CONTAINERS_CONF=conf, TMPDIR=os.path.join(d, "copytmp"))
        self.driver = ENV.get("PODMAN_DRIVER", "overlay")
        return self.pull_argv(self.ref), self.env

    def base(self):
        d = self.dir
        # every path podman (and `system reset`, which removes networks) may
        # touch is private: the host's /etc/containers/networks is not
        return ["podman", "--root", os.path.join(d, "root"), "--runroot", os.path.join(d, "run"),
                "--tmpdir", os.path.join(d, "tmp"), "--network-config-dir", os.path.join(d, "net"),
                "--volumepath", os.path.join(d, "volumes"), "--storage-driver", self.driver,
                "--events-backend", "none", "--cgroup-manager", "cgroupfs"]

    def pull_argv(self, ref):
        return self.base() + ["pull", "--tls-verify=false", ref]

    def layer_dirs(self):
        d = os.path.join(self.dir, "root", self.driver)
        if not os.path.isdir(d):
            return []
        if self.driver == "vfs":
            d = os.path.join(self.dir, "root", "vfs", "dir")
            return [os.path.join(d, x) for x in os.listdir(d)]
        return [os.path.join(d, x, "diff") for x in os.listdir(d)
                if os.path.isdir(os.path.join(d, x, "diff"))]

    def store_path(self):
        return os.path.join(self.dir, "root")

    def nlayers(self):
        return len(self.layer_dirs())

    def cleanup(self):
        if self.dir:
            r = subprocess.run(self.base() + ["system", "reset", "-f"], stdin=devnull,
                               capture_output=True, text=True, env=self.env, timeout=120)
            if r.returncode != 0:
                problem("podman system reset -f: exit %d: %s" % (r.returncode, r.stderr[-500:]))
        super().cleanup()


class Ctr(Contender):
    """A private containerd per round (fresh root; started and stopped
    untimed), `ctr images pull --plain-http --snapshotter overlayfs`."""
    name = "ctr"
    daemon_note = "containerd"
    NS = "bench"

    def version(self):
        return version_of(["containerd", "--version"], lambda s: s.split()[2])

    def start(self, rnd):
        from interop_lib import Containerd
        d = self.store_dir(rnd)
        self.cd = Containerd(d, None)
        self.cd.ctr_argv = [shutil.which("ctr"), "-a", self.cd.address, "-n", self.NS]
        self.cd.start()
        self.pid = self.cd.proc.pid
        self.cpu0 = proc_cpu(self.pid)
        return self.pull_argv(self.ref), None

    def pull_argv(self, ref):
        return self.cd.ctr_argv + ["images", "pull", "--plain-http",
                                   "--snapshotter", "overlayfs", ref]

    def after(self, res):
        res.cpu += proc_cpu(self.pid) - self.cpu0
        self.daemon_rss.append(proc_hwm(self.pid))

    def snap_dir(self):
        return os.path.join(self.dir, "root", "io.containerd.snapshotter.v1.overlayfs", "snapshots")

    def layer_dirs(self):
        d = self.snap_dir()
        return [os.path.join(d, x, "fs") for x in os.listdir(d)] if os.path.isdir(d) else []

    def store_path(self):
        return os.path.join(self.dir, "root")

    def nlayers(self):
        return len(self.layer_dirs())

    def cleanup(self):
        if not self.dir:
            return
        cd = self.cd
        try:
            if cd.proc and cd.proc.poll() is None:
                names = run_ok(cd.ctr_argv + ["images", "ls", "-q"], timeout=60).split()
                if names:
                    run_ok(cd.ctr_argv + ["images", "rm", "--sync"] + names, timeout=120)
                left = run_ok(cd.ctr_argv + ["snapshots", "--snapshotter", "overlayfs", "ls"],
                              timeout=60).strip().splitlines()[1:]
                for line in reversed(left):   # children before parents
                    key = line.split()[0]
                    subprocess.run(cd.ctr_argv + ["snapshots", "--snapshotter", "overlayfs",
                                                  "rm", key], stdin=devnull, stdout=devnull,
                                   stderr=devnull, timeout=60)
        except (RuntimeError, subprocess.SubprocessError) as e:
            problem("containerd cleanup: %s" % e)
        finally:
            if cd.proc and cd.proc.poll() is None:
                cd.proc.terminate()
                try:
                    cd.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    cd.proc.kill()
                    cd.proc.wait(timeout=15)
        super().cleanup()


class Skopeo(Contender):
    name = "skopeo"
    unpacks = False

    def version(self):
        return version_of(["skopeo", "--version"], lambda s: s.split()[-1])

    def start(self, rnd):
        self.store_dir(rnd)
        return self.pull_argv(self.ref), None

    def pull_argv(self, ref):
        return [shutil.which("skopeo"), "--insecure-policy", "copy", "--quiet",
                "--src-tls-verify=false", "docker://" + ref,
                "oci:%s:latest" % os.path.join(self.dir, "oci")]


class Floor(Contender):
    name = "floor"

    def version(self):
        return "curl %s, gzip %s" % (
            version_of(["curl", "--version"], lambda s: s.split()[1]),
            version_of(["gzip", "--version"], lambda s: s.split()[1]))

    def start(self, rnd):
        self.store_dir(rnd)
        return self.pull_argv(self.ref), None

    def pull_argv(self, ref):
        host, rest = ref.split("/", 1)
        repo, tag = rest.rsplit(":", 1)
        return ["/bin/bash", PULL_SH, "floor", "http://" + host, repo, tag,
                os.path.join(self.dir, "out")]

    def layer_dirs(self):
        d = os.path.join(self.dir, "out")
        return [os.path.join(d, x) for x in os.listdir(d)] if os.path.isdir(d) else []


KINDS = {"capsactl": Capsactl, "podman": Podman, "ctr": Ctr, "skopeo": Skopeo, "floor": Floor}
NEEDS = {"podman": ["podman"], "ctr": ["ctr", "containerd"], "skopeo": ["skopeo"],
         "floor": ["curl", "gzip", "tar"]}
