"""bench/bench.py: the body of `make bench` (started by bench/bench.sh inside
a private mount namespace, with W a private tmpfs holding bundle/rootfs and
bundle/config.json from `runc spec`). Measures capsa, runc and crun side by
side; markdown to stdout, progress to stderr. See bench/README.md."""
import atexit
import concurrent.futures
import ctypes
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import time

from common import cpu_model, devnull, emit, log, median, out, p90, ratio, write_raw

W = os.environ["W"]
REPO = os.environ["REPO"]
ENV = os.environ
N = int(ENV.get("N", "30"))
WARMUP = int(ENV.get("WARMUP", "3"))
SEED = ENV.get("SEED") or str(random.randrange(1 << 30))
RSS_RUNS = int(ENV.get("RSS_RUNS", "10"))
CONC = int(ENV.get("CONC", "100"))
CONC_REPS = int(ENV.get("CONC_REPS", "3"))
LEVELS = [int(x) for x in ENV.get("LEVELS", "0 50 100 200").split()]
SCALE_REPS = int(ENV.get("SCALE_REPS", "15"))
MEM_RUNS = int(ENV.get("MEM_RUNS", "100"))
PODMAN_N = int(ENV.get("PODMAN_N", "10"))
SECTIONS = ENV.get("SECTIONS", "ops conc scale mem podman").split()
SECCOMP = ENV.get("SECCOMP", "")
RAW = ENV.get("RAW", "")
TIMEOUT = 30
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
rng = random.Random(SEED)
raw = []


# ------------------------------------------------------------------ bundles
BUNDLE = os.path.join(W, "bundle")
ROOTFS = os.path.join(BUNDLE, "rootfs")
with open(os.path.join(BUNDLE, "config.json")) as f:
    BASE = json.load(f)
BASE["process"]["terminal"] = False
BASE["root"]["path"] = ROOTFS
if SECCOMP:
    if SECCOMP != "podman":
        sys.exit("SECCOMP must be podman or unset")
    sys.path.insert(0, os.path.join(REPO, "tests", "helpers"))
    from podman_seccomp import podman_profile
    prof = podman_profile(BASE["process"]["capabilities"]["bounding"])
    if prof is None:
        sys.exit("SECCOMP=podman: /usr/share/containers/seccomp.json is missing "
                 "(apt-get install golang-github-containers-common)")
    BASE["linux"]["seccomp"] = prof


def make_bundle(name, args, memory=None):
    d = os.path.join(W, "b-" + name)
    os.makedirs(d, exist_ok=True)
    c = json.loads(json.dumps(BASE))
    c["process"]["args"] = args
    if memory is not None:
        c["linux"].setdefault("resources", {})["memory"] = {"limit": memory}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    return d


B_TRUE = make_bundle("true", ["/bin/true"])
B_FALSE = make_bundle("false", ["/bin/false"])
B_SLEEP = make_bundle("sleep", ["/bin/sleep", "100000"])
B_MEM = make_bundle("mem4m", ["/bin/true"], memory=4 << 20)

# The driver is the subreaper of every container init (as conmon or a
# containerd shim would be): a killed container is seen dead by waitpid.
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36


def set_subreaper(on):
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0)


set_subreaper(True)


# ------------------------------------------------------------------ running
class Res:
    __slots__ = ("ns", "cpu", "status", "err", "maxrss")

    def ok(self):
        return os.WIFEXITED(self.status) and os.WEXITSTATUS(self.status) == 0


