"""The lifecycle as engines drive it: create/start/state/kill/delete/run."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import proc_status, wait_gone

RFC3339_NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def test_create_start_kill_delete(capsa, make_bundle, tmp_path):
    b = make_bundle(["sleep", "100"])
    pidfile = tmp_path / "pid"
    capsa.ok("create", "--bundle", b, "--pid-file", str(pidfile), "c1")
    st = capsa.state("c1")
    assert st["status"] == "created"
    assert set(st) >= {"ociVersion", "id", "pid", "status", "bundle", "rootfs",
                       "created", "owner"}
    assert st["id"] == "c1" and st["bundle"] == b
    assert st["rootfs"] == os.path.join(b, "rootfs")
    assert RFC3339_NANO.match(st["created"])
    pid = st["pid"]
    assert pidfile.read_bytes() == str(pid).encode()
    # the init exists but has not exec'd the user's program yet
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert b"sleep" not in f.read()
    capsa.ok("start", "c1")
    st = capsa.state("c1")
    assert st["status"] == "running" and st["pid"] == pid
    capsa.ok("kill", "c1", "KILL")
    assert wait_gone(pid)
    st = capsa.state("c1")
    assert st["status"] == "stopped" and st["pid"] == 0
    capsa.ok("delete", "c1")
    assert capsa.ids() == []
    capsa.fails("state", "c1", contains="does not exist")


def test_run_foreground_exit_codes(capsa, make_bundle):
    r = capsa.run("run", "--bundle", make_bundle(["sh", "-c", "echo out; echo err >&2; exit 3"]), "r1")
    assert r.returncode == 3
    assert r.stdout == "out\n" and r.stderr == "err\n"
    assert capsa.ids() == []  # deleted once it exited
    # a death by signal is 128+signal (the init cannot SIGKILL itself: the
    # kernel shields a namespace's init, so the signal comes from outside)
    b = make_bundle(["sh", "-c", "echo up; exec sleep 100"])
    p = subprocess.Popen([capsa.binary, "--root", capsa.root, "run", "--bundle", b, "r2"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "up\n"
    capsa.ok("kill", "r2", "KILL")
    assert p.wait(timeout=10) == 137
    assert capsa.ids() == []


def test_run_keep_leaves_stopped_container(capsa, make_bundle):
    r = capsa.run("run", "--keep", "--bundle", make_bundle(["true"]), "k1")
    assert r.returncode == 0
    assert capsa.state("k1")["status"] == "stopped"
    capsa.ok("delete", "k1")
    assert capsa.ids() == []


def test_run_forwards_signals(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"])
    p = subprocess.Popen([capsa.binary, "--root", capsa.root, "run", "--bundle", b, "s1"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 42


def test_run_detach_and_pid_file(capsa, make_bundle, tmp_path):
    pidfile = tmp_path / "pid"
    capsa.ok("run", "-d", "--pid-file", str(pidfile), "--bundle", make_bundle(["sleep", "100"]), "d1")
    raw = pidfile.read_bytes()
    assert re.fullmatch(rb"[1-9][0-9]*", raw)
    st = capsa.state("d1")
    assert st["status"] == "running" and st["pid"] == int(raw)


def test_isolation(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "hostname; echo $$; cat /proc/self/mountinfo | wc -l; ls /proc | grep -c '^[0-9]'"],
                    hostname="isolated")
    r = capsa.ok("run", "--bundle", b, "iso")
    host_name, pid1, mounts, nprocs = r.stdout.split()
    assert host_name == "isolated" and pid1 == "1"
    assert int(mounts) < 60 and int(nprocs) <= 3


def test_kill_signals_and_errors(capsa, make_bundle):
    capsa.fails("kill", "nope", "KILL", contains="does not exist")
    capsa.ok("create", "--bundle", make_bundle(["sleep", "100"]), "k")
    pid = capsa.state("k")["pid"]
    capsa.fails("kill", "k", "NOSUCHSIG", contains="unknown signal")
    capsa.ok("kill", "k", "9")  # a created container can be killed
    assert wait_gone(pid)
    capsa.fails("kill", "k", "KILL", contains="container not running")
    capsa.ok("delete", "k")


def test_kill_names_and_default_term(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "trap 'exit 0' USR1; trap 'exit 0' TERM; while :; do sleep 0.05; done"])
    for n, sig in enumerate(["SIGUSR1", "usr1", "10", None]):
        cid = "kn%d" % n
        capsa.ok("run", "-d", "--bundle", b, cid)
        pid = capsa.state(cid)["pid"]
        time.sleep(0.1)
        capsa.ok("kill", cid, *([sig] if sig else []))
        assert wait_gone(pid), sig


def test_kill_all(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle",
             make_bundle(["sh", "-c", "sleep 100 & sleep 100 & wait"]), "ka")
    time.sleep(0.2)
    pids = json.loads(capsa.ok("ps", "--format", "json", "ka").stdout)
    assert len(pids) >= 3
    capsa.ok("kill", "--all", "ka", "KILL")
    for pid in pids:
        assert wait_gone(pid)


def test_delete_rules(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "del")
    pid = capsa.state("del")["pid"]
    capsa.fails("delete", "del", contains="not stopped")
    assert capsa.state("del")["status"] == "running"
    capsa.ok("delete", "--force", "del")
    assert wait_gone(pid) and capsa.ids() == []
    capsa.fails("delete", "del", contains="does not exist")
    capsa.ok("delete", "--force", "del")  # unknown id with --force: exit 0


def test_delete_created_kills_init(capsa, make_bundle):
    capsa.ok("create", "--bundle", make_bundle(["sleep", "100"]), "dc")
    pid = capsa.state("dc")["pid"]
    capsa.ok("delete", "dc")
    assert wait_gone(pid) and capsa.ids() == []


def test_start_errors(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "st")
    capsa.fails("start", "st", contains="already running")
    capsa.ok("kill", "st", "KILL")
    assert wait_gone(capsa.state("st")["pid"] or 1) or True
    time.sleep(0.1)
    capsa.fails("start", "st", contains="stopped")


def test_create_existing_id(capsa, make_bundle):
    b = make_bundle(["sleep", "100"])
    capsa.ok("create", "--bundle", b, "dup")
    pid = capsa.state("dup")["pid"]
    capsa.fails("create", "--bundle", b, "dup", contains="already exists")
    assert capsa.state("dup")["pid"] == pid  # the first is untouched


def test_state_after_init_dies_outside(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "dead")
    pid = capsa.state("dead")["pid"]
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    st = capsa.state("dead")
    assert st["status"] == "stopped" and st["pid"] == 0


def test_state_pid_reuse_is_detected(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "reuse")
    path = os.path.join(capsa.root, "reuse", "state.json")
    with open(path) as f:
        st = json.load(f)
    real = st["pid"]
    # pretend the recorded process was another one, now gone, whose pid
    # was given to our own (live) process
    st["pid"] = os.getpid()
    with open(path, "w") as f:
        json.dump(st, f)
    out = capsa.state("reuse")
    assert out["status"] == "stopped" and out["pid"] == 0
    capsa.fails("kill", "reuse", "KILL", contains="container not running")
    assert proc_status(os.getpid(), "State") is not None  # we were not killed
    os.kill(real, signal.SIGKILL)


def test_state_from_another_boot_is_stopped(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "boot")
    path = os.path.join(capsa.root, "boot", "state.json")
    with open(path) as f:
        st = json.load(f)
    real = st["pid"]
    st["capsa"]["bootId"] = "00000000-0000-0000-0000-000000000000"
    with open(path, "w") as f:
        json.dump(st, f)
    assert capsa.state("boot")["status"] == "stopped"
    os.kill(real, signal.SIGKILL)


def test_list_formats(capsa, make_bundle):
    assert capsa.ok("list", "--format", "json").stdout.strip() == "null"
    b = make_bundle(["sleep", "100"])
    capsa.ok("create", "--bundle", b, "b-one")
    capsa.ok("run", "-d", "--bundle", b, "a-two")
    assert capsa.ok("list", "-q").stdout.split() == ["a-two", "b-one"]
    items = json.loads(capsa.ok("list", "--format", "json").stdout)
    assert [i["id"] for i in items] == ["a-two", "b-one"]
    assert {i["status"] for i in items} == {"running", "created"}
    for i in items:
        assert set(i) >= {"ociVersion", "id", "pid", "status", "bundle", "rootfs",
                          "created", "owner"}
        assert i["owner"] == "root"
    table = capsa.ok("list").stdout.splitlines()
    assert table[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert table[1].split()[0] == "a-two" and table[1].split()[2] == "running"


def test_torn_state_file_is_reported_not_fatal(capsa, make_bundle):
    b = make_bundle(["sleep", "100"])
    capsa.ok("run", "-d", "--bundle", b, "good")
    capsa.ok("run", "-d", "--bundle", b, "torn")
    pid = capsa.state("torn")["pid"]
    with open(os.path.join(capsa.root, "torn", "state.json"), "w") as f:
        f.write('{"ociVersion": "1.0.2-dev", "id": "to')
    r = capsa.run("list", "-q")
    assert r.returncode == 0 and r.stdout.split() == ["good"]
    assert "torn" in r.stderr
    capsa.fails("state", "torn", contains="torn")
    capsa.ok("delete", "--force", "torn")
    assert capsa.ids() == ["good"]
    os.kill(pid, signal.SIGKILL)


def test_partial_state_delete_force(capsa):
    os.makedirs(os.path.join(capsa.root, "half"))
    st = capsa.state("half")
    assert st["status"] == "stopped" and st["pid"] == 0
    capsa.fails("delete", "nothalf", contains="does not exist")
    capsa.ok("delete", "--force", "half")
    assert capsa.ids() == []


def test_ps(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "ps1")
    pid = capsa.state("ps1")["pid"]
    out = capsa.ok("ps", "--format", "json", "ps1").stdout
    assert json.loads(out) == [pid]
    table = capsa.ok("ps", "ps1").stdout.splitlines()
    assert "PID" in table[0].split() and len(table) == 2
    assert str(pid) in table[1].split()


def test_version_and_features(capsa):
    out = capsa.ok("--version").stdout.splitlines()
    assert re.match(r"^capsa version \d+\.\d+\.\d+", out[0])
    assert any(re.match(r"^spec: 1\.\d+\.\d+", line) for line in out)
    assert capsa.ok("-v").stdout.splitlines()[0] == out[0]
    feats = json.loads(capsa.ok("features").stdout)
    assert feats["ociVersionMin"] == "1.0.0"
    assert "pid" in feats["linux"]["namespaces"]
    assert "rbind" in feats["mountOptions"] and "rro" in feats["mountOptions"]
    assert "CAP_SYS_ADMIN" in feats["linux"]["capabilities"]
    assert feats["linux"]["mountExtensions"]["idmap"]["enabled"] is True
    assert feats["linux"]["intelRdt"]["enabled"] is False
    assert feats["linux"]["netDevices"]["enabled"] is False
    assert set(feats["hooks"]) == {"prestart", "createRuntime", "createContainer",
                                   "startContainer", "poststart", "poststop"}


def test_unsupported_commands(capsa, make_bundle):
    capsa.ok("create", "--bundle", make_bundle(["sleep", "10"]), "x")
    for cmd in ("checkpoint", "restore"):
        capsa.fails(cmd, "x", contains="not supported yet")
        capsa.fails(cmd, "y", contains="does not exist")  # checked first, as runc


def test_spec(capsa, tmp_path):
    capsa.ok("spec", "--bundle", str(tmp_path))
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["ociVersion"] == "1.0.2-dev" and cfg["process"]["args"] == ["sh"]
    assert {"type": "pid"} in cfg["linux"]["namespaces"]
    capsa.fails("spec", "--bundle", str(tmp_path), contains="exists")
    (tmp_path / "config.json").unlink()
    capsa.ok("spec", "--rootless", "--bundle", str(tmp_path))
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert {"type": "user"} in cfg["linux"]["namespaces"]
    assert cfg["linux"]["uidMappings"][0]["hostID"] == os.geteuid()


def test_concurrent_kill_and_delete_force(capsa, make_bundle):
    """docker stop races rm -f: the per-container lock serializes them; the
    container ends deleted and every command either succeeds or says the
    container is gone."""
    b = make_bundle(["sleep", "100"])
    for i in range(5):
        cid = "race%d" % i
        capsa.ok("run", "-d", "--bundle", b, cid)
        pid = capsa.state(cid)["pid"]
        procs = [subprocess.Popen([capsa.binary, "--root", capsa.root, *args],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
                 for args in (["kill", cid], ["delete", "--force", cid], ["kill", cid, "KILL"],
                              ["delete", "--force", cid])]
        for p in procs:
            _, err = p.communicate(timeout=20)
            assert p.returncode == 0 or "not running" in err or "does not exist" in err, err
        assert wait_gone(pid)
        assert cid not in capsa.ids()


def test_create_killed_half_way_leaves_nothing(capsa, make_bundle, tmp_path):
    """SIGKILL of create after the state is written but before it returns
    (here: blocked writing its --pid-file): the init dies with it, and
    delete --force cleans what is left."""
    pid_file = tmp_path / "pid"
    os.mkfifo(str(pid_file) + ".capsa-tmp")  # opening it for writing blocks
    p = subprocess.Popen([capsa.binary, "--root", capsa.root, "create", "--pid-file",
                          str(pid_file), "--bundle", make_bundle(["sleep", "100"]), "half"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    state = os.path.join(capsa.root, "half", "state.json")
    for _ in range(200):
        if os.path.exists(state):
            break
        time.sleep(0.02)
    with open(state) as f:
        init = json.load(f)["pid"]
    assert proc_status(init, "State") not in (None, "Z")  # alive, waiting
    p.kill()
    p.wait(timeout=10)
    assert wait_gone(init)
    assert capsa.state("half")["status"] == "stopped"
    capsa.ok("delete", "--force", "half")
    assert capsa.ids() == []
