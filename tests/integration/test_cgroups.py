"""cgroups on this host (v1 controllers + a v2 hierarchy: hybrid): where the
container lands, its limits in effect, pause/resume, and nothing left."""
import os
import time

import pytest

from bundle import load_config, write_config
from conftest import wait_gone
from loopdev import loop_device

CG = "/sys/fs/cgroup"


def proc_cgroups(pid):
    out = {}
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            out[ctrls or "unified"] = path
    return out


def own_cgroup(ctrl):
    return proc_cgroups(os.getpid())[ctrl]


def with_resources(make_bundle, args, **res):
    b = make_bundle(args)
    cfg = load_config(b)
    cfg["linux"]["resources"].update(res)
    write_config(b, cfg)
    return b, cfg


def test_default_path_is_the_id_in_every_hierarchy(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "cgdef")
    pid = capsa.state("cgdef")["pid"]
    cgs = proc_cgroups(pid)
    for ctrl in ("pids", "memory", "cpu", "devices", "freezer", "unified"):
        assert cgs[ctrl] == "/cgdef", (ctrl, cgs)
    capsa.ok("delete", "--force", "cgdef")
    for d in ("pids", "memory", "cpu", "devices", "freezer", "unified"):
        assert not os.path.exists(os.path.join(CG, d, "cgdef")), d


def test_absolute_and_relative_cgroups_path(capsa, make_bundle):
    b = make_bundle(["sleep", "100"])
    cfg = load_config(b)
    cfg["linux"]["cgroupsPath"] = "/capsa-test/abs"
    write_config(b, cfg)
    capsa.ok("run", "-d", "--bundle", b, "cgabs")
    assert proc_cgroups(capsa.state("cgabs")["pid"])["pids"] == "/capsa-test/abs"
    cfg["linux"]["cgroupsPath"] = "capsa-rel/x"
    write_config(b, cfg)
    capsa.ok("run", "-d", "--bundle", b, "cgrel")
    got = proc_cgroups(capsa.state("cgrel")["pid"])
    for ctrl in ("pids", "memory"):
        own = own_cgroup(ctrl)
        assert got[ctrl] == (own.rstrip("/") + "/capsa-rel/x"), (ctrl, got[ctrl], own)
    capsa.ok("delete", "--force", "cgabs")
    capsa.ok("delete", "--force", "cgrel")
    assert not os.path.exists(os.path.join(CG, "pids", "capsa-test", "abs"))


def test_bad_cgroups_path(capsa, make_bundle):
    for path, expect in (("/../../escape", "is not a cgroupfs path"),
                         ("system.slice:capsa:x", "systemd driver")):
        b = make_bundle(["true"])
        cfg = load_config(b)
        cfg["linux"]["cgroupsPath"] = path
        write_config(b, cfg)
        capsa.fails("create", "--bundle", b, "cgbad", contains=expect)
        assert capsa.ids() == []


def test_limits_are_written(capsa, make_bundle):
    b, _ = with_resources(make_bundle, ["sleep", "100"],
                          memory={"limit": 64 << 20, "reservation": 32 << 20},
                          cpu={"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"},
                          pids={"limit": 42})
    capsa.ok("run", "-d", "--bundle", b, "cglim")
    d = lambda ctrl, f: open(os.path.join(CG, ctrl, "cglim", f)).read().strip()  # noqa: E731
    assert d("memory", "memory.limit_in_bytes") == str(64 << 20)
    assert d("memory", "memory.soft_limit_in_bytes") == str(32 << 20)
    assert d("cpu", "cpu.shares") == "512"
    assert d("cpu", "cpu.cfs_quota_us") == "50000"
    assert d("cpuset", "cpuset.cpus") == "0"
    assert d("pids", "pids.max") == "42"


def test_pids_limit_stops_a_fork_bomb(capsa, make_bundle):
    b, _ = with_resources(make_bundle, ["sh", "-c",
                          "for i in $(seq 40); do sleep 30 & done 2>/dev/null; sleep 30"],
                          pids={"limit": 10})
    capsa.ok("run", "-d", "--bundle", b, "cgpids")
    time.sleep(1)
    d = os.path.join(CG, "pids", "cgpids")
    assert int(open(os.path.join(d, "pids.current")).read()) <= 10
    events = open(os.path.join(d, "pids.events")).read().split()
    assert int(events[events.index("max") + 1]) > 0  # forks were refused


