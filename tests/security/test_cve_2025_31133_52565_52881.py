"""The 2025 advisories on paths the runtime itself writes or binds:

- CVE-2025-31133: maskedPaths are made by binding /dev/null over files; an
  image whose /dev/null is a symlink to (or is) another file gets that
  file bound instead: whatever it is becomes readable (or writable) at
  /proc/keys and the other masked paths.
- CVE-2025-52565: the pty bound on /dev/console; an image whose
  /dev/console is a symlink gets the pty bound over the file it names.
- CVE-2025-52881: the runtime's writes to /proc/sys (linux.sysctl) or
  /proc/self/attr redirected by a mount over them (a tmpfs over /proc/sys,
  a bind of another file over one sysctl).

The images here have no /dev tmpfs in their config, so their own /dev is
used, as a config may ask.  A racer swaps the planted symlink with the
real node while `capsa run` is repeated, too."""
import os
import socket
import subprocess
import threading
import time

from bundle import load_config, write_config
from conftest import attack_path

SECRET = "capsa-secret-content"


def image_dev(make_bundle, args, **kw):
    """A bundle using the image's /dev (no tmpfs there), with /etc/secret."""
    b = make_bundle(args, readonly=False, **kw)
    cfg = load_config(b)
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/dev"]
    write_config(b, cfg)
    rootfs = os.path.join(b, "rootfs")
    with open(os.path.join(rootfs, "etc", "secret"), "w") as f:
        f.write(SECRET + "\n")
    return b, rootfs


MASK_CHECK = "cat /proc/keys /proc/timer_list; stat -c %t:%T /proc/keys"


def test_cve_2025_31133_dev_null_replaced(capsa, make_bundle):
    """/dev/null a symlink to a file, a symlink to a procfs file, a
    regular file, another device: masking is refused each time."""
    for i, plant in enumerate(("/etc/secret", "/proc/sys/kernel/core_pattern", "file", "zero")):
        b, rootfs = image_dev(make_bundle, ["sh", "-c", MASK_CHECK])
        null = os.path.join(rootfs, "dev", "null")
        if plant == "file":
            with open(null, "w") as f:
                f.write(SECRET)
        elif plant == "zero":
            os.mknod(null, 0o666 | 0o020000, os.makedev(1, 5))
        else:
            os.symlink(plant, null)
        capsa.fails("run", "--bundle", b, "n%d" % i, contains="not the null device")
        assert open(os.path.join(rootfs, "etc", "secret")).read() == SECRET + "\n"


def test_cve_2025_31133_dev_null_raced(capsa, make_bundle):
    """The image's real /dev/null swapped with a symlink to /etc/secret
    while containers start: never is the secret bound over a masked path."""
    from test_cve_2021_30465_2019_19921 import Racer
    b, rootfs = image_dev(make_bundle, ["sh", "-c", MASK_CHECK])
    dev = os.path.join(rootfs, "dev")
    os.mknod(os.path.join(dev, "null"), 0o666 | 0o020000, os.makedev(1, 3))
    os.symlink("/etc/secret", os.path.join(dev, "null-link"))
    racer = Racer(os.path.join(dev, "null"), os.path.join(dev, "null-link"))
    results = []
    try:
        for i in range(20):
            r = capsa.run("run", "--bundle", b, "race%d" % i)
            results.append((r.returncode, r.stdout, r.stderr))
    finally:
        assert racer.finish() > 1000
    ok = 0
    for rc, out, err in results:
        assert SECRET not in out, out
        if rc == 0:
            assert out.split() == ["1:3"], out
            ok += 1
        else:
            assert len(err.splitlines()) == 1, err
    if ok == 0:  # every run lost the race (a loaded machine): an unraced
        # image shows that a run which wins is checked for real
        calm, calm_rootfs = image_dev(make_bundle, ["sh", "-c", MASK_CHECK])
        os.mknod(os.path.join(calm_rootfs, "dev", "null"), 0o666 | 0o020000,
                 os.makedev(1, 3))
        r = capsa.run("run", "--bundle", calm, "race-calm")
        assert r.returncode == 0 and r.stdout.split() == ["1:3"], r


class ConsoleSocket:
    """A --console-socket receiver holding the pty master until closed."""

    def __init__(self, path):
        self.path = path
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)
        self.masters = []
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self):
        try:
            while True:
                conn, _ = self.srv.accept()
                _, fds, _, _ = socket.recv_fds(conn, 1024, 4)
                self.masters += fds
                conn.close()
        except OSError:
            pass

    def close(self):
        self.srv.close()
        for fd in self.masters:
            os.close(fd)


CONSOLE_CHECK = ("(stat -c %t /dev/console; cat /etc/secret; "
                 "grep -c ' /etc/secret ' /proc/self/mountinfo; true) > /result 2>&1")


def run_with_console(capsa, b, cid, sock):
    return capsa.run("run", "--console-socket", sock, "--bundle", b, cid)


