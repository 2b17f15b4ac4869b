"""Escapes that must be impossible, each pinned by a test.  The attacks of
the published advisories, one file each, are in tests/security."""
import json
import os

from bundle import load_config, write_config
from conftest import host_mounts


def test_symlinked_mount_target_stays_inside(capsa, make_bundle, tmp_path):
    """An image whose /mnt is a symlink to a host path: the mount lands
    inside the rootfs, never on the host (CVE-2021-30465 family)."""
    host_target = tmp_path / "host-target"
    b = make_bundle(["sh", "-c", "grep host-target /proc/self/mounts; ls -d /mnt/"])
    rootfs = os.path.join(b, "rootfs")
    os.symlink(str(host_target), os.path.join(rootfs, "mnt"))
    cfg = load_config(b)
    cfg["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"})
    write_config(b, cfg)
    before = host_mounts()
    r = capsa.ok("run", "--bundle", b, "sym")
    assert not host_target.exists()  # nothing created on the host
    assert str(host_target) not in host_mounts() and host_mounts() == before
    # resolved inside the rootfs instead
    assert os.path.isdir(os.path.join(rootfs, str(host_target).lstrip("/")))
    assert "tmpfs" in r.stdout


def test_dotdot_mount_destination_stays_inside(capsa, make_bundle, tmp_path):
    b = make_bundle(["true"])
    cfg = load_config(b)
    escape = "/../../../../../../%s/escaped" % str(tmp_path).strip("/")
    cfg["mounts"].append({"destination": escape, "type": "tmpfs", "source": "tmpfs"})
    write_config(b, cfg)
    capsa.ok("run", "--bundle", b, "dd")
    assert not (tmp_path / "escaped").exists()


def test_masked_and_readonly_paths(capsa, make_bundle):
    b = make_bundle(["sh", "-c",
                     "cat /proc/keys /proc/timer_list | wc -c; ls /sys/firmware | wc -l; "
                     "echo 1 > /proc/sys/kernel/ns_last_pid && echo wrote || echo ro"])
    r = capsa.ok("run", "--bundle", b, "mask")
    masked, firmware, write = r.stdout.split()
    assert masked == "0" and firmware == "0" and write == "ro"


def test_fake_dev_null_is_refused_for_masking(capsa, make_bundle):
    """maskedPaths binds /dev/null over files; if the config makes /dev/null
    something else, capsa refuses rather than expose what it points at."""
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["mounts"].append({"destination": "/dev/null", "type": "bind",
                          "source": "/etc/hostname", "options": ["bind"]})
    write_config(b, cfg)
    capsa.fails("create", "--bundle", b, "fake", contains="not the null device")
    assert capsa.ids() == []


def test_cwd_cannot_leave_the_rootfs(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "pwd; ls / | head -3"])
    cfg = load_config(b)
    cfg["process"]["cwd"] = "/../../../../"
    write_config(b, cfg)
    r = capsa.ok("run", "--bundle", b, "cwd")
    assert r.stdout.splitlines()[0] == "/"
    assert "bin" in r.stdout


def test_no_new_privileges_and_caps(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status"])
    r = capsa.ok("run", "--bundle", b, "caps")
    fields = dict(line.split(":\t") for line in r.stdout.splitlines())
    # CAP_AUDIT_WRITE(29) | CAP_KILL(5) | CAP_NET_BIND_SERVICE(10)
    expect = "%016x" % ((1 << 29) | (1 << 5) | (1 << 10))
    assert fields["CapBnd"] == expect and fields["CapEff"] == expect
    assert fields["NoNewPrivs"] == "1"


def test_state_dir_not_world_writable(capsa, make_bundle):
    capsa.ok("create", "--bundle", make_bundle(["sleep", "10"]), "perm")
    assert os.stat(capsa.root).st_mode & 0o077 == 0
    st = os.stat(os.path.join(capsa.root, "perm", "state.json"))
    assert st.st_mode & 0o077 == 0
    with open(os.path.join(capsa.root, "perm", "state.json")) as f:
        assert json.load(f)["id"] == "perm"


def test_config_devices(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "ls -ln /dev/mynull /dev/sub/myzero; echo x > /dev/sub/myzero && echo wrote; "
                     "echo x 2>/dev/null > /dev/mynull || echo denied"])
    cfg = load_config(b)
    cfg["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620,
         "uid": 5, "gid": 6},
        {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5},
    ]
    write_config(b, cfg)
    out = capsa.ok("run", "--bundle", b, "dev").stdout.splitlines()
    null = out[0].split()
    assert null[0] == "crw--w----" and null[2:6] == ["5", "6", "1,", "3"]
    assert out[1].startswith("crw-rw-rw-") and "1,   5" in out[1]
    # root without CAP_DAC_OVERRIDE: the 0620 node owned by uid 5 is closed
    assert out[2:] == ["wrote", "denied"]


