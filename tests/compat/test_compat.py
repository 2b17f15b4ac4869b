"""Side-by-side compatibility: runc 1.1.5 vs capsa, as engines see them.

Every scenario drives one runtime the way go-runc / conmon do and returns an
observation dict: only what an engine reads (exit codes, JSON shapes and
types, error substrings, pipe EOF, reparenting), never raw pids, paths or
times. Keys starting with "_" are information only (raw output), shown on
failure and never compared.

  test_runc[SCENARIO]   runc's observation must equal EXPECT (this
                        validates the suite itself, and documents runc)
  test_capsa[SCENARIO]  capsa's observation must equal runc's, except for
                        keys listed in known_differences.py

Run as root:  /usr/bin/python3 -m pytest -q tests/compat
              CAPSA=/path/to/capsa /usr/bin/python3 -m pytest -q tests/compat
"""

import fnmatch
import json
import os
import time
import traceback

import pytest

import driver
from driver import (RFC3339_NANO, Runtime, TIMEOUT, classify_pid_file, has,
                    json_type, pid_alive, read_bytes)
from known_differences import KNOWN_DIFFERENCES

from bundle import (DEFAULT_NAMESPACES, default_config, make_bundle,
                    write_config)

SLEEP = ["sleep", "30"]
# PID 1 ignores signals it has no handler for; this one exits 42 on TERM.
TRAP_TERM = ["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.05; done"]
# Runs until the host creates <rootfs>/tmp/go.
WAIT_GO = ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.02; done"]

STATE_KEYS = ["bundle", "created", "id", "ociVersion", "owner", "pid",
              "rootfs", "status"]
STATE_TYPES = {"ociVersion": "string", "id": "string", "pid": "int",
               "status": "string", "bundle": "string", "rootfs": "string",
               "created": "string", "owner": "string"}
LIST_TABLE_HEADER = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]

SCENARIOS = {}


def scenario(expect):
    """Register fn(rt, work) -> observation dict, with runc's expected
    observation (values, or callables returning bool)."""
    def deco(fn):
        SCENARIOS[fn.__name__] = (fn, expect)
        return fn
    return deco


class Work:
    """Scratch space of one scenario run for one runtime."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self._bundles = {}

    def path(self, name):
        return os.path.join(self.tmp, name)

    def bundle(self, name, **kw):
        """A bundle per name (reused: runtimes must not write into it)."""
        if name not in self._bundles:
            self._bundles[name] = make_bundle(self.path("b-" + name), **kw)
        return self._bundles[name]


# --------------------------------------------------------------------------
# observation helpers

def observe_state(o, tag, res, st, cid, bundle):
    o[tag + "/state_rc"] = res.rc
    o["_%s/state_stdout" % tag] = res.stdout
    if not isinstance(st, dict):
        o[tag + "/state_json"] = None
        o["_%s/state_stderr" % tag] = res.stderr
        return
    o[tag + "/status"] = st.get("status")
    o[tag + "/keys"] = sorted(st)
    o[tag + "/types"] = {k: json_type(v) for k, v in st.items()}
    o[tag + "/ociVersion"] = st.get("ociVersion")
    o[tag + "/id_matches"] = st.get("id") == cid
    o[tag + "/bundle_matches"] = st.get("bundle") == bundle
    o[tag + "/rootfs_matches"] = st.get("rootfs") == os.path.join(bundle,
                                                                  "rootfs")
    created = st.get("created")
    m = RFC3339_NANO.match(created) if isinstance(created, str) else None
    o[tag + "/created_rfc3339"] = bool(m)
    o["_%s/created_fraction_digits" % tag] = len(m.group(2) or "") if m else None
    o[tag + "/owner"] = st.get("owner")


def state_expect(tag, status, owner=""):
    return {
        tag + "/state_rc": 0, tag + "/status": status,
        tag + "/keys": STATE_KEYS, tag + "/types": STATE_TYPES,
        tag + "/ociVersion": "1.0.2-dev", tag + "/id_matches": True,
        tag + "/bundle_matches": True, tag + "/rootfs_matches": True,
        tag + "/created_rfc3339": True, tag + "/owner": owner,
    }


def pid_from_file(path):
    raw = read_bytes(path)
    try:
        return int(raw.decode().strip())
    except (AttributeError, ValueError):
        return None


def wait_dead(pid, timeout=3.0):
    """True once pid is gone or a zombie (within timeout)."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def ps_pids(res):
    v = res.json()
    if isinstance(v, list) and all(isinstance(x, int) and
                                   not isinstance(x, bool) for x in v):
        return v
    return None


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# --------------------------------------------------------------------------
# scenarios

@scenario(expect={
    "create_rc": 0, "start_rc": 0, "polled_status_after_exit": "stopped",
    **state_expect("created", "created"),
    **state_expect("running", "running"),
    **state_expect("stopped", "stopped"),
    "created/pid_equals_pid_file": True,
    "running/pid_same_as_created": True,
    "stopped/pid": 0,
    "created_field_stable": True,
    "delete_rc": 0, "deleted/state_rc": 1, "deleted/does_not_exist": True,
})
def state_lifecycle(rt, w):
    """create -> created, start -> running, process exits -> stopped (pid),
    delete -> does not exist."""
    b = w.bundle("waitgo", args=WAIT_GO)
    cid = rt.new_id("life")
    pidf = w.path("life.pid")
    o = {}
    o["create_rc"] = rt.create(cid, b, pid_file=pidf).rc
    r1, s1 = rt.state(cid)
    o["start_rc"] = rt.start(cid).rc
    r2, s2 = rt.state(cid)
    open(os.path.join(b, "rootfs", "tmp", "go"), "w").close()
    o["polled_status_after_exit"] = rt.wait_status(cid, "stopped", timeout=5)
    r3, s3 = rt.state(cid)
    for tag, r, s in (("created", r1, s1), ("running", r2, s2),
                      ("stopped", r3, s3)):
        observe_state(o, tag, r, s, cid, b)
    s1, s2, s3 = s1 or {}, s2 or {}, s3 or {}
    o["created/pid_equals_pid_file"] = (is_int(s1.get("pid")) and
                                        s1.get("pid") == pid_from_file(pidf))
    o["running/pid_same_as_created"] = (is_int(s2.get("pid")) and
                                        s2.get("pid") == s1.get("pid"))
    o["stopped/pid"] = s3.get("pid")
    o["created_field_stable"] = (s1.get("created") is not None and
                                 s1.get("created") == s2.get("created") ==
                                 s3.get("created"))
    o["delete_rc"] = rt.delete(cid).rc
    r4, _ = rt.state(cid)
    o["deleted/state_rc"] = r4.rc
    o["deleted/does_not_exist"] = has(r4.stderr, "does not exist")
    o["_deleted/stderr"] = r4.stderr
    return o


@scenario(expect={
    "rounds": ["created/running"] * 5,
})
def start_then_running(rt, w):
    """State says running as soon as `start` has returned (5 rounds)."""
    b = w.bundle("sleep", args=SLEEP)
    rounds = []
    for _ in range(5):
        cid = rt.new_id("start")
        rt.create(cid, b)
        before = rt.status(cid)
        r = rt.start(cid)
        after = rt.status(cid)
        rounds.append("%s/%s" % (before, after) if r.rc == 0 else
                      "start rc %s" % r.rc)
        rt.delete(cid, force=True)
    return {"rounds": rounds}


@scenario(expect={
    "annotations_in_state": {"org.example.a": "1", "b": "two words"},
    "keys": sorted(STATE_KEYS + ["annotations"]),
    "annotations_in_list": {"org.example.a": "1", "b": "two words"},
    "no_annotations_key_without_annotations": True,
})
def state_annotations(rt, w):
    """config.json annotations appear in state and list; absent otherwise."""
    ann = {"org.example.a": "1", "b": "two words"}
    b = w.bundle("ann", args=SLEEP, extra={"annotations": ann})
    cid = rt.new_id("ann")
    rt.create(cid, b)
    _, st = rt.state(cid)
    st = st or {}
    lst = rt.list_json().json()
    entry = next((e for e in lst or [] if isinstance(e, dict) and
                  e.get("id") == cid), {})
    b2 = w.bundle("plain", args=SLEEP)
    cid2 = rt.new_id("plain")
    rt.create(cid2, b2)
    _, st2 = rt.state(cid2)
    return {
        "annotations_in_state": st.get("annotations"),
        "keys": sorted(st),
        "annotations_in_list": entry.get("annotations"),
        "no_annotations_key_without_annotations":
            isinstance(st2, dict) and "annotations" not in st2,
    }


@scenario(expect={
    "create/rc": 0, "create/format": "decimal", "create/matches_state": True,
    "run_d/rc": 0, "run_d/format": "decimal", "run_d/matches_state": True,
    "exec_d/rc": 0, "exec_d/format": "decimal", "exec_d/in_ps": True,
    "stale/rc": 0, "stale/format": "decimal", "stale/matches_state": True,
})
def pid_file(rt, w):
    """--pid-file holds the pid in decimal with no newline (create, run -d,
    exec -d; an existing longer file is replaced, not overwritten in
    place)."""
    b = w.bundle("sleep", args=SLEEP)
    o = {}

    def check(tag, res, path, cid):
        raw = read_bytes(path)
        o[tag + "/rc"] = res.rc
        o[tag + "/format"] = classify_pid_file(raw)
        o["_%s/raw" % tag] = raw.decode(errors="replace") if raw else raw
        _, st = rt.state(cid)
        o[tag + "/matches_state"] = (isinstance(st, dict) and
                                     st.get("pid") == pid_from_file(path))

    c1 = rt.new_id("pf")
    p1 = w.path("create.pid")
    check("create", rt.create(c1, b, pid_file=p1), p1, c1)
    c2 = rt.new_id("pf")
    p2 = w.path("run.pid")
    check("run_d", rt.run_detached(c2, b, pid_file=p2), p2, c2)
    p3 = w.path("exec.pid")
    r = rt.exec(c2, ["sleep", "30"], detach=True, pid_file=p3)
    raw = read_bytes(p3)
    o["exec_d/rc"] = r.rc
    o["exec_d/format"] = classify_pid_file(raw)
    o["exec_d/in_ps"] = pid_from_file(p3) in (ps_pids(rt.ps_json(c2)) or [])
    c3 = rt.new_id("pf")
    p4 = w.path("stale.pid")
    with open(p4, "w") as f:
        f.write("123456789012\n")
    check("stale", rt.create(c3, b, pid_file=p4), p4, c3)
    return o


