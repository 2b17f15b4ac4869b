"""capsactl top, stats, attach and port, as podman 4.3 shows them: top's
columns and descriptors (PIDs as the container sees them, names from the
image's /etc/passwd), stats' numbers and JSON keys, attach's relay, detach
keys and exit code, port's (empty, before networks) listing.

    CAPSACTL=/tmp/build/capsactl /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/engine/test_top_stats_attach.py
"""
import json
import os
import pwd
import re
import time

import procs

STATS_KEYS = ["id", "name", "cpu_time", "cpu_percent", "avg_cpu", "mem_usage",
              "mem_percent", "net_io", "block_io", "pids"]


def table(text):
    """Rows of a tabwriter table (cells apart by two spaces or more)."""
    return [re.split(r"  +", line.rstrip()) for line in text.splitlines()]


def host_user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


# --------------------------------------------------------------------------
# top

def test_top_default_columns(engine):
    engine.ok("run", "-d", "--name", "s", "busybox", "sleep", "1000")
    out = engine.ok("top", "s").stdout
    lines = out.splitlines()
    assert len(lines) == 2, out
    # Go's tabwriter as podman sets it: cells 12 wide at least, 2 apart
    assert lines[0].startswith("USER        PID         PPID        %CPU        ELAPSED"), out
    head, row = table(out)
    assert head == ["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"]
    assert row[:4] == ["root", "1", "0", "0.000"]
    # ELAPSED as Go prints a duration: 940.25963ms, 1.5s, 2m3.1s
    assert re.fullmatch(r"(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s)", row[4]), row[4]
    assert row[5:7] == ["?", "0s"]
    # psgo joins /proc/PID/cmdline's NUL-ended args: a trailing space
    assert row[7] == "sleep 1000" and lines[1].endswith("sleep 1000 ")


def test_top_user_from_the_image_and_container_pids(engine):
    engine.ok("run", "-d", "-u", "1000", "--name", "u", "busybox", "sh", "-c",
              "sleep 1000 & sleep 2000")
    hpid = engine.inspect("u")["State"]["Pid"]
    procs.wait_for(lambda: len(engine.ok("top", "u").stdout.splitlines()) == 3,
                   what="two processes")
    rows = table(engine.ok("top", "u", "user,pid,ppid", "huser", "hpid", "args").stdout)
    assert rows[0] == ["USER", "PID", "PPID", "HUSER", "HPID", "COMMAND"]
    first, second = rows[1], rows[2]
    assert first == ["user", "1", "0", host_user(1000), str(hpid), "sleep 2000"]
    assert second[0] == "user" and int(second[1]) > 1 and second[2] == "1"
    assert second[3:4] == [host_user(1000)] and second[5] == "sleep 1000"
    # the AIX codes name the same columns
    assert table(engine.ok("top", "u", "%U", "%p").stdout)[:2] == [["USER", "PID"],
                                                                   ["user", "1"]]
    rows = table(engine.ok("top", "u", "group", "state", "comm", "seccomp", "nice").stdout)
    assert rows[0] == ["GROUP", "STATE", "COMMAND", "SECCOMP", "NI"]
    assert rows[1] == ["user", "S", "sleep", "filter", "0"]


def test_top_errors(engine):
    engine.ok("run", "-d", "--name", "s", "busybox", "sleep", "1000")
    r = engine.fails("top", "s", "pid,bogus", code=125)
    assert "'bogus'" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    engine.fails("top", "s", "-u", code=125)
    engine.ok("create", "--name", "c", "busybox", "true")
    r = engine.fails("top", "c", code=125)
    assert "running" in r.stderr
    engine.fails("top", "nosuch", code=125)
    names = engine.ok("top", "--list-descriptors").stdout.split()
    assert names == sorted(names) and {"pcpu", "user", "huser", "capeff", "stime"} <= set(names)


# --------------------------------------------------------------------------
# stats