def test_memory_limit_kills_a_hog(capsa, make_bundle):
    b, _ = with_resources(make_bundle, ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1"],
                          memory={"limit": 16 << 20, "swap": 16 << 20})
    r = capsa.run("run", "--bundle", b, "cghog")
    assert r.returncode == 137, (r.returncode, r.stderr)


def free_char_major():
    """A character major no driver of this host registered (the ranges
    devices.txt keeps for local use): a node of it opens with ENXIO when the
    cgroup allows it, EPERM when it denies it, on any machine."""
    with open("/proc/devices") as f:
        chars = f.read().split("Block devices:")[0].splitlines()[1:]
    used = {int(line.split()[0]) for line in chars if line.strip()}
    for major in list(range(60, 64)) + list(range(120, 128)) + list(range(240, 255)):
        if major not in used:
            return major
    pytest.skip("every local-use character major is registered on this host: %s" % sorted(used))


PROBE_MINOR = 7
PROBE = "( : </dev/capsa-probe ) 2>&1; head -c1 /dev/zero >/dev/null && echo zero-ok"


def with_probe_node(cfg):
    """linux.devices gets /dev/capsa-probe, a node of a free major: made in
    the container, allowed only if a rule allows it."""
    major = free_char_major()
    cfg["linux"].setdefault("devices", []).append(
        {"path": "/dev/capsa-probe", "type": "c", "major": major, "minor": PROBE_MINOR,
         "fileMode": 0o666, "uid": 0, "gid": 0})
    return major


def probe_verdict(text):
    """'denied' (the cgroup: EPERM), 'allowed' (no driver: ENXIO)."""
    if "Operation not permitted" in text:
        return "denied"
    if "No such device or address" in text:
        return "allowed"
    return "unclear: " + text


def test_denied_device_cannot_be_opened(capsa, make_bundle):
    """A node of linux.devices is made, not allowed: the default rules
    (deny all, then the standard devices) deny it; a rule allows it."""
    results = {}
    for allow in (False, True):
        b = make_bundle(["sh", "-c", PROBE])
        cfg = load_config(b)
        major = with_probe_node(cfg)
        if allow:
            cfg["linux"]["resources"]["devices"].append(
                {"allow": True, "type": "c", "major": major, "minor": PROBE_MINOR,
                 "access": "r"})
        write_config(b, cfg)
        r = capsa.run("run", "--bundle", b, "devprobe%d" % allow)
        results[allow] = (probe_verdict(r.stdout + r.stderr), "zero-ok" in r.stdout)
    assert results[False] == ("denied", True), results
    assert results[True] == ("allowed", True), results


def test_explicit_deny_holds_for_linux_devices(capsa, make_bundle):
    """A config that denies everything (no default allow list of its own:
    only a deny-all rule) keeps a node of linux.devices unusable, /dev/kmsg
    too (issue 15.1; runc agrees)."""
    b = make_bundle(["sh", "-c", PROBE + "; echo x >/dev/kmsg 2>&1; echo kmsg=$?"])
    cfg = load_config(b)
    with_probe_node(cfg)
    st = os.stat("/dev/kmsg")
    cfg["linux"]["devices"].append({"path": "/dev/kmsg", "type": "c",
                                    "major": os.major(st.st_rdev), "minor": os.minor(st.st_rdev),
                                    "fileMode": 0o666})
    cfg["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
    write_config(b, cfg)
    r = capsa.run("run", "--bundle", b, "devdeny")
    out = r.stdout + r.stderr
    assert probe_verdict(out) == "denied", out
    assert "kmsg=1" in out and "zero-ok" in out, out


def test_pause_and_resume(capsa, make_bundle, tmp_path):
    b = make_bundle(["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /dev/shm/n; sleep 0.01; done"])
    capsa.ok("run", "-d", "--bundle", b, "cgp")
    pid = capsa.state("cgp")["pid"]
    counter = "/proc/%d/root/dev/shm/n" % pid
    time.sleep(0.3)
    capsa.ok("pause", "cgp")
    assert capsa.state("cgp")["status"] == "paused"
    a = open(counter).read()
    time.sleep(0.3)
    assert open(counter).read() == a  # frozen: the counter stands still
    capsa.fails("pause", "cgp", contains="not running")
    capsa.fails("exec", "cgp", "true", contains="paused")
    capsa.ok("resume", "cgp")
    assert capsa.state("cgp")["status"] == "running"
    time.sleep(0.3)
    assert open(counter).read() != a
    capsa.fails("resume", "cgp", contains="not paused")
    capsa.ok("pause", "cgp")
    capsa.ok("delete", "--force", "cgp")  # a paused container can be removed
    assert wait_gone(pid)
    assert not os.path.exists(os.path.join(CG, "freezer", "cgp"))


def test_ps_and_kill_all_from_the_cgroup(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"], namespaces=[
        "network", "ipc", "uts", "mount"]), "cgps")  # no pid namespace
    init = capsa.state("cgps")["pid"]
    capsa.ok("exec", "-d", "cgps", "sleep", "100")
    import json
    pids = json.loads(capsa.ok("ps", "--format", "json", "cgps").stdout)
    assert init in pids and len(pids) == 2
    capsa.ok("kill", "--all", "cgps", "KILL")
    for p in pids:
        assert wait_gone(p)


