"""bench/pull.py: the body of bench/pull.sh (W is a private mktemp -d
directory the shell script removes). Pull + unpack of a multi-layer image
from a private registry into an empty store, side by side; markdown to
stdout, progress to stderr. See bench/README.md ("pull.sh"). The settings,
the image and the contenders are in pull_lib.py; the sections and main()
here."""
from common import median, ram_gib, write_raw
from pull_lib import *  # noqa: F401,F403  (settings, helpers, contenders)
# ------------------------------------------------------------------ sections
def fmt_s(ns):
    return "%.2f" % (ns / 1e9)


def section_pull(cs, info):
    log("pull: %d interleaved rounds (seed %s), caches %s" % (
        N, SEED, "dropped before every pull" if DROP else "warm"))
    t_start = time.monotonic()
    for rnd in range(1, N + 1):
        order = list(cs)
        rng.shuffle(order)
        for c in order:
            t_setup = time.monotonic()
            try:
                argv, env = c.start(rnd)
            except Exception as e:  # a daemon that does not start
                c.failures += 1
                c.first_fail = c.first_fail or "setup: %s" % e
                c.cleanup()
                continue
            t_drop = time.monotonic()
            if DROP:
                drop_caches()
            t_run = time.monotonic()
            res = spawn(argv, env, tag=c.name)
            c.after(res)
            ok = res.ok()
            files = None
            if ok and c.unpacks:
                files = count_files(c.layer_dirs())
                if files != info["files"]:
                    ok = False
                    res.err = "unpacked %d regular files, the image has %d\n%s" % (
                        files, info["files"], res.err)
            raw.append((rnd, c.name, res.ns, res.cpu, res.maxrss,
                        c.daemon_rss[-1] if c.daemon_rss else 0, int(ok)))
            if ok:
                c.times.append(res.ns)
                c.cpus.append(res.cpu)
                c.rss.append(res.maxrss)
            else:
                c.failures += 1
                if c.first_fail is None:
                    c.first_fail = "%s; stderr:\n%s" % (status_text(res), res.err.strip())
                log("  %s round %d failed: %s" % (c.name, rnd, status_text(res)))
            t_clean = time.monotonic()
            c.cleanup()
            log("  round %d %-8s %6.2fs cpu %5.2fs rss %6d KB%s (untimed: setup %.1fs, "
                "drop %.1fs, check %.1fs, cleanup %.1fs)" % (
                    rnd, c.name, res.ns / 1e9, res.cpu, res.maxrss,
                    (" daemon %d KB" % c.daemon_rss[-1]) if c.daemon_rss else "",
                    t_drop - t_setup, t_run - t_drop, t_clean - t_run - res.ns / 1e9,
                    time.monotonic() - t_clean))
        log("  round %d/%d done (%.0fs)" % (rnd, N, time.monotonic() - t_start))

    capsa = next((c for c in cs if c.name == "capsactl" and c.times), None)
    cmed = median(capsa.times) if capsa else None
    peers = [c for c in cs if c.name in ("podman", "ctr") and c.times]
    fastest = min(peers, key=lambda c: median(c.times)) if peers else None
    fmed = median(fastest.times) if fastest else None
    print("## Pull + unpack: %s" % info["desc"])
    print()
    print("| contender | version | median s | min–max s | cpu s | ratio to capsactl | "
          "ratio to fastest peer (%s) | peak RSS KB |" % (fastest.name if fastest else "none"))
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for c in cs:
        if not c.times:
            print("| %s | %s | FAILED | | | | | |" % (c.name, c.version()))
            continue
        m = median(c.times)
        rss = "%d" % median(c.rss) if c.rss and c.rss[0] else "n/a"
        if c.daemon_rss:
            rss = "ctr %s + containerd %d" % (rss, median(c.daemon_rss))
        label = c.name + ("" if c.unpacks else " (no unpack)")
        if c.name == "floor":
            label = "floor: curl \\| tee sha256sum \\| tar -xz, layers in parallel"
        note = "" if len(c.times) == N else " (%d/%d ok)" % (len(c.times), N)
        print("| %s%s | %s | %s | %s–%s | %.2f | %s | %s | %s |" % (
            label, note, c.version(), fmt_s(m), fmt_s(min(c.times)), fmt_s(max(c.times)),
            median(c.cpus), "%.2f×" % (m / cmed) if cmed else "n/a",
            "%.2f×" % (m / fmed) if fmed else "n/a", rss))
    print()
    print("Median of %d interleaved rounds (order shuffled per round, seed %s); every "
          "pull into an empty private store; %s. Wall time is spawn..reap of the "
          "command. cpu = user+sys of the command and what it reaped (for ctr plus the "
          "containerd daemon's, which does the fetching and unpacking). Peak RSS: GNU "
          "`time -f %%M` (the largest single process of the tree, KB); containerd: its "
          "VmHWM after the pull (a fresh daemon per round). Peers for the target: podman "
          "and ctr (they unpack); skopeo only copies the blobs into an `oci:` layout. "
          "Every unpacking contender's result is checked: its layer directories hold the "
          "image's %d regular files." % (
              N, SEED, "page cache dropped (`sync; echo 3 > /proc/sys/vm/drop_caches`) "
              "before every pull" if DROP else "warm page cache", info["files"]))
    print()
    return capsa, cmed, fastest, fmed


