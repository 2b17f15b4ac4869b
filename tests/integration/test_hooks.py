"""OCI hooks: where and when each kind runs, what it reads on stdin, and
what its failure does."""
import json
import os
import time

from bundle import load_config, write_config
from conftest import wait_gone

HOST_HOOK = """#!/bin/sh
state=$(cat)
echo "$1 $FOO $state" >> "$2"
[ -z "$3" ] || exit "$3"
"""


def host_hook(tmp_path, kind, log, fail=None, env=("FOO=bar",)):
    path = tmp_path / "hook.sh"
    if not path.exists():
        path.write_text(HOST_HOOK)
        path.chmod(0o755)
    args = ["hook.sh", kind, str(log)] + ([str(fail)] if fail is not None else [])
    return {"path": str(path), "args": args, "env": list(env)}


def read_log(log):
    out = []
    for line in open(log).read().splitlines():
        kind, foo, state = line.split(" ", 2)
        out.append((kind, foo, json.loads(state)))
    return out


def test_hooks_order_and_state(capsa, make_bundle, tmp_path):
    log = tmp_path / "hooks.log"
    b = make_bundle(["sleep", "100"], readonly=False)
    cfg = load_config(b)
    cfg["annotations"] = {"org.example": "yes"}
    cfg["hooks"] = {
        "prestart": [host_hook(tmp_path, "prestart", log)],
        "createRuntime": [host_hook(tmp_path, "createRuntime", log)],
        "createContainer": [host_hook(tmp_path, "createContainer", log)],
        "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c",
                            "echo startContainer $(cat) >> /start-hook.log"]}],
        "poststart": [host_hook(tmp_path, "poststart", log)],
        "poststop": [host_hook(tmp_path, "poststop", log)],
    }
    write_config(b, cfg)
    capsa.ok("create", "--bundle", b, "hk")
    pid = capsa.state("hk")["pid"]
    assert [e[0] for e in read_log(log)] == ["prestart", "createRuntime", "createContainer"]
    capsa.ok("start", "hk")
    inside = open(os.path.join(b, "rootfs", "start-hook.log")).read().split(" ", 1)
    assert inside[0] == "startContainer"
    start_state = json.loads(inside[1])
    capsa.ok("kill", "hk", "KILL")
    assert wait_gone(pid)
    capsa.ok("delete", "hk")
    entries = read_log(log)
    assert [e[0] for e in entries] == ["prestart", "createRuntime", "createContainer",
                                       "poststart", "poststop"]
    statuses = [e[2]["status"] for e in entries]
    # runtime.md: "created" once step 2 (the environment) is done
    assert statuses == ["created", "created", "created", "running", "stopped"]
    # pids as seen where each hook runs: the container's inside it
    assert start_state["status"] == "created" and start_state["pid"] == 1
    expect_pid = {"prestart": pid, "createRuntime": pid, "createContainer": 1,
                  "poststart": pid}
    for kind, foo, state in entries:
        assert foo == "bar"  # the hook's own env
        assert state["id"] == "hk" and state["bundle"] == b
        assert state["annotations"] == {"org.example": "yes"}
        assert state["ociVersion"]
        if kind == "poststop":
            assert "pid" not in state  # the dead init's pid may be another's now
        else:
            assert state["pid"] == expect_pid[kind], kind


def test_failing_create_runtime_hook_fails_create(capsa, make_bundle, tmp_path):
    log = tmp_path / "hooks.log"
    b = make_bundle(["sleep", "100"])
    cfg = load_config(b)
    cfg["hooks"] = {"createRuntime": [host_hook(tmp_path, "createRuntime", log, fail=3)],
                    "poststop": [host_hook(tmp_path, "poststop", log)]}
    write_config(b, cfg)
    r = capsa.run("create", "--bundle", b, "hf")
    assert r.returncode == 1
    assert "hooks.createRuntime[0]" in r.stderr and "exit status 3" in r.stderr
    assert str(tmp_path / "hook.sh") in r.stderr
    assert capsa.ids() == []
    entries = read_log(log)
    assert wait_gone(entries[0][2]["pid"])  # the init was killed
    # and the lifecycle went on to poststop (runtime.md, step 12)
    assert [e[0] for e in entries] == ["createRuntime", "poststop"]
    assert entries[1][2]["status"] == "stopped"


def test_failing_create_container_hook_names_its_output(capsa, make_bundle, tmp_path):
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["hooks"] = {"createContainer": [{"path": "/bin/sh", "args": [
        "sh", "-c", "echo something went wrong >&2; exit 2"]}]}
    write_config(b, cfg)
    r = capsa.fails("create", "--bundle", b, "hc", contains="hooks.createContainer[0] /bin/sh")
    assert "exit status 2: something went wrong" in r.stderr
    assert capsa.ids() == []


def test_failing_start_container_hook_fails_start(capsa, make_bundle):
    b = make_bundle(["sleep", "100"])
    cfg = load_config(b)
    cfg["hooks"] = {"startContainer": [{"path": "/bin/false"}]}
    write_config(b, cfg)
    capsa.ok("create", "--bundle", b, "hs")
    pid = capsa.state("hs")["pid"]
    capsa.fails("start", "hs", contains="hooks.startContainer[0] /bin/false: exit status 1")
    assert wait_gone(pid)
    assert capsa.state("hs")["status"] == "stopped"


def test_hook_timeout(capsa, make_bundle):
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["hooks"] = {"createContainer": [{"path": "/bin/sleep", "args": ["sleep", "30"],
                                         "timeout": 1}]}
    write_config(b, cfg)
    t = time.monotonic()
    capsa.fails("create", "--bundle", b, "ht", contains="timed out after 1 s")
    assert time.monotonic() - t < 10
    assert capsa.ids() == []


def test_failing_poststart_stops_the_container(capsa, make_bundle, tmp_path):
    """runtime.md, lifecycle step 9: a failing poststart hook is an error
    and the container is stopped; a failing poststop is a warning."""
    log = tmp_path / "hooks.log"
    b = make_bundle(["sleep", "100"])
    cfg = load_config(b)
    cfg["hooks"] = {"poststart": [host_hook(tmp_path, "poststart", log, fail=4)],
                    "poststop": [host_hook(tmp_path, "poststop", log, fail=5)]}
    write_config(b, cfg)
    capsa.ok("create", "--bundle", b, "hw")
    pid = capsa.state("hw")["pid"]
    capsa.fails("start", "hw", contains="hooks.poststart[0]")
    assert wait_gone(pid)
    assert capsa.state("hw")["status"] == "stopped"
    r = capsa.ok("delete", "hw")
    assert "warning" in r.stderr and "hooks.poststop[0]" in r.stderr
    assert capsa.ids() == []
    assert [e[0] for e in read_log(log)] == ["poststart", "poststop"]


def test_run_runs_every_hook(capsa, make_bundle, tmp_path):
    log = tmp_path / "hooks.log"
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["hooks"] = {k: [host_hook(tmp_path, k, log)]
                    for k in ("prestart", "createRuntime", "poststart", "poststop")}
    write_config(b, cfg)
    capsa.ok("run", "--bundle", b, "hr")
    assert [e[0] for e in read_log(log)] == ["prestart", "createRuntime", "poststart",
                                             "poststop"]
