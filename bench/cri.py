"""bench/cri.py: the body of bench/cri.sh (run inside the network namespace
and the private mount namespace it made; W is a private mktemp -d directory
that the shell script removes). capsad and Debian's containerd 1.6 with its
CRI plugin side by side through the CRI (tests/cri/criclient.py, and crictl
for `runp`); markdown to stdout, progress to stderr. See bench/README.md
("cri.sh").

A section is a function of the engines that fills RES (the numbers the
report prints); add one to SECTION_FUNCS to measure more. Both daemons run
for the whole bench; the latency rounds and the concurrent starts take the
engines in a fresh order each round; the list and memory sections fill one
engine at a time while the other stays idle."""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import threading
import time

from common import (cell, cpu_model, log, median, p90, print_problems, problem, ram_gib, ratio,
                    version_of, write_raw)
from cri_lib import *  # noqa: F401,F403  (settings, /proc, the registry, the engines, CRI steps)


# ------------------------------------------------------------------ latency
def lat_round(e, rnd, keep):
    """one pod's life through the python client, each call timed"""
    name = e.next_name("lat")
    cfg = pod_config(e, name)
    pod = None
    try:
        t0 = now()
        pod = run_pod(e, cfg)
        t1 = now()
        cid = create_ctr(e, pod, cfg, "sleep")
        t2 = now()
        start_ctr(e, cid)
        t3 = now()
        exec_true(e, cid)
        t4 = now()
        e.cri.call("StopPodSandbox", pod_sandbox_id=pod)
        t5 = now()
        e.cri.call("RemovePodSandbox", pod_sandbox_id=pod)
        t6 = now()
        pod = None
    except Exception as ex:
        e.failed("latency round %d" % rnd, ex)
        if pod:
            try:
                remove_pod(e, pod)
            except Exception as ex2:
                e.failed("removing pod after a failure", ex2)
        return
    for op, a, b in (("RunPodSandbox", t0, t1), ("CreateContainer", t1, t2),
                     ("StartContainer", t2, t3), ("Create+Start", t1, t3),
                     ("ExecSync", t3, t4), ("StopPodSandbox", t4, t5),
                     ("RemovePodSandbox", t5, t6), ("Stop+Remove", t4, t6)):
        keep_ms(keep, e, op, rnd, "lat", a, b)


