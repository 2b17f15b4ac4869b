#!/bin/bash
# bench/run-true.sh: time `RUNTIME --root R run --bundle B ID` of a busybox
# `/bin/true` bundle (create+start+wait+delete in one command) for capsa,
# runc and (if installed) crun, plus an `unshare ... chroot` floor.
# See bench/README.md for the method. Usage:
#
#   sudo bench/run-true.sh                 # N=40 rounds, 5 warm-ups per runtime
#   sudo env N=100 WARMUP=5 bench/run-true.sh
#
# Environment: N (rounds, default 40), WARMUP (warm-up runs per runtime,
# default 5), SEED (order shuffling seed, default: random), TIMEOUT (seconds
# per run before it is killed and counted as failed, default 10),
# CAPSA (default <repo>/build/capsa), RUNC (default /usr/sbin/runc),
# CRUN (default `command -v crun`; set CRUN=none to skip it),
# RSS_RUNS (untimed runs per target under /usr/bin/time -f %M, default 10),
# RAW (optional path: per-run CSV written there),
# SECCOMP=podman (every bundle gets podman's default seccomp profile, as
# podman writes it, and capsa is timed twice: `capsa` with its compiled-
# program cache warm, `capsa-cold` with the cache removed before each run).
set -euo pipefail

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

die() { echo "run-true.sh: $*" >&2; exit 1; }

SELF=$(readlink -f "$0")
BENCH_DIR=$(dirname "$SELF")
REPO=$(dirname "$BENCH_DIR")
PY=/usr/bin/python3

# ---------------------------------------------------------------- outer part
if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
    [ "$(id -u)" = 0 ] || die "must run as root (runtimes need it)"
    [ -x "$PY" ] || die "$PY is required"
    command -v unshare >/dev/null || die "unshare (util-linux) is required"
    CAPSA=${CAPSA:-$REPO/build/capsa}
    [ -x "$CAPSA" ] || die "capsa binary not found at $CAPSA: build it first (meson setup build && ninja -C build)"
    RUNC=${RUNC:-/usr/sbin/runc}
    [ -x "$RUNC" ] || die "runc not found at $RUNC (apt-get install runc)"
    [ -x "$REPO/tests/fixtures/mkrootfs.sh" ] || [ -f "$REPO/tests/fixtures/mkrootfs.sh" ] \
        || die "missing $REPO/tests/fixtures/mkrootfs.sh"
    export CAPSA RUNC CAPSA_BENCH_INNER=1
    # Everything below runs in a private mount namespace: the cgroup2 unmount
    # and the tmpfs never leak to the host.
    exec unshare -m --propagation private -- /bin/bash "$SELF"
fi

# ---------------------------------------------------------------- inner part
N=${N:-40}
WARMUP=${WARMUP:-5}
TIMEOUT=${TIMEOUT:-10}
SEED=${SEED:-$RANDOM$RANDOM}
case "$N$WARMUP" in *[!0-9]*) die "N and WARMUP must be integers" ;; esac
[ "$N" -ge 1 ] || die "N must be >= 1"

CRUN=${CRUN-}
if [ "$CRUN" = none ]; then
    CRUN=
    crun_note="crun: skipped (CRUN=none)"
elif [ -z "$CRUN" ]; then
    CRUN=$(command -v crun || true)
    crun_note="crun: not installed, skipped (apt-get install -y crun to include it)"
else
    [ -x "$CRUN" ] || die "CRUN=$CRUN is not executable"
fi
if [ -n "$CRUN" ]; then crun_note=""; fi

