"""CVE-2024-21626: a host directory reachable from the container through a
leaked fd: `process.cwd` (or `exec --cwd`) set to /proc/self/fd/N, where N
is one of the runtime's own fds (the cgroupfs, the state dir, the bundle)
or one its caller leaked, or an fd still open after exec.

Every N from 3 to 64 is tried, for run and for exec, with the caller
leaking a host directory (holding a marker file) at fds 5, 9, 20 and 63.
The process inside is tests/helpers/attack "fds": it walks up with ".."
from its cwd and from every fd it has (and pid 1's) and reports a breach if
the host's marker is visible from there.  The control runs the same walker
in a plain chroot with the same leaked fd: it finds the marker."""
import os
import subprocess
import sys
import tempfile

from bundle import load_config, write_config
from conftest import put_attack, wait_for_file

LEAKED = (5, 9, 20, 63)


def host_dir_with_marker(tmp_path):
    d = tmp_path / "host-dir"
    d.mkdir()
    (d / "capsa-host-marker").write_text("host\n")
    return d, str(d / "capsa-host-marker").lstrip("/")


def leaking(capsa, fd, *args):
    """Run capsa with the host directory fd leaked (not CLOEXEC) at every
    fd in LEAKED, as a careless caller would."""
    wrapper = ("import os, sys\n"
               "for n in %r: os.dup2(%d, n)\n"
               "os.execv(sys.argv[1], sys.argv[1:])\n" % (LEAKED, fd))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # files, not pipes: a detached container keeps its stdio
        r = subprocess.run([sys.executable, "-c", wrapper, capsa.binary, "--root", capsa.root,
                            *args], pass_fds=(fd,), stdin=subprocess.DEVNULL,
                           stdout=out, stderr=err, timeout=30)
        out.seek(0)
        err.seek(0)
        r.stdout, r.stderr = out.read().decode(), err.read().decode()
    return r


def check(r, n):
    """Refused with one clear line, or ran with nothing of the host reachable."""
    if r.returncode != 0:
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and "cwd" in lines[0], (n, r.stderr)
        assert "breach" not in r.stdout
        return "refused"
    assert "breach" not in r.stdout, (n, r.stdout)
    assert r.stdout.startswith("cwd /"), (n, r.stdout)
    return "inside"


def test_cve_2024_21626_cwd_through_every_fd_run(capsa, make_bundle, tmp_path):
    d, marker = host_dir_with_marker(tmp_path)
    fd = os.open(str(d), os.O_RDONLY | os.O_DIRECTORY)
    outcomes = {}
    b = make_bundle(["attack", "fds", marker])
    put_attack(b)
    cfg = load_config(b)
    try:
        for n in range(3, 65):
            cfg["process"]["cwd"] = "/proc/self/fd/%d" % n
            write_config(b, cfg)
            outcomes[n] = check(leaking(capsa, fd, "run", "--bundle", b, "r%d" % n), n)
    finally:
        os.close(fd)
    assert all(outcomes[n] == "refused" for n in LEAKED), outcomes


def test_cve_2024_21626_cwd_through_every_fd_exec(capsa, make_bundle, tmp_path):
    d, marker = host_dir_with_marker(tmp_path)
    b = make_bundle(["sleep", "100"])
    put_attack(b)
    capsa.ok("run", "-d", "--bundle", b, "x")
    fd = os.open(str(d), os.O_RDONLY | os.O_DIRECTORY)
    outcomes = {}
    try:
        for n in range(3, 65):
            r = leaking(capsa, fd, "exec", "--cwd", "/proc/self/fd/%d" % n, "x",
                        "attack", "fds", marker)
            outcomes[n] = check(r, n)
    finally:
        os.close(fd)
    assert all(outcomes[n] == "refused" for n in LEAKED), outcomes


def test_cve_2024_21626_no_host_fd_after_exec(capsa, make_bundle, tmp_path):
    """With the caller's leaks and cwd /, the process (run, then exec) has
    fds 0-2 and its own opendir only, and pid 1 nothing more."""
    d, marker = host_dir_with_marker(tmp_path)
    b = make_bundle(["sh", "-c", "attack fds %s > /run-fds; sleep 100" % marker],
                    readonly=False)
    put_attack(b)
    fd = os.open(str(d), os.O_RDONLY | os.O_DIRECTORY)
    try:
        r = leaking(capsa, fd, "run", "--bundle", b, "--detach", "x")
        assert r.returncode == 0, r.stderr
        r = leaking(capsa, fd, "exec", "x", "attack", "fds", marker)
        assert r.returncode == 0, r.stderr
    finally:
        os.close(fd)
    run_out = wait_for_file(os.path.join(b, "rootfs", "run-fds"), contains="fd /proc/1/")
    for out in (run_out, r.stdout):
        assert "breach" not in out, out
        own = [line.split()[1] for line in out.splitlines() if line.startswith("fd /proc/self/")]
        assert sorted(own) == ["/proc/self/fd/%d" % i for i in range(4)], out


def test_cve_2024_21626_control_plain_chroot_leaks(make_bundle, tmp_path):
    """Control: the same walker in a plain chroot that inherits the leaked
    fd finds the host's marker."""
    d, marker = host_dir_with_marker(tmp_path)
    b = make_bundle(["true"])
    put_attack(b)
    rootfs = os.path.join(b, "rootfs")
    fd = os.open(str(d), os.O_RDONLY | os.O_DIRECTORY)
    try:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/attack fds "$2"',
                            "_", rootfs, marker],
                           preexec_fn=lambda: os.dup2(fd, 5), pass_fds=(5,),  # 5: free
                           capture_output=True, text=True, timeout=20)
    finally:
        os.close(fd)
    assert "breach /proc/self/fd/5" in r.stdout, (r.stdout, r.stderr)
