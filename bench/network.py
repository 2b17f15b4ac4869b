"""bench/network.py: the body of bench/network.sh (run inside a private
network and mount namespace; W is a private mktemp -d directory that the
shell script removes). capsactl and podman 4.3 (CNI backend, runc) on
their default bridge networks, side by side; markdown to stdout, progress
to stderr. See bench/README.md ("network.sh").

Spawning, accounting, the image and the contenders are engine_lib.py's
(the engine bench's); the sections are here. A section is a function of
the contenders that emits its markdown: add one to SECTION_FUNCS (and the
README's list) to measure more."""
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

from common import (cell, emit, median, out, p90, print_problems, problem, ratio,
                    write_raw)
from engine import (cgroup_parents_present, col, host_dirs_absent, host_line, ms,
                    other_jobs, remove_new_cgroup_parents, remove_new_host_dirs, shuffled,
                    timed)
from engine_lib import (ENV, IMAGE, N, RAW, SEED, W, WARMUP, Capsactl, Podman, acct, build_image,
                        log, raw, rng)

SECTIONS = ENV.get("SECTIONS", "run pod plugins").split()
PLUGIN_N = int(ENV.get("PLUGIN_N", "10"))
CNI_DIR = ENV.get("CNI_DIR", "/usr/lib/cni")
TARGET = 0.3    # capsactl's `run --rm --network bridge` <= 0.3 x podman's
# what the plugins run, timed by a wrapper of the same name first in PATH
TOOLS = ("iptables", "ip6tables", "iptables-restore", "ip6tables-restore")


class CapsactlNet(Capsactl):
    def __init__(self, network):
        self.name = "capsactl-" + network
        self.label = "capsactl `--network %s`" % network
        self.network = network
        super().__init__()

    def run_opts(self):
        return ["--network", self.network]

    def member_opts(self):
        return []


class PodmanNet(Podman):
    """podman with runc and its CNI networks (podman 4.3 would pick
    Debian's netavark without network_backend), its network definitions
    in a private directory (--network-config-dir)"""

    def __init__(self, network):
        super().__init__("runc", name="podman-" + network,
                         label="podman (runc) `--network %s`" % network)
        self.network = network
        # (no CAP_SYS_RESOURCE here: a pod's infra container needs the
        # ulimits the members get as flags)
        self.conf_text = ('[containers]\ndefault_ulimits = ["nofile=1024:1024", '
                          '"nproc=1024:1024"]\n\n[network]\nnetwork_backend = "cni"\n'
                          'cni_plugin_dirs = ["%s"]\n\n[engine]\n' % CNI_DIR)

    def run_opts(self):
        opts = super().run_opts()
        opts[opts.index("--network") + 1] = self.network
        return opts

    def member_opts(self):
        """a pod member's: the network is the pod's"""
        opts = super().run_opts()
        i = opts.index("--network")
        return opts[:i] + opts[i + 2:]


def contenders():
    return [CapsactlNet("bridge"), PodmanNet("bridge"), CapsactlNet("none"), PodmanNet("none")]


def pair(cs, network):
    """(capsactl, podman) on that network"""
    by = {c.name: c for c in cs}
    return by.get("capsactl-" + network), by.get("podman-" + network)


# ------------------------------------------------------------------ run
def section_run(cs):
    log("run: %d warm-up and %d interleaved rounds of run --rm IMAGE true (seed %s)"
        % (WARMUP, N, SEED))
    keep = {}
    t0 = time.monotonic()
    for rnd in range(-WARMUP, N):
        for c in shuffled(cs):
            timed(c, c.run_rm(c.cid("r")), "run", "run", rnd, keep, settle=True)
        if rnd >= 0 and (rnd + 1) % 10 == 0:
            log("  round %d/%d (%.0fs)" % (rnd + 1, N, time.monotonic() - t0))
    emit("## `run --rm IMAGE true` (%d interleaved rounds)" % N, "",
         "| contender | returns: median ms | p90 | all done: median ms | p90 | min | cpu ms "
         "| capsactl ÷ podman (done) |",
         "|---|---:|---:|---:|---:|---:|---:|---:|")
    done = {}
    for c in cs:
        v, d = col(keep, c, "run"), col(keep, c, "run", 2)
        done[c.name] = median(d)
    for c in cs:
        v, d = col(keep, c, "run"), col(keep, c, "run", 2)
        okn = "" if len(v) == N else " (%d/%d ok)" % (len(v), N)
        cap, pod = pair(cs, c.network)
        r = ratio(done.get(cap.name), done.get(pod.name)) if cap and pod and c is cap else ""
        emit("| %s%s | %s | %s | %s | %s | %s | %s | %s |" % (
            c.label, okn, ms(median(v)), ms(p90(v)), ms(median(d)), ms(p90(d)),
            ms(min(d) if d else None), ms(median(col(keep, c, "run", 1))), r))
    cost = {}
    for who in ("capsactl", "podman"):
        b, n = done.get(who + "-bridge"), done.get(who + "-none")
        cost[who] = b - n if b is not None and n is not None else None
    emit("", "The network's cost (all done, `bridge` less `none`): capsactl %s ms, podman %s ms "
         "(%s)." % (ms(cost["capsactl"]), ms(cost["podman"]),
                    ratio(cost["capsactl"], cost["podman"])), "",
         "\"returns\": spawn to reap of the client command; \"all done\": until everything it "
         "set off has exited too (capsa-shim and `capsactl container cleanup`; conmon and "
         "`podman container cleanup`): the driver is their subreaper and waits, so the "
         "plugins' DEL is inside. cpu: the contender's accounting cgroup (client, monitor, "
         "runtime, the CNI plugins and what they run) until all done.", "")
    return done