def spawn(argv, errpath=None, rss=False):
    """posix_spawn argv (stdio /dev/null, stderr to a file), wait4 it:
    wall ns (perf_counter_ns around spawn..reap), cpu ms of the process and
    the descendants it reaped, status, stderr text."""
    if rss:
        rssf = errpath + ".rss"
        argv = [GNU_TIME, "-f", "%M", "-o", rssf, "--"] + argv
    errfd = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
          (os.POSIX_SPAWN_DUP2, errfd, 2)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa, setsid=True)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    os.close(errfd)
    r = Res()
    r.ns, r.status = t1 - t0, status
    r.cpu = (ru.ru_utime + ru.ru_stime) * 1000.0
    with open(errpath, "rb") as f:
        r.err = f.read(2000).decode(errors="replace")
    r.maxrss = None
    if rss and r.ok():
        with open(rssf) as f:
            r.maxrss = int(f.read().split()[-1])
    return r


class Runtime:
    def __init__(self, name, path):
        self.name, self.path = name, path
        self.root = os.path.join(W, "roots", name)
        os.makedirs(self.root, exist_ok=True)
        self.errpath = os.path.join(W, "err-" + name)
        self.n = 0
        self.pids = {}         # container id -> init pid (from --pid-file)
        self.problems = []
        self.version = self._version()
        self.size = os.path.getsize(os.path.realpath(path))
        self.libs = shared_libs(path)

    def _version(self):
        r = subprocess.run([self.path, "--version"], capture_output=True, text=True)
        line = (r.stdout or r.stderr).strip().splitlines()[0]
        return line.split(" version ", 1)[-1].strip()

    def cid(self, tag):
        self.n += 1
        return "b%s-%s-%d" % (tag, self.name, self.n)

    def argv(self, *args):
        return [self.path, "--root", self.root] + list(args)

    def do(self, *args, rss=False, check=True):
        r = spawn(self.argv(*args), self.errpath, rss=rss)
        if check and not r.ok():
            self.problem("%s: %s" % (" ".join(args[:3]), status_text(r.status)), r.err)
        return r

    def problem(self, what, err=""):
        if len(self.problems) < 5:
            self.problems.append("%s%s" % (what, (": " + err.strip()[:300]) if err.strip() else ""))
        log("  %s: %s %s" % (self.name, what, err.strip()[:200]))

    def create(self, cid, bundle=B_SLEEP, rss=False):
        pidf = os.path.join(W, "pid-" + cid)
        r = self.do("create", "--bundle", bundle, "--pid-file", pidf, cid, rss=rss)
        if r.ok():
            with open(pidf) as f:
                self.pids[cid] = int(f.read().strip())
            os.unlink(pidf)
        return r

    def reap(self, cid, kill=False):
        pid = self.pids.pop(cid, None)
        if pid is None:
            return
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    def kill_wait(self, cid):
        """untimed: SIGKILL the container, wait until its init is reaped."""
        self.do("kill", cid, "KILL")
        self.reap(cid)

    def remove(self, cid):
        self.do("delete", "-f", cid, check=False)
        self.reap(cid, kill=True)


def status_text(status):
    if os.WIFEXITED(status):
        return "exit status %d" % os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "status 0x%x" % status


def shared_libs(path):
    r = subprocess.run(["ldd", path], capture_output=True, text=True)
    libs = []
    for line in r.stdout.splitlines():
        name = line.strip().split()[0] if line.strip() else ""
        if (not name or name.startswith("linux-vdso") or "ld-linux" in name
                or "statically" in line or "not a dynamic" in line):
            continue
        libs.append(name)
    return libs


def ms(x):
    return "—" if x is None else "%.2f" % x


# ---------------------------------------------------------------- targets
if ENV.get("RUNTIMES"):   # A/B of builds: RUNTIMES="capsa=/new/capsa base=/old/capsa"
    runtimes = [Runtime(*spec.split("=", 1)) for spec in ENV["RUNTIMES"].split()]
else:
    runtimes = [Runtime("capsa", ENV["CAPSA"]), Runtime("runc", ENV["RUNC"])]
    if ENV.get("CRUN"):
        runtimes.append(Runtime("crun", ENV["CRUN"]))
capsa = runtimes[0]
peers = runtimes[1:]
UNSHARE, CHROOT = shutil.which("unshare"), shutil.which("chroot")
FLOOR = [UNSHARE, "-fpmiun", "--mount-proc", CHROOT, ROOTFS, "/bin/true"]


