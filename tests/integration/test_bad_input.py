"""Hostile or broken input: one clear line, non-zero exit, nothing left
behind (no state directory, no process, no mount)."""
import json
import os

import pytest

from bundle import load_config, write_config
from conftest import host_mounts


def procs_inside(rootfs):
    """Processes whose root or cwd is the bundle's rootfs (a leftover init)."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        for link in ("root", "cwd"):
            try:
                if os.readlink("/proc/%s/%s" % (p, link)).startswith(rootfs):
                    found.append(int(p))
            except OSError:
                pass
    return found


CASES = [
    # (name, mutate(cfg), expected substring)
    ("args-type", lambda c: c["process"].__setitem__("args", ["sh", 1]),
     "config.json: process.args[1]: expected a string, got integer"),
    ("unknown-ns", lambda c: c["linux"]["namespaces"].append({"type": "netz"}),
     'linux.namespaces[5].type: unknown namespace "netz"'),
    ("dup-ns", lambda c: c["linux"]["namespaces"].append({"type": "pid"}),
     'linux.namespaces[5]: duplicate namespace "pid"'),
    ("relative-cwd", lambda c: c["process"].__setitem__("cwd", "tmp"),
     'process.cwd: "tmp" must be an absolute path'),
    ("huge-uid", lambda c: c["process"]["user"].__setitem__("uid", 99999999999),
     "process.user.uid: 99999999999 is out of range"),
    ("negative-gid", lambda c: c["process"]["user"].__setitem__("gid", -1),
     "process.user.gid: -1 is out of range"),
    ("no-root", lambda c: c.pop("root"), "config.json: root: required but missing"),
    ("missing-rootfs", lambda c: c["root"].__setitem__("path", "nope"),
     "config.json: root.path"),
    ("relative-ns-path", lambda c: c["linux"]["namespaces"].__setitem__(
        0, {"type": "pid", "path": "proc/1/ns/pid"}), "must be an absolute path"),
    ("bad-version", lambda c: c.__setitem__("ociVersion", "2.0.0"),
     'ociVersion: unsupported version "2.0.0"'),
    ("no-args", lambda c: c["process"].__setitem__("args", []),
     "process.args: must contain at least the program to run"),
    ("env-type", lambda c: c["process"].__setitem__("env", "PATH=/bin"),
     "process.env: expected an array, got string"),
    ("rlimit", lambda c: c["process"]["rlimits"].__setitem__(
        0, {"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}), "above hard limit"),
    ("resources", lambda c: c["linux"]["resources"].__setitem__("memory", {"limit": "1G"}),
     "linux.resources.memory.limit: expected an integer, got string"),
    ("devices-rule", lambda c: c["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "x"}), 'linux.resources.devices[1].type: unknown device type'),
    ("mount-no-dest", lambda c: c["mounts"].append({"type": "tmpfs"}),
     "mounts[7].destination: required but missing"),
    ("missing-ns-file", lambda c: c["linux"]["namespaces"].__setitem__(
        1, {"type": "network", "path": "/proc/1/ns/nonexistent"}), "open network namespace"),
    ("missing-command", lambda c: c["process"].__setitem__("args", ["nosuchprog"]),
     'exec: "nosuchprog": executable file not found in $PATH'),
    ("not-executable", lambda c: c["process"].__setitem__("args", ["/etc/passwd"]),
     'exec: "/etc/passwd": permission denied'),
    ("missing-path", lambda c: c["process"].__setitem__("args", ["/no/such"]),
     'exec: "/no/such": no such file or directory'),
    ("bad-cwd", lambda c: c["process"].__setitem__("cwd", "/does/not/exist"),
     'chdir to cwd ("/does/not/exist")'),
    ("bad-mount-type", lambda c: c["mounts"].append(
        {"destination": "/x", "type": "nosuchfs", "source": "none"}), "mounts[7]: mount none (nosuchfs) on /x"),
]


@pytest.mark.parametrize("name,mutate,expect", CASES, ids=[c[0] for c in CASES])
def test_bad_config(capsa, make_bundle, name, mutate, expect):
    b = make_bundle(["true"])
    cfg = load_config(b)
    mutate(cfg)
    write_config(b, cfg)
    before_mounts = host_mounts()
    capsa.fails("create", "--bundle", b, "bad", contains=expect)
    assert capsa.ids() == []
    assert host_mounts() == before_mounts
    assert procs_inside(os.path.join(b, "rootfs")) == []  # no init left behind
    assert not os.path.exists(os.path.join(capsa.root, "bad"))


def test_malformed_json(capsa, make_bundle):
    b = make_bundle()
    with open(os.path.join(b, "config.json"), "w") as f:
        f.write('{"ociVersion": "1.0.2", "process": {"args": ["true"],}')
    capsa.fails("create", "--bundle", b, "m", contains="config.json: line 1 column")
    assert capsa.ids() == []


def test_unknown_properties_are_ignored(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "echo fine"])
    cfg = load_config(b)
    cfg["vendorThing"] = {"x": 1}
    cfg["process"]["fancyNewField"] = [1, 2]
    cfg["linux"]["somethingElse"] = "y"
    cfg["mounts"][0]["futureOption"] = True
    cfg["ociVersion"] = "1.0.2-dev"
    write_config(b, cfg)
    assert capsa.ok("run", "--bundle", b, "u").stdout == "fine\n"


@pytest.mark.parametrize("version", ["1.0.0", "1.0.2-dev", "1.1.0", "1.2.1"])
def test_any_1x_version(capsa, make_bundle, version):
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["ociVersion"] = version
    write_config(b, cfg)
    capsa.ok("run", "--bundle", b, "v")


def test_missing_bundle(capsa, tmp_path):
    capsa.fails("create", "--bundle", str(tmp_path / "nope"), "x", contains="bundle")
    assert capsa.ids() == []


@pytest.mark.parametrize("cid", ["a/b", "..", ".", "", "a b", "x" * 1025])
def test_bad_ids(capsa, make_bundle, cid):
    capsa.fails("create", "--bundle", make_bundle(), cid, contains="container id")
    assert capsa.ids() == []


def test_bad_ids_other_commands(capsa):
    for cmd in (["state"], ["kill"], ["delete"], ["start"], ["delete", "--force"]):
        capsa.fails(*cmd, "../etc", contains="invalid container id")


def test_usage_errors(capsa):
    capsa.fails("create", contains="expected 1 argument")
    capsa.fails("kill", contains="usage")
    capsa.fails("list", "--format", "yaml", contains="invalid format")
    capsa.fails("nosuchcommand", contains="no such command")
    capsa.fails("--log-format", "xml", "list", contains="log-format")


def test_hostname_without_uts_namespace_is_refused(capsa, make_bundle):
    """Setting it would rename the host."""
    with open("/proc/sys/kernel/hostname") as f:
        before = f.read()
    for field in ("hostname", "domainname"):
        b = make_bundle(["true"], namespaces=["pid", "network", "ipc", "mount"])
        cfg = load_config(b)
        cfg.pop("hostname", None)
        cfg[field] = "not-the-host"
        write_config(b, cfg)
        capsa.fails("create", "--bundle", b, "h", contains="%s: needs a UTS namespace" % field)
    with open("/proc/sys/kernel/hostname") as f:
        assert f.read() == before
    assert capsa.ids() == []