def crictl_round(e, rnd, keep):
    """`crictl runp` timed (crictl's own start and connection inside),
    the pod removed through the python client"""
    name = e.next_name("crictl")
    path = os.path.join(W, "crictl", "%s-%s.json" % (e.name, name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(pod_config(e, name), f)
    t0 = now()
    r = crictl(e, "runp", path)
    t1 = now()
    if r.returncode != 0:
        e.failed("crictl runp", RuntimeError(r.stderr.strip()))
        purge(e)
        return
    keep_ms(keep, e, "crictl runp", rnd, "lat", t0, t1)
    t0 = now()
    v = crictl(e, "version")
    t1 = now()
    if v.returncode == 0:
        keep_ms(keep, e, "crictl version", rnd, "lat", t0, t1)
    try:
        remove_pod(e, r.stdout.strip())
    except Exception as ex:
        e.failed("removing crictl's pod", ex)


def section_lat(es):
    log("lat: %d warm-up and %d interleaved rounds (seed %s)" % (WARMUP, N, SEED))
    keep = {}
    t = now()
    for rnd in range(-WARMUP, N):
        for e in shuffled(es):
            lat_round(e, rnd, keep)
        for e in shuffled(es):
            crictl_round(e, rnd, keep)
        if rnd >= 0 and (rnd + 1) % 5 == 0:
            log("  round %d/%d (%.0f s; %s)" % (rnd + 1, N, now() - t, load()))
    RES["lat"] = keep


# ------------------------------------------------------------------ 50 at once
def at_once(e, fn, items):
    """fn(item) for every item, all released at one instant from threads
    already waiting: (wall s, [ms per item, None if it failed])"""
    go = threading.Event()
    t0 = [0.0]

    def one(item):
        go.wait()
        try:
            fn(item)
            return (now() - t0[0]) * 1000
        except Exception as ex:
            e.failed("concurrent %s" % fn.__name__, ex)
            return None
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(items)) as pool:
        futs = [pool.submit(one, it) for it in items]
        time.sleep(0.3)   # every thread started and waiting
        t0[0] = now()
        go.set()
        res = [f.result() for f in futs]
    return now() - t0[0], res


def section_conc(es):
    log("conc: %d RunPodSandbox at once, %d times per engine" % (CONC, CONC_REPS))
    keep = {}
    for rep in range(CONC_REPS):
        for e in shuffled(es):
            cfgs = [pod_config(e, e.next_name("conc")) for _ in range(CONC)]
            got = []

            def start(cfg, e=e, got=got):
                got.append(run_pod(e, cfg))
            wall, each = at_once(e, start, cfgs)
            ok = [x for x in each if x is not None]
            wall_rm, each_rm = at_once(e, lambda p, e=e: remove_pod(e, p), list(got))
            purge(e)
            for op, v in (("wall", wall * 1000), ("slowest", max(ok) if ok else None),
                          ("median pod", median(ok)), ("remove wall", wall_rm * 1000)):
                if v is not None:
                    keep.setdefault((e.name, op), []).append(v)
                    raw.append(("conc", op, e.name, rep, v))
            keep.setdefault((e.name, "ok"), []).append(len(ok))
            log("  %s: %d/%d pods in %.2f s, removed in %.2f s (%s)" % (
                e.name, len(ok), CONC, wall, wall_rm, load()))
    RES["conc"] = keep


# ------------------------------------------------------------------ filling a node
def fill(e, pods, n_pods, per_pod, tag):
    """pods running per_pod `sleep` containers each, n_pods more of them,
    FILL_WORKERS started at a time; appended to pods as (id, [cids])"""
    def one(_):
        name = e.next_name(tag)
        cfg = pod_config(e, name)
        pod = run_pod(e, cfg)
        cids = []
        try:
            for i in range(per_pod):
                cid = create_ctr(e, pod, cfg, "sleep%d" % i)
                start_ctr(e, cid)
                cids.append(cid)
        finally:
            pods.append((pod, cids))
    with concurrent.futures.ThreadPoolExecutor(max_workers=FILL_WORKERS) as pool:
        for f in [pool.submit(one, i) for i in range(n_pods)]:
            try:
                f.result()
            except Exception as ex:
                e.failed("filling (%s)" % tag, ex)


def empty(e, pods):
    with concurrent.futures.ThreadPoolExecutor(max_workers=FILL_WORKERS) as pool:
        for f in [pool.submit(remove_pod, e, p) for p, _ in pods]:
            try:
                f.result()
            except Exception as ex:
                e.failed("emptying", ex)
    del pods[:]
    purge(e)


LIST_OPS = ("ListContainers", "ListContainerStats", "ListPodSandbox")


def section_list(es):
    log("list: ListContainers, ListContainerStats, ListPodSandbox at %s containers "
        "(%d per pod), %d calls each" % (" and ".join(map(str, LIST_LEVELS)), PER_POD, N))
    keep = {}
    for e in shuffled(es):
        pods = []
        try:
            for level in LIST_LEVELS:
                full, rest = divmod(level - sum(len(c) for _, c in pods), PER_POD)
                t = now()
                if full > 0:
                    fill(e, pods, full, PER_POD, "list")
                if rest > 0:
                    fill(e, pods, 1, rest, "list")
                count = len(e.cri.call("ListContainers").containers)
                stats = len(e.cri.call("ListContainerStats").stats)
                if count != level or stats != count:
                    problem("%s: at %d containers asked for, ListContainers lists %d and "
                            "ListContainerStats %d" % (e.name, level, count, stats))
                log("  %s: %d containers in %d pods (%.0f s to fill; %s)" % (
                    e.name, count, len(pods), now() - t, load()))
                time.sleep(2)
                offset = e.log_size() if isinstance(e, Capsad) else None
                for rnd in range(-1, N):
                    for op in LIST_OPS:
                        t0 = now()
                        try:
                            e.cri.call(op)
                        except Exception as ex:
                            e.failed(op, ex)
                            continue
                        keep_ms(keep, e, "%s %d" % (op, level), rnd, "list", t0, now())
                        # the same call, its reply's bytes not decoded by the
                        # python client: what the server and the transport cost
                        t0 = now()
                        try:
                            body = e.cri.raw("/runtime.v1.RuntimeService/" + op, b"")
                        except Exception as ex:
                            e.failed(op, ex)
                            continue
                        keep_ms(keep, e, "%s bytes %d" % (op, level), rnd, "list", t0, now())
                        RES[(e.name, "%s size %d" % (op, level))] = len(body)
                if offset is not None:
                    for op, v in e.call_times(offset).items():
                        keep[(e.name, "%s server %d" % (op, level))] = v
        finally:
            empty(e, pods)
    RES["list"] = keep


# ------------------------------------------------------------------ memory
def mem_sample(e):
    sh = e.shims()
    return {"rss": e.rss(), "pss": pss_kb(e.pid), "shims": len(sh),
            "shim_rss": sum(r for _, r, _ in sh), "shim_pss": sum(p for _, _, p in sh),
            "hwm": status_kb(e.pid, "VmHWM")}


def section_mem(es):
    log("mem: %d pods of one `sleep` container per engine, one engine at a time" % MEM_PODS)
    for e in shuffled(es):
        pods = []
        try:
            t = now()
            fill(e, pods, MEM_PODS, 1, "mem")
            running = len(e.cri.call("ListContainers", filter={"state": {"state": 1}}).containers)
            log("  %s: %d pods, %d containers running (%.0f s; %s)" % (
                e.name, len(pods), running, now() - t, load()))
            time.sleep(SETTLE)
            RES[(e.name, "mem busy")] = dict(mem_sample(e), pods=len(pods), running=running)
        finally:
            empty(e, pods)
        time.sleep(SETTLE)
        RES[(e.name, "mem after")] = mem_sample(e)


SECTION_FUNCS = {"lat": section_lat, "conc": section_conc, "list": section_list,
                 "mem": section_mem}


# ------------------------------------------------------------------ the report
def ms(x):
    return "—" if x is None else "%.1f" % x


def mb(kb):
    return "—" if kb is None else "%.1f" % (kb / 1024)


def row(cells):
    print("| " + " | ".join(cells) + " |")


def lat_rows(es):
    keep = RES.get("lat")
    if not keep:
        return
    cap, ctd = es
    what = [("RunPodSandbox (with network)", "RunPodSandbox"),
            ("CreateContainer + StartContainer", "Create+Start"),
            ("  CreateContainer", "CreateContainer"), ("  StartContainer", "StartContainer"),
            ("ExecSync `true`", "ExecSync"),
            ("StopPodSandbox + RemovePodSandbox", "Stop+Remove"),
            ("  StopPodSandbox", "StopPodSandbox"), ("  RemovePodSandbox", "RemovePodSandbox"),
            ("`crictl runp` (crictl's start inside)", "crictl runp"),
            ("`crictl version` (crictl's own cost, for scale)", "crictl version")]
    for label, op in what:
        a, b = keep.get((cap.name, op), []), keep.get((ctd.name, op), [])
        okn = "" if len(a) == N and len(b) == N else " (%d, %d of %d ok)" % (len(a), len(b), N)
        row([label + okn, "%s (%s)" % (ms(median(a)), ms(p90(a))),
             "%s (%s)" % (ms(median(b)), ms(p90(b))),
             ratio(median(a), median(b))])


def conc_rows(es):
    keep = RES.get("conc")
    if not keep:
        return
    cap, ctd = es

    def m(e, op):
        return median(keep.get((e.name, op), []))
    oks = {e.name: keep.get((e.name, "ok"), []) for e in es}
    note = "" if all(v and min(v) == CONC for v in oks.values()) else " (pods ok: %s)" % (
        "; ".join("%s %s" % (k, v) for k, v in oks.items()))
    row(["%d RunPodSandbox at once: all started, ms (slowest pod's own)%s" % (CONC, note),
         "%s (%s)" % (ms(m(cap, "wall")), ms(m(cap, "slowest"))),
         "%s (%s)" % (ms(m(ctd, "wall")), ms(m(ctd, "slowest"))),
         ratio(m(cap, "wall"), m(ctd, "wall"))])
    row(["  then all %d stopped + removed at once, ms" % CONC, ms(m(cap, "remove wall")),
         ms(m(ctd, "remove wall")), ratio(m(cap, "remove wall"), m(ctd, "remove wall"))])


def list_rows(es):
    keep = RES.get("list")
    if not keep:
        return
    cap, ctd = es
    hi = LIST_LEVELS[-1]
    for op in LIST_OPS:
        cells = []
        for e in es:
            v = [median(keep.get((e.name, "%s %d" % (op, lv)), [])) for lv in LIST_LEVELS]
            cells.append(" / ".join(ms(x) for x in v) + " (%s)" % ratio(v[-1], v[0]))
        a = median(keep.get((cap.name, "%s %d" % (op, hi)), []))
        b = median(keep.get((ctd.name, "%s %d" % (op, hi)), []))
        lv = LIST_LEVELS
        if op == "ListPodSandbox":   # as many pods as the containers need
            lv = [-(-x // PER_POD) for x in LIST_LEVELS]
        row(["%s ms at %s %s (%d÷%d)" % (op, " / ".join(map(str, lv)),
                                          "pods" if op == "ListPodSandbox" else "containers",
                                          lv[-1], lv[0])]
            + cells + [ratio(a, b)])
        cells = []
        for e in es:
            v = [median(keep.get((e.name, "%s bytes %d" % (op, x)), [])) for x in LIST_LEVELS]
            size = RES.get((e.name, "%s size %d" % (op, hi)))
            cells.append(" / ".join(ms(x) for x in v) + " (%s; %s kB)" % (
                ratio(v[-1], v[0]), "—" if size is None else "%.0f" % (size / 1000)))
        a = median(keep.get((cap.name, "%s bytes %d" % (op, hi)), []))
        b = median(keep.get((ctd.name, "%s bytes %d" % (op, hi)), []))
        row(["  the same, reply not decoded by the client (reply size)"] + cells + [ratio(a, b)])
        v = [median(keep.get((cap.name, "%s server %d" % (op, x)), [])) for x in LIST_LEVELS]
        if all(v):
            row(["  capsad's own time for the call, from its debug log",
                 " / ".join("%.2f" % x for x in v) + " (%s)" % ratio(v[-1], v[0]), "", ""])


def per_pod(e):
    """(daemon growth + shims) per pod, kB, from RSS and from PSS"""
    b, i = RES.get((e.name, "mem busy")), RES.get((e.name, "idle"))
    if not b or not i or not b["pods"]:
        return None, None
    return ((b["rss"] - i["rss"] + b["shim_rss"]) / b["pods"],
            (b["pss"] - i["pss"] + b["shim_pss"]) / b["pods"])


def mem_rows(es):
    cap, ctd = es
    ic, id_ = RES.get((cap.name, "idle")), RES.get((ctd.name, "idle"))
    row(["daemon VmRSS idle (images pulled, no pod), MB (PSS)",
         "%s (%s)" % (mb(ic["rss"]), mb(ic["pss"])), "%s (%s)" % (mb(id_["rss"]), mb(id_["pss"])),
         ratio(ic["rss"], id_["rss"])])
    bc, bd = RES.get((cap.name, "mem busy")), RES.get((ctd.name, "mem busy"))
    if bc and bd:
        row(["daemon VmRSS with %d pods (1 container each), MB (PSS)" % MEM_PODS,
             "%s (%s)" % (mb(bc["rss"]), mb(bc["pss"])), "%s (%s)" % (mb(bd["rss"]), mb(bd["pss"])),
             ratio(bc["rss"], bd["rss"])])
        row(["shims with %d pods: count, VmRSS sum MB (PSS sum)" % MEM_PODS,
             "%d %s, %s (%s)" % (bc["shims"], cap.shim, mb(bc["shim_rss"]), mb(bc["shim_pss"])),
             "%d %s, %s (%s)" % (bd["shims"], ctd.shim, mb(bd["shim_rss"]), mb(bd["shim_pss"])),
             ratio(bc["shim_rss"], bd["shim_rss"])])
        pc, pd = per_pod(cap), per_pod(ctd)
        row(["per pod: (daemon's growth + shims) ÷ pods, MB RSS (PSS)",
             "%s (%s)" % (mb(pc[0]), mb(pc[1])), "%s (%s)" % (mb(pd[0]), mb(pd[1])),
             ratio(pc[0], pd[0])])
        ac, ad = RES.get((cap.name, "mem after")), RES.get((ctd.name, "mem after"))
        row(["daemon VmRSS after removing them, MB; peak (VmHWM) over the run",
             "%s; %s" % (mb(ac["rss"]), mb(ac["hwm"])), "%s; %s" % (mb(ad["rss"]), mb(ad["hwm"])),
             ""])


def targets(es):
    cap, ctd = es
    print("## Targets")
    print()

    def verdict(ok):
        return "**met**" if ok else "**NOT met**"
    keep = RES.get("lat", {})
    for label, op, goal in (("pod start (RunPodSandbox)", "RunPodSandbox", POD_TARGET),
                            ("container start (CreateContainer + StartContainer)",
                             "Create+Start", CTR_TARGET)):
        a, b = median(keep.get((cap.name, op), [])), median(keep.get((ctd.name, op), []))
        if a and b:
            print("- %s ≤ %.1f × containerd's: %.2f× (%.1f vs %.1f ms): %s" % (
                label, goal, a / b, a, b, verdict(a / b <= goal)))
        else:
            print("- %s ≤ %.1f × containerd's: not measured" % (label, goal))
    ic, id_ = RES.get((cap.name, "idle")), RES.get((ctd.name, "idle"))
    print("- capsad idle RSS ≤ %.1f × containerd's: %.2f× (%s vs %s MB): %s" % (
        RSS_TARGET, ic["rss"] / id_["rss"], mb(ic["rss"]), mb(id_["rss"]),
        verdict(ic["rss"] / id_["rss"] <= RSS_TARGET)))
    lk = RES.get("list")
    if lk:
        lo, hi = LIST_LEVELS[0], LIST_LEVELS[-1]
        for op in ("ListContainers", "ListContainerStats"):
            v = [median(lk.get((cap.name, "%s %d" % (op, lv)), [])) for lv in (lo, hi)]
            w = [median(lk.get((ctd.name, "%s %d" % (op, lv)), [])) for lv in (lo, hi)]
            if v[0] and v[1] and hi > lo:
                print("- capsad's %s flat in the number of containers (here: at %d ≤ %.1f × at "
                      "%d): %.2f× (%.2f -> %.2f ms, %.3f ms more per container; containerd "
                      "%s ms more): %s" % (
                          op, hi, FLAT, lo, v[1] / v[0], v[0], v[1], (v[1] - v[0]) / (hi - lo),
                          "%.3f" % ((w[1] - w[0]) / (hi - lo)) if w[0] and w[1] else "—",
                          verdict(v[1] / v[0] <= FLAT)))
                own = [median(lk.get((cap.name, "%s server %d" % (op, lv)), [])) for lv in (lo, hi)]
                if own[0] and own[1]:
                    print("  - of which capsad's own time (its debug log): %.2f -> %.2f ms, "
                          "%.1f µs more per container; the rest is the reply's bytes through "
                          "gRPC and the client" % (own[0], own[1],
                                                   (own[1] - own[0]) * 1000 / (hi - lo)))
    print()


def report(es, notes, t_begin, busy_begin):
    cap, ctd = es
    print("# capsad and containerd through the CRI (`bench/cri.sh`)")
    print()
    print("host: %s, kernel %s, %d CPU(s) %s, %.0f GiB RAM; stores on the disk under %s" % (
        os.uname().nodename, os.uname().release, os.cpu_count(), cpu_model(), ram_gib(), W))
    print()
    print("N=%d, seed %s, %.0f s. **A busy machine**: at the start %s; at the end %s. "
          "Other work shares the 2 cores, so latencies swing between runs; the ratios of "
          "interleaved rounds are steadier than the absolute numbers." % (
              N, SEED, now() - t_begin, busy_begin, busy_note()))
    print()
    print("note: " + ENV.get("NOTES", ""))
    print()
    print("| engine | version |")
    print("|---|---|")
    print("| capsad | %s |" % cell(notes["capsad"]))
    print("| containerd | %s |" % cell(notes["containerd"]))
    print("| crictl | %s |" % cell(notes["crictl"]))
    print("| CRI-O | %s |" % cell(ENV.get("CRIO_NOTE", "not measured")))
    print()
    print("Images %s and (containerd's sandbox image) %s, pulled by each engine through the "
          "CRI from one read-only docker-registry over cri-tools' data (%s) on %s in the "
          "namespace; capsad's sandboxes run its own capsa-pause (its default). Pods on a CNI "
          "bridge (Debian's plugins: bridge with host-local, isGateway, ipMasq, hairpin; "
          "portmap; containerd also runs the loopback plugin, capsad brings lo up itself); "
          "containers `sleep 3600`. Times: wall ms around each call of one python gRPC "
          "client (tests/cri/criclient.py), median (p90) over N rounds in which the engines "
          "take turns in a fresh order." % (BUSYBOX, PAUSE, CRI_REGISTRY, REG))
    print()
    row(["", "capsad", "containerd", "capsad ÷ containerd"])
    row(["---", "---:", "---:", "---:"])
    lat_rows(es)
    conc_rows(es)
    list_rows(es)
    mem_rows(es)
    print()
    print("Both StopPodSandbox run the CNI DEL (veth, IP lease) before they return. "
          "Per pod: the daemon's VmRSS growth from idle plus the shims' sum, "
          "divided by the pods; PSS counts a page shared by k processes 1/k in each, so the "
          "shims' shared text and libraries count once.")
    print()
    targets(es)
    write_raw(RAW, "section,op,engine,round,ms", "%s,%s,%s,%d,%.3f", raw)
    print_problems(es)


def check_left(es):
    """nothing of the pods left in the namespace once every pod is gone"""
    for e in es:
        try:
            n = len(e.cri.call("ListPodSandbox").items)
            if n:
                problem("%s: %d pod(s) still listed after the bench" % (e.name, n))
        except Exception as ex:
            problem("%s: ListPodSandbox at the end: %s" % (e.name, ex))
        sh = e.shims()
        if sh:
            problem("%s: %d shim(s) still running with no pod: %s" % (
                e.name, len(sh), " ".join(str(p) for p, _, _ in sh[:10])))
    veths = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True,
                           text=True).stdout.strip()
    if veths:
        problem("veth left in the namespace after every pod was removed: %s" % cell(veths, 300))


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    t_begin = now()
    busy_begin = busy_note()
    reg = Registry()
    es = [Capsad(), Containerd()]
    started = []
    try:
        log("registry: read-only over %s on %s" % (CRI_REGISTRY, REG))
        reg.start()
        for e in es:
            log("starting %s" % e.name)
            e.start()
            started.append(e)
        notes = {"crictl": version_of([CRICTL, "--version"]),
                 "capsad": "%s; %s" % (es[0].version(), version_of([CAPSAD, "--version"])),
                 "containerd": "%s; %s" % (es[1].version(), version_of(["containerd", "--version"]))}
        for e in es:
            for img in (BUSYBOX, PAUSE) if e.name == "containerd" else (BUSYBOX,):
                log("  %s: PullImage %s" % (e.name, img))
                e.cri.call("PullImage", image={"image": img})
        time.sleep(SETTLE)
        for e in es:
            RES[(e.name, "idle")] = mem_sample(e)
            log("  %s idle: VmRSS %d kB" % (e.name, RES[(e.name, "idle")]["rss"]))
        for sec in SECTIONS:
            if sec not in SECTION_FUNCS:
                sys.exit("cri.py: unknown section %s (known: %s)" % (sec, " ".join(SECTION_FUNCS)))
            SECTION_FUNCS[sec](es)
            for e in es:
                purge(e)
        check_left(es)
        report(es, notes, t_begin, busy_begin)
    finally:
        for e in reversed(started):
            log("stopping %s" % e.name)
            try:
                purge(e)
                e.stop()
            except Exception as ex:
                log("stopping %s: %s" % (e.name, ex))
        reg.stop()


if __name__ == "__main__":
    main()