def shuffled(seq):
    s = list(seq)
    rng.shuffle(s)
    return s


def record(section, op, rt, r):
    raw.append((section, op, rt, r.ns, r.cpu, r.maxrss or 0, int(r.ok())))


# ------------------------------------------------------------ sanity
log("sanity: a /bin/false container must exit with status 1")
for rt in runtimes:
    r = rt.do("run", "--bundle", B_FALSE, rt.cid("false"), check=False)
    if not (os.WIFEXITED(r.status) and os.WEXITSTATUS(r.status) == 1):
        rt.problem("/bin/false container: expected exit status 1, got " + status_text(r.status), r.err)

OPS = ["run", "create", "start", "exec", "delete"]
wall = {}    # (rt, op) -> [ms]
cpu = {}
rss = {}     # (rt, op) -> [KB]


def op_round(timed=True):
    """one round: run of true, then create, start, exec, delete of a sleep
    container; each step interleaves the runtimes in a fresh order."""
    def keep(rt, op, r):
        if timed and r.ok():
            wall.setdefault((rt.name, op), []).append(r.ns / 1e6)
            cpu.setdefault((rt.name, op), []).append(r.cpu)
        if timed:
            record("ops", op, rt.name, r)
    for rt in shuffled(runtimes):
        r = rt.do("run", "--bundle", B_TRUE, rt.cid("run"))
        keep(rt, "run", r)
    fl = spawn(FLOOR, os.path.join(W, "err-floor"))
    if timed and fl.ok():
        wall.setdefault(("floor", "run"), []).append(fl.ns / 1e6)
        cpu.setdefault(("floor", "run"), []).append(fl.cpu)
    ids = {rt.name: rt.cid("op") for rt in runtimes}
    for rt in shuffled(runtimes):
        keep(rt, "create", rt.create(ids[rt.name]))
    for rt in shuffled(runtimes):
        keep(rt, "start", rt.do("start", ids[rt.name]))
    for rt in shuffled(runtimes):
        keep(rt, "exec", rt.do("exec", ids[rt.name], "/bin/true"))
    for rt in shuffled(runtimes):
        rt.kill_wait(ids[rt.name])
    for rt in shuffled(runtimes):
        keep(rt, "delete", rt.do("delete", ids[rt.name]))