# ------------------------------------------------------------------ pod
def pod_life(c, pod):
    """one shell command: pod create, run --rm --pod, pod rm -f (the infra
    container's monitor lives from the run to the rm: timed as one, with
    every process it sets off waited for)"""
    b = c.base()
    steps = [b + ["pod", "create", "--name", pod, "--network", c.network],
             b + ["run", "--rm", "--pod", pod] + c.member_opts() + [IMAGE, "true"],
             b + ["pod", "rm", "-f", pod]]
    return ["/bin/sh", "-c", " && ".join(shlex.join(s) for s in steps)]


def section_pod(cs):
    """pod create, run --rm --pod P true, pod rm -f P: a pod's whole life"""
    cs = [c for c in cs if c.network == "bridge"]
    log("pod: %d warm-up and %d interleaved rounds of pod create + run --rm --pod + pod rm"
        % (WARMUP, N))
    keep = {}
    for rnd in range(-WARMUP, N):
        for c in shuffled(cs):
            timed(c, pod_life(c, c.cid("p")), "pod", "life", rnd, keep, settle=True)
    emit("## A pod's life: `pod create` + `run --rm --pod P IMAGE true` + `pod rm -f P` "
         "(%d interleaved rounds)" % N, "",
         "| contender | all done: median ms | p90 | min | cpu ms | capsactl ÷ podman |",
         "|---|---:|---:|---:|---:|---:|")
    cap, pod = pair(cs, "bridge")
    done = {c.name: median(col(keep, c, "life", 2)) for c in cs}
    for c in cs:
        d = col(keep, c, "life", 2)
        r = ratio(done.get(cap.name), done.get(pod.name)) if cap and pod and c is cap else ""
        emit("| %s | %s | %s | %s | %s | %s |" % (
            c.label, ms(median(d)), ms(p90(d)), ms(min(d) if d else None),
            ms(median(col(keep, c, "life", 1))), r))
    a, b = (done.get(cap.name) if cap else None), (done.get(pod.name) if pod else None)
    if a and b:
        emit("", "Target: a pod's life ≤ %.1f × podman's: %.2f× (**%s**)." % (
            TARGET, a / b, "met" if a / b <= TARGET else "NOT met"))
    emit("", "The three commands run by one `sh -c` per round, until every process they set "
         "off has exited (the infra container's monitor lives from the run to the rm); the "
         "infra container is capsa-pause (capsactl) and podman's catatonit pause image, both "
         "made locally.", "")
    return done


# ------------------------------------------------------------------ plugins
def timer():
    """bench/cni_timer.c built under W (once): its path"""
    path = os.path.join(W, "wrap", "timer")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cni_timer.c")
        argv = [ENV.get("CC", "cc"), "-O2", "-Wall", "-Wextra", "-Werror", "-o", path, src]
        # static when the C library's archive is there: no dynamic loading per exec
        r = subprocess.run(argv + ["-static"], capture_output=True, text=True)
        if r.returncode != 0:
            r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("cannot build bench/cni_timer.c: %s" % r.stderr[-500:])
    return path


def wrapper_dir(d, realdir, names, logpath):
    os.makedirs(d)
    with open(os.path.join(d, "timer.conf"), "w") as f:
        f.write("%s\n%s\n" % (realdir, logpath))
    for name in names:
        os.symlink(timer(), os.path.join(d, name))