def test_update_with_flags_and_resources_json(capsa, make_bundle):
    import json
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "cgup")
    d = lambda ctrl, f: open(os.path.join(CG, ctrl, "cgup", f)).read().strip()  # noqa: E731
    capsa.ok("update", "--memory", "128m", "--pids-limit", "55", "--cpu-shares", "256",
             "--cpu-quota", "20000", "--cpu-period", "100000", "cgup")
    assert d("memory", "memory.limit_in_bytes") == str(128 << 20)
    assert d("pids", "pids.max") == "55"
    assert d("cpu", "cpu.shares") == "256" and d("cpu", "cpu.cfs_quota_us") == "20000"
    # -r -: the resources JSON on stdin, as go-runc and CRI-O send it
    res = {"memory": {"limit": 100 << 20}, "pids": {"limit": 77}}
    capsa.ok("update", "-r", "-", "cgup", input=json.dumps(res))
    assert d("memory", "memory.limit_in_bytes") == str(100 << 20) and d("pids", "pids.max") == "77"
    capsa.fails("update", "--memory", "lots", "cgup", contains="is not a size")
    capsa.fails("update", "-r", "-", "cgup", input='{"pids": {"limit": "x"}}',
                contains="resources: pids.limit: expected an integer")
    capsa.fails("update", "--memory", "1m", "nope", contains="does not exist")
    capsa.ok("kill", "cgup", "KILL")
    time.sleep(0.2)
    capsa.fails("update", "--memory", "64m", "cgup", contains="not running")


def test_update_replaces_device_rules_in_place(capsa, make_bundle):
    """update -r with "devices": v1 devices.list changes by its difference
    only (the default nodes never go away meanwhile), and the eBPF program
    on the v2 directory is swapped for one with the new rules."""
    import json
    b = make_bundle(["sleep", "100"])
    cfg = load_config(b)
    major = with_probe_node(cfg)
    write_config(b, cfg)
    capsa.ok("run", "-d", "--bundle", b, "cgdev")
    probe = ["exec", "cgdev", "sh", "-c",
             "( : </dev/capsa-probe ) 2>&1; ( : </dev/null ) && echo null-ok"]

    def verdict():
        out = capsa.run(*probe)
        assert "null-ok" in out.stdout, out
        return probe_verdict(out.stdout + out.stderr)
    assert verdict() == "denied"
    rule = "c %d:%d rw" % (major, PROBE_MINOR)
    allow = {"devices": [{"allow": False, "access": "rwm"},
                         {"allow": True, "type": "c", "major": major, "minor": PROBE_MINOR,
                          "access": "rw"}]}
    capsa.ok("update", "-r", "-", "cgdev", input=json.dumps(allow))
    assert verdict() == "allowed"
    devices = os.path.join(CG, "devices", "cgdev")
    if os.path.isdir(devices):
        listed = open(os.path.join(devices, "devices.list")).read().splitlines()
        assert rule in listed and "c 1:3 rwm" in listed and "a *:* rwm" not in listed, listed
    # back to the defaults; with the v1 controller opened up, what denies
    # is the replaced eBPF program alone
    capsa.ok("update", "-r", "-", "cgdev", input=json.dumps({"devices": [
        {"allow": False, "access": "rwm"}]}))
    assert verdict() == "denied"
    if os.path.isdir(devices):
        assert rule not in open(os.path.join(devices, "devices.list")).read()
    if os.path.isdir(devices) and os.path.isdir(os.path.join(CG, "unified")):
        with open(os.path.join(devices, "devices.allow"), "w") as f:
            f.write("a")
        assert verdict() == "denied"
        capsa.ok("update", "-r", "-", "cgdev", input=json.dumps(allow))
        assert verdict() == "allowed"
    capsa.ok("delete", "--force", "cgdev")