if mountpoint -q /sys/fs/cgroup/unified; then
    umount /sys/fs/cgroup/unified || die "cannot unmount /sys/fs/cgroup/unified"
    # The directory beneath belongs to the host's /sys/fs/cgroup tmpfs, and
    # crun mkdirs unified/<id> there (never removed): cover it with a
    # throwaway tmpfs so nothing lands on the host.
    mount -t tmpfs -o size=1m,mode=0755 capsa-bench-unified /sys/fs/cgroup/unified \
        || die "cannot mount a tmpfs over /sys/fs/cgroup/unified"
    echo "note: /sys/fs/cgroup/unified (hybrid cgroup2) unmounted in a private mount namespace for all runtimes alike (crun 1.8.1 refuses hybrid mode); an empty private tmpfs covers the directory"
else
    echo "note: /sys/fs/cgroup/unified not mounted; running in a private mount namespace, cgroup mounts untouched"
fi

W=$(mktemp -d /tmp/capsa-bench.XXXXXX)
cleanup() {
    umount -l "$W" 2>/dev/null || true
    rmdir "$W" 2>/dev/null || true
}
trap cleanup EXIT
mount -t tmpfs -o size=512m,mode=0700 capsa-bench "$W" || die "cannot mount tmpfs on $W"
echo "note: bundle and --root dirs on a tmpfs at $W (private to this namespace)"

B=$W/bundle
mkdir -p "$B" "$W/roots"
sh "$REPO/tests/fixtures/mkrootfs.sh" "$B/rootfs" >/dev/null || die "mkrootfs.sh failed"
(cd "$B" && "$RUNC" spec) || die "'$RUNC spec' failed"
# Second bundle, same rootfs (absolute root.path), running /bin/false: used
# once per runtime to check that the exit status really comes from the
# container (a runtime that "succeeds" without running anything is caught).
mkdir -p "$W/bundle-false" "$W/bundle-cgroup"
SECCOMP=${SECCOMP:-}
case "$SECCOMP" in ""|podman) ;; *) die "SECCOMP must be podman or unset" ;; esac
"$PY" - "$B" "$W/bundle-false" "$SECCOMP" "$REPO/tests/helpers" <<'EOF' || die "editing config.json failed"
import json, os, sys
b, bf, seccomp, helpers = sys.argv[1:5]
with open(os.path.join(b, "config.json")) as f:
    c = json.load(f)
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
if seccomp:
    sys.path.insert(0, helpers)
    from podman_seccomp import podman_profile
    prof = podman_profile(c["process"]["capabilities"]["bounding"])
    if prof is None:
        sys.exit("SECCOMP=podman: /usr/share/containers/seccomp.json is missing "
                 "(apt-get install golang-github-containers-common)")
    c["linux"]["seccomp"] = prof
with open(os.path.join(b, "config.json"), "w") as f:
    json.dump(c, f, indent=2)
c["process"]["args"] = ["/bin/false"]
c["root"]["path"] = os.path.join(b, "rootfs")
with open(os.path.join(bf, "config.json"), "w") as f:
    json.dump(c, f, indent=2)
c["process"]["args"] = ["/bin/cat", "/proc/self/cgroup"]
with open(os.path.join(os.path.dirname(bf), "bundle-cgroup", "config.json"), "w") as f:
    json.dump(c, f, indent=2)
EOF

UNSHARE=$(command -v unshare)
CHROOT=$(command -v chroot)

set -- "capsa=$CAPSA" "runc=$RUNC"
[ -n "$SECCOMP" ] && set -- "$@" "capsa-cold=$CAPSA"
[ -n "$CRUN" ] && set -- "$@" "crun=$CRUN"

BENCH_DIR="$BENCH_DIR" "$PY" - "$W" "$B" "$N" "$WARMUP" "$TIMEOUT" "$SEED" "${RAW:-}" \
    "$crun_note" "$UNSHARE" "$CHROOT" "$@" <<'EOF'
import os, sys, time, random, signal, platform, shutil, subprocess
sys.path.insert(0, os.environ["BENCH_DIR"])
from common import cpu_model  # noqa: E402