def test_cve_2025_52565_dev_console_symlinked(capsa, make_bundle, tmp_path):
    cs = ConsoleSocket(str(tmp_path / "console.sock"))
    try:
        b, rootfs = image_dev(make_bundle, ["sh", "-c", CONSOLE_CHECK], terminal=True)
        os.symlink("/etc/secret", os.path.join(rootfs, "dev", "console"))
        r = run_with_console(capsa, b, "c1", cs.path)
        assert r.returncode != 0 and "/dev/console" in r.stderr, (r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        # the same image with a plain /dev/console gets the pty there
        os.unlink(os.path.join(rootfs, "dev", "console"))
        capsa.ok("run", "--console-socket", cs.path, "--bundle", b, "c2")
        out = open(os.path.join(rootfs, "result")).read().split()
        assert out == ["88", SECRET, "0"], out  # 0x88 = 136: a pty
    finally:
        cs.close()


def test_cve_2025_52565_dev_console_raced(capsa, make_bundle, tmp_path):
    from test_cve_2021_30465_2019_19921 import Racer
    cs = ConsoleSocket(str(tmp_path / "console.sock"))
    b, rootfs = image_dev(make_bundle, ["sh", "-c", CONSOLE_CHECK], terminal=True)
    dev = os.path.join(rootfs, "dev")
    open(os.path.join(dev, "console"), "w").close()
    os.symlink("/etc/secret", os.path.join(dev, "console-link"))
    racer = Racer(os.path.join(dev, "console"), os.path.join(dev, "console-link"))
    ok = 0
    try:
        for i in range(20):
            result = os.path.join(rootfs, "result")
            if os.path.exists(result):
                os.unlink(result)
            r = run_with_console(capsa, b, "race%d" % i, cs.path)
            if r.returncode == 0:
                # the pty went on the real node; the racer may have moved
                # that name since (then /dev/console reads as the link)
                out = open(result).read().split()
                assert out[1:] == [SECRET, "0"] and out[0] in ("88", "0"), out
                ok += 1
            else:
                assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    finally:
        assert racer.finish() > 1000
        cs.close()
    assert open(os.path.join(rootfs, "etc", "secret")).read() == SECRET + "\n"
    if ok == 0:  # every run lost the race: the same image, unraced
        calm_cs = ConsoleSocket(str(tmp_path / "calm.sock"))
        calm, calm_rootfs = image_dev(make_bundle, ["sh", "-c", CONSOLE_CHECK], terminal=True)
        open(os.path.join(calm_rootfs, "dev", "console"), "w").close()
        try:
            r = run_with_console(capsa, calm, "race-calm", calm_cs.path)
        finally:
            calm_cs.close()
        out = open(os.path.join(calm_rootfs, "result")).read().split()
        assert r.returncode == 0 and out[1:] == [SECRET, "0"] and out[0] in ("88", "0"), out


def sysctl_bundle(make_bundle, extra_mounts, readonly_paths=None, sysctl=True):
    b = make_bundle(["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward"])
    cfg = load_config(b)
    cfg["mounts"] += extra_mounts
    if sysctl:
        cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    if readonly_paths is not None:
        cfg["linux"]["readonlyPaths"] = readonly_paths
    write_config(b, cfg)
    return b


def test_cve_2025_52881_sysctl_into_a_tmpfs_over_proc_sys(capsa, make_bundle):
    b = sysctl_bundle(make_bundle, [{"destination": "/proc/sys", "type": "tmpfs",
                                     "source": "tmpfs"}])
    capsa.fails("run", "--bundle", b, "t", contains="not procfs")


def test_cve_2025_52881_sysctl_redirected_by_a_bind(capsa, make_bundle, tmp_path):
    """A bind of another file over /proc/sys/net/ipv4/ip_forward: the
    runtime's write must not land in it.  Control: a process in the same
    container writing that path does reach the host's file."""
    target = tmp_path / "target"
    target.write_text("untouched\n")
    bind = {"destination": "/proc/sys/net/ipv4/ip_forward", "type": "bind",
            "source": str(target), "options": ["bind", "rw"]}
    b = sysctl_bundle(make_bundle, [bind])
    r = capsa.run("run", "--bundle", b, "s")
    assert target.read_text() == "untouched\n"
    if r.returncode == 0:  # written into the real procfs, not the bind
        assert r.stdout.strip() == "untouched"
    else:
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    # control: the redirect works for a naive writer
    c = sysctl_bundle(make_bundle, [bind], readonly_paths=[], sysctl=False)
    cfg = load_config(c)
    cfg["process"]["args"] = ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]
    write_config(c, cfg)
    capsa.ok("run", "--bundle", c, "control")
    assert target.read_text() == "1\n"


def test_cve_2025_52881_proc_symlinked_for_sysctl(capsa, make_bundle):
    """An image whose /proc links to a directory of fake files: neither the
    proc mount nor the sysctl write follows it."""
    b = sysctl_bundle(make_bundle, [])
    rootfs = os.path.join(b, "rootfs")
    fake = os.path.join(rootfs, "fakeproc", "sys", "net", "ipv4")
    os.makedirs(fake)
    with open(os.path.join(fake, "ip_forward"), "w") as f:
        f.write("fake\n")
    os.rmdir(os.path.join(rootfs, "proc"))
    os.symlink("/fakeproc", os.path.join(rootfs, "proc"))
    capsa.fails("run", "--bundle", b, "p", contains="symlink")
    assert open(os.path.join(fake, "ip_forward")).read() == "fake\n"
    assert attack_path()  # the helpers are built (used by the races above)
    assert subprocess and time  # noqa: used by helpers in this module