@scenario(expect={
    "exit3/rc": 3, "exit3/removed_after_run": True,
    "true/rc": 0,
    "sigkill/rc": 137,
    "run_missing/rc": 1, "run_missing/not_found_in_path": True,
    "run_missing/removed": True,
    "create_missing/rc": 1, "create_missing/not_found_in_path": True,
    "create_missing/left_behind": False,
    "create_noexec/rc": 1, "create_noexec/permission_denied": True,
    "run_noexec/rc": 1, "run_noexec/permission_denied": True,
    "create_abs_missing/rc": 1, "create_abs_missing/no_such_file": True,
})
def exit_codes(rt, w):
    """run's exit code is the container's; exec errors at create time."""
    o = {}
    cid = rt.new_id("exit3")
    r = rt.run(cid, w.bundle("exit3", args=["sh", "-c", "exit 3"]))
    o["exit3/rc"] = r.rc
    o["exit3/removed_after_run"] = rt.state(cid)[0].rc not in (0, TIMEOUT)
    o["true/rc"] = rt.run(rt.new_id("true"), w.bundle("true")).rc

    cid = rt.new_id("k9")
    bg = rt.popen("run", "--bundle", w.bundle("sleep", args=SLEEP), cid)
    try:
        rt.wait_status(cid, "running", timeout=5)
        rt.kill(cid, "KILL")
        r = bg.wait(timeout=5)
    finally:
        bg.kill()
    o["sigkill/rc"] = r.rc

    missing = w.bundle("missing", args=["nonexistent-cmd"])
    cid = rt.new_id("miss")
    r = rt.run(cid, missing)
    o["run_missing/rc"] = r.rc
    o["run_missing/not_found_in_path"] = has(
        r.stderr, "executable file not found in $PATH")
    o["_run_missing/stderr"] = r.stderr
    o["run_missing/removed"] = rt.state(cid)[0].rc not in (0, TIMEOUT)

    cid = rt.new_id("miss")
    r = rt.create(cid, missing)
    o["create_missing/rc"] = r.rc
    o["create_missing/not_found_in_path"] = has(
        r.stderr, "executable file not found in $PATH")
    o["_create_missing/stderr"] = r.stderr
    o["create_missing/left_behind"] = cid in rt.call("list", "-q").stdout.split()

    noexec = w.bundle("noexec", args=["/bin/noexec"])
    path = os.path.join(noexec, "rootfs", "bin", "noexec")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho should-not-run\n")
    os.chmod(path, 0o644)
    r = rt.create(rt.new_id("noexec"), noexec)
    o["create_noexec/rc"] = r.rc
    o["create_noexec/permission_denied"] = has(r.stderr, "permission denied")
    o["_create_noexec/stderr"] = r.stderr
    r = rt.run(rt.new_id("noexec"), noexec)
    o["run_noexec/rc"] = r.rc
    o["run_noexec/permission_denied"] = has(r.stderr, "permission denied")

    r = rt.create(rt.new_id("abs"), w.bundle("abs", args=["/bin/nothere"]))
    o["create_abs_missing/rc"] = r.rc
    o["create_abs_missing/no_such_file"] = has(r.stderr,
                                               "no such file or directory")
    o["_create_abs_missing/stderr"] = r.stderr
    return o


@scenario(expect={
    "echo/rc": 0, "echo/stdout": "hi\n", "echo/removed_after_run": True,
    "detach/rc": 0, "detach/stdout": "", "detach/status": "running",
})
def run_foreground(rt, w):
    """run relays the container's stdout and removes the container; run -d
    returns at once with the container running."""
    cid = rt.new_id("echo")
    r = rt.run(cid, w.bundle("echo", args=["echo", "hi"]))
    o = {"echo/rc": r.rc, "echo/stdout": r.stdout,
         "echo/removed_after_run": rt.state(cid)[0].rc not in (0, TIMEOUT)}
    cid = rt.new_id("det")
    r = rt.run_detached(cid, w.bundle("sleep", args=SLEEP))
    o.update({"detach/rc": r.rc, "detach/stdout": r.stdout,
              "detach/status": rt.status(cid)})
    return o


UNKNOWN_CMDS = {
    "state": ["state"], "start": ["start"], "kill": ["kill", "@", "KILL"],
    "delete": ["delete"], "exec": ["exec", "@", "true"],
    "ps": ["ps", "--format", "json"], "pause": ["pause"],
    "resume": ["resume"], "events": ["events", "--stats"],
}


@scenario(expect={
    **{"%s/rc" % k: (255 if k == "exec" else 1) for k in UNKNOWN_CMDS},
    **{"%s/does_not_exist" % k: True for k in UNKNOWN_CMDS},
    "delete_force/rc": 0, "delete_force/stderr_empty": True,
})
def unknown_id(rt, w):
    """Every command on an unknown id fails with 'does not exist';
    delete --force of an unknown id succeeds."""
    o = {}
    for name, argv in UNKNOWN_CMDS.items():
        cid = "cc-nope-%s" % name
        a = [cid if x == "@" else x for x in argv]
        if "@" not in argv:
            a.append(cid)
        r = rt.call(*a, timeout=5)
        o[name + "/rc"] = r.rc
        o[name + "/does_not_exist"] = has(r.stderr, "does not exist")
        o["_%s/stderr" % name] = r.stderr
    r = rt.delete("cc-nope-force", force=True)
    o["delete_force/rc"] = r.rc
    o["delete_force/stderr_empty"] = r.stderr.strip() == ""
    o["_delete_force/stderr"] = r.stderr
    return o


@scenario(expect={
    "create_existing/rc": 1, "create_existing/already_exists": True,
    "create_existing/original_intact": "created",
    "start_running/rc": 1, "start_running/mentions_running": True,
    "delete_running/rc": 1, "delete_running/mentions_running": True,
    "delete_running/still_running": "running",
    "delete_force_running/rc": 0, "delete_force_running/process_gone": True,
    "delete_force_running/gone": True,
    "kill_stopped/rc": 1, "kill_stopped/not_running": True,
    "kill_all_stopped/rc": 0,
    "start_stopped/rc": 1, "start_stopped/mentions_stopped": True,
    "delete_stopped/rc": 0,
    "delete_created/rc": 0, "delete_created/process_gone": True,
    "delete_created/gone": True,
    "kill_bad_signal/rc": 1, "kill_bad_signal/mentions_signal": True,
    "kill_bad_signal/still_running": "running",
    "kill_signal_99/rc": 1,
})
def lifecycle_errors(rt, w):
    """Wrong-state commands: what fails, with which exit code and words."""
    b = w.bundle("sleep", args=SLEEP)
    o = {}

    def errobs(tag, r, **subs):
        o[tag + "/rc"] = r.rc
        o["_%s/stderr" % tag] = r.stderr
        for key, sub in subs.items():
            o["%s/%s" % (tag, key)] = has(r.stderr, sub)

    c = rt.new_id("dup")
    rt.create(c, b)
    errobs("create_existing", rt.create(c, b), already_exists="already exists")
    o["create_existing/original_intact"] = rt.status(c)
    rt.start(c)
    errobs("start_running", rt.start(c), mentions_running="running")
    errobs("delete_running", rt.delete(c), mentions_running="running")
    o["delete_running/still_running"] = rt.status(c)
    errobs("kill_bad_signal", rt.kill(c, "FOO"), mentions_signal="signal")
    o["kill_bad_signal/still_running"] = rt.status(c)
    errobs("kill_signal_99", rt.kill(c, "99"))
    pid = (rt.state(c)[1] or {}).get("pid")
    r = rt.delete(c, force=True)
    o["delete_force_running/rc"] = r.rc
    o["delete_force_running/process_gone"] = is_int(pid) and wait_dead(pid)
    o["delete_force_running/gone"] = rt.state(c)[0].rc not in (0, TIMEOUT)

    c = rt.new_id("stp")
    rt.run_detached(c, b)
    rt.kill(c, "KILL")
    rt.wait_status(c, "stopped")
    errobs("kill_stopped", rt.kill(c, "KILL"), not_running="not running")
    errobs("kill_all_stopped", rt.kill(c, "KILL", all=True))
    errobs("start_stopped", rt.start(c), mentions_stopped="stopped")
    errobs("delete_stopped", rt.delete(c))

    c = rt.new_id("crd")
    rt.create(c, b)
    pid = (rt.state(c)[1] or {}).get("pid")
    errobs("delete_created", rt.delete(c))
    o["delete_created/process_gone"] = is_int(pid) and wait_dead(pid)
    o["delete_created/gone"] = rt.state(c)[0].rc not in (0, TIMEOUT)
    return o


def eof_obs(o, tag, rep):
    o[tag + "/rc"] = rep["rc"]
    o[tag + "/ppid_is_driver"] = rep["ppid_is_driver"]
    o[tag + "/eof_at_runtime_exit"] = rep["stdout_eof_at_cmd_exit"]
    o[tag + "/no_foreign_pipe_holders"] = rep["foreign_holders"] == []
    o[tag + "/container_holds_stdout"] = any(
        h["in_container"] for h in rep["stdout_holders"])
    o[tag + "/runtime_stdout"] = rep["cmd_stdout"]
    o[tag + "/stdout"] = rep["stdout"]
    o[tag + "/stdout_eof"] = rep["stdout_eof"]
    o[tag + "/stderr_eof"] = rep["stderr_eof"]
    o[tag + "/reaped_by_driver"] = rep["container_reaped_by_driver"]
    o[tag + "/exit_code"] = rep["container_exit_code"]
    o["_%s/report" % tag] = {k: rep[k] for k in (
        "cmd_stderr", "stderr", "stdout_holders", "stderr_holders",
        "foreign_holders", "stdout_eof_after", "pid_file_raw", "then",
        "errors", "children_alive")}