def section_ops():
    log("ops: %d warm-up round(s), %d measured rounds (seed %s)" % (WARMUP, N, SEED))
    for _ in range(WARMUP):
        op_round(timed=False)
    t0 = time.monotonic()
    for i in range(1, N + 1):
        op_round()
        if i % 10 == 0:
            log("  round %d/%d (%.0fs)" % (i, N, time.monotonic() - t0))
    if GNU_TIME and RSS_RUNS:
        log("peak RSS: %d untimed run(s) per runtime of run, create, exec under %s"
            % (RSS_RUNS, GNU_TIME))
        for _ in range(RSS_RUNS):
            for rt in shuffled(runtimes):
                r = rt.do("run", "--bundle", B_TRUE, rt.cid("rss"), rss=True)
                if r.maxrss:
                    rss.setdefault((rt.name, "run"), []).append(r.maxrss)
                cid = rt.cid("rss")
                r = rt.create(cid, rss=True)
                if r.maxrss:
                    rss.setdefault((rt.name, "create"), []).append(r.maxrss)
                rt.do("start", cid)
                r = rt.do("exec", cid, "/bin/true", rss=True)
                if r.maxrss:
                    rss.setdefault((rt.name, "exec"), []).append(r.maxrss)
                rt.remove(cid)
    base = None
    if GNU_TIME:
        r = spawn([GNU_TIME, "-f", "%M", "-o", os.path.join(W, "bb.rss"), "--",
                   "/bin/busybox", "true"], os.path.join(W, "err-bb"))
        with open(os.path.join(W, "bb.rss")) as f:
            base = f.read().split()[-1]

    emit("## Each operation on its own (median wall ms of %d interleaved rounds; "
         "cpu = user+sys of the runtime and what it reaped)" % N, "",
         "| op | " + " | ".join("%s ms | %s cpu" % (rt.name, rt.name) for rt in runtimes)
         + " | " + " | ".join("capsa/%s" % p.name for p in peers) + " |",
         "|---|" + "---:|---:|" * len(runtimes) + "---:|" * len(peers))
    for op in OPS:
        meds = {rt.name: median(wall.get((rt.name, op), [])) for rt in runtimes}
        cols = []
        for rt in runtimes:
            cols.append(ms(meds[rt.name]))
            cols.append(ms(median(cpu.get((rt.name, op), []))))
        cols += [ratio(meds["capsa"], meds[p.name]) for p in peers]
        emit("| %s | %s |" % (op, " | ".join(cols)))
    fl = median(wall.get(("floor", "run"), []))
    emit("", "`run` = create+start+wait+delete of `/bin/true`; create/start/exec/delete "
         "on a `sleep` container (exec runs `/bin/true`; delete after the init was "
         "killed and reaped). p90 of run: %s. Floor (`unshare -fpmiun --mount-proc "
         "chroot ROOTFS /bin/true`, no runtime): %s ms."
         % ("; ".join("%s %s ms" % (rt.name, ms(p90(wall.get((rt.name, "run"), []))))
                      for rt in runtimes), ms(fl)), "")
    emit("## Size and peak RSS", "",
         "| runtime | version | binary | shared libraries loaded | peak RSS KB: run | create | exec |",
         "|---|---|---:|---|---:|---:|---:|")
    for rt in runtimes:
        sz = rt.size
        szs = "%.2f MiB" % (sz / 2**20) if sz >= 2**20 else "%.0f KiB" % (sz / 1024)
        libs = "%d: %s" % (len(rt.libs), ", ".join(rt.libs)) if rt.libs else "0 (static)"
        emit("| %s | %s | %s | %s | %s | %s | %s |" % (
            rt.name, rt.version, szs, libs,
            *[("%d" % median(rss[(rt.name, op)])) if rss.get((rt.name, op)) else "n/a"
              for op in ("run", "create", "exec")]))
    emit("", "peak RSS = median of %d untimed runs under `/usr/bin/time -f %%M` "
         "(ru_maxrss: the runtime process and the descendants it reaped; for `run` "
         "that includes the container's busybox; `/usr/bin/time -f %%M busybox true` "
         "alone: %s KB)." % (RSS_RUNS, base or "?"), "")


