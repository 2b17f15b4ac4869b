"""exec into running containers, the way containerd and conmon call it."""
import json
import os
import re
import time

from conftest import proc_status, wait_gone


def running(capsa, make_bundle, cid="ex", **kw):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"], **kw), cid)
    return capsa.state(cid)["pid"]


def test_exec_output_and_exit_code(capsa, make_bundle):
    init = running(capsa, make_bundle)
    r = capsa.ok("exec", "ex", "sh", "-c", "echo hi; echo $$ >&2")
    assert r.stdout == "hi\n"
    assert int(r.stderr) > 1  # a new pid in the container's pid namespace
    r = capsa.run("exec", "ex", "sh", "-c", "exit 7")
    assert r.returncode == 7
    assert capsa.state("ex")["pid"] == init


def test_exec_sees_the_container(capsa, make_bundle):
    running(capsa, make_bundle, hostname="exhost")
    r = capsa.ok("exec", "ex", "sh", "-c", "hostname; ls /proc | grep -c '^[0-9]'; cat /etc/hostname")
    name, nprocs, _ = r.stdout.split()
    assert name == "exhost" and int(nprocs) <= 4


def test_exec_flags(capsa, make_bundle):
    running(capsa, make_bundle)
    r = capsa.ok("exec", "-e", "FOO=bar", "--cwd", "/tmp", "-u", "1000:1001", "ex",
                 "sh", "-c", 'echo $FOO; pwd; id -u; id -g')
    assert r.stdout.split() == ["bar", "/tmp", "1000", "1001"]


def test_exec_process_file_detach_pid_file(capsa, make_bundle, tmp_path):
    running(capsa, make_bundle)
    proc = {"args": ["sleep", "50"], "cwd": "/", "env": ["PATH=/bin"],
            "user": {"uid": 0, "gid": 0}, "terminal": False}
    pf = tmp_path / "process.json"
    pf.write_text(json.dumps(proc))
    pid_file = tmp_path / "exec.pid"
    capsa.ok("exec", "--process", str(pf), "--detach", "--pid-file", str(pid_file), "ex")
    raw = pid_file.read_bytes()
    assert re.fullmatch(rb"[1-9][0-9]*", raw)
    pid = int(raw)
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert f.read().split(b"\0")[0] == b"sleep"
    assert pid in json.loads(capsa.ok("ps", "--format", "json", "ex").stdout)
    os.kill(pid, 9)


def test_exec_missing_command(capsa, make_bundle):
    running(capsa, make_bundle)
    capsa.fails("exec", "ex", "nosuchcmd", contains='executable file not found in $PATH')
    capsa.fails("exec", "ex", "/etc/passwd", contains="permission denied")


def test_exec_on_stopped_or_unknown(capsa, make_bundle):
    pid = running(capsa, make_bundle)
    capsa.ok("kill", "ex", "KILL")
    assert wait_gone(pid)
    capsa.fails("exec", "ex", "true", contains="stopped")
    capsa.fails("exec", "nope", "true", contains="does not exist")


def test_exec_bad_process_file(capsa, make_bundle, tmp_path):
    running(capsa, make_bundle)
    pf = tmp_path / "p.json"
    pf.write_text(json.dumps({"args": ["true"], "cwd": "relative"}))
    capsa.fails("exec", "--process", str(pf), "ex", contains="process.json: cwd")
    pf.write_text("{")
    capsa.fails("exec", "--process", str(pf), "ex", contains="--process")


def test_exec_leaves_no_zombie_or_helper(capsa, make_bundle):
    init = running(capsa, make_bundle)
    capsa.ok("exec", "ex", "true")
    time.sleep(0.1)
    kids = [p for p in os.listdir("/proc") if p.isdigit()
            and proc_status(int(p), "PPid") == str(init)]
    assert kids == []


def test_exec_labels_need_their_lsm(capsa, make_bundle):
    running(capsa, make_bundle)
    capsa.fails("exec", "--apparmor", "docker-default", "ex", "true",
                contains="AppArmor is not enabled")
    capsa.fails("exec", "--process-label", "system_u:system_r:container_t:s0", "ex", "true",
                contains="SELinux is not enabled")


def test_exec_cap_is_never_inheritable(capsa, make_bundle):
    running(capsa, make_bundle)
    out = capsa.ok("exec", "--cap", "CAP_NET_RAW", "ex", "sh", "-c",
                   "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status").stdout
    caps = dict(line.split(":\t") for line in out.splitlines())
    raw = 1 << 13
    for s in ("CapPrm", "CapEff", "CapBnd"):
        assert int(caps[s], 16) & raw, s
    assert not int(caps["CapInh"], 16) & raw