def eof_expect(tag, stdout="ping\n"):
    return {
        tag + "/rc": 0, tag + "/ppid_is_driver": True,
        tag + "/eof_at_runtime_exit": False,
        tag + "/no_foreign_pipe_holders": True,
        tag + "/container_holds_stdout": True,
        tag + "/runtime_stdout": "", tag + "/stdout": stdout,
        tag + "/stdout_eof": True, tag + "/stderr_eof": True,
        tag + "/reaped_by_driver": True, tag + "/exit_code": 0,
    }


@scenario(expect={
    **eof_expect("run_d"), **eof_expect("create_start"),
    "create_start/start_rc": 0, **eof_expect("exec_d"),
    "run_fg/rc": 0, "run_fg/stdout": "hi\n", "run_fg/eof_at_runtime_exit": True,
    "run_fg/no_pipe_holders": True,
    "create_fail/rc": 1, "create_fail/eof_at_runtime_exit": True,
    "create_fail/no_pipe_holders": True, "create_fail/children_left": [],
})
def stdio_eof_subreaper(rt, w):
    """From a subreaper with pipes as stdio (conmon / containerd-shim):
    after create / run -d / exec -d the container process is the driver's
    child, only it holds the pipes, and the driver sees EOF when it exits."""
    o = {}
    cat = w.bundle("cat", args=["cat"])

    cid = rt.new_id("eofrun")
    pf = w.path("run.pid")
    rep = rt.subreaper(["run", "--detach", "--bundle", cat, "--pid-file", pf,
                        cid], pid_file=pf, stdin_data="ping\n")
    eof_obs(o, "run_d", rep)

    cid = rt.new_id("eofcreate")
    pf = w.path("create.pid")
    rep = rt.subreaper(["create", "--bundle", cat, "--pid-file", pf, cid],
                       pid_file=pf, then=[["start", cid]], stdin_data="ping\n")
    eof_obs(o, "create_start", rep)
    o["create_start/start_rc"] = rep["then"][0]["rc"] if rep["then"] else None

    cid = rt.new_id("eofexec")
    rt.run_detached(cid, w.bundle("sleep", args=SLEEP))
    pf = w.path("exec.pid")
    rep = rt.subreaper(["exec", "--detach", "--pid-file", pf, cid, "cat"],
                       pid_file=pf, stdin_data="ping\n")
    eof_obs(o, "exec_d", rep)

    cid = rt.new_id("eoffg")
    rep = rt.subreaper(["run", "--bundle",
                        w.bundle("echo", args=["echo", "hi"]), cid],
                       eof_timeout=2)
    o["run_fg/rc"] = rep["rc"]
    o["run_fg/stdout"] = rep["stdout"]
    o["run_fg/eof_at_runtime_exit"] = rep["stdout_eof_at_cmd_exit"]
    o["run_fg/no_pipe_holders"] = rep["stdout_holders"] == []

    cid = rt.new_id("eoffail")
    rep = rt.subreaper(["create", "--bundle",
                        w.bundle("missing", args=["nonexistent"]), cid],
                       eof_timeout=2)
    o["create_fail/rc"] = rep["rc"]
    o["create_fail/eof_at_runtime_exit"] = rep["stdout_eof_at_cmd_exit"]
    o["create_fail/no_pipe_holders"] = (rep["stdout_holders"] == [] and
                                        rep["stderr_holders"] == [])
    o["create_fail/children_left"] = rep["children_alive"]
    o["_create_fail/stderr"] = rep["stderr"]
    return o


KILL_FORMS = [("KILL", 137), ("SIGKILL", 137), ("9", 137), ("sigkill", 137),
              ("TERM", 42), ("SIGTERM", 42), ("15", 42), (None, 42)]


@scenario(expect={
    **{"%s/kill_rc" % (s or "default"): 0 for s, _ in KILL_FORMS},
    **{"%s/exit_code" % (s or "default"): c for s, c in KILL_FORMS},
    "signal_0/rc": 0, "signal_0/status": "running",
})
def kill_signals(rt, w):
    """kill ID SIG with names, SIG-prefixed names, numbers, lower case and
    no signal (TERM); the exit status seen by the subreaper."""
    b = w.bundle("trap", args=TRAP_TERM)
    o = {}
    for sig, _ in KILL_FORMS:
        tag = sig or "default"
        cid = rt.new_id("sig")
        pf = w.path("sig.pid")
        rep = rt.subreaper(
            ["run", "--detach", "--bundle", b, "--pid-file", pf, cid],
            pid_file=pf, then=[["kill", cid] + ([sig] if sig else [])],
            eof_timeout=3)
        o[tag + "/kill_rc"] = rep["then"][0]["rc"] if rep["then"] else None
        o[tag + "/exit_code"] = rep["container_exit_code"]
        o["_%s/kill_stderr" % tag] = (rep["then"][0]["stderr"]
                                      if rep["then"] else None)
        rt.delete(cid, force=True)
    cid = rt.new_id("sig0")
    rt.run_detached(cid, b)
    r = rt.kill(cid, "0")
    o["signal_0/rc"], o["_signal_0/stderr"] = r.rc, r.stderr
    o["signal_0/status"] = rt.status(cid)
    return o


@scenario(expect={
    "kill_all/rc": 0, "kill_all/status": "stopped",
    "kill_all/exec_process_gone": True, "kill_all/init_gone": True,
    "kill_all_again/rc": 0,
})
def kill_all(rt, w):
    """kill --all signals every process of the container."""
    b = w.bundle("sleep", args=SLEEP)
    cid = rt.new_id("all")
    pf = w.path("all.pid")
    rt.run_detached(cid, b, pid_file=pf)
    init = pid_from_file(pf)
    xpf = w.path("allx.pid")
    rt.exec(cid, ["sleep", "30"], detach=True, pid_file=xpf)
    xpid = pid_from_file(xpf)
    o = {"kill_all/rc": rt.kill(cid, "KILL", all=True).rc}
    o["kill_all/status"] = rt.wait_status(cid, "stopped", timeout=5)
    o["kill_all/exec_process_gone"] = is_int(xpid) and wait_dead(xpid)
    o["kill_all/init_gone"] = is_int(init) and wait_dead(init)
    o["kill_all_again/rc"] = rt.kill(cid, "KILL", all=True).rc
    return o


@scenario(expect={
    "KILL/rc": 0, "KILL/status": "stopped", "KILL/delete_rc": 0,
    "TERM/rc": 0, "TERM/status": "stopped", "TERM/delete_rc": 0,
    "0/rc": 0, "0/status": "created",
})
def kill_created(rt, w):
    """Signals to a created (not started) container."""
    b = w.bundle("sleep", args=SLEEP)
    o = {}
    for sig in ("KILL", "TERM", "0"):
        cid = rt.new_id("kc")
        rt.create(cid, b)
        r = rt.kill(cid, sig)
        o[sig + "/rc"], o["_%s/stderr" % sig] = r.rc, r.stderr
        want = "created" if sig == "0" else "stopped"
        o[sig + "/status"] = rt.wait_status(cid, want, timeout=3)
        if sig != "0":
            o[sig + "/delete_rc"] = rt.delete(cid).rc
    return o


@scenario(expect={
    "echo/rc": 0, "echo/stdout": "hi\n",
    "exit7/rc": 7,
    "stderr/rc": 2, "stderr/stderr_has_text": True, "stderr/stdout": "",
    "process_json/rc": 5, "process_json/stdout": "from-process-json\n",
    "env_cwd/rc": 0, "env_cwd/stdout": "bar\n/tmp\n",
    "signalled/rc": 137,
    "detach/rc": 0, "detach/pid_file": "decimal", "detach/in_ps": True,
    "missing/rc": 255, "missing/not_found_in_path": True,
    "detach_missing/rc": 255, "detach_missing/not_found_in_path": True,
    "created_container/rc": 0, "created_container/stdout": "in-created\n",
    "stopped/rc": 255, "stopped/mentions_stopped": True,
})
def exec_process(rt, w):
    """exec: output and exit code propagation, --process (go-runc, conmon),
    --env/--cwd, --detach --pid-file, errors."""
    b = w.bundle("sleep", args=SLEEP)
    cid = rt.new_id("exec")
    rt.run_detached(cid, b)
    o = {}
    r = rt.exec(cid, ["sh", "-c", "echo hi"])
    o["echo/rc"], o["echo/stdout"] = r.rc, r.stdout
    o["exit7/rc"] = rt.exec(cid, ["sh", "-c", "exit 7"]).rc
    r = rt.exec(cid, ["sh", "-c", "echo oops >&2; exit 2"])
    o["stderr/rc"], o["stderr/stdout"] = r.rc, r.stdout
    o["stderr/stderr_has_text"] = has(r.stderr, "oops")
    proc = default_config(args=["sh", "-c", "echo from-process-json; exit 5"],
                          cwd="/")["process"]
    pj = write_config(w.path("process.json"), proc)
    r = rt.exec(cid, process=pj)
    o["process_json/rc"], o["process_json/stdout"] = r.rc, r.stdout
    r = rt.exec(cid, ["sh", "-c", "echo $FOO; pwd"],
                extra=["--env", "FOO=bar", "--cwd", "/tmp"])
    o["env_cwd/rc"], o["env_cwd/stdout"] = r.rc, r.stdout
    o["signalled/rc"] = rt.exec(cid, ["sh", "-c", "kill -9 $$"]).rc
    pf = w.path("x.pid")
    r = rt.exec(cid, ["sleep", "30"], detach=True, pid_file=pf)
    o["detach/rc"] = r.rc
    o["detach/pid_file"] = classify_pid_file(read_bytes(pf))
    o["detach/in_ps"] = pid_from_file(pf) in (ps_pids(rt.ps_json(cid)) or [])
    r = rt.exec(cid, ["nonexistent-cmd"])
    o["missing/rc"] = r.rc
    o["missing/not_found_in_path"] = has(r.stderr,
                                         "executable file not found in $PATH")
    o["_missing/stderr"] = r.stderr
    r = rt.exec(cid, ["nonexistent-cmd"], detach=True)
    o["detach_missing/rc"] = r.rc
    o["detach_missing/not_found_in_path"] = has(
        r.stderr, "executable file not found in $PATH")

    c2 = rt.new_id("execc")
    rt.create(c2, b)
    r = rt.exec(c2, ["echo", "in-created"])
    o["created_container/rc"], o["created_container/stdout"] = r.rc, r.stdout

    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    r = rt.exec(cid, ["true"])
    o["stopped/rc"] = r.rc
    o["stopped/mentions_stopped"] = has(r.stderr, "stopped")
    o["_stopped/stderr"] = r.stderr
    return o


