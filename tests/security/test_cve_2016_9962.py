"""CVE-2016-9962: a container process reaches the runtime's helper that
joins the container (`capsa exec`'s child, still capsa's binary with the
host's fds and full capabilities) before it has dropped its privileges and
exec'd: ptrace, or /proc/PID/{mem,exe,cwd,root,fd/N}.

The attacker (tests/helpers/attack "peek") runs inside the container and
polls for processes named like the runtime's binary; the host meanwhile
runs `capsa exec` in a loop, leaking a host directory (fd 5, holding a
marker file) as a careless caller would.  A breach is any such open or
attach that succeeds while the process is still the runtime, or any
directory reached through it from which the host's marker is visible.
The control gives the container CAP_SYS_PTRACE (which passes
non-dumpable and the capability check by design): the same attacker then
gets in, so the test can see a breach."""
import os
import subprocess
import time

import pytest

from bundle import load_config, write_config
from conftest import put_attack, wait_for_file


def peek_while_exec(capsa, make_bundle, tmp_path, caps=(), rounds=25):
    marker_dir = tmp_path / "host-dir"
    marker_dir.mkdir(parents=True)
    marker = marker_dir / "capsa-host-marker"
    marker.write_text("host\n")
    b = make_bundle(["sleep", "100"], readonly=False)
    put_attack(b)
    cfg = load_config(b)
    for s in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][s] += list(caps)
    write_config(b, cfg)
    capsa.ok("run", "-d", "--bundle", b, "peek")
    comm = os.path.basename(capsa.binary)[:15]
    capsa.ok("exec", "-d", "peek", "sh", "-c",
             "attack peek 4 %s %s > /result" % (comm, str(marker).lstrip("/")))
    time.sleep(0.2)
    fd = os.open(str(marker_dir), os.O_RDONLY | os.O_DIRECTORY)
    try:
        end = time.monotonic() + 3
        n = 0
        while n < rounds or time.monotonic() < end and n < rounds * 4:
            r = subprocess.run([capsa.binary, "--root", capsa.root, "exec", "peek", "true"],
                               preexec_fn=lambda: os.dup2(fd, 5), pass_fds=(5,),
                               capture_output=True, timeout=20)
            assert r.returncode == 0, r.stderr
            n += 1
            if time.monotonic() > end:
                break
    finally:
        os.close(fd)
    out = wait_for_file(os.path.join(b, "rootfs", "result"), contains="seen")
    assert out is not None
    return out


def test_cve_2016_9962_exec_helper_unreachable(capsa, make_bundle, tmp_path):
    out = peek_while_exec(capsa, make_bundle, tmp_path)
    assert "breach" not in out, out
    assert int(out.split("seen")[1].split()[0]) > 0, "the attacker never saw a helper: %r" % out


def test_cve_2016_9962_control_cap_sys_ptrace_gets_in(capsa, make_bundle, tmp_path):
    """Control: with CAP_SYS_PTRACE (a privileged container) the same
    attacker reaches the helper, so the test above can see a breach."""
    for _ in range(3):
        out = peek_while_exec(capsa, make_bundle, tmp_path / str(_), caps=["CAP_SYS_PTRACE"])
        if "breach" in out:
            return
        capsa.run("delete", "--force", "peek")
    pytest.fail("the attacker never reached a helper even with CAP_SYS_PTRACE: %r" % out)