def section_shared(cs, info):
    log("shared: two images sharing %d base layers in one store" % (LAYERS - 1))
    out = []
    capsa_df = None
    for c in cs:
        if c.name not in ("capsactl", "podman", "ctr"):
            continue
        try:
            argv, env = c.start("shared")
            r1 = spawn(argv, env, tag=c.name + "-shared1")
            one = du_kib(c.store_path()) if r1.ok() else None
            n1 = c.nlayers()
            r2 = spawn(c.pull_argv(c.ref2), env, tag=c.name + "-shared2")
            two = du_kib(c.store_path()) if r2.ok() else None
            n2 = c.nlayers()
            if not (r1.ok() and r2.ok()):
                problem("%s: shared-layer pulls failed: %s" % (c.name, (r1.err + r2.err)[-800:]))
            if c.name == "capsactl" and r2.ok():
                capsa_df = run_ok(c.base() + ["system", "df", "-v"])
            out.append((c.name, one, two, n1, n2))
        except Exception as e:
            problem("%s: shared section: %s" % (c.name, e))
        finally:
            c.cleanup()
    smallest = min(x["bytes"] for x in info["layers"][:LAYERS - 1])
    print("## Two images sharing their first %d layers, in one store" % (LAYERS - 1))
    print()
    print("| contender | store after image 1 MiB | after image 1 + image 2 MiB | growth MiB | "
          "layer directories (1 → 1+2) | shared layers stored once |")
    print("|---|---:|---:|---:|---:|---|")
    once = {}
    for name, one, two, n1, n2 in out:
        if one is None or two is None:
            print("| %s | FAILED | | | | |" % name)
            continue
        growth = (two - one) / 1024
        once[name] = n2 == LAYERS + 1 and (two - one) * 1024 < smallest
        print("| %s | %.1f | %.1f | %.2f | %d → %d | %s |" % (
            name, one / 1024, two / 1024, growth, n1, n2, "yes" if once[name] else "NO"))
    print()
    print("`du -sxk` of each store (capsactl's includes the compressed blobs it keeps, "
          "%.1f MiB; podman keeps none; containerd keeps them in its content store). "
          "Image 2 = image 1's first %d layers + a new top layer of %d bytes (gzip); the "
          "smallest shared layer is %.1f MiB unpacked. \"Stored once\": %d layer "
          "directories and a growth below that." % (
              info["compressed"] / 2**20, LAYERS - 1, info["new_layer_size"],
              smallest / 2**20, LAYERS + 1))
    if capsa_df:
        print()
        print("`capsactl system df -v` with both images:")
        print()
        print("```")
        print(capsa_df.rstrip())
        print("```")
    print()
    return once.get("capsactl")


def perf_report(data, sort, limit):
    r = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort,
                        "--stdio", "-g", "none", "--percent-limit", str(limit)],
                       capture_output=True, text=True)
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(.*)$", line)
        if m:
            rows.append((float(m.group(1)), re.sub(r"\s+", " ", m.group(2).strip())))
    return rows


