"""bench/engine_lib.py: what bench/engine.py's sections stand on: the run's
settings (from bench/engine.sh's environment), spawning and measuring a
command (wall time, the CPU charged to the contender's accounting cgroup,
peak RSS), the busybox image in the forms each engine loads, and the
contenders (capsactl, podman with runc or crun, docker, ctr), each with a
private store, its own daemon where it has one, and its own cleanup."""
import contextlib
import ctypes
import glob
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time

from common import devnull, log, problem, problems, version_of  # noqa: F401  (for engine.py too)

W = os.environ["W"]
REPO = os.environ["REPO"]
CAPSACTL = os.environ["CAPSACTL"]
ENV = os.environ
N = int(ENV.get("N", "30"))
WARMUP = int(ENV.get("WARMUP", "3"))
SEED = ENV.get("SEED") or str(random.randrange(1 << 30))
CONTENDERS = ENV.get("CONTENDERS", "capsactl podman-runc podman-crun docker ctr").split()
SECTIONS = ENV.get("SECTIONS", "ops conc ps mem strace").split()
CONC = int(ENV.get("CONC", "100"))
CONC_REPS = int(ENV.get("CONC_REPS", "1"))
LEVELS = [int(x) for x in ENV.get("LEVELS", "0 50 200").split()]
PS_REPS = int(ENV.get("PS_REPS", "10"))
MON_K = int(ENV.get("MON_K", "10"))
RSS_RUNS = int(ENV.get("RSS_RUNS", "5"))
RAW = ENV.get("RAW", "")
TIMEOUT = 120
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
IMAGE = "localhost/bench-bb:latest"
SLEEP = ["sleep", "100000"]
RUNC = shutil.which("runc") or "/usr/sbin/runc"
DOCKER = "/usr/bin/docker"   # Debian's client, the daemon's version (not a newer one on PATH)
CTR_NS = "capsa-bench-engine"
DOCKER_CGROUP_PARENT = "/capsa-bench-engine-docker"
PODMAN_RUN_OPTS = ["--network", "none", "--pull", "never", "--ulimit", "nofile=1024:1024",
                   "--ulimit", "nproc=1024:1024"]

sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
sys.path.insert(0, os.path.join(REPO, "tests", "interop"))
import oci_images  # noqa: E402
from interop_lib import (_children_of, _ppid, _procs_referring, _procs_with,  # noqa: E402
                         cmdline, kill_and_wait, pid_alive, umount_under)

rng = random.Random(SEED)
raw = []


def run_ok(argv, env=None, timeout=TIMEOUT, what=None):
    r = subprocess.run(argv, stdin=devnull, capture_output=True, text=True, env=env,
                       timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (what or " ".join(argv[-6:]), r.returncode,
                                                       (r.stderr or r.stdout)[-1500:]))
    return r.stdout


