"""The shared bundle fixture writes what `runc spec` writes, and its
subreaper driver works on a plain process (no runtime involved)."""

import json
import os
import subprocess

import pytest

import driver
from bundle import (default_config, deep_merge, load_config, make_bundle,
                    run_as_subreaper, write_config)


def runc_spec(tmp_path):
    if not os.access(driver.RUNC, os.X_OK):
        pytest.skip("runc not found at %s" % driver.RUNC)
    d = tmp_path / "spec"
    d.mkdir()
    subprocess.run([driver.RUNC, "spec", "--bundle", str(d)], check=True,
                   timeout=10)
    with open(d / "config.json") as f:
        return json.load(f)


def test_default_config_is_runc_spec(tmp_path):
    spec = runc_spec(tmp_path)
    # The fixture's defaults differ from `runc spec` only where asked to.
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["true"]
    spec["hostname"] = "capsa-test"
    assert default_config() == spec


def test_options_and_extra_merge():
    cfg = default_config(args=["sh", "-c", "exit 3"], terminal=True,
                         hostname="h", env={"FOO": "1", "TERM": "dumb"},
                         cwd="/tmp", namespaces=["pid", {"type": "network",
                                                         "path": "/x"}],
                         readonly=False,
                         extra={"annotations": {"a": "b"},
                                "process": {"noNewPrivileges": None},
                                "linux": {"maskedPaths": []}})
    p = cfg["process"]
    assert p["args"] == ["sh", "-c", "exit 3"] and p["terminal"] is True
    assert p["env"][0].startswith("PATH=") and "FOO=1" in p["env"]
    assert "TERM=dumb" in p["env"] and "TERM=xterm" not in p["env"]
    assert p["cwd"] == "/tmp" and "noNewPrivileges" not in p
    assert cfg["root"] == {"path": "rootfs", "readonly": False}
    assert cfg["linux"]["namespaces"] == [{"type": "pid"},
                                          {"type": "network", "path": "/x"}]
    assert cfg["linux"]["maskedPaths"] == []
    assert cfg["linux"]["readonlyPaths"]          # untouched by the merge
    assert cfg["annotations"] == {"a": "b"}
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": None, "d": 3}}) \
        == {"a": {"b": 1, "d": 3}}


def test_make_bundle(tmp_path):
    b = make_bundle(tmp_path / "b", args=["echo", "x"])
    assert isinstance(b, str) and os.path.isabs(b)
    assert os.access(os.path.join(b, "rootfs", "bin", "busybox"), os.X_OK)
    assert os.path.islink(os.path.join(b, "rootfs", "bin", "sh"))
    assert load_config(b)["process"]["args"] == ["echo", "x"]
    cfg = load_config(b)
    cfg["hostname"] = "other"
    write_config(b, cfg)
    assert load_config(os.path.join(b, "config.json"))["hostname"] == "other"
    # a second bundle is an independent copy
    b2 = make_bundle(tmp_path / "b2")
    open(os.path.join(b2, "rootfs", "tmp", "mark"), "w").close()
    assert not os.path.exists(os.path.join(b, "rootfs", "tmp", "mark"))


def test_subreaper_driver_plain_processes(tmp_path):
    """A shell that backgrounds a child holding the pipes and exits: the
    child is reparented to the driver, holds stdout until stdin closes,
    and is reaped by the driver."""
    pf = tmp_path / "pid"
    # (a background job's stdin is /dev/null unless redirected explicitly)
    script = ("exec 3<&0; cat <&3 3<&- & echo $! > %s; echo started" % pf)
    rep = run_as_subreaper(["sh", "-c", script], pid_file=pf,
                           stdin_data="data\n", timeout=5, eof_timeout=5)
    assert rep["rc"] == 0
    assert rep["ppid_is_driver"] is True
    assert rep["stdout_eof_at_cmd_exit"] is False
    assert rep["foreign_holders"] == []
    assert rep["stdout"] == "started\ndata\n"
    assert rep["stdout_eof"] and rep["stderr_eof"]
    assert rep["container_reaped_by_driver"] and rep["container_exit_code"] == 0
    assert rep["children_alive"] == []


def test_subreaper_driver_sees_foreign_holder(tmp_path):
    """A helper that keeps a copy of the pipe but is not the 'container'
    process is reported in foreign_holders."""
    pf = tmp_path / "pid"
    script = ("sleep 3 & sleep 30 </dev/null & echo $! > %s" % pf)
    rep = run_as_subreaper(["sh", "-c", script], pid_file=pf, timeout=5,
                           eof_timeout=0.3, reap_timeout=0.1,
                           kill_leftovers=True)
    assert rep["rc"] == 0 and rep["ppid_is_driver"]
    assert any(h["comm"] == "sleep" and not h["in_container"]
               for h in rep["foreign_holders"])
    assert rep["stdout_eof"] is False