# user space by library (libcrypto's symbols are stripped; over plain http
# capsactl uses it only for SHA-256), kernel time by the syscall it ran under
DSO_CATEGORIES = [
    ("SHA-256 (libcrypto)", "libcrypto"),
    ("inflate (libisal, ISA-L igzip)", "libisal"),
    ("tar parsing (libarchive)", "libarchive"),
    ("libc (memcpy, malloc, ...)", "libc.so"),
    ("libcurl", "libcurl"),
    ("capsactl itself", "capsactl"),
    ("sqlite", "libsqlite3"),
]
SYSCALL_GROUPS = [
    ("openat (create files, open dirs)", ("openat", "openat2", "open")),
    ("write (file data)", ("write", "pwrite64", "writev")),
    ("mkdirat, symlinkat, linkat", ("mkdirat", "symlinkat", "linkat", "mkdir")),
    ("metadata: fchown, fchmod, utimensat, fsetxattr", (
        "fchown", "fchownat", "fchmod", "fchmodat", "utimensat", "fsetxattr", "setxattr")),
    ("close", ("close",)),
    ("network: recvfrom, poll, sendto", ("recvfrom", "poll", "sendto", "ppoll", "recvmsg")),
    ("fsync, fdatasync, syncfs", ("fsync", "fdatasync", "syncfs")),
    ("read (blob files)", ("read", "pread64")),
]


def perf_profile(data, cpu):
    """(category rows [(name, pct)], top symbols, threads) of a perf.data."""
    dsos = perf_report(data, "dso", 0.01)
    rows = []
    kernel = sum(p for p, d in dsos if "kernel" in d)
    for name, key in DSO_CATEGORIES:
        pct = sum(p for p, d in dsos if key in d)
        if pct:
            rows.append((name, pct))
    other = sum(p for p, d in dsos if "kernel" not in d and
                not any(k in d for _, k in DSO_CATEGORIES))
    if other:
        rows.append(("other user space", other))
    r = subprocess.run(["perf", "report", "-i", data, "--children", "--sort", "sym",
                        "--stdio", "-g", "none", "--percent-limit", "0.01"],
                       capture_output=True, text=True)
    sys_pct, in_syscalls = {}, 0.0
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+[\d.]+%\s+\[k\] (?:__x64_sys_|ksys_|__do_sys_)(\w+)\s*$",
                     line)
        if m:
            sys_pct[m.group(2)] = max(sys_pct.get(m.group(2), 0.0), float(m.group(1)))
        m = re.match(r"\s*([\d.]+)%\s+[\d.]+%\s+\[k\] do_syscall_64\s*$", line)
        if m:
            in_syscalls = float(m.group(1))
    ksum = 0.0
    for name, calls in SYSCALL_GROUPS:
        pct = sum(sys_pct.get(c, 0) for c in calls)
        if pct:
            rows.append(("kernel: " + name, pct))
            ksum += pct
    if kernel:
        rows.append(("kernel: other syscalls", max(0.0, in_syscalls - ksum)))
        rows.append(("kernel: outside syscalls (page faults, irqs)",
                     max(0.0, kernel - in_syscalls)))
    syms = perf_report(data, "dso,sym", 0.3)
    threads = perf_report(data, "pid", 1)
    return rows, syms, threads


def sha_ni_in_hot_code(syms):
    """Whether the code around the hottest libcrypto sample address (its
    symbols are stripped) holds a sha256rnds2 instruction; None if unknown."""
    hot = [sym for _, sym in syms if sym.startswith("libcrypto")]
    lib = None
    for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines():
        if "libcrypto.so.3 " in line and "x86-64" in line:
            lib = line.split()[-1]
    if not hot or not lib or not shutil.which("objdump"):
        return None
    m = re.search(r"0x([0-9a-f]+)", hot[0])
    if not m:
        return None
    addr = int(m.group(1), 16)
    r = subprocess.run(["objdump", "-d", "--start-address=%#x" % (addr - 256),
                        "--stop-address=%#x" % (addr + 256), lib], capture_output=True, text=True)
    return "sha256rnds2" in r.stdout