def section_conc():
    log("concurrency: %d containers created+started at once, then deleted (x%d)"
        % (CONC, CONC_REPS))
    res = {}   # rt -> [(wall_s, slowest_ms, delete_wall_s, failures)]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=CONC)
    for rep in range(CONC_REPS):
        for rt in shuffled(runtimes):
            ids = [rt.cid("c") for _ in range(CONC)]

            def one(cid, rt=rt):
                t0 = time.perf_counter()
                pidf = os.path.join(W, "pid-" + cid)
                # stderr to a file: the container's init keeps its stdio
                errp = os.path.join(W, "err-" + cid)
                with open(errp, "wb") as ef:
                    a = subprocess.run(rt.argv("create", "--bundle", B_SLEEP, "--pid-file",
                                               pidf, cid),
                                       stdin=devnull, stdout=devnull, stderr=ef)
                    if a.returncode == 0:
                        with open(pidf) as f:
                            rt.pids[cid] = int(f.read())
                        a = subprocess.run(rt.argv("start", cid), stdin=devnull,
                                           stdout=devnull, stderr=ef)
                ms_ = (time.perf_counter() - t0) * 1000
                with open(errp, "rb") as ef:
                    e = ef.read(1000).decode(errors="replace")
                os.unlink(errp)
                return (ms_ if a.returncode == 0 else None), e

            t0 = time.perf_counter()
            lat = list(pool.map(one, ids))
            t_all = time.perf_counter() - t0
            fails = [e for v, e in lat if v is None]
            for e in fails[:1]:
                rt.problem("concurrent create/start failed (%d of %d)" % (len(fails), CONC), e)

            def rm(cid, rt=rt):
                return subprocess.run(rt.argv("delete", "-f", cid), stdin=devnull,
                                      stdout=devnull, stderr=devnull).returncode
            t0 = time.perf_counter()
            dels = list(pool.map(rm, ids))
            t_del = time.perf_counter() - t0
            for cid in ids:
                rt.reap(cid, kill=True)
            if any(dels):
                rt.problem("concurrent delete -f failed for %d" % sum(1 for d in dels if d))
            oks = [v for v, e in lat if v is not None]
            res.setdefault(rt.name, []).append((t_all, max(oks) if oks else None, t_del, len(fails)))
            raw.append(("conc", "all", rt.name, int(t_all * 1e9), 0, 0, int(not fails)))
    pool.shutdown()
    emit("## %d containers created and started concurrently, then deleted concurrently "
         "(median of %d repetitions)" % (CONC, CONC_REPS), "",
         "| runtime | wall s (create+start all) | containers/s | slowest ms | delete -f all s | failures |",
         "|---|---:|---:|---:|---:|---:|")
    for rt in runtimes:
        v = res.get(rt.name, [])
        wall_s = median([x[0] for x in v])
        slow = median([x[1] for x in v if x[1] is not None])
        emit("| %s | %.2f | %.0f | %s | %.2f | %d |" % (
            rt.name, wall_s, CONC / wall_s, ms(slow), median([x[2] for x in v]),
            sum(x[3] for x in v)))
    c = res.get("capsa")
    if c:
        emit("", "capsa/peer wall: " + "; ".join(
            "%s %s" % (p.name, ratio(median([x[0] for x in c]),
                                      median([x[0] for x in res.get(p.name, [])]) or None))
            for p in peers), "")


def section_scale():
    log("scale: list/state/kill latency with %s containers running" % LEVELS)
    running = {rt.name: [] for rt in runtimes}
    lat = {}   # (rt, op, level) -> [ms]
    for level in LEVELS:
        for rt in runtimes:   # fill (untimed) up to the level
            while len(running[rt.name]) < level:
                cid = rt.cid("s")
                if not rt.create(cid).ok():
                    break
                if not rt.do("start", cid).ok():
                    rt.remove(cid)
                    break
                running[rt.name].append(cid)
            if len(running[rt.name]) < level:
                rt.problem("could only start %d containers" % len(running[rt.name]))
        log("  level %d: timing" % level)
        for _ in range(SCALE_REPS):
            for rt in shuffled(runtimes):
                probe = rt.cid("p")
                rt.create(probe)
                rt.do("start", probe)
                for op, args in shuffled([("list", ["list"]), ("state", ["state", probe]),
                                          ("kill", ["kill", probe, "CONT"])]):
                    r = rt.do(*args)
                    record("scale%d" % level, op, rt.name, r)
                    if r.ok():
                        lat.setdefault((rt.name, op, level), []).append(r.ns / 1e6)
                rt.remove(probe)
    for rt in runtimes:
        for cid in running[rt.name]:
            rt.remove(cid)
    emit("## Per-operation latency with containers already running "
         "(median ms of %d; must stay flat)" % SCALE_REPS, "",
         "| runtime | op | " + " | ".join("%d running" % lv for lv in LEVELS)
         + " | %d/%d |" % (LEVELS[-1], LEVELS[0]),
         "|---|---|" + "---:|" * (len(LEVELS) + 1))
    for rt in runtimes:
        for op in ("list", "state", "kill"):
            meds = [median(lat.get((rt.name, op, lv), [])) for lv in LEVELS]
            emit("| %s | %s | %s | %s |" % (rt.name, op, " | ".join(ms(m) for m in meds),
                                            ratio(meds[-1], meds[0])))
    emit("", "each sample: a fresh probe container is created and started (untimed), "
         "then `list`, `state PROBE`, `kill PROBE CONT` are timed in shuffled order; "
         "the runtimes take turns.", "")