def wrappers(c):
    """a directory of timers for every plugin of CNI_DIR, and one (bin/)
    for the tools of TOOLS (those beside iptables); the log they append to"""
    top = os.path.join(W, "wrap", c.name)
    logpath = os.path.join(W, "log", "plugins-%s.log" % c.name)
    open(logpath, "w").close()
    wrapper_dir(top, CNI_DIR, [p for p in os.listdir(CNI_DIR)
                               if os.access(os.path.join(CNI_DIR, p), os.X_OK)], logpath)
    tooldir = os.path.dirname(shutil.which("iptables") or "/usr/sbin/iptables")
    wrapper_dir(os.path.join(top, "bin"), tooldir,
                [t for t in TOOLS if os.path.exists(os.path.join(tooldir, t))], logpath)
    return top, logpath


def read_log(path, start):
    """[(name, command, t0, t1, rc)] appended after offset start; new offset"""
    recs = []
    with open(path) as f:
        f.seek(start)
        text = f.read()
        end = f.tell()
    for line in text.splitlines():
        p = line.split()
        if len(p) == 5:
            recs.append((p[0], p[1], float(p[2]), float(p[3]), int(p[4])))
    return recs, end


def self_times(recs):
    """each exec's wall time less that of the execs it contains (host-local
    in bridge, iptables in firewall and portmap): {(name, cmd): [ms...]}"""
    out = {}
    for i, (name, cmd, t0, t1, _) in enumerate(recs):
        inner = [r for j, r in enumerate(recs) if j != i and t0 <= r[2] and r[3] <= t1]
        # only the outermost of the contained ones count
        top = [r for r in inner if not any(o is not r and o[2] <= r[2] and r[3] <= o[3]
                                           for o in inner)]
        out.setdefault((name, cmd), []).append(
            ((t1 - t0) - sum(r[3] - r[2] for r in top)) * 1000)
    return out


def wrapped_env(c, top):
    """c's environment with the wrappers in top in its plugins' way"""
    env = dict(c.env)
    env["PATH"] = os.path.join(top, "bin") + ":" + env.get("PATH", "/usr/sbin:/usr/bin")
    if isinstance(c, Capsactl):
        env["CNI_PATH"] = top
    else:
        wconf = os.path.join(c.dir, "containers-wrapped.conf")
        with open(wconf, "w") as f:
            f.write(c.conf_text.replace('["%s"]' % CNI_DIR, '["%s"]' % top))
        env["CONTAINERS_CONF"] = wconf
    return env


def floor_ms(argv, env, n):
    """median wall ms of n runs of argv (stdin /dev/null, output dropped)"""
    v = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        v.append((time.perf_counter() - t) * 1000)
    return median(v)


def section_plugins(cs):
    cs = [c for c in pair(cs, "bridge") if c and not c.dropped]
    log("plugins: %d rounds, each engine with and without every CNI plugin exec timed"
        % PLUGIN_N)
    setups = {c.name: wrappers(c) for c in cs}
    plain = {c.name: dict(c.env) for c in cs}
    wrapped = {c.name: wrapped_env(c, setups[c.name][0]) for c in cs}
    offs = {c.name: 0 for c in cs}
    per = {c.name: [] for c in cs}
    bare = {}
    try:
        for rnd in range(-1, PLUGIN_N):
            for c, wrap in shuffled_pairs(cs):
                c.env = wrapped[c.name] if wrap else plain[c.name]
                r = timed(c, c.run_rm(c.cid("p")), "plugins", "run-wrapped" if wrap else "run",
                          rnd, bare if not wrap else None, settle=True)
                if not wrap:
                    continue
                recs, offs[c.name] = read_log(setups[c.name][1], offs[c.name])
                if rnd < 0 or not r.ok():
                    continue
                bad = [x for x in recs if x[4] != 0 and x[0] not in TOOLS]
                if bad:
                    problem("%s: plugin exec failed: %s" % (c.name, bad[0]))
                per[c.name].append(one_run(r, recs))
    finally:
        for c in cs:
            c.env = plain[c.name]
    env = dict(os.environ, CNI_COMMAND="VERSION")
    floors = (("`bridge` with CNI_COMMAND=VERSION (a Go plugin's start, nothing done)",
               floor_ms([os.path.join(CNI_DIR, "bridge")], env, 2 * PLUGIN_N)),
              ("`iptables -w -t nat -S POSTROUTING` (nft backend)",
               floor_ms(["iptables", "-w", "-t", "nat", "-S", "POSTROUTING"], env, 2 * PLUGIN_N)),
              ("`/bin/true`", floor_ms(["/bin/true"], env, 2 * PLUGIN_N)),
              ("`/bin/true` through the timer (bench/cni_timer.c)",
               floor_ms([timer_of_true()], env, 2 * PLUGIN_N)))
    emit_plugins(cs, per, {c.name: median(col(bare, c, "run", 2)) for c in cs}, floors)
    return per