@scenario(expect={
    "running/rc": 0, "running/is_int_array": True,
    "running/has_init_pid": True, "running/has_exec_pid": True,
    "running/count": 2, "running/trailing_newline": True,
    "created/rc": 0, "created/pids_equal_init": True,
    "stopped/rc": 0, "stopped/stdout": "null",
    "table/rc": 0, "table/header_first_word": "UID",
    "table/has_init_row": True,
})
def ps_format(rt, w):
    """ps --format json is a bare JSON array of host pids."""
    b = w.bundle("sleep", args=SLEEP)
    cid = rt.new_id("ps")
    pf = w.path("ps.pid")
    rt.run_detached(cid, b, pid_file=pf)
    init = pid_from_file(pf)
    xpf = w.path("psx.pid")
    rt.exec(cid, ["sleep", "30"], detach=True, pid_file=xpf)
    xpid = pid_from_file(xpf)
    r = rt.ps_json(cid)
    pids = ps_pids(r)
    o = {"running/rc": r.rc, "running/is_int_array": pids is not None,
         "running/has_init_pid": init in (pids or []),
         "running/has_exec_pid": xpid in (pids or []),
         "running/count": len(pids) if pids is not None else None,
         "running/trailing_newline": r.stdout.endswith("\n"),
         "_running/stdout": r.stdout}
    r = rt.call("ps", cid)
    lines = r.stdout.splitlines()
    o["table/rc"] = r.rc
    o["table/header_first_word"] = lines[0].split()[0] if lines and \
        lines[0].split() else None
    o["table/has_init_row"] = any(str(init) in l.split() for l in lines[1:])
    o["_table/stdout"] = r.stdout

    c2 = rt.new_id("psc")
    pf2 = w.path("psc.pid")
    rt.create(c2, b, pid_file=pf2)
    r = rt.ps_json(c2)
    o["created/rc"] = r.rc
    o["created/pids_equal_init"] = ps_pids(r) == [pid_from_file(pf2)]
    o["_created/stdout"] = r.stdout

    rt.kill(cid, "KILL", all=True)
    rt.wait_status(cid, "stopped")
    r = rt.ps_json(cid)
    o["stopped/rc"], o["stopped/stdout"] = r.rc, r.stdout.strip()
    o["_stopped/stderr"] = r.stderr
    return o


@scenario(expect={
    "empty/rc": 0, "empty/json_stdout": "null\n",
    "empty/q_rc": 0, "empty/q_stdout": "",
    "empty/table_lines": 1, "empty/table_header": LIST_TABLE_HEADER,
    "missing_root/rc": 0, "missing_root/json_stdout": "null\n",
    "missing_root/root_created": True,
    "two/rc": 0, "two/is_array": True, "two/count": 2,
    "two/keys": [STATE_KEYS, STATE_KEYS],
    "two/types": [STATE_TYPES, STATE_TYPES],
    "two/statuses": ["created", "running"],
    "two/owner": ["root", "root"],
    "two/pids_match_state": True, "two/bundles_match": True,
    "two/created_match_state": True,
    "two/q_ids": True, "two/table_rows": 2,
})
def list_format(rt, w):
    """list --format json / -q / table, on an empty and a missing root and
    with two containers."""
    empty = Runtime(rt.name, rt.binary, w.path("empty-root"))
    os.makedirs(empty.root, mode=0o700)
    o = {}
    r = empty.list_json()
    o["empty/rc"], o["empty/json_stdout"] = r.rc, r.stdout
    r = empty.call("list", "-q")
    o["empty/q_rc"], o["empty/q_stdout"] = r.rc, r.stdout
    r = empty.call("list")
    lines = r.stdout.splitlines()
    o["empty/table_lines"] = len(lines)
    o["empty/table_header"] = lines[0].split() if lines else None
    o["_empty/table"] = r.stdout

    missing = Runtime(rt.name, rt.binary, w.path("no-such-root"))
    r = missing.list_json()
    o["missing_root/rc"], o["missing_root/json_stdout"] = r.rc, r.stdout
    o["_missing_root/stderr"] = r.stderr
    o["missing_root/root_created"] = os.path.isdir(missing.root)

    b = w.bundle("sleep", args=SLEEP)
    c1, c2 = rt.new_id("l1"), rt.new_id("l2")
    rt.create(c1, b)
    rt.run_detached(c2, b)
    r = rt.list_json()
    v = r.json()
    o["two/rc"] = r.rc
    o["two/is_array"] = isinstance(v, list)
    o["_two/stdout"] = r.stdout
    entries = {e.get("id"): e for e in (v if isinstance(v, list) else [])
               if isinstance(e, dict)}
    o["two/count"] = len(v) if isinstance(v, list) else None
    ordered = [entries.get(c1, {}), entries.get(c2, {})]
    o["two/keys"] = [sorted(e) for e in ordered]
    o["two/types"] = [{k: json_type(x) for k, x in e.items()} for e in ordered]
    o["two/statuses"] = [e.get("status") for e in ordered]
    o["two/owner"] = [e.get("owner") for e in ordered]
    states = [rt.state(c)[1] or {} for c in (c1, c2)]
    o["two/pids_match_state"] = all(
        e.get("pid") == s.get("pid") and is_int(e.get("pid"))
        for e, s in zip(ordered, states))
    o["two/bundles_match"] = all(e.get("bundle") == b for e in ordered)
    o["two/created_match_state"] = all(
        e.get("created") == s.get("created") for e, s in zip(ordered, states))
    r = rt.call("list", "-q")
    o["two/q_ids"] = sorted(r.stdout.split()) == sorted([c1, c2])
    o["two/table_rows"] = len(rt.call("list").stdout.splitlines()) - 1
    return o


@scenario(expect={
    "pause/rc": 0, "pause/status": "paused",
    "resume/rc": 0, "resume/status": "running",
    "pause_stopped/rc": 1,
})
def pause_resume(rt, w):
    """pause / resume (docker pause, podman pause)."""
    cid = rt.new_id("pz")
    rt.run_detached(cid, w.bundle("sleep", args=SLEEP))
    o = {"pause/rc": rt.call("pause", cid).rc, "pause/status": rt.status(cid)}
    o["resume/rc"] = rt.call("resume", cid).rc
    o["resume/status"] = rt.status(cid)
    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    r = rt.call("pause", cid)
    o["pause_stopped/rc"] = r.rc
    o["_pause_stopped/stderr"] = r.stderr
    return o


@scenario(expect={
    "state_unknown/rc": 1,
    "state_unknown/log_lines_json": True,
    "state_unknown/last_keys": ["level", "msg", "time"],
    "state_unknown/last_level": "error",
    "state_unknown/msg_does_not_exist": True,
    "state_unknown/stderr_has_msg": True,
    "create_missing/rc": 1,
    "create_missing/log_lines_json": True,
    "create_missing/last_level": "error",
    "create_missing/msg_not_found": True,
})
def log_json(rt, w):
    """--log FILE --log-format json (containerd reads the last error from
    the log file): one JSON object a line with level/msg/time."""
    o = {}

    def logobs(tag, r, path, **subs):
        o[tag + "/rc"] = r.rc
        o["_%s/stderr" % tag] = r.stderr
        raw = (read_bytes(path) or b"").decode(errors="replace")
        o["_%s/log" % tag] = raw
        objs = []
        ok = bool(raw.strip())
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                objs.append(json.loads(line))
            except ValueError:
                ok = False
        o[tag + "/log_lines_json"] = ok and all(isinstance(x, dict)
                                                for x in objs)
        errs = [x for x in objs if isinstance(x, dict) and
                x.get("level") == "error"]
        last = errs[-1] if errs else (objs[-1] if objs and
                                      isinstance(objs[-1], dict) else {})
        o[tag + "/last_level"] = last.get("level")
        for key, sub in subs.items():
            o["%s/%s" % (tag, key)] = has(str(last.get("msg")), sub)
        return last

    log1 = w.path("state.log.json")
    r = rt.call("state", "cc-nope-log", log=log1)
    last = logobs("state_unknown", r, log1, msg_does_not_exist="does not exist")
    o["state_unknown/last_keys"] = sorted(last)
    o["state_unknown/stderr_has_msg"] = has(r.stderr, "does not exist")

    log2 = w.path("create.log.json")
    cid = rt.new_id("logc")
    r = rt.create(cid, w.bundle("missing", args=["nonexistent-cmd"]),
                  log=log2)
    logobs("create_missing", r, log2,
           msg_not_found="executable file not found in $PATH")
    return o


