"""bench/engine.py: the body of bench/engine.sh (run inside a private mount
namespace; W is a private mktemp -d directory on the host's disk that the
shell script removes). capsactl and its peers side by side on the same
busybox image; markdown to stdout, progress to stderr. See bench/README.md
("engine.sh"). The settings, spawning, the image and the contenders are in
engine_lib.py; the sections and main() here."""
import concurrent.futures
import contextlib
import glob
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time

from common import (cell, cpu_model, emit, median, out, p90, print_problems, ram_gib, ratio,
                    write_raw)
from engine_lib import *  # noqa: F401,F403  (settings, helpers, contenders)


def ms(x):
    return "—" if x is None else "%.1f" % x


# ------------------------------------------------------------------ host state
# cgroup parents the runtimes make at the top of every v1 hierarchy (or
# of the v2 one): the ones this run made are removed at the end if empty
CGROUP_PARENTS = ["capsa", "libpod_parent", CTR_NS, DOCKER_CGROUP_PARENT.lstrip("/")]


def cgroup_parents_present():
    return {p for name in CGROUP_PARENTS for p in glob.glob("/sys/fs/cgroup/*/" + name) +
            glob.glob("/sys/fs/cgroup/" + name)}


# directories the engines make on the host whatever their private roots
# (runtimes' default state directories, dockerd's plugin directory, the
# shims' socket directory): the ones this run made are removed if empty
HOST_DIRS = ["/run/crun", "/run/runc", "/run/libpod", "/run/containers", "/run/netns",
             "/run/docker/plugins", "/run/docker", "/run/containerd/s", "/run/containerd"]


def host_dirs_absent():
    return [d for d in HOST_DIRS if not os.path.lexists(d)]


def remove_new_host_dirs(absent):
    for d in absent:    # listed children first
        with contextlib.suppress(OSError):
            os.rmdir(d)


def remove_new_cgroup_parents(before):
    for p in sorted(cgroup_parents_present() - before):
        for sub in sorted(glob.glob(p + "/*/"), reverse=True):   # e.g. libpod_parent/conmon
            with contextlib.suppress(OSError):
                os.rmdir(sub)
        try:
            os.rmdir(p)
        except OSError as e:
            problem("cgroup %s (made during this run) not removed: %s" % (p, e))


def shuffled(seq):
    s = [c for c in seq if not c.dropped]
    rng.shuffle(s)
    return s


def timed(c, argv, section, op, rnd, keep=None, **kw):
    """spawn argv for c; record the sample; on success append (ms, cpu ms)
    to keep[(c.name, op)] (when keep is given and rnd >= 0)."""
    r = spawn(c, argv, tag="%s-%s" % (c.name, op), **kw)
    raw.append((section, op, c.name, rnd, r.ns, r.ns_done, r.cpu, r.maxrss, int(r.ok())))
    if r.ok():
        c.succeeded()
        if keep is not None and rnd >= 0:
            keep.setdefault((c.name, op), []).append((r.ns / 1e6, r.cpu, r.ns_done / 1e6))
    else:
        c.failed("%s (round %s)" % (op, rnd), r)
    return r


def col(keep, c, op, i=0):
    return [x[i] for x in keep.get((c.name, op), [])]


# ------------------------------------------------------------------ ops
def ops_round(cs, rnd, keep, exec_ids):
    for c in shuffled(cs):
        timed(c, c.run_rm(c.cid("r")), "ops", "run", rnd, keep, settle=True)
    ids = {}
    for c in shuffled(cs):
        cid = c.cid("c")
        if timed(c, c.run_d(cid), "ops", "run-d", rnd, keep).ok():
            ids[c.name] = cid
            c.live.add(cid)
    for c in shuffled(cs):
        if c.name in ids:
            timed(c, c.stop(ids[c.name]), "ops", "stop", rnd, keep)
    for c in shuffled(cs):
        if c.name in ids:
            if timed(c, c.rm(ids[c.name]), "ops", "rm", rnd, keep).ok():
                c.live.discard(ids[c.name])
    for c in shuffled(cs):
        if c.name in exec_ids:
            timed(c, c.exec_(exec_ids[c.name], rnd), "ops", "exec", rnd, keep)


