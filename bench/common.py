"""bench/common.py: what the benchmarks share (bench.py, engine.py and
engine_lib.py, pull.py and pull_lib.py): progress and problems on stderr,
tool versions, statistics, the markdown collected for the end, the host's
description and the RAW csv. No settings: those are each bench's own."""
import math
import os
import platform
import subprocess
import sys

devnull = os.open(os.devnull, os.O_RDWR)
problems = []   # printed under "Problems" at the end


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def problem(text):
    log("  PROBLEM: " + text)
    problems.append(text)


def version_of(argv, pick=lambda s: s.strip().splitlines()[0]):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, stdin=devnull, timeout=20)
        return pick(r.stdout or r.stderr)
    except Exception as e:  # a missing tool, or one that does not answer, shows as "?"
        return "? (%s)" % e


# ------------------------------------------------------------------ statistics
def median(v):
    s = sorted(v)
    n = len(s)
    if not n:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def p90(v):
    s = sorted(v)
    return s[max(1, math.ceil(0.9 * len(s))) - 1] if s else None


def ratio(a, b):
    return "—" if a is None or not b else "%.2f×" % (a / b)


# ------------------------------------------------------------------ markdown
out = []   # markdown lines, printed at the end


def emit(*lines):
    out.extend(lines)


def cell(text, n=300):
    """text for one markdown table cell: one line, no bars, at most n chars"""
    t = " ".join(text.split()).replace("|", "\\|")
    return t if len(t) <= n else t[:n] + "…"


# ------------------------------------------------------------------ the host
def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def ram_gib():
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


# ------------------------------------------------------------------ RAW
def write_raw(path, header, fmt, rows):
    """with path (RAW), every sample as a csv line: header, then fmt % row"""
    if path:
        with open(path, "w") as f:
            f.write(header + "\n")
            for row in rows:
                f.write(fmt % row + "\n")


def print_problems(contenders):
    """The "Problems" section: each contender's failures (the first one
    shown), then every problem() noted; nothing when there is none."""
    fails = [c for c in contenders if c.failures]
    if problems or fails:
        print("## Problems")
        print()
        for c in fails:
            print("- %s: %d failure(s); first: %s" % (c.name, c.failures, (
                c.first_fail or "").replace("\n", " ")[:1200]))
        for p in problems:
            print("- " + p.replace("\n", " "))
        print()