@scenario(expect={
    "rc": 0, "first_line_shape": True, "has_commit_line": True,
    "has_spec_line": True, "spec_value": "1.0.2-dev",
    "dash_v_same": True, "first_line_program": "runc",
})
def version(rt, w):
    """--version: `<prog> version X`, `commit: ...`, `spec: ...` lines
    (what go-runc's Version() parses)."""
    import re
    r = rt.version()
    lines = r.stdout.splitlines()
    first = lines[0] if lines else ""
    keys = {l.split(":", 1)[0]: l.split(":", 1)[1].strip()
            for l in lines[1:] if ":" in l}
    return {
        "rc": r.rc,
        "first_line_shape": bool(re.match(r"^\S+ version \S+$", first)),
        "first_line_program": first.split()[0] if first.split() else None,
        "has_commit_line": "commit" in keys,
        "has_spec_line": "spec" in keys,
        "spec_value": keys.get("spec"),
        "dash_v_same": rt.call("-v").stdout == r.stdout,
        "_stdout": r.stdout,
    }


# --------------------------------------------------------------------------
# Linux configuration: what the container sees (sh -c '...' containers, their
# output captured; hooks log the state JSON they read on stdin)

def run_sh(rt, w, name, script, **kw):
    """Foreground `run` of a `sh -c SCRIPT` container (bundle `name`)."""
    return rt.run(rt.new_id(name),
                  w.bundle(name, args=["sh", "-c", script], **kw))


def tagged_lines(text):
    """{tag: rest} from lines "tag rest" (the first occurrence wins)."""
    out = {}
    for line in (text or "").splitlines():
        tag, _, rest = line.partition(" ")
        if tag and tag not in out:
            out[tag] = rest
    return out


HOOK_SCRIPT = """#!/bin/sh
# hook.sh KIND LOG [STATUS]: append "KIND <state JSON from stdin>" to LOG,
# then exit STATUS (0 without it)
state=$(cat)
printf '%s %s\\n' "$1" "$state" >> "$2"
[ -z "$3" ] || exit "$3"
"""
HOOK_KINDS = ["prestart", "createRuntime", "createContainer",
              "startContainer", "poststart", "poststop"]
HOOK_ANNOTATIONS = {"org.example.hook": "yes"}
# startContainer runs inside the container: busybox's sh, the log in the
# (writable) rootfs.
START_CONTAINER_HOOK = {"path": "/bin/sh", "args": [
    "sh", "-c",
    'printf "%s %s\\n" startContainer "$(cat)" >> /hooks-start.log']}


def host_hook(w, kind, log, fail=None):
    path = w.path("hook.sh")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(HOOK_SCRIPT)
        os.chmod(path, 0o755)
    return {"path": path, "args": ["hook.sh", kind, log] +
            ([str(fail)] if fail is not None else [])}


def hook_log(path):
    """[(kind, state dict or None)] in the order the hooks wrote them."""
    out = []
    for line in (read_bytes(path) or b"").decode(errors="replace").splitlines():
        kind, _, state = line.partition(" ")
        try:
            st = json.loads(state)
        except ValueError:
            st = None
        out.append((kind, st if isinstance(st, dict) else None))
    return out


def pid_kind(st, init):
    """How a hook's state names the container process: "init" (its pid as
    the host sees it), "1" (as the container's pid namespace sees it),
    "absent", "0" or "other"."""
    if not isinstance(st, dict) or "pid" not in st:
        return "absent"
    pid = st["pid"]
    if not is_int(pid):
        return "not-int"
    if init is not None and pid == init:
        return "init"
    return {1: "1", 0: "0"}.get(pid, "other")


def hook_state_expect(kind, status, pid):
    keys = ["annotations", "bundle", "id", "ociVersion", "status"]
    return {kind + "/status": status, kind + "/pid": pid,
            kind + "/keys": sorted(keys + (["pid"] if pid != "absent" else [])),
            kind + "/id_bundle_annotations": True}


@scenario(expect={
    "create_rc": 0, "start_rc": 0, "status_before_delete": "stopped",
    "delete_rc": 0,
    # runc 1.1 runs poststart at the end of create (opencontainers/runc
    # #1710), with status "created".
    "ran_during_create": ["prestart", "createRuntime", "createContainer",
                          "poststart"],
    "ran_during_start": ["startContainer"],
    "ran_during_delete": ["poststop"],
    **hook_state_expect("prestart", "creating", "init"),
    **hook_state_expect("createRuntime", "creating", "init"),
    # hooks in the container's namespaces: the pid as the container sees it
    **hook_state_expect("createContainer", "creating", "1"),
    **hook_state_expect("startContainer", "created", "1"),
    **hook_state_expect("poststart", "created", "init"),
    **hook_state_expect("poststop", "stopped", "absent"),
})
def hooks(rt, w):
    """All six hooks, each logging the state it reads on stdin: which ran
    during create / start / delete, and each one's status, pid (host pid of
    the init, or 1) and keys. startContainer runs inside the container
    (listed first in ran_during_start: it logs into the rootfs).
    runtime-spec runtime.md (state, pid): "For hooks executed in the runtime
    namespace, it is the pid as seen by the runtime. For hooks executed in
    the container namespace, it is the pid as seen by the container" --
    createContainer and startContainer run in the container's namespaces,
    so runc's 1 is the spec's value."""
    log = w.path("hooks.log")
    hks = {k: [host_hook(w, k, log)] for k in HOOK_KINDS
           if k != "startContainer"}
    hks["startContainer"] = [START_CONTAINER_HOOK]
    b = w.bundle("hooks", args=WAIT_GO, readonly=False,
                 extra={"hooks": hks, "annotations": HOOK_ANNOTATIONS})
    inside_log = os.path.join(b, "rootfs", "hooks-start.log")
    cid = rt.new_id("hooks")
    pf = w.path("hooks.pid")
    o = {}
    r = rt.create(cid, b, pid_file=pf)
    o["create_rc"], o["_create_stderr"] = r.rc, r.stderr
    init = pid_from_file(pf)
    after_create = hook_log(log)
    r = rt.start(cid)
    o["start_rc"], o["_start_stderr"] = r.rc, r.stderr
    after_start = hook_log(log)
    inside = hook_log(inside_log)
    open(os.path.join(b, "rootfs", "tmp", "go"), "w").close()
    o["status_before_delete"] = rt.wait_status(cid, "stopped", timeout=5)
    r = rt.delete(cid)
    o["delete_rc"], o["_delete_stderr"] = r.rc, r.stderr
    after_delete = hook_log(log)
    o["ran_during_create"] = [k for k, _ in after_create]
    o["ran_during_start"] = ([k for k, _ in inside] +
                             [k for k, _ in after_start[len(after_create):]])
    o["ran_during_delete"] = [k for k, _ in after_delete[len(after_start):]]
    states = {}
    for kind, st in inside + after_delete:
        states.setdefault(kind, st)
    for kind in HOOK_KINDS:
        st = states.get(kind)
        o[kind + "/status"] = st.get("status") if st else None
        o[kind + "/pid"] = pid_kind(st, init)
        o[kind + "/keys"] = sorted(st) if st else None
        o[kind + "/id_bundle_annotations"] = bool(st) and (
            st.get("id") == cid and st.get("bundle") == b and
            st.get("annotations") == HOOK_ANNOTATIONS)
    o["_log"] = (read_bytes(log) or b"").decode(errors="replace")
    o["_inside_log"] = (read_bytes(inside_log) or b"").decode(errors="replace")
    return o


@scenario(expect={
    "create_runtime_fails/create_rc": 1,
    "create_runtime_fails/mentions_exit_status": True,
    "create_runtime_fails/hooks_run": ["createRuntime", "poststop"],
    "create_runtime_fails/init_gone": True,
    "create_runtime_fails/state_dir_left": False,
    "create_runtime_fails/in_list": False,
    "create_runtime_fails/state_rc": 1,
    # runc 1.1: poststart runs (and fails) in create, which then fails
    "poststart_fails/create_rc": 1,
    "poststart_fails/start_rc": 1,
    "poststart_fails/status_after_start": None,
    "poststart_fails/init_alive_after_start": False,
    "poststart_fails/hooks_run_before_delete": ["poststart", "poststop"],
    "poststart_fails/hooks_run_after_delete": ["poststart", "poststop"],
})
def hooks_failing(rt, w):
    """A createRuntime hook exiting 1: create's exit code, whether the init,
    the state dir or a list entry is left, whether poststop ran (runtime-spec
    lifecycle: "continue the lifecycle at step 12", destroy then poststop).
    A poststart hook exiting 1: create's and start's exit codes, what is
    left running, when poststop runs. runtime-spec lifecycle step 9: a
    failing poststart hook MUST "generate an error, stop the container, and
    continue the lifecycle at step 12" (destroy, then poststop) -- so a
    runtime running poststart in start should show runc's start_rc,
    status_after_start, init_alive_after_start and hooks_run_before_delete
    (only poststart_fails/create_rc follows from where poststart runs)."""
    o = {}
    tag = "create_runtime_fails/"
    log = w.path("create-runtime.log")
    b = w.bundle("crfail", args=SLEEP, extra={"hooks": {
        "createRuntime": [host_hook(w, "createRuntime", log, fail=1)],
        "poststop": [host_hook(w, "poststop", log)]}})
    cid = rt.new_id("crfail")
    r = rt.create(cid, b)
    o[tag + "create_rc"], o["_" + tag + "stderr"] = r.rc, r.stderr
    o[tag + "mentions_exit_status"] = has(r.stderr, "exit status 1")
    entries = hook_log(log)
    o[tag + "hooks_run"] = [k for k, _ in entries]
    pid = entries[0][1].get("pid") if entries and entries[0][1] else None
    o[tag + "init_gone"] = is_int(pid) and wait_dead(pid, timeout=2)
    o[tag + "state_dir_left"] = os.path.exists(os.path.join(rt.root, cid))
    o[tag + "in_list"] = cid in rt.call("list", "-q").stdout.split()
    o[tag + "state_rc"] = rt.state(cid)[0].rc

    tag = "poststart_fails/"
    log = w.path("poststart.log")
    b = w.bundle("psfail", args=SLEEP, extra={"hooks": {
        "poststart": [host_hook(w, "poststart", log, fail=1)],
        "poststop": [host_hook(w, "poststop", log)]}})
    cid = rt.new_id("psfail")
    r = rt.create(cid, b)
    o[tag + "create_rc"], o["_" + tag + "create_stderr"] = r.rc, r.stderr
    r = rt.start(cid)
    o[tag + "start_rc"], o["_" + tag + "start_stderr"] = r.rc, r.stderr
    o[tag + "status_after_start"] = rt.status(cid)
    entries = hook_log(log)
    pid = entries[0][1].get("pid") if entries and entries[0][1] else None
    if is_int(pid) and pid_alive(pid):
        time.sleep(0.2)     # a runtime killing it may still be at it
    o[tag + "init_alive_after_start"] = is_int(pid) and pid_alive(pid)
    o[tag + "hooks_run_before_delete"] = [k for k, _ in entries]
    r = rt.delete(cid, force=True)
    o["_" + tag + "delete_stderr"] = r.stderr
    o[tag + "hooks_run_after_delete"] = [k for k, _ in hook_log(log)]
    return o