def section_ops(cs):
    log("ops: %d warm-up and %d interleaved rounds of run --rm, run -d/stop/rm, exec (seed %s)"
        % (WARMUP, N, SEED))
    exec_ids = {}
    for c in cs:
        cid = c.cid("x")
        r = spawn(c, c.run_d(cid), tag=c.name + "-exec-target")
        if r.ok():
            exec_ids[c.name] = cid
            c.live.add(cid)
        else:
            c.failed("run -d of the exec target", r)
    keep = {}
    t0 = time.monotonic()
    for rnd in range(-WARMUP, N):
        ops_round(cs, rnd, keep, exec_ids)
        if rnd == -1:
            for c in cs:
                if not c.oks and not c.dropped:
                    c.dropped = True
                    problem("%s dropped: every warm-up command failed; first: %s" % (
                        c.name, c.first_fail))
        if rnd >= 0 and (rnd + 1) % 10 == 0:
            log("  round %d/%d (%.0fs)" % (rnd + 1, N, time.monotonic() - t0))
    for c in cs:
        c.remove_all()
        try:
            left = c.ps_count()
            if left:
                problem("%s: %d container(s) listed after the ops section (run --rm should "
                        "leave none)" % (c.name, left))
        except Exception as e:
            problem("%s: ps after the ops section: %s" % (c.name, e))
    emit_ops(cs, keep)
    return keep


def emit_ops(cs, keep):
    cap = cs[0].name == "capsactl"
    capr = median(col(keep, cs[0], "run")) if cap else None
    capd = median(col(keep, cs[0], "run", 2)) if cap else None
    emit("## `run --rm IMAGE true` (%d interleaved rounds)" % N, "",
         "| contender | returns: median ms | p90 | all done: median ms | p90 | min | cpu ms "
         "| ratio to capsactl (done) | capsactl ÷ this: done | returns |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cs:
        v, d = col(keep, c, "run"), col(keep, c, "run", 2)
        okn = "" if len(v) == N else " (%d/%d ok)" % (len(v), N)
        emit("| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c.label, okn, ms(median(v)), ms(p90(v)), ms(median(d)), ms(p90(d)),
            ms(min(d) if d else None), ms(median(col(keep, c, "run", 1))),
            ratio(median(d), capd), ratio(capd, median(d)), ratio(capr, median(v))))
    emit("", "\"returns\": spawn to reap of the client command. \"all done\": until "
         "everything the command set off has exited too: the driver is a child subreaper "
         "during the command and waits for its orphans (capsa-shim and its exit command "
         "`capsactl container cleanup`, which unmounts and removes the container; `capsactl "
         "run --rm` waits for both; conmon and its exit command `podman container "
         "cleanup`; containerd's shims where they are reparented to the driver). cpu = the "
         "CPU charged to the contender's accounting cgroup until all done: the client, "
         "its daemons (dockerd and its containerd, containerd), the monitors and the "
         "runtimes, less what a runtime does after moving its init into the container's "
         "own cgroup.", "")
    cyc = {}
    for c in cs:
        parts = [col(keep, c, op) for op in ("run-d", "stop", "rm")]
        cyc[c.name] = sum(median(p) for p in parts) if all(parts) else None
    emit("## `run -d IMAGE sleep` + `stop` + `rm` (median ms of %d rounds)" % N, "",
         "| contender | run -d | stop | rm | cycle | cycle cpu ms | ratio to capsactl |",
         "|---|---:|---:|---:|---:|---:|---:|")
    for c in cs:
        cpu = [median(col(keep, c, op, 1)) for op in ("run-d", "stop", "rm")]
        emit("| %s | %s | %s | %s | %s | %s | %s |" % (
            c.label, *[ms(median(col(keep, c, op))) for op in ("run-d", "stop", "rm")],
            ms(cyc[c.name]), ms(sum(cpu)) if None not in cpu else "—",
            ratio(cyc[c.name], cyc.get("capsactl"))))
    emit("", "`stop -t 0` (SIGKILL at once: busybox `sleep` as PID 1 ignores SIGTERM); ctr "
         "has no stop: `ctr task delete -f` (kill, wait, delete the task) then `ctr "
         "container delete` (record and snapshot). Each step interleaves the contenders "
         "in a fresh order.", "")
    ce = median(col(keep, cs[0], "exec")) if cs[0].name == "capsactl" else None
    emit("## `exec CONTAINER true` into a running container (%d rounds)" % N, "",
         "| contender | median ms | p90 ms | cpu ms | ratio to capsactl |",
         "|---|---:|---:|---:|---:|")
    for c in cs:
        v = col(keep, c, "exec")
        emit("| %s | %s | %s | %s | %s |" % (c.label, ms(median(v)), ms(p90(v)),
                                             ms(median(col(keep, c, "exec", 1))),
                                             ratio(median(v), ce)))
    emit("", "ctr: `ctr task exec --exec-id ID CONTAINER true`.", "")


