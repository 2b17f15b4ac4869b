"""CVE-2022-29162: `exec --cap` (or a config) filling the inheritable set,
so that a program in the image carrying file capabilities in its
inheritable set gains them at execve (P'(permitted) includes
P(inheritable) & F(inheritable), which the bounding set does not limit).

The image carries /capbin/grep, a copy of busybox with the file
capabilities cap_net_raw,cap_sys_admin+ei (setcap).  CapInh must be 0 in
every process capsa starts, and the program gains nothing.  The control
asks, in the config, for CAP_NET_RAW in the inheritable set (bounding
allows it): the same program then gains it, so a gain would be seen."""
import os
import shutil
import subprocess

import pytest

from bundle import load_config, write_config

NET_RAW, SYS_ADMIN = 1 << 13, 1 << 21
DEFAULT = (1 << 29) | (1 << 5) | (1 << 10)  # AUDIT_WRITE, KILL, NET_BIND_SERVICE


def capped_image(make_bundle, args=("sleep", "100"), **caps):
    b = make_bundle(list(args))
    rootfs = os.path.join(b, "rootfs")
    os.makedirs(os.path.join(rootfs, "capbin"))
    prog = os.path.join(rootfs, "capbin", "grep")
    shutil.copy(os.path.join(rootfs, "bin", "busybox"), prog)
    r = subprocess.run(["setcap", "cap_net_raw,cap_sys_admin+ei", prog],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot set file capabilities here: %s" % r.stderr)
    cfg = load_config(b)
    cfg["process"]["noNewPrivileges"] = False  # or file capabilities never apply
    for k, v in caps.items():
        cfg["process"]["capabilities"][k] = v
    write_config(b, cfg)
    return b


def caps_of(out):
    f = dict(line.split(":\t") for line in out.splitlines() if line.startswith("Cap"))
    return {k: int(v, 16) for k, v in f.items()}


STATUS = ["/capbin/grep", "^Cap", "/proc/self/status"]


def test_cve_2022_29162_run_and_exec_cap(capsa, make_bundle):
    b = capped_image(make_bundle)
    capsa.ok("run", "-d", "--bundle", b, "x")
    init = caps_of(capsa.ok("exec", "x", "grep", "^Cap", "/proc/1/status").stdout)
    assert init["CapInh"] == 0 and init["CapPrm"] == DEFAULT, init
    plain = caps_of(capsa.ok("exec", "x", *STATUS).stdout)
    assert plain["CapInh"] == 0 and plain["CapPrm"] == DEFAULT, plain
    for cap in ("CAP_NET_RAW", "CAP_SYS_ADMIN"):
        got = caps_of(capsa.ok("exec", "--cap", cap, "x", *STATUS).stdout)
        asked = NET_RAW if cap == "CAP_NET_RAW" else SYS_ADMIN
        assert got["CapInh"] == 0, got
        assert got["CapPrm"] == DEFAULT | asked, got  # what was asked, nothing more


def test_cve_2022_29162_config_inheritable_beyond_bounding(capsa, make_bundle):
    """A config whose inheritable set holds what the bounding set does not:
    refused, or the program gains nothing outside the bounding set."""
    b = capped_image(make_bundle, STATUS,
                     inheritable=["CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_KILL"])
    r = capsa.run("run", "--bundle", b, "inh")
    if r.returncode != 0:
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        return
    got = caps_of(r.stdout)
    assert got["CapPrm"] & ~DEFAULT == 0 and got["CapEff"] & ~DEFAULT == 0, got


def test_cve_2022_29162_control_file_caps_do_apply(capsa, make_bundle):
    b = capped_image(make_bundle, STATUS, inheritable=["CAP_NET_RAW"],
                     bounding=["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                               "CAP_NET_RAW"])
    got = caps_of(capsa.ok("run", "--bundle", b, "ctl").stdout)
    assert got["CapInh"] == NET_RAW and got["CapPrm"] == DEFAULT | NET_RAW, got