def test_stats_json_memory_limit_and_pids(engine):
    # no network: no traffic to count
    cid = engine.ok("run", "-d", "--memory", "64m", "--name", "m", "--network", "none",
                    "busybox", "sleep", "1000").stdout.strip()
    [s] = json.loads(engine.ok("stats", "--no-stream", "--format", "json", "m").stdout)
    assert list(s) == STATS_KEYS
    assert all(isinstance(v, str) for v in s.values())
    assert s["id"] == cid[:12] and s["name"] == "m" and s["pids"] == "1"
    # go-units' HumanSize of 64 MiB
    assert s["mem_usage"].endswith(" / 67.11MB"), s
    assert re.fullmatch(r"\d+\.\d\d%", s["mem_percent"]) and s["net_io"] == "0B / 0B"
    r = engine.ok("stats", "--no-stream", "--format", "{{.MemLimit}} {{.PIDs}} {{.Name}}", "m")
    assert r.stdout == "67108864 1 m\n"


def go_seconds(d):
    """A Go duration ("1m2.5s", "350.1ms", "0s") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "ns": 1e-9}
    parts = re.findall(r"([\d.]+)(h|ms|m|\u00b5s|us|ns|s)", d)
    assert "".join(n + u for n, u in parts) == d, d
    return sum(float(n) * units[u] for n, u in parts)


def stats_of(engine, name):
    [s] = json.loads(engine.ok("stats", "--no-stream", "--format", "json", name).stdout)
    return s


def test_stats_cpu_percent_of_a_busy_container(engine):
    """The first sample's CPU % is podman's: the CPU time used since the
    container started over the time since.  The bounds hold on a loaded
    host too, where a busy loop may get much less than a CPU."""
    t0 = time.time()
    engine.ok("run", "-d", "--name", "b", "busybox", "sh", "-c", "while :; do :; done")
    engine.ok("run", "-d", "--name", "idle", "busybox", "sleep", "1000")
    t1 = time.time()
    procs.wait_for(lambda: go_seconds(stats_of(engine, "b")["cpu_time"]) >= 0.3, timeout=60,
                   what="0.3 s of CPU used")
    t2 = time.time()
    s = stats_of(engine, "b")
    t3 = time.time()
    cpu, pct = go_seconds(s["cpu_time"]), float(s["cpu_percent"].rstrip("%"))
    assert 100 * cpu / (t3 - t0) - 0.01 <= pct <= 100 * cpu / (t2 - t1) + 0.01, (s, t3 - t0)
    assert s["avg_cpu"] == s["cpu_percent"]
    assert pct > 10 * float(stats_of(engine, "idle")["cpu_percent"].rstrip("%"))
    with open("/proc/loadavg") as f:
        if float(f.read().split()[0]) < (os.cpu_count() or 1) - 0.5:
            assert pct > 10, s   # a busy loop on a host with a CPU to spare


def test_stats_table_and_which_containers(engine):
    engine.ok("run", "-d", "--name", "r", "busybox", "sleep", "1000")
    engine.ok("create", "--name", "c", "busybox", "true")
    rows = table(engine.ok("stats", "--no-stream").stdout)
    assert rows[0] == ["ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET IO",
                       "BLOCK IO", "PIDS", "CPU TIME", "AVG CPU %"]
    assert [row[1] for row in rows[1:]] == ["r"]
    assert [row[1] for row in table(engine.ok("stats", "--no-stream", "-a").stdout)[1:]] == \
        ["r", "c"]
    # a container that does not run: zeros, as podman gives them
    [c] = json.loads(engine.ok("stats", "--no-stream", "--format", "json", "c").stdout)
    assert (c["cpu_percent"], c["mem_usage"], c["pids"], c["cpu_time"]) == \
        ("0.00%", "0B / 0B", "0", "0s")
    r = engine.ok("stats", "--no-stream", "--format", "table {{.Name}} {{.PIDS}}", "r")
    assert table(r.stdout) == [["NAME", "PIDS"], ["r", "1"]]
    engine.fails("stats", "--no-stream", "-a", "r", code=125)
    engine.fails("stats", "--no-stream", "nosuch", code=125)


def test_stats_streams_until_interrupted(engine):
    engine.ok("run", "-d", "--name", "r", "busybox", "sleep", "1000")
    r = procs.run(["timeout", "-s", "INT", "3.5", *engine.cmd("stats", "-i", "1", "r")],
                  env=engine.env)
    assert r.returncode == 124, r        # ended by the signal, not by itself
    heads = [line for line in r.stdout.splitlines() if line.startswith("ID ")]
    rows = [line for line in r.stdout.splitlines() if " r " in line]
    assert len(heads) == len(rows) and 2 <= len(rows) <= 4, r.stdout
    assert "\033" not in r.stdout      # the screen is cleared on a terminal only


# --------------------------------------------------------------------------
# attach

def test_attach_shows_output_and_detaches(engine):
    engine.ok("run", "-dt", "--name", "t", "busybox", "sh", "-c",
              "while :; do echo tick; sleep 0.1; done")
    out, rc = procs.run_pty(engine.cmd("attach", "t"),
                            steps=[(b"tick", b"\x10"), (b"tick", b"\x11")], env=engine.env)
    assert rc == 0, out
    assert out.startswith(b"tick\r\n") and out.endswith(b"\r\n"), out
    assert engine.inspect("t")["State"]["Status"] == "running"
    # detach keys of our own; ctrl-p alone is then just input
    out, rc = procs.run_pty(engine.cmd("attach", "--detach-keys", "ctrl-x", "t"),
                            steps=[(b"tick", b"\x10"), (b"tick", b"\x18")], env=engine.env)
    assert rc == 0 and b"tick" in out, out
    assert engine.inspect("t")["State"]["Status"] == "running"


def test_attach_returns_the_exit_code(engine):
    engine.ok("run", "-d", "--name", "x", "busybox", "sh", "-c",
              "sleep 2; echo bye; echo err >&2; exit 3")
    r = engine.run("attach", "x")
    assert r.returncode == 3, r.stderr
    # podman ends an attach with a newline
    assert r.stdout == "bye\n\n" and r.stderr == "err\n"
    assert engine.inspect("x")["State"]["Status"] == "exited"


def test_attach_relays_stdin(engine):
    """Our stdin goes to a container run with -i; its end closes the
    container's stdin (cat then ends); --no-stdin keeps ours out."""
    engine.ok("run", "-di", "--name", "cat", "busybox", "sh", "-c", "cat; exit 4")
    r = engine.run("attach", "cat", input=b"piped\n")
    assert (r.returncode, r.stdout) == (4, "piped\n\n"), r.stderr
    engine.ok("run", "-di", "--name", "n", "busybox", "sh", "-c", 'read -t 2 x; echo "got:$x"')
    r = engine.run("attach", "--no-stdin", "n", input=b"piped\n")
    assert (r.returncode, r.stdout) == (0, "got:\n\n"), r.stderr


def test_attach_to_a_container_that_does_not_run(engine):
    engine.ok("create", "--name", "c", "busybox", "true")
    r = engine.fails("attach", "c", code=125)
    assert "running" in r.stderr and r.stderr.count("\n") == 1
    engine.ok("run", "--name", "e", "busybox", "true")
    engine.fails("attach", "e", code=125)
    engine.fails("attach", "nosuch", code=125)
    engine.fails("attach", "--detach-keys", "ctrl-1", "e", code=125)


# --------------------------------------------------------------------------
# port

def test_port_lists_nothing_yet(engine):
    engine.ok("run", "-d", "--name", "p", "busybox", "sleep", "1000")
    assert engine.ok("port", "p").stdout == ""
    assert engine.ok("port", "p", "80/tcp").stdout == ""
    assert engine.ok("port", "-a").stdout == ""
    engine.fails("port", "nosuch", code=125)
    engine.fails("port", "p", "80/tcp/x", code=125)
    engine.fails("port", "p", "http", code=125)
    engine.fails("port", "-a", "p", code=125)
    engine.fails("port", code=125)