def test_tmpcopyup(capsa, make_bundle):
    """A tmpfs with tmpcopyup starts with a copy of what it covers (podman
    --tmpfs and --read-only ask for it); writes stay in the tmpfs."""
    b = make_bundle(["sh", "-c", "cat /etc/hostname; ls -ld /etc | cut -c1-10; "
                     "echo new > /etc/added && ls /etc/added; readlink /etc/link; "
                     "grep ' /etc ' /proc/self/mounts | cut -d' ' -f3"])
    rootfs = os.path.join(b, "rootfs")
    os.chmod(os.path.join(rootfs, "etc"), 0o750)
    os.symlink("hostname", os.path.join(rootfs, "etc", "link"))
    os.makedirs(os.path.join(rootfs, "etc", "sub"))
    with open(os.path.join(rootfs, "etc", "sub", "f"), "w") as f:
        f.write("deep")
    cfg = load_config(b)
    cfg["root"]["readonly"] = True
    cfg["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                          "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]})
    write_config(b, cfg)
    out = capsa.ok("run", "--bundle", b, "cu").stdout.split()
    assert out == ["capsa-rootfs", "drwxr-x---", "/etc/added", "hostname", "tmpfs"]
    assert not os.path.exists(os.path.join(rootfs, "etc", "added"))  # image untouched
    b2 = make_bundle(["cat", "/etc/sub/f"])
    os.makedirs(os.path.join(b2, "rootfs", "etc", "sub"))
    with open(os.path.join(b2, "rootfs", "etc", "sub", "f"), "w") as f:
        f.write("deep")
    cfg = load_config(b2)
    cfg["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                          "options": ["ro", "tmpcopyup"]})
    write_config(b2, cfg)
    assert capsa.ok("run", "--bundle", b2, "cu2").stdout == "deep"


def test_recursive_read_only_bind(capsa, make_bundle, tmp_path):
    """rro makes the bind and every mount below it read-only (a plain ro
    leaves submounts writable)."""
    import subprocess
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(src / "sub")], check=True)
    try:
        script = ("touch /data/x 2>/dev/null && echo top-rw || echo top-ro; "
                  "touch /data/sub/x 2>/dev/null && echo sub-rw || echo sub-ro")
        results = {}
        for opts in (["rbind", "ro"], ["rbind", "rro"]):
            b = make_bundle(["sh", "-c", script])
            cfg = load_config(b)
            cfg["mounts"].append({"destination": "/data", "type": "bind", "source": str(src),
                                  "options": opts})
            write_config(b, cfg)
            results[opts[1]] = capsa.ok("run", "--bundle", b, "r" + opts[1]).stdout.split()
        assert results["ro"] == ["top-ro", "sub-rw"]
        assert results["rro"] == ["top-ro", "sub-ro"]
    finally:
        subprocess.run(["umount", "-l", str(src / "sub")])


def test_overlay_and_tmpfs_mounts(capsa, make_bundle, tmp_path):
    lower, upper, work = (tmp_path / n for n in ("lower", "upper", "work"))
    for d in (lower, upper, work):
        d.mkdir()
    (lower / "from-lower").write_text("low\n")
    b = make_bundle(["sh", "-c", "cat /ov/from-lower; echo up > /ov/written; "
                     "grep -E ' /(ov|scratch) ' /proc/self/mounts | cut -d' ' -f3,4 | cut -d, -f1"])
    cfg = load_config(b)
    cfg["mounts"] += [
        {"destination": "/ov", "type": "overlay", "source": "overlay",
         "options": ["lowerdir=%s" % lower, "upperdir=%s" % upper, "workdir=%s" % work]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["ro", "size=1m"]},
    ]
    write_config(b, cfg)
    out = capsa.ok("run", "--bundle", b, "ovl").stdout.splitlines()
    assert out == ["low", "overlay rw", "tmpfs ro"]
    assert (upper / "written").read_text() == "up\n"