# ------------------------------------------------------------------ concurrency
def pool_for(c, n):
    """worker threads that enter c's accounting cgroup first (what they
    start, monitors included, is charged to c)."""
    return concurrent.futures.ThreadPoolExecutor(
        max_workers=n, initializer=acct.enter_thread, initargs=(c.name,))


def start_many(c, ids, workers):
    """run -d every id on `workers` threads: ([ms or None], first error)."""
    def one(cid):
        t = time.perf_counter()
        rc, err = quiet(c, c.run_d(cid))
        return ((time.perf_counter() - t) * 1000 if rc == 0 else None), err
    with pool_for(c, workers) as pool:
        res = list(pool.map(one, ids))
    for cid, (v, _) in zip(ids, res):
        if v is not None:
            c.live.add(cid)
    return [v for v, _ in res], next((e for v, e in res if v is None), None)


def remove_many(c, ids, workers):
    def one(cid):
        rc = 0
        for argv in c.rm_force(cid):
            rc = rc or quiet(c, argv)[0]
        return rc
    with pool_for(c, workers) as pool:
        rcs = list(pool.map(one, ids))
    for cid, rc in zip(ids, rcs):
        if rc == 0:
            c.live.discard(cid)
    return sum(1 for rc in rcs if rc)


def section_conc(cs):
    log("conc: %d containers started at once (run -d), then removed at once (x%d)"
        % (CONC, CONC_REPS))
    res = {}
    for rep in range(CONC_REPS):
        for c in shuffled(cs):
            ids = [c.cid("p") for _ in range(CONC)]
            u0, t0 = acct.usage_ns(c.name), time.perf_counter()
            lat, err = start_many(c, ids, CONC)
            t_up, u1 = time.perf_counter() - t0, acct.usage_ns(c.name)
            fails = sum(1 for v in lat if v is None)
            if fails:
                problem("%s: %d of %d concurrent run -d failed; first: %s" % (
                    c.name, fails, CONC, (err or "").strip()[-300:]))
            try:
                listed = c.ps_count()
                if listed != CONC - fails:
                    problem("%s: %d containers listed after %d started" % (
                        c.name, listed, CONC - fails))
            except Exception as e:
                problem("%s: ps after the concurrent start: %s" % (c.name, e))
            u2, t2 = acct.usage_ns(c.name), time.perf_counter()
            rfails = remove_many(c, ids, CONC)
            t_rm, u3 = time.perf_counter() - t2, acct.usage_ns(c.name)
            if rfails:
                problem("%s: %d concurrent removals failed" % (c.name, rfails))
            oks = [v for v in lat if v is not None]
            res.setdefault(c.name, []).append((t_up, (u1 - u0) / 1e9, median(oks),
                                               max(oks) if oks else None, t_rm,
                                               (u3 - u2) / 1e9, fails + rfails))
            raw.append(("conc", "start", c.name, rep, int(t_up * 1e9), int(t_up * 1e9),
                        (u1 - u0) / 1e6, 0, int(not fails)))
            raw.append(("conc", "remove", c.name, rep, int(t_rm * 1e9), int(t_rm * 1e9),
                        (u3 - u2) / 1e6, 0, int(not rfails)))
            log("  %s: up %.2fs, removed %.2fs" % (c.name, t_up, t_rm))
    emit("## %d containers started at once, then removed at once (median of %d)"
         % (CONC, CONC_REPS), "",
         "| contender | start all s | containers/s | cpu s | one `run -d` median / slowest ms "
         "| remove all s | cpu s | failures | start: ratio to capsactl |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    cap = median([x[0] for x in res.get("capsactl", [])])
    for c in cs:
        v = res.get(c.name)
        if not v:
            continue
        up = median([x[0] for x in v])
        emit("| %s | %.2f | %.0f | %.2f | %s / %s | %.2f | %.2f | %d | %s |" % (
            c.label, up, CONC / up, median([x[1] for x in v]), ms(median([x[2] for x in v])),
            ms(median([x[3] for x in v])), median([x[4] for x in v]),
            median([x[5] for x in v]), sum(x[6] for x in v), ratio(up, cap)))
    emit("", "%d threads, one `run -d` each (`sleep`); \"start all\" ends when the last "
         "`run -d` has returned (each returns once its container runs; `ps -a` then lists "
         "all %d, checked untimed). Removal: one `rm -f` per container, all at once (ctr: "
         "`task delete -f` then `container delete`). cpu: the contender's accounting cgroup "
         "over each phase." % (CONC, CONC), "")


# ------------------------------------------------------------------ ps
def section_ps(cs):
    log("ps: `ps -a` with %s containers present" % LEVELS)
    lat, prof = {}, {}
    have = {c.name: [] for c in cs}
    for level in LEVELS:
        for c in cs:
            if c.dropped:
                continue
            need = level - len(have[c.name])
            if need > 0:
                ids = [c.cid("s") for _ in range(need)]
                got, err = start_many(c, ids, 4)
                have[c.name] += [i for i, v in zip(ids, got) if v is not None]
                if len(have[c.name]) < level:
                    problem("%s: only %d of %d containers started for ps; first error: %s" % (
                        c.name, len(have[c.name]), level, (err or "").strip()[-300:]))
            try:
                n = c.ps_count()
                if n != len(have[c.name]):
                    problem("%s: ps lists %d containers, %d expected" % (
                        c.name, n, len(have[c.name])))
            except Exception as e:
                problem("%s: ps: %s" % (c.name, e))
        log("  level %d: timing" % level)
        for i in range(PS_REPS):
            for c in shuffled(cs):
                timed(c, c.ps(), "ps", level, i, lat)
        if level in (LEVELS[0], LEVELS[-1]) and cs and cs[0].name == "capsactl":
            prof[level] = syscall_counts(cs[0], cs[0].ps())
    for c in cs:
        remove_many(c, have[c.name], 8)
    emit("## Listing: `ps -a` with containers present (median ms of %d)" % PS_REPS, "",
         "| contender | command | " + " | ".join("%d containers" % lv for lv in LEVELS) +
         " | %d ÷ %d | ms per container |" % (LEVELS[-1], LEVELS[0]),
         "|---|---|" + "---:|" * (len(LEVELS) + 2))
    for c in cs:
        meds = [median([x[0] for x in lat.get((c.name, lv), [])]) for lv in LEVELS]
        slope = ((meds[-1] - meds[0]) / (LEVELS[-1] - LEVELS[0])
                 if None not in meds and LEVELS[-1] != LEVELS[0] else None)
        cmd = " ".join(c.ps()[-2:]) if c.name == "ctr" else "ps -a"
        emit("| %s | `%s` | %s | %s | %s |" % (c.label, cmd, " | ".join(ms(m) for m in meds),
                                              ratio(meds[-1], meds[0]),
                                              "—" if slope is None else "%.2f" % slope))
    emit("", "Running `sleep` containers (started untimed, 4 at a time); every level is "
         "checked untimed: the listing counts them all. ctr lists tasks (`ctr task ls` asks "
         "each shim for its state); `ctr containers ls` would read records only.", "")
    lo, hi = prof.get(LEVELS[0]), prof.get(LEVELS[-1])
    if lo and hi and LEVELS[-1] > LEVELS[0]:
        more = sorted(((n - lo.get(k, 0), k) for k, n in hi.items()), reverse=True)
        emit("capsactl's `ps -a` under `strace -f -c`: %d syscalls with %d containers, %d "
             "with %d: %.1f more per container, mostly %s." % (
                 sum(lo.values()), LEVELS[0], sum(hi.values()), LEVELS[-1],
                 (sum(hi.values()) - sum(lo.values())) / (LEVELS[-1] - LEVELS[0]),
                 ", ".join("%s +%.1f" % (k, d / (LEVELS[-1] - LEVELS[0]))
                           for d, k in more[:6])), "")


def syscall_counts(c, argv):
    """{syscall: calls} of one run of argv under `strace -f -c` (untimed)"""
    path = os.path.join(W, "log", "strace-c.txt")
    if not shutil.which("strace") or not spawn(c, ["strace", "-f", "-c", "-o", path] + argv,
                                               tag="strace-c").ok():
        return None
    calls = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
                calls[p[-1]] = int(p[3])
    return calls


# ------------------------------------------------------------------ memory
def section_mem(cs, heavy):
    log("mem: peak RSS of run --rm (%d runs each), monitors of %d running containers"
        % (RSS_RUNS, MON_K))
    rss = {}
    if GNU_TIME:
        for i in range(RSS_RUNS):
            for c in shuffled(cs):
                r = timed(c, c.run_rm(c.cid("m")), "mem", "rss", i, rss=True, settle=True)
                if r.ok():
                    rss.setdefault((c.name, "kb"), []).append(r.maxrss)
    mons, dmns = {}, {}
    for c in heavy:
        if c.dropped:
            continue
        ids = [c.cid("k") for _ in range(MON_K)]
        got, err = start_many(c, ids, 1)
        time.sleep(1)
        for cid, v in zip(ids, got):
            if v is None:
                continue
            try:
                pid, comm = monitor_of(c, cid)
                r, p, _ = proc_mem(pid)
                mons.setdefault(c.name, []).append((comm, r, p))
            except Exception as e:
                problem("%s: monitor of %s: %s" % (c.name, cid, e))
        dmns[c.name] = [(label, *proc_mem(pid)[:2]) for label, pid in c.daemons()]
        remove_many(c, ids, 4)
    emit("## Memory", "",
         "| contender | client peak RSS KB (`run --rm`) | monitor per container | monitor "
         "VmRSS kB | monitor PSS kB | daemons (VmRSS / PSS kB) |",
         "|---|---:|---|---:|---:|---|")
    for c in cs:
        m = mons.get(c.name, [])
        emit("| %s | %s | %s | %s | %s | %s |" % (
            c.label, "%d" % median(rss[(c.name, "kb")]) if rss.get((c.name, "kb")) else "n/a",
            m[0][0] if m else "—", "%d" % median([x[1] for x in m]) if m else "—",
            "%d" % median([x[2] for x in m]) if m else "—",
            "; ".join("%s %d / %d" % d for d in dmns.get(c.name, [])) or "none"))
    emit("", "Client peak RSS: GNU `time -f %%M` (the largest single process of the tree the "
         "command reaped), median of %d runs. Monitor: the parent of each container's init "
         "(capsa-shim, conmon, containerd-shim-runc-v2) with %d `sleep` containers running "
         "per contender, medians; PSS (`/proc/PID/smaps_rollup`) shares the pages the %d "
         "monitors (and everything else) map between them, so it is the cost of one more "
         "container. Daemons: measured at the same moment." % (RSS_RUNS, MON_K, MON_K), "")
    return rss


# ------------------------------------------------------------------ strace
STRACE_SET = ("execve,fsync,fdatasync,mount,fsmount,move_mount,mount_setattr,umount2,"
              "connect,clone,clone3,vfork,wait4,exit_group")
LINE_RE = re.compile(r"^(\d+)\s+([\d.]+)\s+(.*)$")
CALL_RE = re.compile(r"^(\w+)\((.*)$")
RESUMED_RE = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
RET_RE = re.compile(r"\)\s+=\s+(-?\d+|\?)(?:[^<]*)(?:<([\d.]+)>)?\s*$")
SUBCMDS = ("run", "create", "start", "delete", "kill", "state", "exec", "cleanup", "rm")


def label_of(path, args):
    base = os.path.basename(path)
    sub = next((a for a in args[1:] if a in SUBCMDS), None)
    if base == "capsactl" and "container" in args and "cleanup" in args:
        return "capsactl container cleanup"
    return base + (" " + sub if sub and base in ("capsactl", "capsa") else "")


def parse_strace(path):
    """[(t, pid, name, args, ret, dur)] of the completed calls, plus exits
    as (t, pid, "+exit", text, None, 0), in time order."""
    events, pending = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE_RE.match(line.rstrip("\n"))
            if not m:
                continue
            pid, t, rest = int(m.group(1)), float(m.group(2)), m.group(3)
            if rest.startswith("+++"):
                events.append((t, pid, "+exit", rest.strip("+ "), None, 0.0))
                continue
            r = RESUMED_RE.match(rest)
            if r:
                name = r.group(1)
                t0, args = pending.pop((pid, name), (t, ""))
                tail = r.group(2)
            else:
                c = CALL_RE.match(rest)
                if not c:
                    continue
                name, tail = c.group(1), c.group(2)
                if tail.endswith("<unfinished ...>"):
                    pending[(pid, name)] = (t, tail[:-len("<unfinished ...>")])
                    continue
                t0, args = t, ""
            ret = RET_RE.search(tail)
            events.append((t0, pid, name, args + tail, ret.group(1) if ret else "?",
                           float(ret.group(2)) if ret and ret.group(2) else 0.0))
    events.sort(key=lambda e: e[0])
    return events


SYNCS = ("fsync", "fdatasync")
MOUNTS = ("mount", "fsmount", "move_mount", "mount_setattr", "umount2")


class Proc:
    def __init__(self, label):
        self.label, self.t_exec, self.t_exit = label, None, None
        self.syncs, self.sync_s, self.mounts = 0, 0.0, 0


def fold(rows, t, pid, who, kind, dur, name):
    """a sync or mount call: folded into the previous row when that row is
    the same process's run of the same kind."""
    last = rows[-1] if rows else None
    if last and last["pid"] == pid and last["kind"] == kind:
        last["n"] += 1
        last["s"] += dur
        last["names"][name] = last["names"].get(name, 0) + 1
        last["end"] = t
    else:
        rows.append({"t": t, "end": t, "pid": pid, "who": who, "kind": kind, "n": 1, "s": dur,
                     "names": {name: 1}})


def strace_summary(events):
    """the processes (label at the time of each event), a timeline of
    execs, exits, connects and folded runs of sync and mount calls"""
    procs, label, rows = {}, {}, []
    for t, pid, name, args, ret, dur in events:
        who = label.get(pid, "?")
        if name in ("clone", "clone3", "vfork") and ret and ret.isdigit():
            label[int(ret)] = who + " (child)"
            continue
        if name == "execve" and ret == "0":
            pm = re.match(r'"([^"]*)", \[(.*?)\]', args)
            argv = re.findall(r'"((?:[^"\\]|\\.)*)"', pm.group(2)) if pm else []
            label[pid] = who = label_of(pm.group(1) if pm else "?", argv)
            procs[pid] = Proc(who)
            procs[pid].t_exec = t
            rows.append({"t": t, "pid": pid, "who": who, "kind": "exec",
                         "text": "exec " + (pm.group(1) if pm else "?")})
            continue
        p = procs.setdefault(pid, Proc(who))
        if name in SYNCS:
            p.syncs += 1
            p.sync_s += dur
            fold(rows, t, pid, who, "sync", dur, name)
        elif name in MOUNTS:
            p.mounts += 1
            fold(rows, t, pid, who, "mount", dur, name)
        elif name == "connect":
            path = re.search(r'sun_path="([^"]*)"', args)
            rows.append({"t": t, "pid": pid, "who": who, "kind": "connect",
                         "text": "connect %s" % (os.path.basename(path.group(1)) if path
                                                 else "?")})
        elif name == "+exit":
            p.t_exit = t
            rows.append({"t": t, "pid": pid, "who": who, "kind": "exit", "text": args})
    return procs, rows


def row_text(row):
    if row["kind"] in ("sync", "mount"):
        what = ", ".join("%s ×%d" % kv for kv in sorted(row["names"].items()))
        span = (row["end"] - row["t"]) * 1e3
        return "%s (%s%s)" % (what, "%.1f ms in the calls" % (row["s"] * 1e3) if
                              row["kind"] == "sync" else "", "" if row["kind"] == "sync"
                              else "over %.1f ms" % span)
    return row["text"]


def phases(procs, t0):
    """(phase, ms) from the landmarks of a `capsactl run --rm true`."""
    def first(pred, attr):
        ts = [getattr(p, attr) for p in procs.values() if pred(p) and getattr(p, attr)]
        return min(ts) if ts else None
    shim = first(lambda p: p.label == "capsa-shim", "t_exec")
    create = first(lambda p: p.label == "capsa create", "t_exec")
    true = first(lambda p: p.label == "true", "t_exec")
    true_exit = first(lambda p: p.label == "true", "t_exit")
    clean = first(lambda p: p.label == "capsactl container cleanup", "t_exec")
    clean_exit = first(lambda p: p.label == "capsactl container cleanup", "t_exit")
    run_exit = first(lambda p: p.label == "capsactl run", "t_exit")
    last = max((p.t_exit for p in procs.values() if p.t_exit), default=None)
    marks = [("`capsactl run` until capsa-shim runs: store, image, container record, "
              "overlay mount, config.json", t0, shim),
             ("capsa-shim until `capsa create` runs", shim, create),
             ("`capsa create` and `start` until the container's `true` runs (namespaces, "
              "mounts, cgroups, seccomp; capsactl attaches and starts)", create, true),
             ("`true` itself", true, true_exit),
             ("exit until `capsactl run` has returned (after the exit command: it waits for the removal)", true_exit,
              run_exit),
             ("exit until the exit command `capsactl container cleanup` runs", true_exit,
              clean),
             ("`capsactl container cleanup`: runtime delete, unmount, remove", clean,
              clean_exit),
             ("total: exec of `capsactl run` until the last process exits", t0, last)]
    return [(what, (b - a) * 1e3) for what, a, b in marks if a is not None and b is not None]


def section_strace(cs, keep):
    c = next((x for x in cs if x.name == "capsactl"), None)
    if c is None or not shutil.which("strace"):
        emit("## Where `capsactl run --rm` spends its time", "",
             "skipped: %s" % ("strace not installed" if c else "capsactl not measured"), "")
        return
    log("strace: one capsactl run --rm under strace -f")
    spawn(c, c.run_rm(c.cid("w")), tag="strace-warm", settle=True)
    trace = os.path.join(W, "log", "strace.txt")
    r = spawn(c, ["strace", "-f", "-ttt", "-T", "-s", "256", "-e", "trace=" + STRACE_SET,
                  "-o", trace] + c.run_rm(c.cid("t")), tag="strace", settle=True)
    if not r.ok():
        problem("capsactl under strace: %s: %s" % (status_text(r), r.err[-400:]))
        return
    events = parse_strace(trace)
    procs, rows = strace_summary(events)
    t0 = events[0][0] if events else 0
    plain = median(col(keep, c, "run", 2)) if keep else None
    emit("## Where `capsactl run --rm` spends its time (one run under `strace -f`)", "",
         "%.1f ms until all done under strace (%s without, section 1). Calls traced: `%s`. "
         "strace slows every traced call, so read the shares, not the absolute times." % (
             r.ns_done / 1e6, "%.1f ms" % plain if plain else "not measured", STRACE_SET), "",
         "| phase | ms under strace |", "|---|---:|")
    for what, v in phases(procs, t0):
        emit("| %s | %.1f |" % (what, v))
    starts = []
    for argv in ([CAPSACTL, "version"], [os.path.join(os.path.dirname(CAPSACTL), "capsa"),
                                         "--version"]):
        if os.access(argv[0], os.X_OK):
            v = [spawn(c, argv, tag="start-floor").ns / 1e6 for _ in range(20)]
            libs = sum(1 for line in subprocess.run(["ldd", argv[0]], capture_output=True,
                                                    text=True).stdout.splitlines() if "=>" in line)
            starts.append("`%s %s` %.1f ms (%d shared libraries)" % (
                os.path.basename(argv[0]), argv[1], median(v), libs))
    emit("", "Starting a process, no strace (median of 20): " + "; ".join(starts) + ". "
         "`capsactl run` and its exit command `capsactl container cleanup` each pay "
         "capsactl's start.")
    emit("", "| process | exec at ms | exit at ms | fsync + fdatasync | ms in them | "
         "mount calls |", "|---|---:|---:|---:|---:|---:|")
    for pid, p in sorted(procs.items(), key=lambda kv: kv[1].t_exec or kv[1].t_exit or 0):
        if p.t_exec is None and not (p.syncs or p.mounts):
            continue
        emit("| %s | %s | %s | %d | %.1f | %d |" % (
            p.label, "%.1f" % ((p.t_exec - t0) * 1e3) if p.t_exec else "—",
            "%.1f" % ((p.t_exit - t0) * 1e3) if p.t_exit else "—", p.syncs,
            p.sync_s * 1e3, p.mounts))
    emit("", "Timeline (runs of sync or mount calls by one process folded into one row):",
         "", "| t ms | process | event |", "|---:|---|---|")
    for row in rows:
        emit("| %.1f | %s | %s |" % ((row["t"] - t0) * 1e3, row["who"].replace("|", "\\|"),
                                     row_text(row).replace("|", "\\|")))
    emit("")


# ------------------------------------------------------------------ main
def host_line():
    fs = subprocess.run(["findmnt", "-no", "FSTYPE,SOURCE", "-T", W], capture_output=True,
                        text=True).stdout.strip()
    return ("host: %s, kernel %s, %d CPU(s) %s, %.0f GiB RAM; stores on %s (%s), run-time "
            "state on a tmpfs" % (platform.node(), platform.release(), os.cpu_count(), cpu_model(),
                                  ram_gib(), W, " ".join(fs.split())))


def other_jobs():
    """load average and the test runs found on the machine (read-only)."""
    names = {}
    for ent in os.listdir("/proc"):
        if ent.isdigit():
            cl = cmdline(int(ent))
            for key in ("meson test", "pytest", "ninja"):
                if key in cl:
                    names[key] = names.get(key, 0) + 1
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return "load %s%s" % (load, "; also running: " + ", ".join(
        "%s (%d)" % kv for kv in sorted(names.items())) if names else "")


def choose():
    """capsactl first, then the installed peers; (contenders, skip notes)"""
    cs, skipped = [make("capsactl")], []
    for c in [make(n) for n in CONTENDERS if n != "capsactl"]:
        absent = c.missing()
        if absent:
            skipped.append("%s skipped: %s not installed" % (c.name, " ".join(absent)))
        else:
            cs.append(c)
    return cs, skipped


def heavy_set(cs):
    """for the sections that fill the stores: one podman (crun when it
    runs, else runc), unless HEAVY names the contenders."""
    if ENV.get("HEAVY"):
        return [c for c in cs if c.name in ENV["HEAVY"].split() and not c.dropped]
    live = [c for c in cs if not c.dropped]
    if any(c.name == "podman-crun" for c in live):
        live = [c for c in live if c.name != "podman-runc"]
    return live


def targets(cs, keep):
    print("## Targets")
    print()
    capd = median(col(keep, cs[0], "run", 2)) if keep else None
    capr = median(col(keep, cs[0], "run")) if keep else None
    for peer, k in (("podman-crun", 0.25), ("ctr", 0.4)):
        c = next((x for x in cs if x.name == peer), None)
        d = median(col(keep, c, "run", 2)) if c and keep else None
        if capd and d:
            r = median(col(keep, c, "run"))
            print("- capsactl `run --rm` ≤ %.2f × %s's: all done %.3f× (%.1f ms vs %.1f ms): "
                  "**%s**; counting only until the client returns: %.3f× (%.1f vs %.1f ms): "
                  "%s" % (k, c.label, capd / d, capd, d, "met" if capd / d <= k else "NOT met",
                          capr / r, capr, r, "met" if capr / r <= k else "NOT met"))
        else:
            print("- capsactl `run --rm` ≤ %.2f × %s's: not measured" % (k, peer))
    print()


def main():
    cs, skipped = choose()
    for s in skipped:
        log(s)
    t_begin = time.monotonic()
    jobs_before = other_jobs()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    cg_before = cgroup_parents_present()
    dirs_absent = host_dirs_absent()
    keep = {}
    try:
        img = build_image()
        for c in list(cs):
            log("setup: %s" % c.name)
            try:
                c.setup(img)
            except Exception as e:
                skipped.append("%s skipped: setup failed: %s" % (c.name, str(e)[-600:]))
                log("  " + skipped[-1])
                c.dropped = True
        if cs[0].dropped:
            sys.exit("engine.py: capsactl could not be set up: %s" % skipped[-1])
        for sec in SECTIONS:
            live = [c for c in cs if not c.dropped]
            if sec == "ops":
                keep = section_ops(live)
            elif sec == "conc":
                section_conc(heavy_set(cs))
            elif sec == "ps":
                section_ps(heavy_set(cs))
            elif sec == "mem":
                section_mem(live, heavy_set(cs))
            elif sec == "strace":
                section_strace(live, keep)
            else:
                sys.exit("engine.py: unknown section %s" % sec)
        report(cs, skipped, keep, jobs_before, t_begin)
    finally:
        for c in cs:
            try:
                c.teardown()
            except Exception as e:
                log("teardown of %s: %s" % (c.name, e))
        remove_new_cgroup_parents(cg_before)
        remove_new_host_dirs(dirs_absent)
        acct.remove()


def report(cs, skipped, keep, jobs_before, t_begin):
    print("# capsactl and its peers (`bench/engine.sh`)")
    print()
    print(host_line())
    print()
    print("seed %s; %.0f s; at the start: %s; at the end: %s" % (
        SEED, time.monotonic() - t_begin, jobs_before, other_jobs()))
    if ENV.get("NOTES"):
        print()
        print("note: " + ENV["NOTES"])
    print()
    print("| contender | version | image loaded with |")
    print("|---|---|---|")
    how = {"capsactl": "`pull oci:DIR:latest`", "docker": "`load` of a docker-archive",
           "ctr": "`images import` of an oci-archive"}
    for c in cs:
        why = next((s for s in skipped if s.startswith(c.name + " ")), None)
        print("| %s | %s | %s |" % (c.label, c.version(), "**%s**" % cell(why) if why else
                                    how.get(c.name, "`pull oci:DIR:latest`, `tag`")))
    for s in skipped:
        if not any(s.startswith(c.name + " ") for c in cs):
            print("| %s | — | **%s** |" % (s.split()[0], cell(s)))
    print()
    print("Same image for all: busybox-static from Debian (tests/fixtures/oci_images.py). "
          "Every engine private: its store on the disk, its run-time state (runroot, "
          "exec-root, containerd state, ctr's runc root) on a private tmpfs, as /var/lib and "
          "/run on a host (podman's runc and crun keep theirs in /run/runc, /run/crun, their "
          "defaults). `--network none` for all (ctr's default: a network namespace with "
          "loopback only); podman with `--ulimit nofile=1024:1024 --ulimit "
          "nproc=1024:1024` (no CAP_SYS_RESOURCE here), overlay, cgroupfs, events off, a "
          "cgroup parent of its own; docker with overlay2 and cgroupfs; ctr with the "
          "overlayfs snapshotter. ctr applies no seccomp profile by default (the others do).")
    print()
    print("\n".join(out))
    targets(cs, keep)
    write_raw(RAW, "section,op,contender,round,ns,ns_done,cpu_ms,maxrss_kb,ok",
              "%s,%s,%s,%s,%d,%d,%.3f,%d,%d", raw)
    print_problems(cs)


if __name__ == "__main__":
    main()
