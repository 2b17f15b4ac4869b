"""valgrind memcheck over capsa's commands on a real container: start,
state, list, ps, exec, kill and delete: no invalid access, no leak of any
kind, nothing suppressed.  A dynamically linked
build ($CAPSA_VG, default build-vg/capsa, made by make check with
static_deps and static_pie off, as memcheck cannot replace malloc in a
static glibc, and -Dvalgrind=true, which leaves out the re-exec from a
read-only clone of the binary: memcheck would not follow it).

Debian's valgrind 3.19 knows neither pidfd_open (434) nor clone3 (435):
capsa falls back to /proc and to clone when the kernel says ENOSYS (as
kernels before 5.3 do), and those paths are what runs here.  create (and
so run) stays out: its init is a fork, which memcheck keeps under itself
until execve, and the init's openat2 (437) is unknown to valgrind 3.19
(there is no fallback for it: RESOLVE_IN_ROOT is what keeps mounts
inside the rootfs).  create is covered by the ASan+UBSan integration run.
Run as root (make check)."""
import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
import bundle as bundle_mod  # noqa: E402

CAPSA = os.environ.get("CAPSA_VG", os.path.join(REPO, "build-vg", "capsa"))
VALGRIND = ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=all",
            "--errors-for-leak-kinds=all", "--error-exitcode=99", "--track-fds=no",
            "--trace-children=no", "--child-silent-after-fork=yes"]


@pytest.fixture(scope="module", autouse=True)
def _need():
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode:
        pytest.skip("valgrind missing (scripts/install-deps.sh --test)")


def vg(tmp_path, root, *args, expect=0):
    log = tmp_path / ("vg-%s.log" % args[0])
    with open(tmp_path / "out", "w+") as out:
        r = subprocess.run(VALGRIND + ["--log-file=%s" % log, CAPSA, "--root", root, *args],
                           stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=120)
    text = log.read_text()
    assert r.returncode != 99, "memcheck errors in capsa %s:\n%s" % (args[0], text[-4000:])
    assert "ERROR SUMMARY: 0 errors" in text, text[-4000:]
    assert "definitely lost" not in text or "definitely lost: 0 bytes" in text, text[-4000:]
    assert r.returncode == expect, "capsa %s exited %d:\n%s" % (args[0], r.returncode,
                                                                 text[-2000:])
    return text


def bundle(path, args):
    """A bundle without rlimits: memcheck keeps some fds for itself and
    refuses RLIMIT_NOFILE changes of the process it runs."""
    b = bundle_mod.make_bundle(path, args=args)
    cfg = bundle_mod.load_config(b)
    cfg["process"].pop("rlimits", None)
    bundle_mod.write_config(b, cfg)
    return b


def test_lifecycle_clean_under_memcheck(tmp_path):
    b = bundle(str(tmp_path / "b"), ["sleep", "300"])
    root = str(tmp_path / "root")
    try:
        r = subprocess.run([CAPSA, "--root", root, "create", "--bundle", b, "vg1"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        assert r.returncode == 0
        vg(tmp_path, root, "start", "vg1")
        vg(tmp_path, root, "state", "vg1")
        vg(tmp_path, root, "list")
        vg(tmp_path, root, "ps", "vg1")
        vg(tmp_path, root, "exec", "vg1", "sh", "-c", "exit 3", expect=3)
        vg(tmp_path, root, "kill", "vg1", "KILL")
        for _ in range(200):
            if '"stopped"' in subprocess.run([CAPSA, "--root", root, "state", "vg1"],
                                             capture_output=True, text=True).stdout:
                break
            time.sleep(0.05)
        vg(tmp_path, root, "delete", "--force", "vg1")
        assert not os.path.exists(os.path.join(root, "vg1"))
    finally:
        for cid in ("vg1",):
            subprocess.run([CAPSA, "--root", root, "delete", "--force", cid],
                           capture_output=True, timeout=30)
