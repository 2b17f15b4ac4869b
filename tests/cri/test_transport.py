"""capsad's gRPC transport: every method answered, the status codes of
bad requests, deadlines, requests served side by side, the socket's rules,
the command line."""
import os
import socket
import subprocess
import threading
import time

import grpc
import pytest

import criclient
import procs
from conftest import CAPSAD, Capsad, conflist, pod_config

CODE = grpc.StatusCode


def code_of(fn):
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code(), e.value.details()


def test_version(cri):
    v = cri.call("Version", version="v1")
    assert v.runtime_name == "capsa"
    assert v.runtime_api_version == "v1"
    assert v.runtime_version


def test_status_and_runtime_config(cri, capsad):
    st = cri.call("Status", verbose=True)
    conds = {c.type: c for c in st.status.conditions}
    assert conds["RuntimeReady"].status
    assert conds["NetworkReady"].status, conds["NetworkReady"]
    assert "config" in st.info
    # no CNI configuration: NetworkReady false, with the reason
    conf = os.path.join(capsad.netd, "10-test.conflist")
    os.rename(conf, conf + ".off")
    try:
        conds = {c.type: c for c in cri.call("Status").status.conditions}
        assert not conds["NetworkReady"].status
        assert conds["NetworkReady"].reason == "NetworkPluginNotReady"
        assert capsad.netd in conds["NetworkReady"].message
    finally:
        os.rename(conf + ".off", conf)
    rc = cri.call("RuntimeConfig")
    assert rc.linux.cgroup_driver == cri.pb.CgroupDriver.Value("CGROUPFS")


def test_every_method_answers(cri):
    """Each method of both services, given an empty request, answers: a
    reply or a status, never a dropped connection; capsad lives on."""
    for svc, method, streaming in cri.methods():
        try:
            req = cri.msg(criclient.find_method(method)[1].input_type.name)
            r = cri.call(method, request=req, timeout=10)
            if streaming:
                for _ in r:
                    break
        except grpc.RpcError as e:
            assert e.code() != CODE.UNAVAILABLE, (method, e.details())
            assert e.code() != CODE.INTERNAL, (method, e.details())
    assert cri.call("Version").runtime_name == "capsa"


def test_unknown_method_and_bad_bytes(cri):
    code, msg = code_of(lambda: cri.raw("/runtime.v1.RuntimeService/NoSuchThing", b""))
    assert code == CODE.UNIMPLEMENTED and "unknown method" in msg
    code, msg = code_of(lambda: cri.raw("/runtime.v2.Other/Version", b""))
    assert code == CODE.UNIMPLEMENTED
    code, msg = code_of(lambda: cri.call("CheckpointContainer", container_id="x"))
    assert code == CODE.UNIMPLEMENTED and "checkpoint" in msg
    # a field of type string (1: config is a message) given a varint, then garbage
    for junk in (b"\x0a\xff\xff\xff\xff\x0f", b"\xff\xff\xff", b"\x0a\x05abc"):
        code, msg = code_of(lambda: cri.raw("/runtime.v1.RuntimeService/RunPodSandbox", junk))
        assert code == CODE.INVALID_ARGUMENT, (junk, code, msg)
    assert cri.call("Version").runtime_name == "capsa"


def test_oversized_and_compressed(cri):
    big = b"\x0a" + b"\x80\x80\x80\x09" + b"x" * (17 << 20)
    code, msg = code_of(lambda: cri.raw("/runtime.v1.RuntimeService/Version", big, timeout=30))
    assert code == CODE.RESOURCE_EXHAUSTED, msg
    # a fresh channel: one that has seen our grpc-accept-encoding sends
    # identity whatever it is asked
    fresh = criclient.Cri(cri.socket_path)
    code, msg = code_of(lambda: fresh.call("Version", version="v" * 4096,
                                           compression=grpc.Compression.Gzip))
    assert code == CODE.UNIMPLEMENTED and "compressed" in msg
    assert cri.call("Version").runtime_name == "capsa"


def hang_plugin(capsad):
    """A CNI plugin that never answers, first in the configuration dir."""
    path = os.path.join(capsad.cni_bin, "hang")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec sleep 3600\n")
    os.chmod(path, 0o755)
    doc = {"cniVersion": "1.0.0", "name": "hang", "plugins": [{"type": "hang"}]}
    capsad.write_netconf(doc, "00-hang.conflist")
    return os.path.join(capsad.netd, "00-hang.conflist")


def test_deadline_and_concurrency(cri, capsad):
    """A sandbox whose CNI plugin hangs: the call ends at its deadline with
    DeadlineExceeded while 50 Version calls are answered meanwhile; the
    half-made sandbox is removed once the plugin's time-out strikes."""
    conf = hang_plugin(capsad)
    try:
        slow = {}

        def run():
            t0 = time.monotonic()
            try:
                cri.call("RunPodSandbox", config=pod_config("slow"), timeout=3)
            except grpc.RpcError as e:
                slow["code"] = e.code()
            slow["took"] = time.monotonic() - t0

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.5)
        results = []

        def version():
            results.append(cri.call("Version", timeout=5).runtime_name)

        t0 = time.monotonic()
        vs = [threading.Thread(target=version) for _ in range(50)]
        for v in vs:
            v.start()
        for v in vs:
            v.join()
        fast = time.monotonic() - t0
        t.join()
        assert results == ["capsa"] * 50
        assert fast < 2.5, fast      # not behind the slow call (loose: a busy CI)
        assert slow.get("code") == CODE.DEADLINE_EXCEEDED, slow
        assert slow["took"] < 6, slow
    finally:
        os.unlink(conf)
    # the sandbox never became ready, and goes once the ADD is cut off
    assert [p for p in cri.call("ListPodSandbox").items if p.metadata.name == "slow"] == []
    procs.wait_for(lambda: capsad.capsactl("pod", "ps", "-q").stdout.strip() == "",
                   timeout=60, what="the half-made pod removed")


def test_cli(capsad, tmp_path):
    r = subprocess.run([CAPSAD, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for key in ("--listen", "--root", "--runroot", "--registries-conf", "--cni-conf-dir",
                "--cni-bin-dir", "--cgroup-manager", "--pause-image", "--stream-address",
                "--stream-port", "--log-level"):
        assert key in r.stdout, key
    r = subprocess.run([CAPSAD, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "capsad version" in r.stdout
    r = subprocess.run([CAPSAD, "--no-such-flag"], capture_output=True, text=True)
    assert r.returncode != 0 and "no-such-flag" in r.stderr


def test_socket_rules(capsad, tmp_path):
    """A live socket is never taken over; a stale one (its capsad killed)
    is replaced; the socket is 0660."""
    other = Capsad(str(tmp_path), capsad.netns)
    other.sock = capsad.sock
    r = subprocess.run(other.argv(), capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "listens on" in r.stderr, r.stderr
    # a stale socket file: bound, then its listener gone
    stale = str(tmp_path / "stale.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    other = Capsad(str(tmp_path / "b"), capsad.netns)
    other.sock = stale
    other.write_netconf(conflist(other.base))
    try:
        other.start()
        assert oct(os.stat(stale).st_mode & 0o777) == "0o660"
        assert criclient.Cri(stale).call("Version").runtime_name == "capsa"
        # a second capsad on the same runroot is refused
        third = Capsad(other.base, capsad.netns)
        third.sock = str(tmp_path / "third.sock")
        r = subprocess.run(third.argv(), capture_output=True, text=True, timeout=20)
        assert r.returncode != 0 and "another capsad" in r.stderr, r.stderr
    finally:
        other.stop()
    assert not os.path.exists(stale)
