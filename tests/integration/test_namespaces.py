"""Namespaces new and joined by path, user namespaces, --no-pivot."""
import os

from bundle import load_config, write_config
from conftest import wait_gone


def open_path_to(path):
    """A mapped root is an unprivileged uid on the host: let it traverse
    the (0700) pytest directories down to the bundle, as a user must."""
    path = os.path.abspath(path)
    while path not in ("/", "/tmp"):
        os.chmod(path, os.stat(path).st_mode | 0o111)
        path = os.path.dirname(path)


def ns_inode(pid, kind):
    return os.stat("/proc/%d/ns/%s" % (pid, kind)).st_ino


def test_new_namespaces_differ_from_host(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "n1")
    pid = capsa.state("n1")["pid"]
    for kind in ("pid", "net", "ipc", "uts", "mnt"):
        assert ns_inode(pid, kind) != ns_inode(os.getpid(), kind), kind
    for kind in ("user", "cgroup"):  # not asked for: shared with the host
        assert ns_inode(pid, kind) == ns_inode(os.getpid(), kind), kind


def test_join_namespaces_by_path(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"], hostname="first"), "a")
    a = capsa.state("a")["pid"]
    b = make_bundle(["sh", "-c", "hostname; ls /proc | grep -c '^[0-9]'"])
    cfg = load_config(b)
    cfg["linux"]["namespaces"] = [
        {"type": "pid", "path": "/proc/%d/ns/pid" % a},
        {"type": "network", "path": "/proc/%d/ns/net" % a},
        {"type": "uts", "path": "/proc/%d/ns/uts" % a},
        {"type": "ipc", "path": "/proc/%d/ns/ipc" % a},
        {"type": "mount"},
    ]
    cfg.pop("hostname", None)
    write_config(b, cfg)
    r = capsa.ok("run", "--bundle", b, "b")
    name, nprocs = r.stdout.split()
    assert name == "first"     # the uts namespace of a
    assert int(nprocs) >= 2    # sees a's sleep in the shared pid namespace


def test_user_namespace_with_mappings(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "id -u; cat /proc/self/uid_map; cat /proc/self/gid_map"])
    cfg = load_config(b)
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    write_config(b, cfg)
    open_path_to(b)
    r = capsa.ok("run", "--bundle", b, "userns")
    lines = [line.split() for line in r.stdout.splitlines()]
    assert lines[0] == ["0"]
    assert lines[1] == ["0", "200000", "65536"] and lines[2] == ["0", "200000", "65536"]


def test_user_namespace_without_mappings_is_an_error(capsa, make_bundle):
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["linux"]["namespaces"].append({"type": "user"})
    write_config(b, cfg)
    capsa.fails("create", "--bundle", b, "nomap", contains="uidMappings")
    assert capsa.ids() == []


def test_no_pivot(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "ls / | grep -c .; cat /proc/self/mountinfo | head -1"])
    r = capsa.ok("run", "--no-pivot", "--bundle", b, "np")
    assert int(r.stdout.split()[0]) > 5
    capsa.ok("run", "-d", "--no-pivot", "--bundle", make_bundle(["sleep", "100"]), "np2")
    assert capsa.ok("exec", "np2", "cat", "/etc/hostname").stdout == "capsa-rootfs\n"


def test_exec_joins_user_namespace(capsa, make_bundle):
    b = make_bundle(["sleep", "100"])
    cfg = load_config(b)
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    write_config(b, cfg)
    open_path_to(b)
    capsa.ok("run", "-d", "--bundle", b, "ux")
    r = capsa.ok("exec", "ux", "sh", "-c", "id -u; cat /proc/self/uid_map")
    assert r.stdout.split() == ["0", "0", "300000", "65536"]
    pid = capsa.state("ux")["pid"]
    capsa.ok("kill", "ux", "KILL")
    assert wait_gone(pid)