def test_update_check_before_and_kept_in_state(capsa, make_bundle):
    import json
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "cgchk")
    capsa.fails("update", "-r", "-", "cgchk",
                input=json.dumps({"memory": {"limit": 4096, "checkBeforeUpdate": True}}),
                contains="below the container's current usage")
    assert open(os.path.join(CG, "memory", "cgchk", "memory.limit_in_bytes")).read().strip() \
        != "4096"
    capsa.ok("update", "--memory", "96m", "cgchk")
    with open(os.path.join(capsa.root, "cgchk", "config.json")) as f:
        kept = json.load(f)["linux"]["resources"]
    assert kept["memory"]["limit"] == 96 << 20, kept
    capsa.fails("update", "-r", "-", "cgchk", input='[1]', contains="not a JSON object")
    capsa.ok("delete", "--force", "cgchk")


def test_tiny_memory_limit_is_enough_for_capsa(capsa, make_bundle):
    """runc's CVE-2019-5736 fix once OOMed under a 4 MB limit about 1 run in
    10: what capsa leaves in the container's cgroup must stay small."""
    b, _ = with_resources(make_bundle, ["true"], memory={"limit": 4 << 20})
    for i in range(15):
        r = capsa.run("run", "--bundle", b, "tiny%d" % i)
        assert r.returncode == 0, (i, r.returncode, r.stderr)


def test_device_rules_as_ebpf_on_the_v2_hierarchy(capsa, make_bundle):
    """cgroup v2 has no devices controller: the rules go into an eBPF
    program on the container's v2 directory.  Here (hybrid) the v1
    controller enforces them too, so open the v1 one up after create: what
    still denies the probe node is the eBPF program alone."""
    if not os.path.isdir(os.path.join(CG, "unified")):
        pytest.skip("no v2 hierarchy on this host")
    b = make_bundle(["sh", "-c", PROBE])
    cfg = load_config(b)
    with_probe_node(cfg)
    write_config(b, cfg)
    outs = {}
    for cid in ("bpf-only", "bpf-v1"):
        import subprocess
        out = open(os.path.join(capsa.root + "-" + cid + ".out"), "w+")
        subprocess.run([capsa.binary, "--root", capsa.root, "create", "--bundle", b, cid],
                       stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=True, timeout=20)
        if cid == "bpf-only":
            with open(os.path.join(CG, "devices", cid, "devices.allow"), "w") as f:
                f.write("a")
        capsa.ok("start", cid)
        pid = capsa.state(cid)["pid"]
        wait_gone(pid)
        out.seek(0)
        outs[cid] = out.read()
    for cid, text in outs.items():
        assert probe_verdict(text) == "denied", (cid, text)
        assert "zero-ok" in text, (cid, text)