W, B, N, WARMUP, TIMEOUT, SEED, RAW, CRUN_NOTE, UNSHARE, CHROOT = sys.argv[1:11]
N, WARMUP, TIMEOUT = int(N), int(WARMUP), float(TIMEOUT)
ROOTFS = os.path.join(B, "rootfs")
MAX_CONSEC_FAIL = 5
RSS_RUNS = int(os.environ.get("RSS_RUNS", "10"))
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

def log(*a):
    print(*a, file=sys.stderr, flush=True)

class Target:
    def __init__(self, name, path, is_runtime=True):
        self.name, self.path, self.is_runtime = name, path, is_runtime
        self.times, self.rss = [], []
        self.failures = 0
        self.consec = 0
        self.first_fail = None        # (phase, id, status text, stderr)
        self.stderr_on_ok = 0
        self.first_ok_stderr = None
        self.dropped = None           # reason if excluded
        self.sanity = None            # problem seen by the /bin/false check
        self.cgroup = None            # container's pids cgroup, or a note
        self.root = os.path.join(W, "roots", name)
        if is_runtime:
            os.makedirs(self.root, exist_ok=True)
            self.version = self._version()
            self.size = os.path.getsize(os.path.realpath(path))
        else:
            self.version = "util-linux " + self._unshare_version()
            self.size = None

    def _version(self):
        try:
            r = subprocess.run([self.path, "--version"], capture_output=True,
                               stdin=subprocess.DEVNULL, text=True, timeout=10)
            line = (r.stdout or r.stderr).strip().splitlines()[0]
            return line.split(" version ", 1)[-1].strip()
        except Exception as e:
            return "? (%s)" % e

    def _unshare_version(self):
        try:
            r = subprocess.run([UNSHARE, "--version"], capture_output=True,
                               stdin=subprocess.DEVNULL, text=True)
            return r.stdout.split()[-1]
        except Exception:
            return "?"

    def argv(self, cid, bundle=B):
        if self.is_runtime:
            return [self.path, "--root", self.root, "run", "--bundle", bundle, cid]
        return [UNSHARE, "-fpmiun", "--mount-proc", CHROOT, ROOTFS, "/bin/true"]

devnull = os.open(os.devnull, os.O_RDWR)
errpath = os.path.join(W, "stderr")
_child = [0]
_timed_out = [False]

def _alarm(signum, frame):
    if _child[0] > 0:
        _timed_out[0] = True
        try:
            os.killpg(_child[0], signal.SIGKILL)
        except ProcessLookupError:
            pass
signal.signal(signal.SIGALRM, _alarm)

def run_once(argv):
    """Spawn argv (stdin/stdout /dev/null, stderr to a tmpfs file, own
    session); return (ns, status, stderr_text, timed_out)."""
    errfd = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
          (os.POSIX_SPAWN_DUP2, errfd, 2)]
    _timed_out[0] = False
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa, setsid=True)
    _child[0] = pid
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    signal.setitimer(signal.ITIMER_REAL, 0)
    _child[0] = 0
    os.close(errfd)
    with open(errpath, "rb") as f:
        err = f.read(4000).decode(errors="replace")
    return t1 - t0, status, err, _timed_out[0]

def status_text(status, timed_out):
    if timed_out:
        return "timed out after %gs (killed)" % TIMEOUT
    if os.WIFEXITED(status):
        return "exit status %d" % os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "wait status 0x%x" % status

raw_rows = []
counter = [0]

rsspath = os.path.join(W, "maxrss")