def test_cgroup_mount_in_cgroup_namespace(capsa, make_bundle):
    """With a cgroup namespace each v1 hierarchy is mounted afresh and shows
    the namespace's root; without one the container's own cgroup directory
    is bound (as runc lays it out)."""
    cmd = ["sh", "-c", "cat /proc/self/cgroup | grep memory; ls /sys/fs/cgroup/memory | grep -c procs"]
    b = make_bundle(cmd, namespaces=["pid", "network", "ipc", "uts", "mount", "cgroup"])
    r = capsa.ok("run", "--bundle", b, "cgns")
    line, nprocs = r.stdout.split()
    assert line.endswith(":memory:/") and int(nprocs) >= 1
    r = capsa.ok("run", "--bundle", make_bundle(cmd), "nocgns")
    assert r.stdout.split()[1] >= "1"


def test_sysctl(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward "
                     "/proc/sys/kernel/domainname"])
    cfg = load_config(b)
    cfg["linux"]["sysctl"] = {"kernel.shmmax": "123456789", "net.ipv4.ip_forward": "1",
                              "kernel.domainname": "capsa.test"}
    write_config(b, cfg)
    with open("/proc/sys/kernel/shmmax") as f:
        host_shmmax = f.read()
    assert capsa.ok("run", "--bundle", b, "sc").stdout.split() == ["123456789", "1", "capsa.test"]
    with open("/proc/sys/kernel/shmmax") as f:
        assert f.read() == host_shmmax  # the host kept its own


def test_sysctl_that_would_change_the_host_is_refused(capsa, make_bundle):
    cases = [
        ({"vm.swappiness": "10"}, None, "linux.sysctl.vm.swappiness: not isolated"),
        ({"net.ipv4.ip_forward": "1"}, ["pid", "ipc", "uts", "mount"], "not isolated"),
        ({"kernel.shmmax": "1"}, ["pid", "network", "uts", "mount",
                                  {"type": "ipc", "path": "/proc/self/ns/ipc"}], "not isolated"),
        ({"net/../../vm.swappiness": "1"}, None, "invalid key"),
        ({"net..ipv4": "1"}, None, "invalid key"),
    ]
    with open("/proc/sys/vm/swappiness") as f:
        before = f.read()
    for n, (sysctl, namespaces, expect) in enumerate(cases):
        b = make_bundle(["true"], namespaces=namespaces)
        cfg = load_config(b)
        cfg["linux"]["sysctl"] = sysctl
        write_config(b, cfg)
        capsa.fails("create", "--bundle", b, "bad%d" % n, contains=expect)
    assert capsa.ids() == []
    with open("/proc/sys/vm/swappiness") as f:
        assert f.read() == before


def test_time_namespace_offsets(capsa, make_bundle):
    with open("/proc/uptime") as f:
        host_uptime = float(f.read().split()[0])
    b = make_bundle(["sleep", "100"],
                    namespaces=["pid", "network", "ipc", "uts", "mount", "time"])
    cfg = load_config(b)
    cfg["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0},
                                   "monotonic": {"secs": 1000}}
    write_config(b, cfg)
    capsa.ok("run", "-d", "--bundle", b, "tns")
    pid = capsa.state("tns")["pid"]
    assert ns_inode(pid, "time") != ns_inode(os.getpid(), "time")
    up = float(capsa.ok("exec", "tns", "cat", "/proc/uptime").stdout.split()[0])
    assert up > 86400 * 365 > host_uptime
    # our own clocks are untouched
    with open("/proc/uptime") as f:
        assert float(f.read().split()[0]) < 86400 * 365


def test_time_offsets_need_a_time_namespace(capsa, make_bundle):
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["linux"]["timeOffsets"] = {"boottime": {"secs": 5}}
    write_config(b, cfg)
    capsa.fails("create", "--bundle", b, "nt", contains="linux.timeOffsets: needs a new time namespace")


