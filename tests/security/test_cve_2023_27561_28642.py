"""CVE-2023-27561 / CVE-2019-16884 (an LSM profile silently skipped because
the runtime wrote it into a fake /proc) and CVE-2023-28642 (/proc as a
symlink in the rootfs, so proc, its masks and the LSM writes go where the
image wants).

On this host neither AppArmor nor SELinux is enabled, so what can be shown
is that a fake /proc is refused, and that no write to any attr file is ever
attempted (strace), rather than skipped silently."""
import os
import subprocess

from bundle import load_config, write_config
from conftest import escaped_mounts, host_mounts


def traced_create(capsa, b, cid, tmp_path):
    """create under strace: (result, the opens it made)."""
    log = tmp_path / ("%s.strace" % cid)
    r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o",
                        str(log), capsa.binary, "--root", capsa.root, "create", "--bundle", b,
                        cid], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    return r, log.read_text()


def test_cve_2023_27561_fake_proc_never_gets_the_profile(capsa, make_bundle, tmp_path):
    """A tmpfs mounted over /proc by the config, an image whose /proc links
    to a directory of fake attr files: with an AppArmor profile asked for,
    create fails with one clear line and opens no attr file."""
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["process"]["apparmorProfile"] = "capsa-test-profile"
    cfg["mounts"].insert(1, {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"})
    write_config(b, cfg)
    rootfs = os.path.join(b, "rootfs")
    fake = os.path.join(rootfs, "fakeproc", "thread-self", "attr", "apparmor")
    os.makedirs(fake)
    for f in (os.path.join(fake, "exec"), os.path.join(fake, "..", "exec")):
        open(f, "w").close()
    r, trace = traced_create(capsa, b, "fake", tmp_path)
    assert r.returncode != 0 and "apparmorProfile" in r.stderr, r.stderr
    assert "/attr/" not in trace
    # the same with /proc a symlink to the fake tree
    cfg["mounts"].pop(1)
    write_config(b, cfg)
    os.rmdir(os.path.join(rootfs, "proc"))
    os.symlink("/fakeproc", os.path.join(rootfs, "proc"))
    capsa.fails("create", "--bundle", b, "fake2")
    assert all(os.path.getsize(os.path.join(fake, f)) == 0 for f in ("exec", "../exec"))


def test_cve_2019_16884_procfs_checked_before_a_write(capsa, make_bundle, tmp_path):
    """The runtime's own procfs writes after pivot_root (linux.sysctl here,
    the same check as the LSM labels) refuse a /proc that is not procfs:
    a host directory of fake files bound over /proc by the config."""
    fake = tmp_path / "fakeproc" / "sys" / "net" / "ipv4"
    fake.mkdir(parents=True)
    (fake / "ip_forward").write_text("fake\n")
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["mounts"].insert(1, {"destination": "/proc", "type": "bind",
                             "source": str(tmp_path / "fakeproc"), "options": ["rbind"]})
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    write_config(b, cfg)
    capsa.fails("run", "--bundle", b, "fakeproc", contains="not procfs")
    assert (fake / "ip_forward").read_text() == "fake\n"


def test_cve_2023_28642_proc_symlink_in_the_image(capsa, make_bundle, tmp_path):
    """/proc (or /sys) in the image a symlink: out of the rootfs, to its
    root, or inside it: refused with one clear line, nothing made or
    mounted on the host.  (Before this, capsa mounted proc where the link
    led inside the rootfs, and a racing swap of the link made the masks
    miss: test_cve_2019_19921_proc_raced.)"""
    evil = tmp_path / "evil-proc"
    for i, (name, target) in enumerate((("proc", "../../../../../../../.." + str(evil)),
                                        ("proc", "/"), ("proc", "tmp"), ("sys", "/"))):
        b = make_bundle(["cat", "/proc/self/stat"])
        rootfs = os.path.join(b, "rootfs")
        os.rmdir(os.path.join(rootfs, name))
        os.symlink(target, os.path.join(rootfs, name))
        before = host_mounts()
        capsa.fails("run", "--bundle", b, "sym%d" % i, contains="not through a symlink")
        assert not evil.exists() and escaped_mounts(before, rootfs) == []