FD_SCRIPT = 'ls -l /proc/$$/fd; echo ---; cat 2>/dev/null <&3; :'
FD_FILES = {"fd3-file": "compat-fd3-file", "fd4-file": "compat-fd4-file"}
FD_CONTENT = {"fd3-file": "three\n", "fd4-file": "four\n"}


def fd_listing(text):
    """{fd: kind of its target} from `ls -l /proc/PID/fd` output."""
    fds = {}
    for line in text.splitlines():
        if " -> " not in line:
            continue
        left, target = line.split(" -> ", 1)
        try:
            fd = int(left.split()[-1])
        except (IndexError, ValueError):
            continue
        kind = None
        for label, name in FD_FILES.items():
            if target.endswith("/" + name):
                kind = label
        if kind is None:
            if target == "/dev/null":
                kind = target
            elif target.split(":", 1)[0] in ("pipe", "socket", "anon_inode"):
                kind = target.split(":", 1)[0]
            elif target.startswith("/"):
                kind = "file"
            else:
                kind = "other"
        fds[fd] = kind
    return fds


def fd_obs(o, tag, out):
    head, _, fd3 = out.partition("---\n")
    fds = fd_listing(head)
    o[tag + "/fds"] = sorted(fds)
    o[tag + "/stdio"] = [fds.get(i) for i in range(3)]
    o[tag + "/above_2"] = {str(k): v for k, v in sorted(fds.items()) if k > 2}
    o[tag + "/fd3_read"] = fd3
    o["_%s/stdout" % tag] = out


@scenario(expect={
    "run/rc": 0, "run/fds": [0, 1, 2], "run/above_2": {}, "run/fd3_read": "",
    "run/stdio": ["pipe", "pipe", "pipe"],
    "run_fds_open/rc": 0, "run_fds_open/fds": [0, 1, 2],
    "run_fds_open/above_2": {}, "run_fds_open/fd3_read": "",
    "run_fds_open/stdio": ["pipe", "pipe", "pipe"],
    "run_preserve_1/rc": 0, "run_preserve_1/fds": [0, 1, 2, 3],
    "run_preserve_1/above_2": {"3": "fd3-file"},
    "run_preserve_1/fd3_read": "three\n",
    "run_preserve_1/stdio": ["pipe", "pipe", "pipe"],
    "create_preserve_1/create_rc": 0, "create_preserve_1/start_rc": 0,
    "create_preserve_1/fds": [0, 1, 2, 3],
    "create_preserve_1/above_2": {"3": "fd3-file"},
    "create_preserve_1/fd3_read": "three\n",
    "create_preserve_1/stdio": ["/dev/null", "file", "file"],
})
def fds(rt, w):
    """The container process's fds (`ls -l /proc/$$/fd` of its sh): run
    with no extra fd; with fds 3 and 4 open (not close-on-exec) in the
    caller but no --preserve-fds; with --preserve-fds 1 (3 is passed, 4
    must not leak); create/start --preserve-fds 1 with files as stdio."""
    o = {}
    b = w.bundle("fds", args=["sh", "-c", FD_SCRIPT])
    paths = {}
    for label, name in FD_FILES.items():
        paths[label] = w.path(name)
        with open(paths[label], "w") as f:
            f.write(FD_CONTENT[label])

    def opened():
        return {3: os.open(paths["fd3-file"], os.O_RDONLY | os.O_CLOEXEC),
                4: os.open(paths["fd4-file"], os.O_RDONLY | os.O_CLOEXEC)}

    def close(fds):
        for fd in fds.values():
            os.close(fd)

    r = rt.run(rt.new_id("fd"), b)
    o["run/rc"] = r.rc
    fd_obs(o, "run", r.stdout)
    for tag, extra in (("run_fds_open", []),
                       ("run_preserve_1", ["--preserve-fds", "1"])):
        src = opened()
        try:
            r = rt.call("run", *extra, "--bundle", b, rt.new_id("fd"),
                        fds=src)
        finally:
            close(src)
        o[tag + "/rc"] = r.rc
        fd_obs(o, tag, r.stdout)
        o["_%s/stderr" % tag] = r.stderr

    tag = "create_preserve_1"
    cid = rt.new_id("fdc")
    src = opened()
    out = open(w.path("create-fds.out"), "w+b")
    try:
        r = rt.call("create", "--preserve-fds", "1", "--bundle", b, cid,
                    fds=src, stdout=out)
    finally:
        close(src)
    o[tag + "/create_rc"], o["_%s/create_stderr" % tag] = r.rc, r.stderr
    o[tag + "/start_rc"] = rt.start(cid).rc
    rt.wait_status(cid, "stopped", timeout=5)
    out.close()
    text = (read_bytes(w.path("create-fds.out")) or b"").decode(
        errors="replace")
    fd_obs(o, tag, text)
    return o


CAP_NAMES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
    "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
    "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
    "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]
# The init's own Cap* lines (read by sh's builtin read: no exec between the
# runtime's execve and the read), then those of a child it execs.
CAP_SCRIPT = ('while read k v; do case $k in Cap*) echo "$k $v";; esac; '
              'done < /proc/$$/status; echo ---; grep ^Cap /proc/self/status')


def cap_sets(text):
    """{"CapEff": ["KILL", ...], ...} from /proc/PID/status Cap* lines."""
    out = {}
    for line in text.splitlines():
        parts = line.replace(":", " ").split()
        if len(parts) != 2 or not parts[0].startswith("Cap"):
            continue
        try:
            mask = int(parts[1], 16)
        except ValueError:
            out[parts[0]] = parts[1]
            continue
        out[parts[0]] = [CAP_NAMES[i] if i < len(CAP_NAMES) else str(i)
                         for i in range(64) if mask >> i & 1]
    return out


def caps_expect(tag, inh, prm, eff, bnd, amb):
    sets = {"CapInh": inh, "CapPrm": prm, "CapEff": eff, "CapBnd": bnd,
            "CapAmb": amb}
    return {tag + "/rc": 0, tag + "/init": sets, tag + "/child": sets}


DEFAULT_CAP_NAMES = ["KILL", "NET_BIND_SERVICE", "AUDIT_WRITE"]
WITH_SYS_ADMIN = ["KILL", "NET_BIND_SERVICE", "SYS_ADMIN", "AUDIT_WRITE"]


@scenario(expect={
    # root's execve (no_new_privs) gives effective = permitted, and an
    # ambient set without the caps in inheritable stays empty
    **caps_expect("default", [], DEFAULT_CAP_NAMES, DEFAULT_CAP_NAMES,
                  DEFAULT_CAP_NAMES, []),
    **caps_expect("sys_admin_not_effective", [], WITH_SYS_ADMIN,
                  WITH_SYS_ADMIN, WITH_SYS_ADMIN, []),
    # uid 1000: after execve only the ambient set is left
    **caps_expect("uid1000_sys_admin_inheritable", WITH_SYS_ADMIN,
                  DEFAULT_CAP_NAMES, DEFAULT_CAP_NAMES, WITH_SYS_ADMIN,
                  DEFAULT_CAP_NAMES),
})
def capabilities(rt, w):
    """/proc/self/status Cap* lines (decoded) for runc spec's default caps;
    CAP_SYS_ADMIN in bounding and permitted but not effective (root); the
    same as uid 1000 with inheritable = bounding and ambient = defaults."""
    d = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    s = d + ["CAP_SYS_ADMIN"]
    variants = {
        "default": {},
        "sys_admin_not_effective": {"process": {"capabilities": {
            "bounding": s, "permitted": s, "effective": d, "ambient": d}}},
        "uid1000_sys_admin_inheritable": {"process": {
            "user": {"uid": 1000, "gid": 1000},
            "capabilities": {"bounding": s, "permitted": s, "effective": d,
                             "inheritable": s, "ambient": d}}},
    }
    o = {}
    for tag, extra in variants.items():
        r = run_sh(rt, w, "caps-" + tag, CAP_SCRIPT, extra=extra)
        init, _, child = r.stdout.partition("---\n")
        o[tag + "/rc"] = r.rc
        o[tag + "/init"] = cap_sets(init)
        o[tag + "/child"] = cap_sets(child)
        o["_%s/stdout" % tag] = r.stdout
        o["_%s/stderr" % tag] = r.stderr
    return o