# ------------------------------------------------------------------ CPU accounting
class Acct:
    """The CPU each contender costs, daemons and monitors included: one
    cgroup per contender in the cpuacct hierarchy (cgroup v1; on a v2 host
    the unified one). The driver's thread enters it before spawning a
    command (untimed) and leaves after the reap; a daemon started from it
    stays there with everything it forks (shims, conmon, capsa-shim,
    runtimes) until a runtime moves a container's process into the
    container's own cgroup. cpuacct.usage (or cpu.stat usage_usec) is read
    around each command."""

    def __init__(self):
        self.v1 = None
        self.mnt = None
        with open("/proc/self/mountinfo") as f:
            for line in f:
                pre, post = line.split(" - ", 1)
                fstype, _, opts = post.split()[:3]
                mnt = pre.split()[4]
                if fstype == "cgroup" and "cpuacct" in opts.split(","):
                    self.v1, self.mnt = True, mnt
                elif fstype == "cgroup2" and mnt == "/sys/fs/cgroup" and self.mnt is None:
                    self.v1, self.mnt = False, mnt
        self.home = None
        self.top = None
        self.dirs = {}
        self.extra = {}     # contender -> cgroups (relative to the mount) charged to it too
        if self.mnt is None:
            return
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrls, path = line.rstrip("\n").split(":", 2)
                if (self.v1 and "cpuacct" in ctrls.split(",")) or (not self.v1 and ctrls == ""):
                    self.home = os.path.join(self.mnt, path.lstrip("/"))
        if self.home is None:
            self.mnt = None
            return
        # v1: the hierarchy's root, beside everything else; v2: below our own
        base = self.mnt if self.v1 else self.home
        self.top = os.path.join(base, "capsa-bench-engine-%d" % os.getpid())
        self.move = "tasks" if self.v1 else "cgroup.procs"

    def ok(self):
        return self.mnt is not None

    def dir(self, name):
        if not self.ok():
            return None
        d = self.dirs.get(name)
        if d is None:
            if not self.dirs:
                os.mkdir(self.top)
            d = self.dirs[name] = os.path.join(self.top, name)
            os.mkdir(d)
        return d

    def _enter(self, d):
        with open(os.path.join(d, self.move), "w") as f:
            f.write("0")

    def enter_thread(self, name):
        if self.ok():
            self._enter(self.dir(name))

    def leave_thread(self):
        if self.ok():
            self._enter(self.home)

    @contextlib.contextmanager
    def inside(self, name):
        self.enter_thread(name)
        try:
            yield
        finally:
            self.leave_thread()

    def _usage(self, d):
        try:
            if self.v1:
                with open(os.path.join(d, "cpuacct.usage")) as f:
                    return int(f.read())
            with open(os.path.join(d, "cpu.stat")) as f:
                for line in f:
                    k, v = line.split()
                    if k == "usage_usec":
                        return int(v) * 1000
        except FileNotFoundError:   # an extra cgroup not made yet
            pass
        return 0

    def usage_ns(self, name):
        if not self.ok():
            return 0
        return self._usage(self.dir(name)) + sum(
            self._usage(os.path.join(self.mnt, rel)) for rel in self.extra.get(name, ()))

    def remove(self):
        if not self.ok():
            return
        self.leave_thread()
        for name, d in self.dirs.items():
            for _ in range(50):   # a monitor may still be on its way out
                with contextlib.suppress(OSError):
                    os.rmdir(d)
                if not os.path.isdir(d):
                    break
                time.sleep(0.1)
            try:
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError as e:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    left = f.read().split()
                problem("accounting cgroup %s not removed (%s); processes left: %s" % (
                    d, e, " ".join("%s (%s)" % (p, cmdline(int(p))[:80]) for p in left[:5])))
        with contextlib.suppress(OSError):
            os.rmdir(self.top)


acct = Acct()


# ------------------------------------------------------------------ orphans
# `capsactl run --rm` returns once the container has exited, while its exit
# command (`capsactl container cleanup`, started by capsa-shim) is still
# unmounting and removing it; conmon's exit command and containerd's shims
# also outlive their client. To time every contender until all it set off
# is done, the driver is a child subreaper while such a command runs: its
# orphans (the monitor, the exit command) become the driver's children and
# it waits for them.
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36


def set_subreaper(on):
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0)


def our_children():
    kids = set()
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            with open("/proc/self/task/%s/children" % tid) as f:
                kids.update(int(x) for x in f.read().split())
    return kids


def wait_orphans(before, timeout=30):
    """Reap every child of ours not in `before` (orphans reparented to us)
    as each exits, until none is left; those still alive after timeout
    seconds are returned (and left alone)."""
    deadline = time.monotonic() + timeout
    while True:
        kids = our_children() - before
        if not kids:
            return []
        fds = {}
        for pid in kids:
            with contextlib.suppress(OSError):
                fds[os.pidfd_open(pid)] = pid
        left = deadline - time.monotonic()
        ready = select.select(list(fds), [], [], max(0, left))[0] if fds else []
        for fd in ready:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(fds[fd], 0)
        for fd in fds:
            os.close(fd)
        if not ready and time.monotonic() >= deadline:
            return sorted(kids)


# ------------------------------------------------------------------ spawning
class Res:
    ns = 0
    ns_done = 0     # until the orphans it made have exited too (settle=True)
    cpu = 0.0       # ms charged to the contender's cgroup while the command ran
    status = 0
    maxrss = 0
    err = ""
    out = ""
    timed_out = False

    def ok(self):
        return not self.timed_out and os.WIFEXITED(self.status) and os.WEXITSTATUS(self.status) == 0


