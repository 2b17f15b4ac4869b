"""From image to container: what the image config says (Entrypoint, Cmd,
Env, WorkingDir, User, StopSignal, Labels, Volumes) and the flags that
override it; hostile configs (a User or WorkingDir reaching out of the
root through symlinks); an image of 128 layers; --init; volumes; exec."""
import json
import os
import time

import pytest

import oci_images
import procs
from oci_images import Image, Layer


def pull_image(engine, tmp_path, name, image):
    lay = oci_images.write_image(tmp_path / name, image)
    engine.ok("pull", "-q", "oci:%s:latest" % lay.path)
    return "localhost/%s:latest" % name


def busybox_plus(*layers, **cfg):
    img = Image([oci_images.busybox_layer(), *layers], **cfg)
    return img


def test_config_entrypoint_cmd_env_workdir(engine, tmp_path):
    ref = pull_image(engine, tmp_path, "cfg", busybox_plus(
        entrypoint=["/bin/echo", "entry"], cmd=["cmd1", "cmd2"],
        env=["PATH=/usr/bin:/bin", "FOO=image", "KEEP=1"], workdir="/made/here"))
    assert engine.ok("run", "--rm", ref).stdout == "entry cmd1 cmd2\n"
    assert engine.ok("run", "--rm", ref, "args").stdout == "entry args\n"
    r = engine.ok("run", "--rm", "--entrypoint", "/bin/sh", ref, "-c",
                  "echo $FOO $KEEP $BAR; pwd")
    assert r.stdout == "image 1\n/made/here\n"
    r = engine.ok("run", "--rm", "-e", "FOO=flag", "-e", "BAR=b", "-w", "/tmp",
                  "--entrypoint", "/bin/sh", ref, "-c", "echo $FOO $KEEP $BAR; pwd")
    assert r.stdout == "flag 1 b\n/tmp\n"


def test_user_from_image_passwd(engine, tmp_path):
    ref = pull_image(engine, tmp_path, "usr", busybox_plus(user="user", cmd=["id"]))
    assert engine.ok("run", "--rm", ref).stdout.startswith("uid=1000(user) gid=1000")
    assert engine.ok("run", "--rm", "-u", "0:0", ref).stdout.startswith("uid=0(root)")
    r = engine.fails("run", "--rm", "-u", "nosuchuser", ref, code=125)
    assert "nosuchuser" in r.stderr


def test_hostile_passwd_symlink_is_not_the_hosts(engine, tmp_path):
    # /etc/passwd -> the host's /etc/passwd through .. and absolute paths:
    # resolved inside the image, where it does not exist
    evil = Layer().dir("etc").symlink("etc/passwd", "../../../../../../etc/passwd") \
        .symlink("etc/group", "/etc/group")
    ref = pull_image(engine, tmp_path, "evilpw", busybox_plus(evil, user="root"))
    r = engine.run("run", "--rm", ref, "true")
    # the host has a root user: had the host's file been read, this works
    assert r.returncode == 125 and "passwd" in r.stderr, r.stderr


