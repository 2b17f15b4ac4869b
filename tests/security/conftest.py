"""Fixtures for the attack tests: the integration suite's (capsa, bundles,
host mounts), loaded from tests/integration/conftest.py under another module
name, plus the static attack helper (tests/helpers/attack.c)."""
import importlib.util
import os
import shutil

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

_spec = importlib.util.spec_from_file_location(
    "capsa_integration_conftest", os.path.join(REPO, "tests", "integration", "conftest.py"))
_integration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_integration)

from helper_bin import helper_binary  # noqa: E402 (tests/fixtures, on the path now)

CAPSA = _integration.CAPSA
Capsa = _integration.Capsa
host_mounts = _integration.host_mounts
proc_status = _integration.proc_status
wait_gone = _integration.wait_gone
# fixtures, registered by being names of this module
_need_root_and_binary = _integration._need_root_and_binary
capsa = _integration.capsa
make_bundle = _integration.make_bundle


def attack_path():
    return helper_binary("attack", "CAPSA_ATTACK", CAPSA)


def put_attack(bundle):
    """Copy the attack helper into the bundle's rootfs as /bin/attack."""
    dst = os.path.join(bundle, "rootfs", "bin", "attack")
    shutil.copy(attack_path(), dst)
    return "/bin/attack"


@pytest.fixture
def capsa_copy(tmp_path):
    """A Capsa running a copy of the binary (an attack that overwrites it
    cannot damage the build), with the copy's path and its digest."""
    import hashlib
    copy = tmp_path / "capsa"
    shutil.copy2(CAPSA, copy)
    c = Capsa(str(tmp_path / "state-copy"))
    c.binary = str(copy)
    c.digest = lambda: hashlib.sha256(copy.read_bytes()).hexdigest()
    yield c
    import subprocess
    for cid in c.ids():  # with the build's binary: the copy may be ruined
        subprocess.run([CAPSA, "--root", c.root, "delete", "--force", cid],
                       capture_output=True, timeout=20)


def add_glibc(rootfs, binary=None):
    """Copy the shared libraries `binary` (capsa by default) needs into
    rootfs at their host paths: a malicious image ships a libc, so the
    runtime's own binary, if the container gets it executed, runs there."""
    import subprocess
    out = subprocess.run(["ldd", binary or CAPSA], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        path = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
        if not path.startswith("/"):
            continue
        dst = os.path.join(rootfs, path.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.realpath(path), dst)


def wait_for_file(path, timeout=10.0, contains=None):
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path) as f:
                text = f.read()
            if contains is None or contains in text:
                return text
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return open(path).read() if os.path.exists(path) else None


def userns_bundle(make_bundle, args, **kw):
    """A bundle in a user namespace mapping root to 200000 (the path to it
    opened for that uid, as a user must)."""
    from bundle import load_config, write_config
    b = make_bundle(args, **kw)
    cfg = load_config(b)
    cfg["linux"]["namespaces"].append({"type": "user"})
    for k in ("uidMappings", "gidMappings"):
        cfg["linux"][k] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    write_config(b, cfg)
    path = os.path.abspath(b)
    while path not in ("/", "/tmp"):
        os.chmod(path, os.stat(path).st_mode | 0o111)
        path = os.path.dirname(path)
    return b


def escaped_mounts(before, *paths):
    """Mounts on the host that were not there in `before` (host_mounts())
    and sit on / or under one of paths (a rootfs, a token's directory).
    Other suites may mount things concurrently: only ours count."""
    old = set(before.splitlines())
    out = []
    for line in host_mounts().splitlines():
        if line in old:
            continue
        mnt = line.split()[4]
        if mnt == "/" or any(mnt.startswith(p) or p in mnt for p in paths):
            out.append(line)
    return out