def test_events_stats_and_oom(capsa, make_bundle):
    import json
    import subprocess
    b, _ = with_resources(make_bundle, ["sh", "-c", "sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1"],
                          memory={"limit": 16 << 20, "swap": 16 << 20}, pids={"limit": 99})
    capsa.ok("run", "-d", "--bundle", b, "cgev")
    one = json.loads(capsa.ok("events", "--stats", "cgev").stdout)
    assert one["type"] == "stats" and one["id"] == "cgev"
    data = one["data"]
    assert data["pids"]["limit"] == 99 and data["pids"]["current"] >= 1
    assert data["memory"]["usage"]["limit"] == 16 << 20
    assert data["cpu"]["usage"]["total"] > 0
    # the stream: stats every interval, an oom event, the end with the container
    p = subprocess.run([capsa.binary, "--root", capsa.root, "events", "--interval", "200ms",
                        "cgev"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=20)
    assert p.returncode == 0, p.stderr
    events = [json.loads(line) for line in p.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert "oom" in types and types.count("stats") >= 3, types
    capsa.fails("events", "--interval", "soon", "cgev", contains="not a duration")


def host_huge_page_sizes():
    """The host's huge page sizes as runc names them ("2MB", "1GB"), the
    smallest first."""
    names = []
    d = "/sys/kernel/mm/hugepages"
    for kb in sorted(int(e[len("hugepages-"):-len("kB")])
                     for e in (os.listdir(d) if os.path.isdir(d) else [])):
        names.append("%dGB" % (kb >> 20) if kb >= 1 << 20 else
                     "%dMB" % (kb >> 10) if kb >= 1 << 10 else "%dKB" % kb)
    return names


def test_stats_blkio_and_hugetlb(capsa, make_bundle, tmp_path):
    """Direct writes show up as Write bytes of the disk in blkio; hugetlb
    names each page size the host has, read on whichever side holds it.
    The disk is a loop device given to the container (whatever the host's
    disks are: a fresh chroot's /tmp is tmpfs).  (v1 counts a disk's bytes
    only once some cgroup throttles it: the config sets a limit far above
    what the test writes.)"""
    with loop_device(tmp_path / "blk.img", bytes(8 << 20)) as path:
        stats_blkio_and_hugetlb(capsa, make_bundle, os.stat(path).st_rdev)


def stats_blkio_and_hugetlb(capsa, make_bundle, dev):
    import json
    b = make_bundle(["sh", "-c", "dd if=/dev/zero of=/dev/capsa-blk bs=64k count=64 "
                     "oflag=direct 2>/dev/null; sleep 100"])
    cfg = load_config(b)
    cfg["linux"]["devices"] = [{"path": "/dev/capsa-blk", "type": "b", "major": os.major(dev),
                                "minor": os.minor(dev), "fileMode": 0o600}]
    cfg["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "b", "major": os.major(dev), "minor": os.minor(dev),
         "access": "rw"})
    write_config(b, cfg)
    sizes = host_huge_page_sizes()
    print("huge page sizes of this host:", sizes or "none (hugetlb not checked)")
    b, _ = with_resources(lambda _args: b, None,
                          hugepageLimits=[{"pageSize": sizes[0], "limit": 4 << 20}]
                          if sizes else [],
                          blockIO={"throttleWriteBpsDevice": [
                              {"major": os.major(dev), "minor": os.minor(dev),
                               "rate": 1 << 40}]})
    capsa.ok("run", "-d", "--bundle", b, "cgblk")
    data = {}
    for _ in range(50):
        data = json.loads(capsa.ok("events", "--stats", "cgblk").stdout)["data"]
        writes = [e for e in data["blkio"]["ioServiceBytesRecursive"] if e["op"] == "Write"]
        if sum(e["value"] for e in writes) >= 64 * 64 * 1024:
            break
        time.sleep(0.1)
    writes = [e for e in data["blkio"]["ioServiceBytesRecursive"] if e["op"] == "Write"]
    assert sum(e["value"] for e in writes) >= 64 * 64 * 1024, data["blkio"]
    assert all(e["major"] > 0 for e in writes), writes
    assert sorted(data.get("hugetlb", {})) == sorted(sizes), (sizes, data.get("hugetlb"))
    for size in sizes:
        assert data["hugetlb"][size]["usage"] == 0 and "failcnt" in data["hugetlb"][size]
    capsa.ok("delete", "--force", "cgblk")


def test_cpu_quota_throttles(capsa, make_bundle):
    b, _ = with_resources(make_bundle, ["sh", "-c", "while :; do :; done"],
                          cpu={"quota": 10000, "period": 100000})
    capsa.ok("run", "-d", "--bundle", b, "cgthr")
    time.sleep(1)
    stat = dict(line.split() for line in open(os.path.join(CG, "cpu", "cgthr", "cpu.stat")))
    assert int(stat["nr_throttled"]) > 0 and int(stat["throttled_time"]) > 0, stat
    capsa.ok("delete", "--force", "cgthr")


def test_systemd_driver_needs_systemd_as_pid1(capsa, make_bundle):
    """This host's PID 1 is not systemd: --systemd-cgroup fails with a
    clear error and leaves neither a container nor a cgroup; the systemd
    form of cgroupsPath without the flag says which flag it needs.  (The
    driver itself is tested on a systemd host: tests/systemdvm.)"""
    if os.path.exists("/run/systemd/system"):
        pytest.skip("systemd is PID 1 here")
    b = make_bundle(["true"])
    capsa.fails("--systemd-cgroup", "run", "--bundle", b, "cgsd",
                contains="systemd is not PID 1 on this host")
    assert "cgsd" not in capsa.ok("list", "-q").stdout
    for ctrl in ("memory", "pids", "unified"):
        assert not os.path.exists(os.path.join(CG, ctrl, "system.slice", "capsa-cgsd.scope"))
    cfg = load_config(b)
    cfg["linux"]["cgroupsPath"] = "system.slice:capsa:cgsd"
    write_config(b, cfg)
    capsa.fails("run", "--bundle", b, "cgsd", contains="pass --systemd-cgroup")