MASK_SCRIPT = r'''
t() { tag=$1; shift; out=$("$@" 2>&1); echo "$tag rc=$? [$(echo $out)]"; }
t kcore sh -c 'head -c 16 /proc/kcore | wc -c'
t keys cat /proc/keys
t keys_stat stat -c '%F %t:%T' /proc/keys
t timer_list sh -c 'wc -c < /proc/timer_list'
t hostname_write sh -c 'echo evil > /proc/sys/kernel/hostname'
t hostname_read cat /proc/sys/kernel/hostname
t proc_sys_write sh -c 'echo 1 > /proc/sys/vm/drop_caches'
t firmware_ls ls -A /sys/firmware
t firmware_touch touch /sys/firmware/x
t acpi_ls ls -A /proc/acpi
t bus_ls ls /proc/bus
t irq_write sh -c 'set -- /proc/irq/*/; cd "$1" && echo $(cat smp_affinity) > smp_affinity'
'''
MASK_MOUNTS = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi",
               "/proc/sys", "/proc/bus", "/proc/irq", "/sys/firmware"]


@scenario(expect={
    "rc": 0,
    # this kernel has no /proc/kcore: masking a missing path is skipped
    "kcore": "rc=0 [head: /proc/kcore: No such file or directory 0]",
    "keys": "rc=0 []",
    "keys_stat": "rc=0 [character special file 1:3]",
    "timer_list": "rc=0 [0]",
    "hostname_write": "rc=1 [sh: can't create /proc/sys/kernel/hostname: "
                      "Read-only file system]",
    "hostname_read": "rc=0 [capsa-test]",
    "proc_sys_write": "rc=1 [sh: can't create /proc/sys/vm/drop_caches: "
                      "Read-only file system]",
    "firmware_ls": "rc=0 []",
    "firmware_touch": "rc=1 [touch: /sys/firmware/x: Read-only file system]",
    "acpi_ls": "rc=0 []",
    "bus_ls": lambda v: v.startswith("rc=0 [") and v != "rc=0 []",
    "irq_write": "rc=1 [sh: can't create smp_affinity: Read-only file system]",
    "mounts": [
        "/proc/acpi tmpfs ro,relatime",
        "/proc/bus proc ro,relatime",
        "/proc/irq proc ro,relatime",
        "/proc/keys tmpfs rw,nosuid,size=65536k,mode=755",
        "/proc/sys proc ro,relatime",
        "/proc/timer_list tmpfs rw,nosuid,size=65536k,mode=755",
        "/sys/firmware tmpfs ro,relatime"],
})
def masked_paths(rt, w):
    """runc spec's maskedPaths and readonlyPaths from inside: reads of
    masked files (/proc/kcore, /proc/keys, /proc/timer_list), writes under
    /proc/sys and /proc/irq (the value it holds), /proc/bus readable,
    /sys/firmware; the mounts on those paths
    (mount point, type, options; not the source)."""
    pat = "|".join(MASK_MOUNTS)
    script = MASK_SCRIPT + \
        "echo ---; grep -E ' (%s) ' /proc/self/mounts; :" % pat
    r = run_sh(rt, w, "masked", script)
    head, _, mounts = r.stdout.partition("---\n")
    o = {"rc": r.rc, "_stdout": r.stdout, "_stderr": r.stderr}
    o.update(tagged_lines(head))
    o["mounts"] = sorted(" ".join(l.split()[1:4])
                         for l in mounts.splitlines() if l.strip())
    return o


@scenario(expect={
    "rc": 0, "soft": "3000", "hard": "4000",
    "proc_limits": ["3000", "4000"],
})
def rlimits(rt, w):
    """RLIMIT_NOFILE soft 3000 hard 4000: `ulimit -n`, `ulimit -Hn` and
    /proc/self/limits inside."""
    r = run_sh(rt, w, "rlimits",
               "echo soft $(ulimit -n); echo hard $(ulimit -Hn); "
               "echo limits $(grep 'Max open files' /proc/self/limits)",
               extra={"process": {"rlimits": [
                   {"type": "RLIMIT_NOFILE", "soft": 3000, "hard": 4000}]}})
    t = tagged_lines(r.stdout)
    return {"rc": r.rc, "soft": t.get("soft"), "hard": t.get("hard"),
            "proc_limits": (t.get("limits") or "").split()[3:5],
            "_stdout": r.stdout, "_stderr": r.stderr}


def make_traversable(path):
    """chmod o+x every directory from path up to / that lacks it (pytest's
    tmp dirs are 0700; a user-namespaced container runs as uid 100000)."""
    path = os.path.abspath(path)
    while True:
        st = os.stat(path)
        if not st.st_mode & 0o001:
            os.chmod(path, (st.st_mode & 0o7777) | 0o001)
        if path == "/":
            return
        path = os.path.dirname(path)


USERNS_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]


@scenario(expect={
    "create_rc": 0, "start_rc": 0, "status": "stopped",
    "host_uid_of_init": "100000", "host_gid_of_init": "100000",
    "uid": "0", "gid": "0",
    "uid_map": "0 100000 65536", "gid_map": "0 100000 65536",
    "rootfs_owner": "65534:65534",
})
def user_namespace(rt, w):
    """A user namespace mapping 0 -> 100000 (65536 ids): `id -u`, `id -g`,
    /proc/self/uid_map and gid_map inside, the init's ids as the host sees
    them, the owner of the (host-root owned) rootfs inside."""
    make_traversable(w.tmp)
    b = w.bundle("userns", args=["sh", "-c",
                                 "echo uid $(id -u); echo gid $(id -g); "
                                 "echo uid_map $(cat /proc/self/uid_map); "
                                 "echo gid_map $(cat /proc/self/gid_map); "
                                 "echo rootfs_owner $(stat -c %u:%g /)"],
                 namespaces=DEFAULT_NAMESPACES + ["user"],
                 extra={"linux": {"uidMappings": USERNS_MAP,
                                  "gidMappings": USERNS_MAP}})
    make_traversable(b)
    cid = rt.new_id("userns")
    pf = w.path("userns.pid")
    out_path = w.path("userns.out")
    o = {}
    with open(out_path, "w+b") as out:
        r = rt.call("create", "--bundle", b, "--pid-file", pf, cid,
                    stdout=out)
    o["create_rc"], o["_create_stderr"] = r.rc, r.stderr
    pid = pid_from_file(pf)
    ids = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Uid", "Gid"):
                    ids[k] = v.split()[0]
    except (OSError, TypeError):
        pass
    o["host_uid_of_init"] = ids.get("Uid")
    o["host_gid_of_init"] = ids.get("Gid")
    r = rt.start(cid)
    o["start_rc"], o["_start_stderr"] = r.rc, r.stderr
    o["status"] = rt.wait_status(cid, "stopped", timeout=5)
    text = (read_bytes(out_path) or b"").decode(errors="replace")
    o["_stdout"] = text
    t = tagged_lines(text)
    for k in ("uid", "gid", "uid_map", "gid_map", "rootfs_owner"):
        o[k] = " ".join((t.get(k) or "").split()) or None
    return o


@scenario(expect={
    "create_rc": 0, "connected": True, "fd_count": 1,
    "payload_nonempty": True, "master_is_ptmx": True,
    "start_rc": 0, "status": "stopped",
    "tty": "/dev/pts/0", "console": "crw--w---- root 5 136,0",
    "term": "xterm", "stdin_is_tty": "yes",
})
def console_socket(rt, w):
    """terminal: true with --console-socket (create/start, as containerd
    and conmon do): the one message on the socket (one fd, the pty master,
    and a payload: runc sends the pty's name), then what the container
    writes on the pty: `tty`, `ls -l /dev/console`, $TERM."""
    from driver import ConsoleSocket
    b = w.bundle("console", terminal=True, args=[
        "sh", "-c", "echo tty $(tty); echo console $(ls -l /dev/console); "
        "echo term $TERM; [ -t 0 ] && echo stdin_is_tty yes"])
    sock = w.path("console.sock")
    cs = ConsoleSocket(sock, timeout=rt.clamp(5))
    o = {}
    raw = b""
    try:
        cid = rt.new_id("tty")
        r = rt.create(cid, b, extra=["--console-socket", sock])
        o["create_rc"], o["_create_stderr"] = r.rc, r.stderr
        o["connected"] = cs.wait(rt.clamp(3)) and cs.error is None
        o["_error"] = cs.error
        o["fd_count"] = cs.fd_count
        o["payload_nonempty"] = bool(cs.payload)
        o["_payload"] = (cs.payload or b"").decode(errors="replace")
        target = None
        if cs.master is not None:
            try:
                target = os.readlink("/proc/self/fd/%d" % cs.master)
            except OSError:
                pass
        o["master_is_ptmx"] = bool(target) and \
            os.path.basename(target) == "ptmx"
        o["_master"] = target
        r = rt.start(cid)
        o["start_rc"], o["_start_stderr"] = r.rc, r.stderr
        raw = cs.read_master(timeout=rt.clamp(5),
                             until=lambda: rt.status(cid) == "stopped")
        o["status"] = rt.wait_status(cid, "stopped", timeout=3)
    finally:
        cs.close()
    text = raw.decode(errors="replace").replace("\r\n", "\n")
    o["_output"] = text
    t = tagged_lines(text)
    o["tty"] = t.get("tty")
    f = (t.get("console") or "").replace(", ", ",").split()
    o["console"] = " ".join([f[0], f[2], f[3], f[4]]) if len(f) > 4 else \
        t.get("console")
    o["term"] = t.get("term")
    o["stdin_is_tty"] = t.get("stdin_is_tty")
    return o


def read_text(path):
    raw = read_bytes(path)
    return raw.decode(errors="replace").strip() if raw is not None else None


