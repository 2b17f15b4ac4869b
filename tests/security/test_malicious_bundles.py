"""Malicious bundles: a rootfs that is a symlink (to the host's / or
elsewhere), device nodes of the host's disks shipped in an image run in a
user namespace, and absurd sizes and counts, which must be refused with one
clear line and bounded memory (the runtime's peak RSS, /usr/bin/time %M)."""
import json
import os
import subprocess

import pytest

from bundle import load_config, write_config
from conftest import CAPSA, userns_bundle
from loopdev import loop_device



def sanitized():
    out = subprocess.run(["ldd", CAPSA], capture_output=True, text=True).stdout
    return "libasan" in out


def timed(capsa, *args):
    """(result, peak RSS in KB) of one capsa command."""
    r = capsa.run(*args, glob=())  # warm the page cache, same command
    p = subprocess.run(["/usr/bin/time", "-f", "%M", CAPSA, "--root", capsa.root, *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    lines = p.stderr.strip().splitlines()
    r.stderr_timed = "\n".join(lines[:-1])
    return r, int(lines[-1])


@pytest.mark.parametrize("target", ["/", "host-dir", "relative"])
def test_malicious_bundle_rootfs_is_a_symlink(capsa, make_bundle, tmp_path, target):
    b = make_bundle(["sh", "-c", "ls /"])
    rootfs = os.path.join(b, "rootfs")
    os.rename(rootfs, os.path.join(b, "real-rootfs"))
    if target == "host-dir":
        target = str(tmp_path)
    elif target == "relative":
        target = "real-rootfs"
    os.symlink(target, rootfs)
    capsa.fails("run", "--bundle", b, "sym", contains="symlink")
    # root.path naming the host's root through ".." is refused as well
    cfg = load_config(b)
    cfg["root"]["path"] = "../../../../../../../../.."
    write_config(b, cfg)
    capsa.fails("run", "--bundle", b, "dotdot", contains="host's root")


@pytest.fixture
def host_disk(tmp_path):
    """A host block device holding a marker: a loop device over a file (the
    VM's own disk is closed even to root here)."""
    with loop_device(tmp_path / "disk.img", b"CAPSA-DISK-MARKER" + bytes(65536)) as dev:
        yield os.stat(dev).st_rdev


def test_malicious_bundle_host_disk_node_in_userns(capsa, make_bundle, host_disk):
    """The image ships a block device node (mode 0666) of a host disk: in
    a user namespace the container cannot read it.  Control: a plain
    chroot into the same rootfs reads the disk's marker."""
    script = "head -c 17 /disk 2>/dev/null; echo; echo x 2>/dev/null > /disk && echo wrote; true"
    b = userns_bundle(make_bundle, ["sh", "-c", script])
    rootfs = os.path.join(b, "rootfs")
    os.mknod(os.path.join(rootfs, "disk"), 0o666 | 0o060000, host_disk)
    os.chmod(os.path.join(rootfs, "disk"), 0o666)
    assert capsa.ok("run", "--bundle", b, "disk").stdout.split() == []
    control = subprocess.run(["chroot", rootfs, "/bin/sh", "-c", "head -c 17 /disk"],
                             capture_output=True, text=True, timeout=20)
    assert control.stdout == "CAPSA-DISK-MARKER", control


def test_malicious_bundle_absurd_sizes(capsa, make_bundle):
    b = make_bundle(["true"])
    base = load_config(b)
    r, baseline = timed(capsa, "run", "--bundle", b, "base")
    assert r.returncode == 0
    cases = {
        "mounts": (lambda c: c["mounts"].extend(
            {"destination": "/m%d" % i, "type": "tmpfs", "source": "tmpfs"}
            for i in range(100000)), "more than the 4096"),
        "env": (lambda c: c["process"]["env"].append("BIG=" + "x" * (1 << 20)),
                "Argument list too long"),
        "namespaces": (lambda c: c["linux"]["namespaces"].extend(
            [{"type": "ipc"}] * 10000), "duplicate namespace"),
        "huge": (lambda c: c.setdefault("annotations", {}).update(
            ("k%d" % i, "v" * 100) for i in range(200000)), "larger than"),
        "args": (lambda c: c["process"].update(args=["true"] * 300000),
                 "Argument list too long"),
    }
    for name, (change, message) in cases.items():
        cfg = json.loads(json.dumps(base))
        change(cfg)
        write_config(b, cfg)
        r, rss = timed(capsa, "run", "--bundle", b, name)
        assert r.returncode != 0, name
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and message in lines[0], (name, r.stderr)
        # bounded by what was read (config.json is capped at 16 MiB): the
        # parsed JSON costs up to ~20 times its text (jansson objects)
        size_kb = min(os.path.getsize(os.path.join(b, "config.json")), 16 << 20) // 1024
        bound = (baseline + 20 * size_kb + 8192) * (3 if sanitized() else 1)
        assert rss < bound, (name, rss, baseline, size_kb)
        assert capsa.ids() == [], name