def timeline(argv):
    """Run argv (a non-quiet capsactl pull), timestamping its output lines:
    (seconds to the last "Copying blob" line, total seconds, ok)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=devnull, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    last_blob = None
    for line in p.stdout:
        if line.startswith(b"Copying blob"):
            last_blob = time.monotonic() - t0
    rc = p.wait()
    return last_blob, time.monotonic() - t0, rc == 0


def section_profile(cs, info, layout, capsa_reg_med):
    capsa = next((c for c in cs if c.name == "capsactl"), None)
    if capsa is None:
        return
    log("profile: capsactl phases, perf, strace, SHA-256 and inflate rates")
    print("## Where capsactl's time goes")
    print()
    rows = []

    def timed(argv, tag, drop=True):
        capsa.start("p-" + tag)
        if drop and DROP:
            drop_caches()
        r = spawn(argv(), tag="capsactl-" + tag)
        files = count_files(capsa.layer_dirs()) if r.ok() else None
        capsa.cleanup()
        if not r.ok():
            problem("capsactl %s: %s: %s" % (tag, status_text(r), r.err[-500:]))
            return None
        if files != info["files"]:
            problem("capsactl %s: %s files unpacked, want %d" % (tag, files, info["files"]))
        return r

    # 1. registry vs a local oci: layout (no network, one fetch thread)
    lay = []
    for i in range(3):
        r = timed(lambda: capsa.base() + ["pull", "oci:%s:latest" % layout], "oci%d" % i)
        if r:
            lay.append(r)
    if lay:
        lm = median([r.ns for r in lay])
        rows.append(("`capsactl pull oci:LAYOUT` (same image, local files, 1 fetch thread), "
                     "median of %d" % len(lay), "%.2f s wall, %.2f s cpu" % (
                         lm / 1e9, median([r.cpu for r in lay]))))
        if capsa_reg_med:
            rows.append(("`capsactl pull` from the registry (section 1 median)",
                         "%.2f s (%+.2f s vs the layout)" % (capsa_reg_med / 1e9,
                                                             (capsa_reg_med - lm) / 1e9)))

    # 2. the timeline: blobs fetched (three threads) while layers unpack in
    # order (one thread); the tail after the last blob is unpack only
    capsa.start("timeline")
    if DROP:
        drop_caches()
    fetched, total, ok = timeline(capsa.pull_argv(capsa.ref))
    capsa.cleanup()
    if ok and fetched:
        rows.append(("timeline of one registry pull: last blob stored at", "%.2f s of %.2f s "
                     "(after it, %.2f s of unpacking only)" % (fetched, total, total - fetched)))

    # 3. perf: where the CPU goes (cpu-clock: this VM has no PMU)
    perf = shutil.which("perf")
    data = os.path.join(W, "perf.data")
    if perf:
        capsa.start("perf")
        if DROP:
            drop_caches()
        r = spawn([perf, "record", "-q", "-g", "-e", "cpu-clock", "-F", "1999", "-o", data,
                   "--"] + capsa.pull_argv(capsa.ref), tag="perf")
        capsa.cleanup()
        if r.ok():
            cats, syms, threads = perf_profile(data, r.cpu)
            print("### CPU profile of one registry pull (`perf record -g -e cpu-clock`, "
                  "%.2f s wall, %.2f s cpu)" % (r.ns / 1e9, r.cpu))
            print()
            print("| where | share of samples | ≈ cpu s |")
            print("|---|---:|---:|")
            for cname, pct in cats:
                print("| %s | %.1f %% | %.2f |" % (cname, pct, pct / 100 * r.cpu))
            print()
            print("Threads (the first is the main thread: resolve, unpack; the others fetch): " +
                  ", ".join("%s %.1f %%" % (t, p) for p, t in threads[:6]) + ".")
            print()
            print("Top symbols: " + "; ".join("%.1f %% `%s`" % (p, sym.replace("|", "\\|"))
                                              for p, sym in syms[:14]) + ".")
            print()
            got = dict(cats)
            shani_hot = sha_ni_in_hot_code(syms)
            if shani_hot is not None:
                rows.append(("hottest libcrypto code in the profile contains `sha256rnds2` "
                             "(objdump)", "yes: the SHA-NI path" if shani_hot else "no"))
            isal = [sym.split()[-1] for _, sym in syms if "libisal" in sym]
            if isal:
                rows.append(("hottest ISA-L symbol", "`%s`" % isal[0]))
            for cname, mib in (("SHA-256 (libcrypto)", (2 * info["compressed"] + info["bytes"])
                                / 2**20),
                               ("inflate (libisal, ISA-L igzip)", info["bytes"] / 2**20)):
                sec = got.get(cname, 0) / 100 * r.cpu
                if sec:
                    rows.append(("%s in the pull: ≈%.2f s cpu for %.0f MiB" % (cname, sec, mib),
                                 "≈%.0f MiB/s" % (mib / sec)))
        else:
            problem("perf record failed: %s" % r.err[-500:])
    else:
        print("perf is not installed: no CPU profile (apt-get install linux-perf)")
        print()

    # 4. strace: syscall counts (slows the run: counts only, no timing)
    if shutil.which("strace"):
        capsa.start("strace")
        out = os.path.join(W, "strace.txt")
        r = spawn(["strace", "-f", "-c", "-o", out] + capsa.pull_argv(capsa.ref), tag="strace")
        capsa.cleanup()
        if r.ok():
            calls = []
            total = 0
            with open(out) as f:
                for line in f:
                    p = line.split()
                    if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
                        n = int(p[3])
                        calls.append((n, p[-1]))
                    elif p and p[-1] == "total":
                        total = int(p[3]) if len(p) >= 5 else 0
            calls.sort(reverse=True)
            total = total or sum(n for n, _ in calls)
            print("### Syscalls of one registry pull (`strace -f -c`; counts only)")
            print()
            print("%d syscalls for %d tar entries (%d regular files): %.1f per entry. Top: %s."
                  % (total, info["entries"], info["files"], total / info["entries"],
                     ", ".join("%s %d" % (name, n) for n, name in calls[:14])))
            print()
        # sync waits: fsync/fdatasync/syncfs with their durations
        capsa.start("sync")
        out2 = os.path.join(W, "strace-sync.txt")
        if DROP:
            drop_caches()
        r = spawn(["strace", "-f", "-T", "-e", "trace=fsync,fdatasync,syncfs", "-o", out2] +
                  capsa.pull_argv(capsa.ref), tag="strace-sync")
        capsa.cleanup()
        if r.ok():
            waits = {}
            with open(out2) as f:
                for line in f:
                    m = re.search(r"(fsync|fdatasync|syncfs)\(.*<([\d.]+)>", line)
                    if m:
                        n, t = waits.get(m.group(1), (0, 0.0))
                        waits[m.group(1)] = (n + 1, t + float(m.group(2)))
            rows.append(("sync calls in one pull (`strace -T`)", ", ".join(
                "%s ×%d %.2f s" % (k, n, t) for k, (n, t) in sorted(waits.items())) or "none"))

    # 5. memory: what the binary and its libraries cost before any work
    if GNU_TIME:
        capsa.start("rss")
        r0 = spawn([CAPSACTL, "version"], tag="rss-version")
        if r0.ok():
            rows.append(("peak RSS of `capsactl version` (binary and shared libraries)",
                         "%d KB" % r0.maxrss))
        r = spawn(capsa.base() + ["images"], tag="rss-images")
        capsa.cleanup()
        if r.ok():
            rows.append(("peak RSS of `capsactl images` on an empty store (binary, shared "
                         "libraries, store open)", "%d KB" % r.maxrss))
        libs = subprocess.run(["ldd", CAPSACTL], capture_output=True, text=True).stdout
        rows.append(("shared libraries capsactl loads (`ldd`)", "%d" % sum(
            1 for line in libs.splitlines() if "=>" in line)))

    # 6. the primitives: SHA-256 (with/without SHA-NI), inflate
    flags = open("/proc/cpuinfo").read()
    shani = " sha_ni " in flags.replace("\n", " ")
    for label, env in (("with SHA-NI" if shani else "default", {}),
                       ("SHA extensions masked (OPENSSL_ia32cap=:~0x20000000)",
                        {"OPENSSL_ia32cap": ":~0x20000000"})):
        r = subprocess.run(["openssl", "speed", "-evp", "sha256", "-bytes", "65536",
                            "-seconds", "1"], capture_output=True, text=True,
                           env=dict(os.environ, **env))
        m = re.search(r"^sha256\s+([\d.]+)k", r.stdout, re.M)
        if m:
            rows.append(("`openssl speed -evp sha256 -bytes 65536`, %s" % label,
                         "%.0f MiB/s" % (float(m.group(1)) * 1000 / 2**20)))
    rows.append(("CPU flag sha_ni", "present" if shani else "absent"))
    big = max(info["layers"], key=lambda x: x["size"])
    blob = os.path.join(layout, "blobs", "sha256", big["digest"].split(":", 1)[1])
    with open(blob, "rb") as f:
        data_gz = f.read()
    import zlib
    t = time.perf_counter()
    d = zlib.decompressobj(31)
    n = 0
    for i in range(0, len(data_gz), 1 << 20):
        n += len(d.decompress(data_gz[i:i + (1 << 20)]))
    zt = time.perf_counter() - t
    rows.append(("zlib %s inflate (Python zlib), largest layer %.0f → %.0f MiB" % (
        zlib.ZLIB_RUNTIME_VERSION, len(data_gz) / 2**20, n / 2**20), "%.0f MiB/s" % (n / 2**20 / zt)))
    t = time.perf_counter()
    subprocess.run(["gzip", "-dc", blob], stdout=devnull, check=False)
    gt = time.perf_counter() - t
    rows.append(("`gzip -dc` (the floor's inflate), same layer", "%.0f MiB/s" % (n / 2**20 / gt)))
    print("### Phases and primitives")
    print()
    print("| measure | value |")
    print("|---|---|")
    for k, v in rows:
        print("| %s | %s |" % (k, v))
    print()


# ------------------------------------------------------------------ main
def main():
    missing = [c for c in CONTENDERS if c not in KINDS]
    if missing:
        sys.exit("pull.py: unknown contender(s) %s (known: %s)" % (missing, " ".join(KINDS)))
    chosen = []
    for name in CONTENDERS:
        absent = [b for b in NEEDS.get(name, []) if not shutil.which(b)]
        if absent:
            log("%s: %s not installed, skipped" % (name, " ".join(absent)))
            problems.append("%s skipped: %s not installed" % (name, " ".join(absent)))
            continue
        chosen.append(name)
    if "capsactl" not in chosen:
        chosen.insert(0, "capsactl")
    t0 = time.monotonic()
    # pull.sh sends SIGTERM when it is interrupted: unwind so that the
    # finally clauses stop the registry and the current contender's daemon
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    layout, info = build_image()
    cs = []
    reg = Registry(os.path.join(W, "registry"), mode="plain").start()
    try:
        log("registry: %s (pid %d); pushing with skopeo" % (reg.url, reg.proc.pid))
        ref = oci_images.load_into_registry(layout, "latest", reg.url, repo="bench/big")
        ref2 = oci_images.load_into_registry(layout, "shared", reg.url, repo="bench/big2",
                                             dest_tag="latest")
        info["desc"] = ("%d layers, %d regular files (%d entries), %.0f MiB unpacked, "
                        "%.0f MiB gzip (level 1)" % (LAYERS, info["files"], info["entries"],
                                                     info["bytes"] / 2**20,
                                                     info["compressed"] / 2**20))
        cs = [KINDS[n](ref, ref2, "http://" + reg.url) for n in chosen]
        print("host: %s, kernel %s, %d CPU(s), %.0f GiB RAM; store file system: %s" % (
            platform.node(), platform.release(), os.cpu_count(), ram_gib(), fs_desc(W)))
        print("registry: Debian docker-registry %s on %s (plain http), image pushed by skopeo" % (
            version_of(["docker-registry", "--version"], lambda s: s.split()[-1]), reg.url))
        print()
        capsa = cmed = fastest = fmed = None
        if "pull" in SECTIONS:
            capsa, cmed, fastest, fmed = section_pull(cs, info)
        once = None
        if "shared" in SECTIONS:
            once = section_shared(cs, info)
        if "profile" in SECTIONS:
            section_profile(cs, info, layout, cmed)
        if "pull" in SECTIONS:
            print("## Targets")
            print()
            if cmed and fmed:
                print("- pull+unpack ≤ 0.5× the fastest peer's (%s) time: %.2f× — %s" % (
                    fastest.name, cmed / fmed, "met" if cmed / fmed <= 0.5 else "NOT met"))
            if capsa and capsa.rss and capsa.rss[0]:
                m = median(capsa.rss)
                print("- peak RSS ≤ 16 MiB (16384 KB): %d KB — %s" % (
                    m, "met" if m <= RSS_TARGET_KB else "NOT met"))
            if once is not None:
                print("- a shared layer stored once: %s" % ("met" if once else "NOT met"))
            print()
        write_raw(RAW, "round,contender,ns,cpu_s,maxrss_kb,daemon_hwm_kb,ok",
                  "%s,%s,%d,%.3f,%d,%d,%d", raw)
        fails = [c for c in cs if c.failures]
        if problems or fails:
            print("### Problems")
            print()
            for c in fails:
                print("- %s: %d failure(s); first: %s" % (c.name, c.failures,
                                                         (c.first_fail or "").replace("\n", " ")[:1500]))
            for p in problems:
                print("- " + p)
            print()
        print("(%.0f s in all)" % (time.monotonic() - t0))
    finally:
        for c in cs:
            try:
                c.cleanup()
            except Exception as e:
                log("cleanup of %s: %s" % (c.name, e))
        reg.stop()


if __name__ == "__main__":
    main()