def measure(t, phase, rnd):
    """phase: warmup, round (timed) or rss (run under GNU time -f %M)."""
    counter[0] += 1
    cid = "bench-%s-%d-%d" % (t.name, os.getpid(), counter[0])
    argv = t.argv(cid)
    if t.name.endswith("-cold"):  # untimed: the next run compiles its profile
        shutil.rmtree(os.path.join(t.root, "@seccomp-cache"), ignore_errors=True)
    if phase == "rss":
        argv = [GNU_TIME, "-f", "%M", "-o", rsspath, "--"] + argv
    try:
        ns, status, err, to = run_once(argv)
    except OSError as e:          # e.g. exec format error
        signal.setitimer(signal.ITIMER_REAL, 0)
        ns, status, err, to = 0, 127 << 8, "spawn failed: %s\n" % e, False
    ok = (not to) and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    rss = 0
    if ok and phase == "rss":
        try:
            with open(rsspath) as f:
                rss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            ok, err = False, "could not read GNU time output\n" + err
    raw_rows.append((phase, rnd, t.name, ns if phase != "rss" else 0, rss, int(ok)))
    if ok:
        t.consec = 0
        if err.strip():
            t.stderr_on_ok += 1
            if t.first_ok_stderr is None:
                t.first_ok_stderr = err
        if phase == "round":
            t.times.append(ns)
        elif phase == "rss":
            t.rss.append(rss)
        return True
    t.failures += 1
    t.consec += 1
    if t.first_fail is None:
        t.first_fail = (phase, cid, status_text(status, to), err)
    if t.is_runtime:   # best-effort cleanup of whatever the failed run left
        try:
            subprocess.run([t.path, "--root", t.root, "delete", "-f", cid],
                           stdin=devnull, stdout=devnull, stderr=devnull,
                           timeout=TIMEOUT, start_new_session=True)
        except (OSError, subprocess.SubprocessError) as e:
            log("  %s delete -f %s: %s" % (t.name, cid, e))
    log("  %s %s run %s failed: %s" % (t.name, phase, cid, status_text(status, to)))
    return False

targets = []
for spec in sys.argv[11:]:
    name, path = spec.split("=", 1)
    targets.append(Target(name, path))
targets.append(Target("floor", UNSHARE, is_runtime=False))
capsa = targets[0]

rng = random.Random(SEED)
log("sanity: exit status of a /bin/false container must be 1")
for t in targets:
    if not t.is_runtime:
        continue
    cid = "bench-%s-%d-false" % (t.name, os.getpid())
    try:
        _, status, err, to = run_once(t.argv(cid, os.path.join(W, "bundle-false")))
    except OSError as e:
        signal.setitimer(signal.ITIMER_REAL, 0)
        status, err, to = 127 << 8, "spawn failed: %s\n" % e, False
    if to or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 1:
        t.sanity = ("/bin/false container: expected exit status 1, got %s; stderr:\n%s"
                    % (status_text(status, to), err.rstrip() or "(empty)"))
        log("  %s: %s" % (t.name, t.sanity.splitlines()[0]))
        try:
            subprocess.run([t.path, "--root", t.root, "delete", "-f", cid],
                           stdin=devnull, stdout=devnull, stderr=devnull,
                           timeout=TIMEOUT, start_new_session=True)
        except (OSError, subprocess.SubprocessError):
            pass
def pids_cgroup(text):
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and "pids" in parts[1].split(","):
            return parts[2]
    for line in text.splitlines():       # pure cgroup v2
        if line.startswith("0::"):
            return line[3:]
    return None

with open("/proc/self/cgroup") as f:
    own_cgroup = pids_cgroup(f.read())
log("like-for-like: which cgroup does each runtime put the container in")
for t in targets:
    if not t.is_runtime:
        continue
    cid = "bench-%s-%d-cgroup" % (t.name, os.getpid())
    try:
        r = subprocess.run(t.argv(cid, os.path.join(W, "bundle-cgroup")),
                           stdin=devnull, capture_output=True, text=True,
                           timeout=TIMEOUT, start_new_session=True)
        cg = pids_cgroup(r.stdout)
        if r.returncode != 0 or cg is None:
            t.cgroup = "? (check run failed: exit %d)" % r.returncode
        elif cg == own_cgroup:
            t.cgroup = "`%s` = the caller's: no cgroup created" % cg
        else:
            t.cgroup = "`%s`" % cg
    except (OSError, subprocess.SubprocessError) as e:
        t.cgroup = "? (%s)" % e
    if t.cgroup.startswith("?"):
        try:
            subprocess.run([t.path, "--root", t.root, "delete", "-f", cid],
                           stdin=devnull, stdout=devnull, stderr=devnull,
                           timeout=TIMEOUT, start_new_session=True)
        except (OSError, subprocess.SubprocessError):
            pass

