"""Crashes the fuzzers (fuzz/) found, replayed on the real binary."""
import json
import os

from conftest import host_mounts


def test_bundle_path_not_utf8_refused(capsa, tmp_path, make_bundle):
    """fuzz_hooks_state: the hooks' state (and state.json) is JSON, which
    holds only UTF-8; a Latin-1 bundle name made hooks_state return NULL
    and create crash with SIGSEGV on the way to a prestart hook (and
    without hooks, wrote a state.json without its bundle, read back as
    foreign).  create now refuses it, leaving nothing behind."""
    b = make_bundle(args=["true"])
    cfg_path = os.path.join(b, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["hooks"] = {"prestart": [{"path": "/bin/true"}]}
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    latin1 = os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9")
    os.rename(os.fsencode(b), latin1)
    before = host_mounts()
    r = capsa.fails("create", "--bundle", os.fsdecode(latin1), "u8",
                    contains="not valid UTF-8")
    assert r.returncode == 1
    assert capsa.ids() == []
    assert "u8" not in capsa.run("list").stdout
    assert host_mounts() == before


def test_rootfs_through_symlink_not_utf8_refused(capsa, tmp_path, make_bundle):
    """The same for root.path resolved through a symlink to a Latin-1 name."""
    b = make_bundle(args=["true"])
    latin1 = os.path.join(os.fsencode(str(tmp_path)), b"root\xff")
    os.rename(os.fsencode(os.path.join(b, "rootfs")), latin1)
    os.symlink(latin1, os.fsencode(os.path.join(b, "rootfs")))
    capsa.fails("create", "--bundle", b, "u8r", contains="root.path")
    assert "u8r" not in capsa.run("list").stdout


def test_update_negative_size_overflow_refused(capsa):
    """fuzz_update (UBSan): a negative size times its suffix overflowed
    int64 in parse_bytes (`--memory -9000000000000000000k`); now refused
    as not a size, before the container is even looked up."""
    capsa.fails("update", "--memory", "-9000000000000000000k", "nosuch",
                contains="is not a size")