def test_hostile_workdir_symlink_stays_inside(engine, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    evil = Layer().symlink("escape", "../../../../../../../../" + str(outside).lstrip("/"))
    ref = pull_image(engine, tmp_path, "evilwd", busybox_plus(evil, workdir="/escape/made"))
    engine.run("run", "--rm", ref, "true")
    assert os.listdir(outside) == [], "WorkingDir made on the host"


def test_stop_signal_and_labels_from_image(engine, tmp_path):
    ref = pull_image(engine, tmp_path, "sig", busybox_plus(
        stop_signal="SIGUSR1", labels={"from": "image"},
        cmd=["sh", "-c", "trap 'exit 9' USR1; while true; do sleep 0.1; done"]))
    engine.ok("run", "-d", "--name", "s", "--label", "flag=yes", ref)
    time.sleep(0.3)
    engine.ok("stop", "-t", "5", "s")
    assert engine.inspect("s")["State"]["ExitCode"] == 9
    assert engine.ok("ps", "-aq", "--filter", "label=flag=yes").stdout.strip() != ""


def test_image_volumes_become_anonymous_volumes(engine, tmp_path):
    ref = pull_image(engine, tmp_path, "vol", busybox_plus(volumes=["/data"]))
    engine.ok("run", "--name", "v", ref, "sh", "-c", "echo kept > /data/f")
    [vol] = json.loads(engine.ok("volume", "ls", "--format", "json").stdout)
    assert vol["Anonymous"] and open(os.path.join(vol["Mountpoint"], "f")).read() == "kept\n"
    engine.ok("rm", "-v", "v")
    assert json.loads(engine.ok("volume", "ls", "--format", "json").stdout) == []


def test_named_volume_shared_and_protected(engine):
    engine.ok("volume", "create", "shared")
    engine.ok("run", "--rm", "-v", "shared:/s", "busybox", "sh", "-c", "echo one > /s/f")
    assert engine.ok("run", "--rm", "-v", "shared:/s:ro", "busybox", "cat", "/s/f").stdout \
        == "one\n"
    assert engine.run("run", "--rm", "-v", "shared:/s:ro", "busybox", "touch",
                      "/s/g").returncode == 1
    engine.ok("create", "--name", "user", "-v", "shared:/s", "busybox", "true")
    r = engine.fails("volume", "rm", "shared", code=125)
    assert "in use" in r.stderr
    engine.ok("rm", "user")
    engine.ok("volume", "rm", "shared")
    assert engine.ok("volume", "ls", "-q").stdout == ""


def test_bind_mount_ro_and_tmpfs(engine, tmp_path):
    d = tmp_path / "bind"
    d.mkdir()
    (d / "in").write_text("host\n")
    r = engine.ok("run", "--rm", "-v", "%s:/b" % d, "--tmpfs", "/t", "busybox", "sh", "-c",
                  "cat /b/in; echo c > /b/out; grep ' /t ' /proc/mounts | cut -d' ' -f3")
    assert r.stdout == "host\ntmpfs\n" and (d / "out").read_text() == "c\n"
    assert engine.run("run", "--rm", "-v", "%s:/b:ro" % d, "busybox", "touch",
                      "/b/x").returncode == 1
    assert engine.run("run", "--rm", "--read-only", "busybox", "touch", "/x").returncode == 1


def test_128_layers(engine, tmp_path):
    layers = [oci_images.busybox_layer()]
    for i in range(127):
        layers.append(Layer().file("layer/%03d" % i, b"%d\n" % i))
    ref = pull_image(engine, tmp_path, "deep", Image(layers))
    r = engine.ok("run", "--rm", ref, "sh", "-c", "ls /layer | wc -l; cat /layer/126")
    assert r.stdout.split() == ["127", "126"]


def test_init_reaps_and_forwards(engine):
    r = engine.ok("run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | "
                  "tr '\\0' ' '")
    assert "capsa-init" in r.stdout or "/run/capsa-init" in r.stdout, r.stdout
    # sleep as PID 1 ignores SIGTERM; under --init it dies of it at once
    engine.ok("run", "-d", "--init", "--name", "i", "busybox", "sleep", "1000")
    t = time.monotonic()
    engine.ok("stop", "-t", "20", "i")
    assert time.monotonic() - t < 10
    assert engine.inspect("i")["State"]["ExitCode"] == 143


def test_exec(engine):
    engine.ok("run", "-d", "--name", "e", "busybox", "sleep", "1000")
    assert engine.ok("exec", "e", "echo", "hi").stdout == "hi\n"
    assert engine.run("exec", "e", "sh", "-c", "exit 4").returncode == 4
    assert engine.run("exec", "e", "nosuchcmd").returncode == 127
    r = engine.ok("exec", "-u", "user", "-w", "/tmp", "-e", "X=1", "e", "sh", "-c",
                  "id -u; pwd; echo $X")
    assert r.stdout == "1000\n/tmp\n1\n"
    assert engine.ok("exec", "-i", "e", "cat", input=b"in\n").stdout == "in\n"
    engine.ok("exec", "-d", "e", "sh", "-c", "echo bg > /tmp/bg")
    procs.wait_for(lambda: engine.run("exec", "e", "cat", "/tmp/bg").stdout == "bg\n",
                   what="detached exec")
    r = engine.fails("exec", "-u", "nosuchuser", "e", "true", code=125)
    engine.ok("stop", "-t", "0", "e")
    r = engine.fails("exec", "e", "true", code=125)
    assert "not running" in r.stderr


def test_cgroup_limits(engine):
    r = engine.ok("run", "--rm", "--memory", "64m", "--pids-limit", "50", "busybox", "sh", "-c",
                  "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                  "/sys/fs/cgroup/memory.max /sys/fs/cgroup/pids/pids.max "
                  "/sys/fs/cgroup/pids.max 2>/dev/null; true")
    vals = r.stdout.split()
    assert "67108864" in vals and "50" in vals, vals