_child = [0]


def _alarm(signum, frame):
    if _child[0] > 0:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(_child[0], signal.SIGKILL)


signal.signal(signal.SIGALRM, _alarm)


def status_text(r):
    if r.timed_out:
        return "timed out after %ds" % TIMEOUT
    if os.WIFEXITED(r.status):
        return "exit status %d" % os.WEXITSTATUS(r.status)
    return "killed by signal %d" % os.WTERMSIG(r.status)


def spawn(c, argv, tag="run", rss=False, keep_out=False, settle=False):
    """posix_spawn argv for contender c (stdin and stdout /dev/null or a
    file, stderr to a file, its own session) from inside c's accounting
    cgroup, wait4 it: wall ns around spawn..reap, the cgroup's CPU delta
    over that window, and with rss GNU time's %M (the largest RSS of one
    process of the tree it reaped). With settle, the driver is a subreaper
    for the command, and ns_done (and the CPU delta) run until the orphans
    it left have exited too."""
    errpath = os.path.join(W, "log", tag + ".stderr")
    outpath = os.path.join(W, "log", tag + ".stdout")
    rsspath = os.path.join(W, "log", tag + ".rss")
    argv = [shutil.which(argv[0]) or argv[0]] + argv[1:]
    if rss and GNU_TIME:
        argv = [GNU_TIME, "-f", "%M", "-o", rsspath, "--"] + argv
    errfd = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    outfd = os.open(outpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                    0o600) if keep_out else devnull
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, outfd, 1),
          (os.POSIX_SPAWN_DUP2, errfd, 2)]
    r = Res()
    before = our_children() if settle else None
    with acct.inside(c.name):
        if settle:
            set_subreaper(True)
        u0 = acct.usage_ns(c.name)
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, c.env, file_actions=fa, setsid=True)
        _child[0] = pid
        try:
            _, status, _ = os.wait4(pid, 0)
        except BaseException:   # SIGTERM/SIGINT: take the command down too
            signal.setitimer(signal.ITIMER_REAL, 0)
            _alarm(0, None)
            os.waitpid(pid, 0)
            set_subreaper(False)
            raise
        t1 = time.perf_counter_ns()
        left = signal.setitimer(signal.ITIMER_REAL, 0)[0]
        t2 = t1
        if settle:
            stuck = wait_orphans(before | {pid})
            t2 = time.perf_counter_ns()
            set_subreaper(False)
            if stuck:
                problem("%s: processes left by `%s` still running after 30 s: %s" % (
                    c.name, " ".join(argv[-4:]), ", ".join(
                        "%d (%s)" % (p, cmdline(p)[:60]) for p in stuck)))
        u1 = acct.usage_ns(c.name)
    _child[0] = 0
    r.ns_done = t2 - t0
    os.close(errfd)
    if keep_out:
        os.close(outfd)
        with open(outpath, errors="replace") as f:
            r.out = f.read()
    r.ns, r.status, r.cpu = t1 - t0, status, (u1 - u0) / 1e6
    r.timed_out = left == 0 and not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
    with open(errpath, "rb") as f:
        r.err = f.read()[-3000:].decode(errors="replace")
    if rss and GNU_TIME:
        try:
            with open(rsspath) as f:
                r.maxrss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            r.maxrss = 0
    return r