def section_mem():
    log("memory limit: %d runs per runtime of /bin/true with memory.limit = 4 MB" % MEM_RUNS)
    okc = {rt.name: 0 for rt in runtimes}
    first = {}
    for _ in range(MEM_RUNS):
        for rt in shuffled(runtimes):
            cid = rt.cid("m")
            r = rt.do("run", "--bundle", B_MEM, cid, check=False)
            record("mem", "run", rt.name, r)
            if r.ok():
                okc[rt.name] += 1
            else:
                first.setdefault(rt.name, status_text(r.status) + ": " + r.err.strip()[:200])
                rt.do("delete", "-f", cid, check=False)
    emit("## A container with a 4 MB memory limit (`linux.resources.memory.limit` = 4194304)", "",
         "| runtime | started and exited 0 | first failure |", "|---|---:|---|")
    for rt in runtimes:
        emit("| %s | %d/%d | %s |" % (rt.name, okc[rt.name], MEM_RUNS,
                                      first.get(rt.name, "—").replace("|", "\\|").replace("\n", " ")))
    emit("")
    return okc


def podman_setup():
    top = os.path.join(W, "podman")
    os.makedirs(top, exist_ok=True)
    tarp = os.path.join(top, "rootfs.tar")
    with tarfile.open(tarp, "w") as t:
        t.add(ROOTFS, arcname=".")
    return top, tarp