def test_idmapped_bind_mounts(capsa, make_bundle, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "owned-by-root").write_text("x")
    open_path_to(str(data))
    script = "stat -c %u /data/owned-by-root"
    # 1. a user namespace container: without idmap the file is nobody's,
    #    with it the container's root owns it
    results = {}
    for opts in (["bind"], ["bind", "idmap"]):
        b = make_bundle(["sh", "-c", script])
        cfg = load_config(b)
        cfg["linux"]["namespaces"].append({"type": "user"})
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 400000, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 400000, "size": 65536}]
        cfg["mounts"].append({"destination": "/data", "type": "bind", "source": str(data),
                              "options": opts})
        write_config(b, cfg)
        os.makedirs(os.path.join(b, "rootfs", "data"))  # the mapped root cannot mkdir there
        open_path_to(b)
        results[opts[-1]] = capsa.ok("run", "--bundle", b, "id" + opts[-1]).stdout.strip()
    assert results == {"bind": "65534", "idmap": "0"}
    # 2. a mount's own mapping, no user namespace: on-disk 0 is seen as 1000
    b = make_bundle(["sh", "-c", script])
    cfg = load_config(b)
    cfg["mounts"].append({"destination": "/data", "type": "bind", "source": str(data),
                          "options": ["bind", "ridmap"],
                          "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                          "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})
    write_config(b, cfg)
    assert capsa.ok("run", "--bundle", b, "idown").stdout.strip() == "1000"


def test_idmap_without_any_mapping_is_an_error(capsa, make_bundle, tmp_path):
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["mounts"].append({"destination": "/data", "type": "bind", "source": str(tmp_path),
                          "options": ["bind", "idmap"]})
    write_config(b, cfg)
    capsa.fails("create", "--bundle", b, "noid", contains="idmap needs uidMappings")
    assert capsa.ids() == []


def test_without_a_mount_namespace_the_host_mounts_are_untouched(capsa, make_bundle, tmp_path):
    """No mount namespace: the container shares the caller's mounts, so
    capsa must mount nothing and only chroot.  (Run inside a throwaway
    mount namespace so a regression cannot pivot the test host.)"""
    import subprocess
    from conftest import CAPSA
    b = make_bundle(["sh", "-c", "ls /bin/busybox && echo in-rootfs"],
                    namespaces=["pid", "ipc", "uts", "network"])
    marker = tmp_path / "marker"
    marker.write_text("still here")
    script = ('before=$(cat /proc/self/mountinfo | wc -l); '
              '"$1" --root "$2" run --bundle "$3" nomnt || exit 9; '
              'after=$(cat /proc/self/mountinfo | wc -l); '
              'cat "$4"; echo; echo "$before $after"')
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "_",
                        CAPSA, capsa.root, b, str(marker)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "/bin/busybox" and lines[1] == "in-rootfs"
    assert lines[2] == "still here"          # our / is still ours
    before, after = lines[3].split()
    assert before == after                    # nothing mounted or unmounted


def test_rootfs_propagation_values(capsa, make_bundle):
    for prop in ("shared", "rshared", "slave", "rslave", "private", "rprivate",
                 "unbindable", "runbindable"):
        b = make_bundle(["awk", '$5 == "/"', "/proc/self/mountinfo"])
        cfg = load_config(b)
        cfg["linux"]["rootfsPropagation"] = prop
        write_config(b, cfg)
        line = capsa.ok("run", "--bundle", b, "p" + prop).stdout
        fields = line.split(" - ")[0].split()[6:]
        if "shared" in prop:
            assert any(f.startswith("shared:") for f in fields), (prop, line)
        elif "unbindable" in prop:
            assert "unbindable" in fields, (prop, line)


def test_devices_in_a_user_namespace_are_bound_from_the_host(capsa, make_bundle):
    """mknod is not allowed in a user namespace: the default devices and
    linux.devices come from the host's nodes, bind-mounted."""
    b = make_bundle(["sh", "-c", "ls -l /dev/null /dev/mynull | cut -c1; "
                     "echo x > /dev/null && echo null-ok; grep -c ' /dev/mynull ' /proc/self/mountinfo"])
    cfg = load_config(b)
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 500000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 500000, "size": 65536}]
    cfg["linux"]["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3}]
    write_config(b, cfg)
    open_path_to(b)
    out = capsa.ok("run", "--bundle", b, "udev").stdout.split()
    assert out == ["c", "c", "null-ok", "1"]