def timer_of_true():
    """a timer standing for /bin/true (its log: W/log/timer-true.log)"""
    d = os.path.join(W, "wrap", "true")
    if not os.path.isdir(d):
        wrapper_dir(d, "/bin", ["true"], os.path.join(W, "log", "timer-true.log"))
    return os.path.join(d, "true")


def shuffled_pairs(cs):
    """every (contender, wrapped?) once, in a fresh order"""
    order = [(c, w) for c in cs if not c.dropped for w in (True, False)]
    rng.shuffle(order)
    return order


def one_run(r, recs):
    """(run ms all done, {(name, cmd): (wall ms, self ms, execs)}, (top-level
    execs' ms, their number))"""
    selfs = self_times(recs)
    tops = [x for x in recs if not any(o is not x and o[2] <= x[2] and x[3] <= o[3]
                                       for o in recs)]
    walls = {}
    for name, cmd, t0, t1, _ in recs:
        walls.setdefault((name, cmd), []).append((t1 - t0) * 1000)
    return (r.ns_done / 1e6, {k: (sum(walls[k]), sum(selfs[k]), len(walls[k])) for k in walls},
            (sum(x[3] - x[2] for x in tops) * 1000, len(tops)))


def emit_plugins(cs, per, bare, floors):
    keys = sorted({k for c in cs for _, d, _ in per[c.name] for k in d},
                  key=lambda k: (k[1] != "ADD", ORDER.index(k[0]) if k[0] in ORDER else 99, k))
    emit("## Where the network's time goes: each CNI plugin exec (%d runs each)" % PLUGIN_N, "",
         "| plugin | command | " + " | ".join(
             "%s: wall ms | self ms | execs" % c.label.split(" `")[0] for c in cs) + " |",
         "|---|---|" + "---:|---:|---:|" * len(cs))

    def stat(c, k, i):
        v = [d[k][i] if k in d else 0 for _, d, _ in per[c.name]]
        return median(v) if v else None
    for k in keys:
        cells = []
        for c in cs:
            if not any(k in d for _, d, _ in per[c.name]):
                cells += ["—", "—", "—"]
            else:
                cells += [ms(stat(c, k, 0)), ms(stat(c, k, 1)), "%g" % stat(c, k, 2)]
        emit("| %s | %s | %s |" % (NOTE.get(k[0], k[0]), k[1], " | ".join(cells)))
    tot = {c.name: median([t[0] for _, _, t in per[c.name]]) for c in cs}
    run = {c.name: median([r for r, _, _ in per[c.name]]) for c in cs}
    emit("| **all plugin execs** (top level) | ADD+DEL | " + " | ".join(
        "**%s** | | %g" % (ms(tot[c.name]), median([t[1] for _, _, t in per[c.name]]) or 0)
        for c in cs) + " |")
    emit("| whole `run --rm` with the wrappers (all done) | | " + " | ".join(
        "%s | | " % ms(run[c.name]) for c in cs) + " |")
    emit("| outside the plugins | | " + " | ".join(
        "%s | | " % ms(run[c.name] - tot[c.name] if run[c.name] and tot[c.name] else None)
        for c in cs) + " |")
    emit("| whole `run --rm` without the wrappers, same rounds | | " + " | ".join(
        "%s | | " % ms(bare.get(c.name)) for c in cs) + " |")
    emit("", "Medians over the runs of each run's sum per plugin and command; each round runs "
         "both engines with and without the wrappers, in a fresh order. wall: from the "
         "timer's fork of the real binary to its reap (bench/cni_timer.c, symlinked under each "
         "program's name; its own start is outside it but inside the run: compare the two "
         "whole-run lines); self: less the "
         "execs it contains (host-local runs inside bridge; iptables inside bridge, for "
         "ipMasq, and inside firewall and portmap: the tools' wrappers are first in the "
         "plugins' PATH). capsactl: CNI_PATH names the wrappers; podman: cni_plugin_dirs in "
         "its containers.conf.", "",
         "For scale, median of %d each: %s." % (2 * PLUGIN_N, "; ".join(
             "%s %s ms" % (what, ms(v)) for what, v in floors)), "")


ORDER = ["bridge", "host-local", "portmap", "firewall", "tuning"] + list(TOOLS)
NOTE = {"host-local": "host-local (IPAM, run by bridge)",
        "iptables": "iptables (run by bridge, firewall; portmap with ports)"}