def section_podman():
    pm = shutil.which("podman")
    if not pm or not PODMAN_N:
        emit("## podman run --rm", "", "skipped (%s)" % ("PODMAN_N=0" if pm else
             "podman not installed: apt-get install podman"), "")
        return
    set_subreaper(False)   # conmon double-forks: leave it to PID 1, as podman expects
    top, tarp = podman_setup()
    image = "localhost/capsa-bench-bb:1"
    opts = ["--network", "none", "--pull", "never", "--ulimit", "nofile=1024:1024",
            "--ulimit", "nproc=1024:1024", "--rm"]

    def podman(rt, *args):
        base = [pm, "--root", os.path.join(top, "storage"), "--runroot", os.path.join(top, "run"),
                "--tmpdir", os.path.join(top, "tmp"), "--volumepath", os.path.join(top, "vol"),
                "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                "--storage-driver", "vfs", "--runtime", rt.path]
        return spawn(base + list(args), os.path.join(W, "err-podman"))

    r = podman(capsa, "import", tarp, image)
    if not r.ok():
        emit("## podman run --rm", "", "skipped: podman import failed: " + r.err.strip()[:300], "")
        return
    log("podman: 2 warm-up and %d interleaved runs per runtime of `podman run --rm IMAGE true`"
        % PODMAN_N)
    times = {}
    fails = {}
    for i in range(PODMAN_N + 2):
        for rt in shuffled(runtimes):
            r = podman(rt, "run", *opts, image, "/bin/true")
            record("podman", "run", rt.name, r)
            if not r.ok():
                fails.setdefault(rt.name, []).append(r.err.strip()[:300])
            elif i >= 2:
                times.setdefault(rt.name, []).append(r.ns / 1e6)
    podman(capsa, "rm", "-af")
    podman(capsa, "rmi", "-af")
    emit("## `podman run --rm IMAGE /bin/true` with `--runtime` (median of %d interleaved)"
         % PODMAN_N, "", "| runtime | median ms | p90 ms | capsa/runtime | failures |",
         "|---|---:|---:|---:|---:|")
    cm = median(times.get("capsa", []))
    for rt in runtimes:
        m = median(times.get(rt.name, []))
        emit("| %s | %s | %s | %s | %d |" % (rt.name, ms(m), ms(p90(times.get(rt.name, []))),
                                             ratio(cm, m), len(fails.get(rt.name, []))))
    for name, e in fails.items():
        emit("", "%s first podman failure: `%s`" % (name, e[0].replace("\n", " ")))
    emit("", "private podman (--root/--runroot/--tmpdir on the bench tmpfs, vfs, cgroupfs, "
         "--network none, image imported from a mkrootfs.sh tarball, nothing pulled).", "")
    set_subreaper(True)


# ------------------------------------------------------------------- main
def kill_all():
    """on any exit: no container of ours survives the bench."""
    for rt in runtimes:
        for cid in list(rt.pids):
            try:
                rt.remove(cid)
            except Exception:
                pass


t_begin = time.monotonic()
mem_ok = None
atexit.register(kill_all)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
for sec in SECTIONS:
    if sec == "ops":
        section_ops()
    elif sec == "conc":
        section_conc()
    elif sec == "scale":
        section_scale()
    elif sec == "mem":
        mem_ok = section_mem()
    elif sec == "podman":
        section_podman()
    else:
        sys.exit("unknown section %s" % sec)


print("# capsa vs runc vs crun (`make bench`)")
print()
print("host: %s, kernel %s, %d CPU(s) %s; seed %s; %.0f s"
      % (platform.node(), platform.release(), os.cpu_count(), cpu_model(), SEED,
         time.monotonic() - t_begin))
if ENV.get("NOTES"):
    print("note: " + ENV["NOTES"])
if ENV.get("CRUN_NOTE"):
    print("note: " + ENV["CRUN_NOTE"])
print("bundles: busybox-static rootfs (tests/fixtures/mkrootfs.sh), config from `runc spec`, "
      "terminal=false%s; every runtime gets the same bundle and its own --root on a tmpfs"
      % ("; podman's default seccomp profile in every bundle (SECCOMP=podman)" if SECCOMP else ""))
print()
print("\n".join(out))

# targets
crun_rt = next((rt for rt in runtimes if rt.name == "crun"), None)
print("## Targets")
print()
cr = median(wall.get(("capsa", "run"), []))
if crun_rt and cr is not None and median(wall.get(("crun", "run"), [])):
    k = cr / median(wall[("crun", "run")])
    print("- `run` median <= 0.7 x crun's: %.2f x (%s)" % (k, "met" if k <= 0.7 else "NOT met"))
else:
    print("- `run` median <= 0.7 x crun's: not measured (needs crun and the ops section)")
if rss.get(("capsa", "run")):
    m = max(median(rss[("capsa", op)]) for op in ("run", "create", "exec") if rss.get(("capsa", op)))
    print("- peak RSS <= 2 MB (2048 KB): largest of capsa's run/create/exec medians %d KB (%s)"
          % (m, "met" if m <= 2048 else "NOT met"))
else:
    print("- peak RSS <= 2 MB: not measured")
if mem_ok is not None:
    print("- 4 MB memory limit starts %d/%d times: capsa %d/%d (%s)" % (
        MEM_RUNS, MEM_RUNS, mem_ok["capsa"], MEM_RUNS,
        "met" if mem_ok["capsa"] == MEM_RUNS else "NOT met"))
else:
    print("- 4 MB memory limit: not measured")

problems = [(rt.name, p) for rt in runtimes for p in rt.problems]
for rt in runtimes:
    left = sorted(e for e in os.listdir(rt.root) if not e.startswith("@"))
    if left:
        problems.append((rt.name, "state left in --root: " + " ".join(left[:8])))
if problems:
    print()
    print("## Problems")
    print()
    for name, p in problems:
        print("- %s: %s" % (name, p.replace("\n", " ")))
write_raw(RAW, "section,op,runtime,ns,cpu_ms,maxrss_kb,ok", "%s,%s,%s,%d,%.3f,%d,%d", raw)