log("warm-up: %d run(s) per target" % WARMUP)
for t in targets:
    oks = [measure(t, "warmup", 0) for _ in range(WARMUP)]
    if WARMUP and not any(oks):
        t.dropped = "all %d warm-up runs failed" % WARMUP
        log("  %s excluded: %s" % (t.name, t.dropped))

log("measuring: %d interleaved rounds (shuffled order, seed %s)" % (N, SEED))
t_start = time.monotonic()
for rnd in range(1, N + 1):
    order = [t for t in targets if not t.dropped]
    rng.shuffle(order)
    for t in order:
        measure(t, "round", rnd)
        if t.consec >= MAX_CONSEC_FAIL and not t.dropped:
            t.dropped = "%d consecutive failures (stopped in round %d)" % (t.consec, rnd)
            log("  %s excluded: %s" % (t.name, t.dropped))
    if rnd % 10 == 0 or rnd == N:
        log("  round %d/%d (%.1fs)" % (rnd, N, time.monotonic() - t_start))

if GNU_TIME and RSS_RUNS > 0:
    log("peak RSS: %d untimed run(s) per target under %s -f %%M" % (RSS_RUNS, GNU_TIME))
    for rnd in range(1, RSS_RUNS + 1):
        order = [t for t in targets if not t.dropped]
        rng.shuffle(order)
        for t in order:
            measure(t, "rss", rnd)
    # what GNU time reports for a trivial static binary: the method's floor
    rss_base = None
    try:
        with open(rsspath, "w"):
            pass
        r = subprocess.run([GNU_TIME, "-f", "%M", "-o", rsspath, "--", "/bin/busybox", "true"],
                           stdin=devnull, stdout=devnull, stderr=devnull)
        with open(rsspath) as f:
            rss_base = int(f.read().split()[-1])
    except Exception:
        pass
elif not GNU_TIME:
    log("peak RSS: /usr/bin/time missing (apt-get install time), not measured")

if RAW:
    with open(RAW, "w") as f:
        f.write("phase,round,target,ns,maxrss_kb,ok\n")
        for r in raw_rows:
            f.write("%s,%d,%s,%d,%d,%d\n" % r)

def pct(sorted_vals, p):          # nearest-rank percentile
    import math
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[k - 1]

def median(sorted_vals):
    n = len(sorted_vals)
    m = n // 2
    return sorted_vals[m] if n % 2 else (sorted_vals[m - 1] + sorted_vals[m]) / 2

def fmt_size(n):
    if n is None:
        return "—"
    if n >= 1 << 20:
        return "%.2f MiB" % (n / (1 << 20))
    return "%.0f KiB" % (n / 1024)

capsa_med = median(sorted(capsa.times)) if capsa.times else None

# ------------------------------------------------------------------- report

print()
print("host: %s, kernel %s, %d CPU(s) %s" % (platform.node(), platform.release(),
                                             os.cpu_count(), cpu_model()))
print("bundle: busybox-static rootfs, process.args=[\"/bin/true\"], terminal=false "
      "(config from `runc spec`); same bundle for every runtime")
if os.environ.get("SECCOMP"):
    print("seccomp: podman's default profile (tests/helpers/podman_seccomp.py) in "
          "every bundle; capsa-cold = capsa with its @seccomp-cache removed before "
          "each run (compiles), capsa = cache warm")
print("rounds: N=%d interleaved (shuffled, seed %s), %d warm-up run(s) per target; "
      "time = spawn..wait4 (ns, perf_counter_ns)" % (N, SEED, WARMUP))
