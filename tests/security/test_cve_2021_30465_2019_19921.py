"""CVE-2021-30465 and CVE-2019-19921: a directory on the way to a mount
destination (a config mount, or /proc itself) swapped for a symlink to /
while the runtime sets its mounts up, so that a mount lands outside the
rootfs (on the host's files, or in place of the container's /proc).

The racer (tests/helpers/attack "race") runs on the host and exchanges a
directory of the rootfs with a symlink to / using renameat2
(RENAME_EXCHANGE) in a tight loop while `capsa run` is repeated.  After
every run: no directory named by the mounts appeared on the host, the
host's mountinfo did not change, and the container saw every one of its
mounts (a mount made outside the rootfs would be gone after pivot_root).
The control runs a naive mounter (mkdir -p + mount, following symlinks) in
a private mount namespace against the same racer: its mounts escape."""
import os
import subprocess
import time
import uuid

from bundle import load_config, write_config
from conftest import attack_path, escaped_mounts, host_mounts

RUNS = 15
MOUNTS = 12


class Racer:
    def __init__(self, a, b, seconds=20):
        self.stop = os.path.join(os.path.dirname(a), ".stop-race")
        self.p = subprocess.Popen([attack_path(), "race", a, b, str(seconds)],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(0.05)

    def finish(self):
        open(self.stop, "w").close()
        out, _ = self.p.communicate(timeout=30)
        os.unlink(self.stop)
        return int(out.split()[1])


def race_tree(rootfs, name, target="/"):
    """rootfs/race/{name} (a directory) and rootfs/race/link -> target."""
    race = os.path.join(rootfs, "race")
    os.makedirs(os.path.join(race, name), exist_ok=True)
    os.symlink(target, os.path.join(race, "link"))
    return os.path.join(race, name), os.path.join(race, "link")


def mounts_bundle(make_bundle, token):
    """A bundle whose MOUNTS tmpfs mounts lie below rootfs/race/d."""
    b = make_bundle(["sh", "-c", "grep -c %s /proc/self/mountinfo" % token])
    a, link = race_tree(os.path.join(b, "rootfs"), "d")
    cfg = load_config(b)
    for i in range(MOUNTS):
        cfg["mounts"].append({"destination": "/race/d/%s-%d" % (token, i), "type": "tmpfs",
                              "source": "tmpfs", "options": ["size=%dk" % (1000 + i)]})
    write_config(b, cfg)
    return b, a, link


def test_cve_2021_30465_mount_destinations_raced(capsa, make_bundle):
    token = "capsa-race-" + uuid.uuid4().hex[:8]
    b, a, link = mounts_bundle(make_bundle, token)
    before = host_mounts()
    racer = Racer(a, link)
    results = []
    try:
        for i in range(RUNS):
            r = capsa.run("run", "--bundle", b, "race%d" % i)
            results.append((r.returncode, r.stdout.strip(), r.stderr.strip()))
    finally:
        swaps = racer.finish()
    assert swaps > 1000, "the racer hardly ran: %d swaps" % swaps
    assert not [n for n in os.listdir("/") if n.startswith(token)], "a mount target escaped to /"
    assert escaped_mounts(before, token, os.path.join(b, "rootfs")) == []
    for rc, out, err in results:
        if rc == 0:
            assert out == str(MOUNTS), (out, err)  # every mount landed inside
        else:  # a clean refusal (e.g. the path changed under us) is fine
            assert len(err.splitlines()) == 1, err
    if not any(rc == 0 for rc, _, _ in results):
        # the racer won every time (a loaded machine): the same mounts,
        # unraced, must all land inside, so the checks above can fail
        calm, _, _ = mounts_bundle(make_bundle, token)
        r = capsa.run("run", "--bundle", calm, "race-calm")
        assert r.returncode == 0 and r.stdout.strip() == str(MOUNTS), r


def test_cve_2019_19921_proc_raced(capsa, make_bundle):
    """/proc of the image swapped with a symlink to / during create: proc
    is mounted on the real directory or the create fails; the procfs the
    container gets (under whichever of the two names the racer left it)
    always has its masks and read-only paths."""
    b = make_bundle(["sh", "-c",
                     "for d in /proc /proc-link; do [ $(stat -f -c %T $d/) = proc ] || continue; "
                     "echo $d $(cat $d/keys | wc -c) $(echo 1 2>/dev/null > "
                     "$d/sys/kernel/ns_last_pid && echo rw || echo ro); done"])
    rootfs = os.path.join(b, "rootfs")
    os.symlink("/", os.path.join(rootfs, "proc-link"))
    before = host_mounts()
    host_root = sorted(os.listdir("/"))
    racer = Racer(os.path.join(rootfs, "proc"), os.path.join(rootfs, "proc-link"))
    results = []
    try:
        for i in range(2 * RUNS):  # most are refused: the racer is quick
            r = capsa.run("run", "--bundle", b, "proc%d" % i)
            results.append((r.returncode, r.stdout.splitlines(), r.stderr.strip()))
    finally:
        swaps = racer.finish()
    assert swaps > 1000, swaps
    seen = 0
    assert escaped_mounts(before, rootfs, "/proc") == []
    assert sorted(os.listdir("/")) == host_root
    for rc, out, err in results:
        if rc == 0:
            # the racer keeps going: procfs may be under either name (or
            # be missed by both looks), never unmasked or writable
            for line in out:
                assert line.split()[1:] == ["0", "ro"], (out, err)
            seen += bool(out)
        else:
            assert len(err.splitlines()) == 1, err
    if seen == 0:
        # every create lost the race (refused cleanly): show on an
        # unraced bundle that the probe does see masked, read-only procfs,
        # so the checks above are not vacuous when a run does win
        calm = make_bundle(["sh", "-c", "echo /proc $(cat /proc/keys | wc -c) $(echo 1 "
                            "2>/dev/null > /proc/sys/kernel/ns_last_pid && echo rw || echo ro)"])
        r = capsa.run("run", "--bundle", calm, "proc-calm")
        assert r.returncode == 0 and r.stdout.split() == ["/proc", "0", "ro"], r


def test_cve_2021_30465_control_naive_mounter_escapes(make_bundle, tmp_path):
    """Control: `mkdir -p` + `mount` on the raced path (in a private mount
    namespace, so nothing reaches the host's) ends up outside the rootfs."""
    outside = tmp_path / "outside"
    outside.mkdir()
    b = make_bundle(["true"])
    a, link = race_tree(os.path.join(b, "rootfs"), "d", str(outside))
    racer = Racer(a, link)
    try:
        script = ('for i in $(seq 1 200); do mkdir -p "$1/m$i" 2>/dev/null; '
                  'mount -t tmpfs tmpfs "$1/m$i" 2>/dev/null; done; '
                  'grep -c " %s/m" /proc/self/mountinfo; true' % outside)
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                            "_", a], capture_output=True, text=True, timeout=60)
    finally:
        racer.finish()
    escaped = int(r.stdout.split()[0])
    assert escaped > 0 or os.listdir(outside), "the race never redirected a naive mounter"