SECTION_FUNCS = {"run": section_run, "pod": section_pod, "plugins": section_plugins}


# ------------------------------------------------------------------ leftovers
def check_namespace(cs):
    """nothing of the containers left in the bench's namespaces"""
    veths = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True,
                           text=True).stdout.strip()
    if veths:
        problem("veth left after the runs: %s" % cell(veths, 300))
    pins = os.listdir("/run/netns")
    if pins:
        problem("podman's network namespace pins left in /run/netns: %s" % " ".join(pins[:5]))
    for c in cs:
        d = os.path.join(c.rundir, "netns")
        if isinstance(c, Capsactl) and os.path.isdir(d) and os.listdir(d):
            problem("%s: netns pins left in %s" % (c.name, d))


def targets(done):
    cap, pod = done.get("capsactl-bridge"), done.get("podman-bridge")
    print("## Target")
    print()
    if cap and pod:
        print("- capsactl `run --rm --network bridge` ≤ %.1f × podman's: %.2f× (%.1f ms vs "
              "%.1f ms): **%s**" % (TARGET, cap / pod, cap, pod,
                                    "met" if cap / pod <= TARGET else "NOT met"))
    else:
        print("- capsactl `run --rm --network bridge` ≤ %.1f × podman's: not measured" % TARGET)
    print()


def main():
    cs = contenders()
    t_begin = time.monotonic()
    jobs_before = other_jobs()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    cg_before = cgroup_parents_present()
    dirs_absent = host_dirs_absent()
    skipped = []
    done = {}
    try:
        img = build_image()
        for c in cs:
            absent = c.missing()
            if absent:
                skipped.append("%s skipped: %s not installed" % (c.name, " ".join(absent)))
                c.dropped = True
                continue
            log("setup: %s" % c.name)
            try:
                c.setup(img)
            except Exception as e:
                skipped.append("%s skipped: setup failed: %s" % (c.name, str(e)[-600:]))
                c.dropped = True
        if cs[0].dropped:
            sys.exit("network.py: capsactl could not be set up: %s" % skipped)
        for sec in SECTIONS:
            if sec not in SECTION_FUNCS:
                sys.exit("network.py: unknown section %s (known: %s)" % (
                    sec, " ".join(SECTION_FUNCS)))
            r = SECTION_FUNCS[sec]([c for c in cs if not c.dropped])
            if sec == "run":
                done = r
        check_namespace(cs)
        report(cs, skipped, done, jobs_before, t_begin)
    finally:
        for c in cs:
            try:
                c.teardown()
            except Exception as e:
                log("teardown of %s: %s" % (c.name, e))
        remove_new_cgroup_parents(cg_before)
        remove_new_host_dirs(dirs_absent)
        acct.remove()


def report(cs, skipped, done, jobs_before, t_begin):
    print("# capsactl and podman on their bridge networks (`bench/network.sh`)")
    print()
    print(host_line())
    print()
    print("seed %s; %.0f s; at the start: %s; at the end: %s" % (
        SEED, time.monotonic() - t_begin, jobs_before, other_jobs()))
    print()
    print("note: " + ENV.get("NOTES", ""))
    print()
    print("| contender | version |")
    print("|---|---|")
    for c in cs:
        why = next((s for s in skipped if s.startswith(c.name + " ")), None)
        print("| %s | %s |" % (c.label, "**%s**" % cell(why) if why else c.version()))
    print()
    print("Same busybox image for all (tests/fixtures/oci_images.py); each contender a "
          "private store on the disk and its run-time state on a tmpfs. podman: CNI backend "
          "(`network_backend = \"cni\"`), its default network `podman` (10.88.0.0/16, "
          "cni-podman0), runc, cgroupfs, overlay, events off, `--ulimit nofile=1024:1024 "
          "--ulimit nproc=1024:1024` (no CAP_SYS_RESOURCE here), `--pull never`. capsactl: "
          "its default network `capsa` (10.99.0.0/16, capsa0). Both run Debian's "
          "containernetworking-plugins from %s: bridge (with host-local), portmap, firewall, "
          "tuning, ADD at start and DEL at cleanup." % CNI_DIR)
    print()
    print("\n".join(out))
    targets(done)
    write_raw(RAW, "section,op,contender,round,ns,ns_done,cpu_ms,maxrss_kb,ok",
              "%s,%s,%s,%s,%d,%d,%.3f,%d,%d", raw)
    print_problems(cs)


if __name__ == "__main__":
    main()