print()
print("| runtime | version | median ms | p90 ms | min ms | ratio vs capsa | peak RSS KB | binary size |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for t in targets:
    label = t.name if t.is_runtime else "floor: `unshare -fpmiun --mount-proc chroot ROOTFS /bin/true`"
    if not t.times:
        print("| %s | %s | FAILED | — | — | — | — | %s |" % (label, t.version, fmt_size(t.size)))
        continue
    s = sorted(t.times)
    med = median(s)
    ratio = ("%.2f×" % (med / capsa_med)) if capsa_med else "n/a"
    rss = "%d" % median(sorted(t.rss)) if t.rss else "n/a"
    runs_note = "" if len(s) == N else " (%d/%d ok)" % (len(s), N)
    print("| %s%s | %s | %.2f | %.2f | %.2f | %s | %s | %s |" % (
        label, runs_note, t.version, med / 1e6, pct(s, 90) / 1e6, s[0] / 1e6,
        ratio, rss, fmt_size(t.size)))
print()
if GNU_TIME and RSS_RUNS > 0:
    print("peak RSS = median of %d separate untimed runs under `/usr/bin/time -f %%M` "
          "(max RSS of the runtime process and of the descendants it reaped, e.g. the "
          "container init); `/usr/bin/time -f %%M /bin/busybox true` gives %s KB"
          % (RSS_RUNS, rss_base if rss_base is not None else "?"))
else:
    print("peak RSS not measured: /usr/bin/time missing (apt-get install time)")
print("container's pids cgroup (caller's is `%s`): %s" % (own_cgroup, "; ".join(
    "%s %s" % (t.name, t.cgroup) for t in targets if t.is_runtime)))
if CRUN_NOTE:
    print(CRUN_NOTE)

cgroup_mounts = []
with open("/proc/self/mounts") as f:
    for line in f:
        fields = line.split()
        if len(fields) > 2 and fields[2] in ("cgroup", "cgroup2"):
            cgroup_mounts.append(fields[1])
problems = False
for t in targets:
    leftovers = []
    if t.is_runtime and os.path.isdir(t.root):
        leftovers = sorted(e for e in os.listdir(t.root) if e != "@seccomp-cache")
    cgroups = []
    if t.is_runtime:
        prefix = "bench-%s-%d-" % (t.name, os.getpid())
        for d in cgroup_mounts:
            try:
                for e in os.listdir(d):
                    if e.startswith(prefix):
                        cgroups.append("%s/%s" % (d, e))
            except OSError:
                pass
    if t.failures or t.dropped or leftovers or t.stderr_on_ok or t.sanity or cgroups:
        if not problems:
            print()
            print("### Problems")
            problems = True
        print()
        if t.failures:
            phase, cid, st, err = t.first_fail
            print("- %s: %d failed run(s)%s; first failure (%s, id %s): %s; stderr:" % (
                t.name, t.failures, ("; excluded: " + t.dropped) if t.dropped else "",
                phase, cid, st))
            print()
            print("```")
            print(err.rstrip() or "(empty)")
            print("```")
        if t.stderr_on_ok:
            print("- %s: %d successful run(s) wrote to stderr; first:" % (t.name, t.stderr_on_ok))
            print()
            print("```")
            print(t.first_ok_stderr.rstrip())
            print("```")
        if t.sanity:
            first, _, rest = t.sanity.partition("\n")
            print("- %s: %s" % (t.name, first))
            print()
            print("```")
            print(rest)
            print("```")
        if cgroups:
            print("- %s: cgroups left behind: %s" % (
                t.name, " ".join(cgroups[:10]) + (" ..." if len(cgroups) > 10 else "")))
        if leftovers:
            print("- %s: state left in --root after the runs: %s" % (
                t.name, " ".join(leftovers[:10]) + (" ..." if len(leftovers) > 10 else "")))
sys.exit(0)
EOF