@scenario(expect={
    "netns/rc": 0,
    "netns/values": {"net.ipv4.ip_forward": "1",
                     "net.ipv4.ip_default_ttl": "42",
                     "kernel.msgmax": "4096"},
    "netns/host_unchanged": True,
    "swappiness/create_rc": 1, "swappiness/mentions_key": True,
    "swappiness/mentions_namespace": True, "swappiness/left_behind": False,
    "swappiness/host_unchanged": True,
    "net_without_netns/create_rc": 1, "net_without_netns/mentions_key": True,
    "net_without_netns/left_behind": False,
    "net_without_netns/host_unchanged": True,
})
def sysctl(rt, w):
    """linux.sysctl: net.ipv4.ip_forward=1 and ip_default_ttl=42 with a
    network namespace, kernel.msgmax=4096 with an IPC namespace (values
    inside, host untouched); vm.swappiness=10 (no namespace isolates it)
    and a net.* key without a network namespace: create's exit code and
    error, nothing left behind, host untouched."""
    # A new network namespace inherits ip_forward from the host's (often
    # 1 already): ip_default_ttl (64 by default) is the telling one.
    keys = {"net.ipv4.ip_forward": "1", "net.ipv4.ip_default_ttl": "42",
            "kernel.msgmax": "4096"}
    host_paths = {k: "/proc/sys/" + k.replace(".", "/") for k in keys}
    host_paths["vm.swappiness"] = "/proc/sys/vm/swappiness"
    before = {k: read_text(p) for k, p in host_paths.items()}
    o = {}
    script = "; ".join("echo %s $(cat %s)" % (k, host_paths[k]) for k in keys)
    r = run_sh(rt, w, "sysctl-ns", script,
               extra={"linux": {"sysctl": keys}})
    o["netns/rc"], o["_netns/stdout"] = r.rc, r.stdout
    o["_netns/stderr"] = r.stderr
    o["netns/values"] = tagged_lines(r.stdout)
    o["netns/host_unchanged"] = all(
        read_text(host_paths[k]) == before[k] for k in keys)

    for tag, key, val, kw in (
            ("swappiness", "vm.swappiness", "10", {}),
            ("net_without_netns", "net.ipv4.ip_default_ttl", "42",
             {"namespaces": ["pid", "ipc", "uts", "mount"]})):
        cid = rt.new_id(tag)
        b = w.bundle(tag, args=["true"],
                     extra={"linux": {"sysctl": {key: val}}}, **kw)
        r = rt.create(cid, b)
        o[tag + "/create_rc"], o["_%s/stderr" % tag] = r.rc, r.stderr
        o[tag + "/mentions_key"] = has(r.stderr, key)
        if tag == "swappiness":
            o[tag + "/mentions_namespace"] = has(r.stderr, "namespace")
        o[tag + "/left_behind"] = (
            os.path.exists(os.path.join(rt.root, cid)) or
            cid in rt.call("list", "-q").stdout.split())
        p = host_paths.get(key)
        o[tag + "/host_unchanged"] = read_text(p) == before[key]
    return o


@scenario(expect={
    "uts/rc": 0, "uts/hostname": "capsa-test", "uts/uname_n": "capsa-test",
    # runc 1.1 ignores "domainname" (support came in runc 1.2, #3600)
    "uts/domainname": "(none)",
    "no_uts/rc": 1, "no_uts/mentions_uts": True,
    "no_uts/container_saw": None,
    "no_uts/runtime_ns_hostname_after": "outer-name",
})
def hostname(rt, w):
    """hostname "capsa-test" and domainname "example.org" with a UTS
    namespace: `hostname`, `uname -n` and /proc/sys/kernel/domainname
    inside. A hostname without a UTS namespace, run from a throwaway UTS
    namespace (unshare --uts, hostname "outer-name"): whether run fails and
    whether that namespace's hostname is changed."""
    o = {}
    r = run_sh(rt, w, "uts", "echo hostname $(hostname); "
               "echo uname_n $(uname -n); "
               "echo domainname $(cat /proc/sys/kernel/domainname)",
               extra={"domainname": "example.org"})
    t = tagged_lines(r.stdout)
    o["uts/rc"], o["_uts/stdout"], o["_uts/stderr"] = r.rc, r.stdout, r.stderr
    for k in ("hostname", "uname_n", "domainname"):
        o["uts/" + k] = t.get(k)

    # Never on the real host: the runtime runs in a UTS namespace of its
    # own, which a container without one shares.
    outer = w.path("outer-hostname")
    # sh -c SCRIPT OUTER-FILE RUNTIME-ARGV...: $0 is the file
    wrap = ["unshare", "--uts", "--", "sh", "-c",
            'hostname outer-name || exit 99; "$@"; rc=$?; '
            'hostname > "$0"; exit $rc', outer]
    b = w.bundle("no-uts", args=["sh", "-c", "echo saw $(hostname)"],
                 namespaces=["pid", "network", "ipc", "mount"])
    r = rt.call("run", "--bundle", b, rt.new_id("nouts"), wrap=wrap)
    o["no_uts/rc"], o["_no_uts/stderr"] = r.rc, r.stderr
    o["no_uts/mentions_uts"] = has(r.stderr, "UTS")
    o["no_uts/container_saw"] = tagged_lines(r.stdout).get("saw")
    o["no_uts/runtime_ns_hostname_after"] = read_text(outer)
    return o


# --------------------------------------------------------------------------
# machinery

_CACHE = {}
# Seconds one scenario may take for one runtime (runc needs about 2); past
# it every runtime call raises BudgetExceeded, recorded as an error.
BUDGET = float(os.environ.get("COMPAT_BUDGET", "10"))


def binary_for(name):
    return driver.RUNC if name == "runc" else driver.CAPSA


def observe(name, scn, tmp_factory):
    """Run scenario `scn` against runtime `name` once per session."""
    key = (name, scn)
    if key in _CACHE:
        return _CACHE[key]
    fn, _ = SCENARIOS[scn]
    tmp = tmp_factory.mktemp("%s-%s" % (name, scn))
    rt = Runtime(name, binary_for(name), os.path.join(str(tmp), "root"),
                 budget=BUDGET)
    w = Work(tmp)
    t0 = time.monotonic()
    try:
        obs = fn(rt, w)
    except Exception as e:  # recorded: a capsa crash is a difference
        obs = {"error": "%s: %s" % (type(e).__name__, e),
               "_traceback": traceback.format_exc()}
    finally:
        rt.cleanup()
    obs["_seconds"] = round(time.monotonic() - t0, 3)
    _CACHE[key] = obs
    return obs


def compared(obs):
    return {k: v for k, v in obs.items() if not k.startswith("_")}


def known_for(scn, key):
    full = "%s/%s" % (scn, key)
    for pat, entry in KNOWN_DIFFERENCES.items():
        if fnmatch.fnmatchcase(full, pat):
            return entry
    return None


def matches(want, got):
    return bool(want(got)) if callable(want) else want == got


def fmt(v):
    s = json.dumps(v, sort_keys=True, default=str)
    return s if len(s) <= 300 else s[:300] + "..."


def info_block(obs, label):
    lines = []
    for k, v in obs.items():
        if k.startswith("_"):
            lines.append("  %s %s = %s" % (label, k, fmt(v)))
    return "\n".join(lines)


def compare_observations(scn, ref, got, ref_name="runc", got_name="capsa"):
    """List of difference lines between two observations of `scn`."""
    diffs = []
    ref_c, got_c = compared(ref), compared(got)
    for key in sorted(set(ref_c) | set(got_c)):
        rv = ref_c.get(key, "<absent>")
        gv = got_c.get(key, "<absent>")
        known = known_for(scn, key)
        if known is not None:
            if isinstance(known, dict) and "capsa" in known:
                if not matches(known["capsa"], gv):
                    diffs.append("%s: %s=%s, known difference wants %s (%s)" %
                                 (key, got_name, fmt(gv), fmt(known["capsa"]),
                                  known.get("reason", "")))
            continue
        if rv != gv:
            diffs.append("%s: %s=%s %s=%s" % (key, ref_name, fmt(rv),
                                              got_name, fmt(gv)))
    return diffs


@pytest.mark.parametrize("scn", list(SCENARIOS))
def test_runc(scn, tmp_path_factory):
    """runc behaves as the suite expects (checks the suite itself)."""
    if not os.access(driver.RUNC, os.X_OK):
        pytest.skip("runc not found at %s" % driver.RUNC)
    obs = observe("runc", scn, tmp_path_factory)
    _, expect = SCENARIOS[scn]
    assert "error" not in obs, obs.get("_traceback")
    problems = []
    got = compared(obs)
    for key in sorted(set(expect) | set(got)):
        if key not in expect:
            problems.append("%s: observed %s but no expectation" %
                            (key, fmt(got[key])))
        elif key not in got:
            problems.append("%s: expected %s, not observed" %
                            (key, fmt(expect[key])))
        elif not matches(expect[key], got[key]):
            problems.append("%s: expected %s, runc gave %s" %
                            (key, fmt(expect[key]), fmt(got[key])))
    assert not problems, "\n".join(problems) + "\n" + info_block(obs, "runc")


@pytest.mark.parametrize("scn", list(SCENARIOS))
def test_capsa(scn, tmp_path_factory):
    """capsa's observation equals runc's (modulo known_differences.py)."""
    if not driver.capsa_available():
        pytest.skip("capsa binary not found at %s (build it, or set CAPSA=)"
                    % driver.CAPSA)
    if not os.access(driver.RUNC, os.X_OK):
        pytest.skip("runc not found at %s: nothing to compare with" %
                    driver.RUNC)
    ref = observe("runc", scn, tmp_path_factory)
    got = observe("capsa", scn, tmp_path_factory)
    assert "error" not in ref, ref.get("_traceback")
    diffs = compare_observations(scn, ref, got)
    assert not diffs, ("capsa differs from runc in %s:\n  " % scn +
                       "\n  ".join(diffs) + "\n" + info_block(ref, "runc") +
                       "\n" + info_block(got, "capsa"))


def test_known_differences_are_well_formed():
    for key, entry in KNOWN_DIFFERENCES.items():
        scn = key.split("/", 1)[0]
        assert "/" in key and (scn in SCENARIOS or any(
            fnmatch.fnmatchcase(s, scn) for s in SCENARIOS)), key
        assert isinstance(entry, str) or (isinstance(entry, dict) and
                                          entry.get("reason")), key