def quiet(c, argv, timeout=TIMEOUT):
    """Run argv for contender c from a worker thread (untimed or timed by
    the caller): its exit status, and stderr's tail on a failure."""
    try:
        r = subprocess.run(argv, stdin=devnull, stdout=devnull, stderr=subprocess.PIPE,
                           env=c.env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "timed out after %ds" % timeout
    return r.returncode, r.stderr.decode(errors="replace")[-800:]


# ------------------------------------------------------------------ the image
def build_image():
    """The busybox image of tests/fixtures/oci_images.py (busybox-static
    from Debian) as an OCI layout named bench-bb (capsactl and podman pull
    oci:DIR:latest), an oci-archive (ctr import) and a docker-archive
    (docker load); {kind: path}."""
    top = os.path.join(W, "image")
    os.makedirs(top)
    layout = os.path.join(top, "bench-bb")
    oci_images.write_image(layout, oci_images.busybox_image())
    out = {"layout": layout, "oci": os.path.join(top, "bench-bb.oci.tar"),
           "docker": os.path.join(top, "bench-bb.docker.tar")}
    oci_images.oci_archive(layout, "latest", out["oci"], dest_tag="latest")
    oci_images.docker_archive(layout, "latest", out["docker"], name=IMAGE)
    return out


def proc_mem(pid):
    """(VmRSS kB, Pss kB, comm) of a live process; zeros when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = next((int(x.split()[1]) for x in f if x.startswith("VmRSS:")), 0)
        with open("/proc/%d/smaps_rollup" % pid) as f:
            pss = next((int(x.split()[1]) for x in f if x.startswith("Pss:")), 0)
        with open("/proc/%d/comm" % pid) as f:
            comm = f.read().strip()
    except (OSError, StopIteration):
        return 0, 0, "?"
    return rss, pss, comm


# ------------------------------------------------------------------ contenders
class Contender:
    """One engine: its store (the root) under W/<name> on the disk, its
    run-time state (runroot, exec-root, state, runtime root) under
    W/run/<name> on a private tmpfs, as /var/lib and /run on a host. The
    argv methods give the commands the sections time; setup() and
    teardown() are untimed."""
    name = "?"
    needs = []

    def __init__(self):
        self.dir = os.path.join(W, self.name)
        self.rundir = os.path.join(W, "run", self.name)
        self.env = dict(os.environ)
        self.n = 0
        self.failures, self.first_fail, self.streak, self.dropped = 0, None, 0, False
        self.oks = 0
        self.live = set()     # containers of ours that may exist
        self.proc = None      # the daemon, if any

    def cid(self, tag):
        self.n += 1
        return "hb-%s-%d" % (tag, self.n)

    def missing(self):
        return [b for b in self.needs if not shutil.which(b) and not os.access(b, os.X_OK)]

    def failed(self, what, r):
        self.failures += 1
        self.streak += 1
        if self.first_fail is None:
            self.first_fail = "%s: %s; stderr: %s" % (what, status_text(r), r.err.strip()[-600:])
        log("  %s: %s failed: %s %s" % (self.name, what, status_text(r), r.err.strip()[-200:]))
        if self.streak >= 5 and not self.dropped:
            self.dropped = True
            problem("%s dropped after 5 failures in a row" % self.name)

    def succeeded(self):
        self.streak = 0
        self.oks += 1

    # the commands (podman's names; docker and ctr override)
    def run_rm(self, cid):
        return self.base() + ["run", "--rm"] + self.run_opts() + [IMAGE, "true"]

    def run_d(self, cid):
        return self.base() + ["run", "-d", "--name", cid] + self.run_opts() + [IMAGE] + SLEEP

    def stop(self, cid):
        return self.base() + ["stop", "-t", "0", cid]

    def rm(self, cid):
        return self.base() + ["rm", cid]

    def rm_force(self, cid):
        return [self.base() + ["rm", "-f", cid]]

    def exec_(self, cid, k):
        return self.base() + ["exec", cid, "true"]

    def ps(self):
        return self.base() + ["ps", "-a"]

    def ps_count(self):
        """containers `ps -a` lists (untimed check)."""
        return len(run_ok(self.ps(), env=self.env).strip().splitlines()[1:])

    def init_pid(self, cid):
        return int(run_ok(self.base() + ["inspect", "-f", "{{.State.Pid}}", cid],
                          env=self.env).strip())

    def remove_all(self):
        for cid in sorted(self.live):
            for argv in self.rm_force(cid):
                quiet(self, argv, timeout=60)
        self.live.clear()

    # a daemon: started in the contender's accounting cgroup, stopped by pid
    def start_daemon(self, argv, ready):
        logpath = os.path.join(self.dir, "daemon.log")
        with acct.inside(self.name), open(logpath, "wb") as logf:
            self.proc = subprocess.Popen(argv, stdin=devnull, stdout=logf, stderr=logf,
                                         start_new_session=True)
        deadline = time.monotonic() + 60
        while subprocess.run(ready, env=self.env, stdout=devnull, stderr=devnull,
                             timeout=20).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                with open(logpath, errors="replace") as f:
                    raise RuntimeError("%s did not start: %s" % (
                        os.path.basename(argv[0]), f.read()[-800:]))
            time.sleep(0.1)

    def daemons(self):
        return []

    def stop_daemon(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def kill_leftovers(self, extra=()):
        """processes naming our directories, and extra pids: killed"""
        left = [p for p in _procs_referring(self.dir) + _procs_referring(self.rundir) +
                list(extra) if pid_alive(p)]
        kill_and_wait(left)
        umount_under(self.rundir)
        umount_under(self.dir)
        return left


class Capsactl(Contender):
    name = "capsactl"
    label = "capsactl"

    def __init__(self):
        super().__init__()
        self.needs = [CAPSACTL]

    def version(self):
        return version_of([CAPSACTL, "version"], lambda s: s.split()[-1] if s.split() else "?")

    def base(self):
        return [CAPSACTL, "--root", self.dir, "--runroot", self.rundir]

    def run_opts(self):
        # explicit: without it, once the default network is the default,
        # every run would make capsa0 and its rules in the host's namespace
        return ["--network", "none"]

    def setup(self, img):
        run_ok(self.base() + ["pull", "-q", "oci:%s:latest" % img["layout"]], env=self.env)

    def teardown(self):
        quiet(self, self.base() + ["rm", "-af"], timeout=120)
        quiet(self, self.base() + ["rmi", "-a"], timeout=60)
        left = self.kill_leftovers()
        if left:
            problem("capsactl: processes left after rm -af: %s" % left[:5])


class Podman(Contender):
    needs = ["podman", "conmon"]
    conf_text = "[engine]\n"    # its containers.conf (network.py adds a [network])

    def __init__(self, runtime, name=None, label=None):
        self.name = name or "podman-" + runtime
        self.label = label or "podman (%s)" % runtime
        super().__init__()
        self.runtime = runtime
        self.needs = Podman.needs + [runtime]
        self.conf = os.path.join(self.dir, "containers.conf")
        self.env = dict(os.environ, CONTAINERS_CONF=self.conf)
        # with cgroupfs podman moves conmon into <cgroup parent>/conmon: a
        # parent of our own, whose conmon cgroup is charged to podman too
        self.cg_parent = "capsa-bench-engine-" + self.name
        acct.extra[self.name] = [self.cg_parent + "/conmon"]

    def version(self):
        return "%s, %s %s, conmon %s" % (
            version_of(["podman", "--version"], lambda s: s.split()[-1]), self.runtime,
            version_of([self.runtime, "--version"], lambda s: s.split("\n")[0].split()[-1]),
            version_of(["conmon", "--version"], lambda s: s.split("\n")[0].split()[-1]))

    def base(self):
        # every path podman may touch is private (its containers.conf too);
        # the runroot must stay under 50 characters
        return ["podman", "--root", os.path.join(self.dir, "root"), "--runroot", self.rundir,
                "--tmpdir", os.path.join(self.rundir, "tmp"),
                "--network-config-dir", os.path.join(self.dir, "net"),
                "--volumepath", os.path.join(self.dir, "volumes"), "--storage-driver", "overlay",
                "--events-backend", "none", "--cgroup-manager", "cgroupfs",
                "--runtime", self.runtime]

    def run_opts(self):
        return PODMAN_RUN_OPTS + ["--cgroup-parent", "/" + self.cg_parent]

    def rm_force(self, cid):
        return [self.base() + ["rm", "-f", "-t", "0", cid]]

    def setup(self, img):
        os.makedirs(os.path.join(self.dir, "net"))
        with open(self.conf, "w") as f:
            f.write(self.conf_text)
        iid = run_ok(self.base() + ["pull", "-q", "oci:%s:latest" % img["layout"]],
                     env=self.env).strip().splitlines()[-1]
        run_ok(self.base() + ["tag", iid, IMAGE], env=self.env)

    def teardown(self):
        if not os.path.isdir(os.path.join(self.dir, "root")):
            return
        quiet(self, self.base() + ["rm", "-af", "-t", "0"], timeout=300)
        quiet(self, self.base() + ["system", "reset", "-f"], timeout=120)
        # conmon and `podman container cleanup` name the private directories
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                pid_alive(p) for p in _procs_referring(self.dir) + _procs_referring(self.rundir)):
            time.sleep(0.1)
        self.kill_leftovers()
        for d in glob.glob("/sys/fs/cgroup/*/%s/conmon" % self.cg_parent) + \
                glob.glob("/sys/fs/cgroup/*/" + self.cg_parent):
            with contextlib.suppress(OSError):
                os.rmdir(d)


class Docker(Contender):
    """A private dockerd: --data-root on the disk, --exec-root, --pidfile
    and the socket on the tmpfs; no bridge, no iptables; its default
    storage driver (overlay2) and runtime (runc); cgroupfs under a parent
    of its own. It starts its own containerd. The client is Debian's
    /usr/bin/docker (the daemon's version) with a private DOCKER_CONFIG."""
    name = "docker"
    label = "docker"
    needs = ["dockerd", DOCKER, "containerd", "containerd-shim-runc-v2", "runc"]

    def __init__(self):
        super().__init__()
        self.env = dict(os.environ, DOCKER_CONFIG=os.path.join(self.dir, "client"))
        self.env.pop("DOCKER_HOST", None)

    def version(self):
        return "%s (dockerd %s, containerd %s, runc %s)" % (
            version_of([DOCKER, "--version"], lambda s: s.split()[2].rstrip(",")),
            version_of(["dockerd", "--version"], lambda s: s.split()[2].rstrip(",")),
            version_of(["containerd", "--version"], lambda s: s.split()[2]),
            version_of([RUNC, "--version"], lambda s: s.split()[2]))

    def base(self):
        return [DOCKER, "-H", "unix://" + os.path.join(self.rundir, "docker.sock")]

    def run_opts(self):
        return ["--network", "none"]

    def setup(self, img):
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, "daemon.json")
        with open(conf, "w") as f:   # (else dockerd 20.10 writes /etc/docker/key.json)
            json.dump({"deprecated-key-path": os.path.join(self.dir, "key.json")}, f)
        self.start_daemon([
            shutil.which("dockerd"), "--config-file", conf,
            "--data-root", os.path.join(self.dir, "data"),
            "--exec-root", os.path.join(self.rundir, "exec"),
            "--pidfile", os.path.join(self.rundir, "docker.pid"),
            "-H", "unix://" + os.path.join(self.rundir, "docker.sock"),
            "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
            "--ip-forward=false", "--userland-proxy=false",
            "--exec-opt", "native.cgroupdriver=cgroupfs",
            "--cgroup-parent", DOCKER_CGROUP_PARENT, "--shutdown-timeout", "2",
            "--log-level", "warn"], self.base() + ["version"])
        run_ok(self.base() + ["load", "-q", "-i", img["docker"]], env=self.env)

    def daemons(self):
        if not self.proc or self.proc.poll() is not None:
            return []
        return [("dockerd", self.proc.pid)] + [("containerd (dockerd's)", p) for p in
                                               _children_of([self.proc.pid])
                                               if "containerd" in cmdline(p)]

    def teardown(self):
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                ids = run_ok(self.base() + ["ps", "-aq"], env=self.env, timeout=60).split()
                if ids:
                    quiet(self, self.base() + ["rm", "-f"] + ids, timeout=300)
        shims = [p for p in _procs_with(self.rundir, "cwd") if "containerd-shim" in cmdline(p)]
        inits = _children_of(shims)
        self.stop_daemon()
        self.kill_leftovers(inits + shims)
        for d in glob.glob("/sys/fs/cgroup/*" + DOCKER_CGROUP_PARENT):
            with contextlib.suppress(OSError):
                os.rmdir(d)


CONTAINERD_TOML = """version = 2
root = "{root}/root"
state = "{run}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{run}/containerd.sock"

[ttrpc]
  address = "{run}/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{root}/opt"
"""


class Ctr(Contender):
    """ctr against a private containerd (its config, root on the disk,
    state and socket on the tmpfs; CRI off), namespace capsa-bench-engine;
    Debian's runc through containerd-shim-runc-v2 with its root and the
    fifos on the tmpfs (containerd's defaults are under /run too)."""
    name = "ctr"
    label = "ctr"
    needs = ["ctr", "containerd", "containerd-shim-runc-v2", "runc"]

    def __init__(self):
        super().__init__()
        self.execs = 0
        self.fifo = os.path.join(self.rundir, "fifo")

    def version(self):
        return "containerd %s, runc %s" % (
            version_of(["containerd", "--version"], lambda s: s.split()[2]),
            version_of([RUNC, "--version"], lambda s: s.split()[2]))

    def base(self):
        return [shutil.which("ctr"), "-a", os.path.join(self.rundir, "containerd.sock"),
                "-n", CTR_NS]

    def runc_opts(self):
        return ["--runc-binary", RUNC, "--runc-root", os.path.join(self.rundir, "runc"),
                "--fifo-dir", self.fifo]

    def run_rm(self, cid):
        return self.base() + ["run"] + self.runc_opts() + ["--rm", IMAGE, cid, "true"]

    def run_d(self, cid):
        return self.base() + ["run"] + self.runc_opts() + ["-d", IMAGE, cid] + SLEEP

    def stop(self, cid):   # SIGKILL, wait, delete the task (runc delete)
        return self.base() + ["task", "delete", "-f", cid]

    def rm(self, cid):     # the container's record and its snapshot
        return self.base() + ["container", "delete", cid]

    def rm_force(self, cid):
        return [self.stop(cid), self.rm(cid)]

    def exec_(self, cid, k):
        self.execs += 1
        return self.base() + ["task", "exec", "--fifo-dir", self.fifo,
                              "--exec-id", "e%d" % self.execs, cid, "true"]

    def ps(self):
        return self.base() + ["task", "ls"]

    def init_pid(self, cid):
        for line in run_ok(self.ps()).splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return int(f[1])
        raise RuntimeError("ctr task ls: no task %s" % cid)

    def setup(self, img):
        os.makedirs(self.dir)
        os.makedirs(self.rundir)
        conf = os.path.join(self.dir, "config.toml")
        with open(conf, "w") as f:
            f.write(CONTAINERD_TOML.format(root=self.dir, run=self.rundir))
        self.start_daemon([shutil.which("containerd"), "--config", conf],
                          self.base() + ["version"])
        run_ok(self.base() + ["images", "import", "--base-name", IMAGE.rsplit(":", 1)[0],
                              img["oci"]])

    def daemons(self):
        return [("containerd", self.proc.pid)] if self.proc and self.proc.poll() is None else []

    def teardown(self):
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                for cid in run_ok(self.base() + ["containers", "ls", "-q"], timeout=60).split():
                    for argv in self.rm_force(cid):
                        quiet(self, argv, timeout=60)
        shims = [p for p in _procs_with(os.path.join(self.rundir, "state"), "cwd")
                 if "containerd-shim" in cmdline(p)]
        inits = _children_of(shims)
        self.stop_daemon()
        self.kill_leftovers(inits + shims)
        for d in glob.glob("/sys/fs/cgroup/*/" + CTR_NS):
            with contextlib.suppress(OSError):
                os.rmdir(d)


def make(name):
    if name == "capsactl":
        return Capsactl()
    if name in ("podman-runc", "podman-crun"):
        return Podman(name.split("-", 1)[1])
    if name == "docker":
        return Docker()
    if name == "ctr":
        return Ctr()
    sys.exit("engine.py: unknown contender %s (known: capsactl podman-runc podman-crun "
             "docker ctr)" % name)


def monitor_of(c, cid):
    """(monitor pid, its comm): the parent of the container's init."""
    pid = c.init_pid(cid)
    pp = _ppid(pid)
    if not pp:
        raise RuntimeError("%s: no parent for init %d of %s" % (c.name, pid, cid))
    return pp, proc_mem(pp)[2]
