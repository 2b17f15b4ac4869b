"""What real engines send the runtime, pinned here after the interop suite
(tests/interop) found capsa treating it differently from runc."""
import json
import os

import pytest

CG = "/sys/fs/cgroup"


def v1(ctrl, cid, name):
    return os.path.join(CG, ctrl, cid, name)


def read(path):
    with open(path) as f:
        return f.read().strip()


def need_v1(*ctrls):
    for c in ctrls:
        if not os.path.isdir(os.path.join(CG, c)):
            pytest.skip("needs the v1 %s hierarchy" % c)


# `docker update --memory 256m --memory-swap 512m` (dockerd 20.10, through
# containerd's UpdateTask and the runc v2 shim's `update --resources -`):
# every field is sent, 0 for those never set
def docker_update(memory, swap):
    return {"blockIO": {"weight": 0},
            "cpu": {"shares": 0, "quota": 0, "period": 0, "cpus": "",
                    "mems": ""},
            "memory": {"limit": memory, "reservation": 0, "kernel": 0,
                       "swap": swap},
            "pids": {"limit": 0}}


def test_update_zero_means_unset(capsa, make_bundle):
    """0 leaves a setting as it is (runc's rule; the kernel refuses 0 for
    cfs_period_us and cfs_quota_us, and 0 for pids.max or cpu.shares would
    change the container): only the memory limit changes, and no warning
    about kernel memory is printed for a kernel limit of 0."""
    need_v1("memory", "cpu", "pids")
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "upzero")
    capsa.ok("update", "--cpu-shares", "512", "--cpu-quota", "30000",
             "--cpu-period", "100000", "--pids-limit", "50",
             "--memory-reservation", str(32 << 20), "upzero")
    r = capsa.ok("update", "-r", "-", "upzero",
                 input=json.dumps(docker_update(48 << 20, 96 << 20)))
    assert r.stderr == "", r.stderr
    assert read(v1("memory", "upzero", "memory.limit_in_bytes")) == str(48 << 20)
    assert read(v1("cpu", "upzero", "cpu.shares")) == "512"
    assert read(v1("cpu", "upzero", "cpu.cfs_quota_us")) == "30000"
    assert read(v1("cpu", "upzero", "cpu.cfs_period_us")) == "100000"
    assert read(v1("pids", "upzero", "pids.max")) == "50"
    assert read(v1("memory", "upzero", "memory.soft_limit_in_bytes")) == str(32 << 20)
    capsa.ok("delete", "--force", "upzero")


def test_update_raises_memory_past_the_swap_limit(capsa, make_bundle):
    """memory and memory+swap raised together past the current memsw
    limit: memsw is written first (the kernel keeps limit <= memsw), and
    lowered again: the limit first."""
    need_v1("memory")
    if not os.path.exists(v1("memory", "", "memory.memsw.limit_in_bytes")):
        pytest.skip("no swap accounting (memory.memsw.limit_in_bytes)")
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "upswap")
    for mem, swap in ((64 << 20, 128 << 20), (256 << 20, 512 << 20),
                      (48 << 20, 96 << 20)):
        capsa.ok("update", "-r", "-", "upswap",
                 input=json.dumps({"memory": {"limit": mem, "swap": swap}}))
        assert read(v1("memory", "upswap", "memory.limit_in_bytes")) == str(mem)
        assert read(v1("memory", "upswap", "memory.memsw.limit_in_bytes")) == str(swap)
    capsa.ok("delete", "--force", "upswap")


def test_tmpcopyup_on_a_new_directory_keeps_the_tmpfs_mode(capsa, make_bundle):
    """`podman run --tmpfs /scratch` (podman asks for tmpcopyup): on a
    directory the image lacks, the tmpfs keeps its own mode (1777, or
    mode=); on one the image has, it takes that directory's mode and
    content, as in runc."""
    from bundle import load_config, write_config
    b = make_bundle(["sh", "-c", "stat -c '%n %a' /scratch /private /etc; "
                                 "test -s /etc/passwd && echo copied"])
    cfg = load_config(b)
    opts = ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]
    cfg["mounts"] += [
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": opts},
        {"destination": "/private", "type": "tmpfs", "source": "tmpfs",
         "options": opts + ["mode=0700"]},
        {"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
         "options": opts + ["mode=0700"]},
    ]
    write_config(b, cfg)
    r = capsa.ok("run", "--bundle", b, "tmpmode")
    assert r.stdout.splitlines() == ["/scratch 1777", "/private 700",
                                     "/etc 755", "copied"], r.stdout


def test_tmpfs_over_an_image_directory_takes_its_mode(capsa, make_bundle):
    """`docker run --tmpfs /run` (no tmpcopyup): a tmpfs over a directory
    the image has takes that directory's mode, as in runc, unless the
    mount gives mode= (runc 1.1 ignores it there; capsa keeps it); over a
    new directory it keeps tmpfs's 1777."""
    from bundle import load_config, write_config
    b = make_bundle(["stat", "-c", "%n %a", "/run", "/srv", "/new"])
    cfg = load_config(b)
    for d, mode in (("run", 0o750), ("srv", 0o755)):
        os.makedirs(os.path.join(b, "rootfs", d), exist_ok=True)
        os.chmod(os.path.join(b, "rootfs", d), mode)
    opts = ["noexec", "nosuid", "nodev", "rprivate"]
    cfg["mounts"] += [
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
         "options": opts},
        {"destination": "/srv", "type": "tmpfs", "source": "tmpfs",
         "options": opts + ["mode=0711"]},
        {"destination": "/new", "type": "tmpfs", "source": "tmpfs",
         "options": opts},
    ]
    write_config(b, cfg)
    r = capsa.ok("run", "--bundle", b, "tmpfsmode")
    assert r.stdout.splitlines() == ["/run 750", "/srv 711", "/new 1777"], r.stdout


@pytest.mark.parametrize("uid,env,home", [
    (0, None, "/root"),            # from the container's /etc/passwd
    (1, None, "/usr/sbin"),        # daemon's home there
    (4242, None, "/"),             # no entry: "/"
    (1, {"HOME": ""}, "/usr/sbin"),  # empty counts as unset
    (0, {"HOME": "/custom"}, "/custom"),  # given: kept
])
def test_home_from_passwd_when_unset(capsa, make_bundle, uid, env, home):
    """docker sets no HOME: the runtime gives the process its user's home
    from the container's /etc/passwd, else "/", as runc does, for the
    container's process and for exec."""
    from bundle import load_config, write_config

    def bundle(args):
        b = make_bundle(args, env=env)
        cfg = load_config(b)
        cfg["process"]["user"] = {"uid": uid, "gid": uid}
        write_config(b, cfg)
        return b
    r = capsa.ok("run", "--bundle", bundle(["sh", "-c", 'echo "$HOME"; env | grep -c "^HOME="']),
                 "home1")
    assert r.stdout == "%s\n1\n" % home
    capsa.ok("run", "-d", "--bundle", bundle(["sleep", "100"]), "home2")
    r = capsa.ok("exec", "home2", "sh", "-c", 'echo "$HOME"')
    assert r.stdout == home + "\n"
    capsa.ok("delete", "--force", "home2")
