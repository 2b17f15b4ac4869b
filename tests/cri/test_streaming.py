"""Exec, Attach and PortForward through capsad's streaming server: the
URL a call answers, the upgrade and the SPDY session capsad-stream serves,
checked frame by frame with our own small client (spdyclient.py) and end
to end with crictl (cri-tools v1.26.1: exec, exec -i, exec -it in tmux,
attach, port-forward), hostile URLs, and a session that outlives a
SIGKILLed capsad.  Clients run in capsad's network namespace, where the
URLs' 127.0.0.1 is capsad's."""
import json
import os
import signal
import subprocess
import time
import urllib.parse

import grpc
import pytest

import procs
import spdyclient
from conftest import CAPSAD, find_tool, pod_config

IMAGE = "localhost/busybox:latest"
CODE = grpc.StatusCode
CRICTL = find_tool("CRICTL", "crictl")
HELPER = os.path.join(os.path.dirname(CAPSAD), "capsad-stream")
V4 = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"]


@pytest.fixture
def pod(cri, tmp_path):
    cfg = pod_config(log_directory=str(tmp_path / "logs"))
    os.makedirs(cfg["log_directory"])
    pid = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    return pid, cfg


def run_ctr(cri, pod, name, command, **extra):
    pid, pcfg = pod
    cfg = {"metadata": {"name": name, "attempt": 0}, "image": {"image": IMAGE},
           "log_path": name + ".log", "command": command}
    cfg.update(extra)
    cid = cri.call("CreateContainer", pod_sandbox_id=pid, config=cfg,
                   sandbox_config=pcfg).container_id
    cri.call("StartContainer", container_id=cid)
    return cid


@pytest.fixture
def sleeper(cri, pod):
    return run_ctr(cri, pod, "sleeper", ["sleep", "300"])


def exec_sync(cri, cid, cmd):
    return cri.call("ExecSync", request=cri.msg("ExecSyncRequest", container_id=cid, cmd=cmd,
                                                timeout=10))


def code_of(fn):
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code(), e.value.details()


def connect(capsad, url):
    u = urllib.parse.urlsplit(url)
    sock = spdyclient.connect_in_netns("/run/netns/" + capsad.netns, u.hostname, u.port)
    return spdyclient.Client(sock), u.path


def helpers():
    return procs.procs_with(HELPER)


def exec_session(capsad, cri, cid, cmd, stdin=False, stdout=True, stderr=True, tty=False,
                 protocols=V4):
    """An exec upgraded and its streams opened as client-go opens them:
    (client, {type: stream id}, the protocol chosen)."""
    url = cri.call("Exec", container_id=cid, cmd=cmd, stdin=stdin, stdout=stdout,
                   stderr=stderr, tty=tty).url
    c, path = connect(capsad, url)
    status, headers, body = c.upgrade(path, protocols)
    assert status == 101, (status, body)
    assert headers["upgrade"] == "SPDY/3.1" and headers["connection"] == "Upgrade"
    proto = headers["x-stream-protocol-version"]
    ids = {"error": c.open({"streamtype": "error"})}
    for kind, on in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr and not tty),
                     ("resize", tty and proto != "v2.channel.k8s.io" and
                      proto != "channel.k8s.io")):
        if on:
            ids[kind] = c.open({"streamtype": kind})
    c.wait(lambda: all(c.streams[i].replied for i in ids.values()), what="SYN_REPLYs")
    return c, ids, proto


def finished(c, ids):
    return all(c.fin(i) for k, i in ids.items() if k != "stdin" and k != "resize")


# ---- the calls ----------------------------------------------------------

def test_calls_answer_urls_and_check_their_requests(cri, pod, sleeper, capsad):
    url = cri.call("Exec", container_id=sleeper, cmd=["true"], stdout=True).url
    u = urllib.parse.urlsplit(url)
    assert u.scheme == "http" and u.hostname == "127.0.0.1" and u.port > 0
    kind, token = u.path.split("/")[1:]
    assert kind == "exec" and len(token) == 22
    assert all(ch.isalnum() or ch in "-_" for ch in token)
    url2 = cri.call("Attach", container_id=sleeper, stdout=True).url
    assert url2.startswith("http://127.0.0.1:%d/attach/" % u.port) and url2 != url
    url3 = cri.call("PortForward", pod_sandbox_id=pod[0], port=[80]).url
    assert url3.startswith("http://127.0.0.1:%d/portforward/" % u.port)
    with open(capsad.log, errors="replace") as f:
        log = f.read()
    assert "streaming server (exec, attach, port-forward) on http://127.0.0.1:%d" % u.port in log

    bad = [
        (lambda: cri.call("Exec", container_id=sleeper, cmd=[], stdout=True),
         CODE.INVALID_ARGUMENT, "cmd is empty"),
        (lambda: cri.call("Exec", container_id=sleeper, cmd=["sh"]),
         CODE.INVALID_ARGUMENT, "one of stdin, stdout, or stderr must be set"),
        (lambda: cri.call("Exec", container_id=sleeper, cmd=["sh"], tty=True, stdout=True,
                          stderr=True),
         CODE.INVALID_ARGUMENT, "tty and stderr cannot both be true"),
        (lambda: cri.call("Exec", container_id="f" * 64, cmd=["sh"], stdout=True),
         CODE.NOT_FOUND, "not found"),
        (lambda: cri.call("Attach", container_id=sleeper, tty=True, stderr=True),
         CODE.INVALID_ARGUMENT, "tty and stderr"),
        (lambda: cri.call("Attach", container_id="nope", stdout=True), CODE.NOT_FOUND, ""),
        (lambda: cri.call("PortForward", pod_sandbox_id=pod[0], port=[0]),
         CODE.INVALID_ARGUMENT, "invalid port 0"),
        (lambda: cri.call("PortForward", pod_sandbox_id=pod[0], port=[65536]),
         CODE.INVALID_ARGUMENT, "invalid port"),
        (lambda: cri.call("PortForward", pod_sandbox_id="0" * 64, port=[80]),
         CODE.NOT_FOUND, "not found"),
    ]
    for fn, code, text in bad:
        got, details = code_of(fn)
        assert got == code and text in details, (got, details)
    # a container that does not run, a sandbox that is not ready
    cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=sleeper,
                                              timeout=1))
    assert code_of(lambda: cri.call("Exec", container_id=sleeper, cmd=["true"],
                                    stdout=True))[0] == CODE.FAILED_PRECONDITION
    cri.call("StopPodSandbox", pod_sandbox_id=pod[0])
    assert code_of(lambda: cri.call("PortForward", pod_sandbox_id=pod[0],
                                    port=[80]))[0] == CODE.FAILED_PRECONDITION


# ---- exec over SPDY, frame by frame -------------------------------------

def status_json(c, ids):
    return json.loads(c.text(ids["error"]))


def test_exec_v4_output_and_exit_code(cri, sleeper, capsad):
    c, ids, proto = exec_session(capsad, cri, sleeper,
                                 ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert proto == "v4.channel.k8s.io"
    c.wait(lambda: finished(c, ids), what="every stream finished")
    assert c.text(ids["stdout"]) == "out\n"
    assert c.text(ids["stderr"]) == "err\n"
    assert status_json(c, ids) == {
        "metadata": {}, "status": "Failure",
        "message": "command terminated with non-zero exit code: error executing command "
                   "[sh -c echo out; echo err >&2; exit 3], exit code 3",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}
    c.wait(lambda: c.goaway is not None, what="GOAWAY")
    c.read_to_eof()
    c.close()


def test_exec_success_and_older_protocols(cri, sleeper, capsad):
    c, ids, _ = exec_session(capsad, cri, sleeper, ["echo", "hi"])
    c.wait(lambda: finished(c, ids))
    assert c.text(ids["stdout"]) == "hi\n"
    assert c.text(ids["error"]) == '{"metadata":{},"status":"Success"}'
    c.close()
    # v2 and v1: the error stream holds the message alone, nothing on success
    for proto in ("v2.channel.k8s.io", "channel.k8s.io"):
        c, ids, got = exec_session(capsad, cri, sleeper, ["sh", "-c", "exit 4"],
                                   protocols=[proto])
        assert got == proto
        c.wait(lambda: finished(c, ids))
        assert c.text(ids["error"]).startswith("command terminated with non-zero exit code")
        c.close()
        c, ids, _ = exec_session(capsad, cri, sleeper, ["true"], protocols=[proto])
        c.wait(lambda: finished(c, ids))
        assert c.text(ids["error"]) == ""
        c.close()


def test_exec_stdin_and_a_large_output(cri, sleeper, capsad):
    c, ids, _ = exec_session(capsad, cri, sleeper, ["cat"], stdin=True, stderr=False)
    payload = os.urandom(3 << 20)
    for i in range(0, len(payload), 100000):   # in pieces, while output comes back
        c.send(ids["stdin"], payload[i:i + 100000])
        c.pump(0.01)
    c.close_stream(ids["stdin"])
    c.wait(lambda: finished(c, ids), timeout=60)
    assert bytes(c.streams[ids["stdout"]].data) == payload
    assert status_json(c, ids)["status"] == "Success"
    # our stdin stream was finished too (client-go waits for that)
    assert c.fin(ids["stdin"])
    c.close()


def test_exec_tty_resize(cri, sleeper, capsad):
    c, ids, _ = exec_session(capsad, cri, sleeper, ["sh"], stdin=True, stderr=False, tty=True)
    assert "resize" in ids
    # two sizes in one frame, the second in two pieces
    c.send(ids["resize"], b'{"Width":100,"Height":40}\n{"Width":')
    c.send(ids["resize"], b'90,"Height":33}\n')
    time.sleep(0.3)
    c.send(ids["stdin"], b"stty size; exit 5\n")
    c.wait(lambda: finished(c, ids))
    assert "33 90" in c.text(ids["stdout"])
    assert status_json(c, ids)["details"]["causes"][0]["message"] == "5"
    c.close()


def test_exec_failures_and_a_client_that_leaves(cri, sleeper, capsad):
    # a command that cannot run: an internal error, as the kubelet reports it
    c, ids, _ = exec_session(capsad, cri, sleeper, ["/no/such/program"])
    c.wait(lambda: finished(c, ids))
    st = status_json(c, ids)
    assert st["status"] == "Failure" and st["reason"] == "InternalError" and st["code"] == 500
    assert st["message"].startswith("Internal error occurred: error executing command in "
                                    "container")
    c.close()
    # the client goes away mid-session: the process is killed, the helper
    # ends, nothing is left in the container's run directory
    c, ids, _ = exec_session(capsad, cri, sleeper, ["sleep", "1000"], stdin=True)
    time.sleep(0.5)
    assert procs.procs_with("sleep 1000")
    c.close()
    procs.wait_for(lambda: not procs.procs_with("sleep 1000"), timeout=20,
                   what="the exec'd process killed")
    procs.wait_for(lambda: not helpers(), timeout=20, what="capsad-stream gone")
    run = os.path.join(capsad.runroot, "containers", sleeper)
    procs.wait_for(lambda: not [e for e in os.listdir(run) if e.startswith("exec-")],
                   timeout=10, what="the exec session's directory removed")


def test_streams_that_never_come(cri, sleeper, capsad):
    """A client that upgrades and opens only some of its streams is cut off
    after 30 s; nothing runs meanwhile."""
    url = cri.call("Exec", container_id=sleeper, cmd=["touch", "/tmp/ran"], stdout=True).url
    c, path = connect(capsad, url)
    assert c.upgrade(path, V4)[0] == 101
    c.open({"streamtype": "error"})
    c.read_to_eof(timeout=40)
    r = exec_sync(cri, sleeper, ["ls", "/tmp"])
    assert b"ran" not in r.stdout


# ---- attach -------------------------------------------------------------

def test_attach_output_and_stdin(cri, pod, capsad):
    ticker = run_ctr(cri, pod, "ticker", ["sh", "-c", "while true; do echo tick; sleep 0.2; done"])
    url = cri.call("Attach", container_id=ticker, stdout=True, stderr=True).url
    c, path = connect(capsad, url)
    assert c.upgrade(path, V4)[0] == 101
    ids = {"error": c.open({"streamtype": "error"}), "stdout": c.open({"streamtype": "stdout"}),
           "stderr": c.open({"streamtype": "stderr"})}
    c.wait(lambda: c.text(ids["stdout"]).count("tick") >= 3, what="ticks")
    c.close()
    # the container runs on
    time.sleep(0.5)
    assert cri.call("ContainerStatus", container_id=ticker).status.state == 1

    catter = run_ctr(cri, pod, "catter", ["cat"], stdin=True, stdin_once=True)
    url = cri.call("Attach", container_id=catter, stdin=True, stdout=True, stderr=True).url
    c, path = connect(capsad, url)
    assert c.upgrade(path, V4)[0] == 101
    ids = {k: c.open({"streamtype": k}) for k in ("error", "stdin", "stdout", "stderr")}
    c.wait(lambda: all(c.streams[i].replied for i in ids.values()))
    c.send(ids["stdin"], b"hello attach\n")
    c.wait(lambda: "hello attach" in c.text(ids["stdout"]))
    # the end of stdin ends cat, and the session with it
    c.close_stream(ids["stdin"])
    c.wait(lambda: finished(c, ids))
    assert status_json(c, ids) == {"metadata": {}, "status": "Success"}
    c.close()


# ---- port-forward ---------------------------------------------------------

@pytest.fixture
def web(cri, pod, tmp_path):
    cid = run_ctr(cri, pod, "web", ["sh", "-c", "mkdir -p /www && echo hello from the pod "
                                    "> /www/hello.txt && exec busybox httpd -f -p 80 -h /www"])
    procs.wait_for(lambda: b":0050" in exec_sync(cri, cid, ["cat", "/proc/net/tcp",
                                                     "/proc/net/tcp6"]).stdout,
                   timeout=10, what="httpd listening")
    return cid


def pf_request(c, rid, port, request):
    err = c.open({"streamtype": "error", "port": str(port), "requestid": str(rid)})
    data = c.open({"streamtype": "data", "port": str(port), "requestid": str(rid)})
    c.close_stream(err)
    if request:
        c.send(data, request)
    return err, data


def test_port_forward(cri, pod, web, capsad):
    url = cri.call("PortForward", pod_sandbox_id=pod[0], port=[80]).url
    c, path = connect(capsad, url)
    status, headers, _ = c.upgrade(path, ["portforward.k8s.io"])
    assert status == 101 and headers["x-stream-protocol-version"] == "portforward.k8s.io"
    # two requests at once, and one to a port nobody listens on
    pairs = [pf_request(c, i, 80, b"GET /hello.txt HTTP/1.0\r\n\r\n") for i in range(2)]
    bad = pf_request(c, 7, 81, None)
    for err, data in pairs:
        c.wait(lambda: c.fin(data) and c.fin(err), what="the response")
        assert c.text(data).startswith("HTTP/1.")
        assert c.text(data).endswith("hello from the pod\n")
        assert c.text(err) == ""
    c.wait(lambda: c.fin(bad[0]), what="the error")
    assert "error forwarding port 81" in c.text(bad[0])
    assert "connection refused" in c.text(bad[0]).lower()
    c.send_goaway()
    c.close()
    procs.wait_for(lambda: not helpers(), timeout=10, what="capsad-stream gone")


# ---- hostile requests -------------------------------------------------------

def raw(capsad, url, request):
    u = urllib.parse.urlsplit(url)
    sock = spdyclient.connect_in_netns("/run/netns/" + capsad.netns, u.hostname, u.port)
    sock.sendall(request)
    sock.settimeout(15)
    out = b""
    while True:
        d = sock.recv(65536)
        if not d:
            break
        out += d
    sock.close()
    return out


def test_hostile_urls(cri, sleeper, capsad):
    before = set(helpers())
    fresh = lambda: cri.call("Exec", container_id=sleeper, cmd=["touch", "/tmp/hostile"],
                             stdout=True).url

    def answer(url, path=None, protocols=V4, method="POST", upgrade=True):
        c, p = connect(capsad, url)
        st, _, body = c.upgrade(path or p, protocols, method=method, upgrade=upgrade)
        c.close()
        return st, body.decode()

    url = fresh()
    base = url.rsplit("/", 2)[0]
    assert answer(url, "/exec/" + "A" * 22)[0] == 404
    assert answer(url, "/exec/../../etc/passwd")[0] == 404
    assert answer(url, "/exec/")[0] == 404
    assert answer(url, "/nothing")[0] == 404
    # a token for exec is not one for attach, and it is spent by the try
    assert answer(url, url.replace(base, "").replace("/exec/", "/attach/"))[0] == 404
    assert answer(url)[0] == 404
    # used once, never twice
    url = fresh()
    c, p = connect(capsad, url)
    assert c.upgrade(p, V4)[0] == 101
    c.close()
    assert answer(url)[0] == 404
    # what the kubelet refuses, in its words
    st, body = answer(fresh(), protocols=[])
    assert st == 400 and "X-Stream-Protocol-Version is required" in body
    st, body = answer(fresh(), protocols=["v9.channel.k8s.io"])
    assert st == 403 and "unable to negotiate protocol" in body
    st, body = answer(fresh(), upgrade=False)
    assert st == 400 and "missing upgrade headers" in body
    assert answer(fresh(), method="DELETE")[0] == 405
    # a head that never ends, one too large, garbage
    out = raw(capsad, url, b"POST /exec/x HTTP/1.1\r\n" + b"X-A: " + b"a" * 9000 + b"\r\n")
    assert out.startswith(b"HTTP/1.1 400")
    out = raw(capsad, url, b"\x80\x03\x00\x01garbage\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400")
    t0 = time.monotonic()
    out = raw(capsad, url, b"POST /exec/x HTTP/1.1\r\n")
    assert out.startswith(b"HTTP/1.1 408") and 8 < time.monotonic() - t0 < 14
    # nothing was started by any of them
    procs.wait_for(lambda: set(helpers()) <= before, timeout=10, what="no capsad-stream")
    r = exec_sync(cri, sleeper, ["ls", "/tmp"])
    assert b"hostile" not in r.stdout


def test_expired_token(cri, sleeper, capsad):
    """Tokens live 60 s; this capsad is made to keep them 1 s."""
    capsad.stop()
    os.environ["CAPSAD_STREAM_TOKEN_TTL_MS"] = "1000"
    try:
        capsad.start()
    finally:
        del os.environ["CAPSAD_STREAM_TOKEN_TTL_MS"]
    try:
        url = cri.call("Exec", container_id=sleeper, cmd=["true"], stdout=True).url
        time.sleep(1.5)
        c, p = connect(capsad, url)
        assert c.upgrade(p, V4)[0] == 404
        c.close()
    finally:
        capsad.stop()
        capsad.start()


# ---- crictl ---------------------------------------------------------------

needs_crictl = pytest.mark.skipif(CRICTL is None, reason="crictl is not installed (set CRICTL)")


def crictl(capsad, *args):
    ep = "unix://" + capsad.sock
    return capsad.enter() + [CRICTL, "--runtime-endpoint", ep, "--image-endpoint", ep,
                             "--timeout", "30s", *args]


def read_until(proc, text, timeout=20):
    """What proc wrote to stdout until text appeared in it."""
    import select
    out = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in out:
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None and not select.select([proc.stdout], [], [], 0)[0]:
            raise AssertionError("no %r from %s; got %r" % (text, proc.args[-3:], out))
        if select.select([proc.stdout], [], [], min(left, 0.2))[0]:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk and proc.poll() is not None:
                continue
            out += chunk
    return out.decode(errors="replace")


@needs_crictl
def test_crictl_exec(cri, sleeper, capsad):
    r = procs.run(crictl(capsad, "exec", sleeper, "echo", "hi"))
    assert r.returncode == 0 and r.stdout == "hi\n", str(r)
    # the exit code reaches crictl (client-go reads it from the status's
    # ExitCode cause and words it so); crictl 1.26.1 itself then exits 1
    # whatever the code (its fatal error path), as it does with the kubelet
    r = procs.run(crictl(capsad, "exec", sleeper, "sh", "-c", "echo to-err >&2; exit 3"))
    assert r.returncode == 1, str(r)
    assert "to-err" in r.stderr and "command terminated with exit code 3" in r.stderr, str(r)
    r = procs.run(crictl(capsad, "exec", "-i", sleeper, "cat"), input="line one\nline two\n")
    assert r.returncode == 0 and r.stdout == "line one\nline two\n", str(r)
    r = procs.run(crictl(capsad, "exec", sleeper, "/no/such/program"))
    assert r.returncode != 0 and "error executing command in container" in r.stderr, str(r)


class Tmux:
    """A private tmux server with one window running a command; the pane
    stays after it exits, its status printed."""

    def __init__(self, top):
        self.argv = ["tmux", "-S", os.path.join(top, "tmux.sock"), "-f", "/dev/null"]

    def tmux(self, *args):
        r = procs.run(self.argv + list(args))
        assert r.returncode == 0, str(r)
        return r.stdout

    def start(self, cmd, size=(30, 100)):
        self.tmux("new-session", "-d", "-s", "main", "-x", str(size[1]), "-y", str(size[0]),
                  "--", "/bin/sh", "-c", '"$@"; echo "[exited $?]"; sleep 600', "sh", *cmd)

    def send(self, text):
        self.tmux("send-keys", "-t", "main", "-l", text)
        self.tmux("send-keys", "-t", "main", "Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "main").rstrip()

    def wait(self, pred, what, timeout=20):
        deadline = time.monotonic() + timeout
        while not pred(self.screen()):
            if time.monotonic() > deadline:
                pytest.fail("timed out waiting for %s; screen:\n%s" % (what, self.screen()),
                            pytrace=False)
            time.sleep(0.1)
        return self.screen()

    def stop(self):
        procs.run(self.argv + ["kill-server"])


@needs_crictl
def test_crictl_exec_tty_in_tmux(cri, sleeper, capsad, tmp_path):
    if not os.access("/usr/bin/tmux", os.X_OK):
        pytest.skip("tmux is not installed")
    tm = Tmux(str(tmp_path))
    try:
        tm.start(crictl(capsad, "exec", "-it", sleeper, "sh"))
        tm.wait(lambda s: s.endswith("#"), "the shell's prompt")
        tm.send("echo typed-$((6*7)); tty; stty size")
        text = tm.wait(lambda s: "\n30 100" in s, "the size of the window")
        assert "typed-42" in text and "/dev/pts/" in text, text
        tm.tmux("resize-window", "-t", "main", "-x", "120", "-y", "40")
        time.sleep(0.5)
        tm.send("stty size")
        tm.wait(lambda s: "\n40 120" in s, "the new size")
        tm.send("exit 3")
        # (crictl 1.26.1 exits 1 for any code: see test_crictl_exec)
        text = tm.wait(lambda s: "[exited " in s, "crictl's exit")
        assert "command terminated with exit code 3" in text and "[exited 1]" in text, text
    finally:
        tm.stop()


@needs_crictl
def test_crictl_attach(cri, pod, capsad):
    ticker = run_ctr(cri, pod, "ticker", ["sh", "-c", "while true; do echo tick; sleep 1; done"])
    p = subprocess.Popen(crictl(capsad, "attach", ticker), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        read_until(p, "tick\ntick\n")
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10)
    # attached to a cat with stdin: what crictl reads goes in, comes out, and
    # the end of its input ends cat
    catter = run_ctr(cri, pod, "catter", ["cat"], stdin=True, stdin_once=True)
    r = procs.run(crictl(capsad, "attach", "-i", catter), input="through attach\n")
    assert r.returncode == 0 and r.stdout == "through attach\n", str(r)


@needs_crictl
def test_crictl_port_forward(cri, pod, web, capsad):
    p = subprocess.Popen(crictl(capsad, "port-forward", pod[0], "18080:80"),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        read_until(p, "Forwarding from 127.0.0.1:18080")
        fetch = ("import urllib.request;"
                 "print(urllib.request.urlopen('http://127.0.0.1:18080/hello.txt', "
                 "timeout=20).read().decode(), end='')")
        for _ in range(3):   # one session, several connections
            r = procs.run(capsad.enter() + ["/usr/bin/python3", "-c", fetch])
            assert r.returncode == 0 and r.stdout == "hello from the pod\n", str(r)
    finally:
        p.terminate()
        p.wait(timeout=10)
    procs.wait_for(lambda: not helpers(), timeout=10, what="capsad-stream gone")


@needs_crictl
def test_exec_outlives_capsad(cri, sleeper, capsad):
    """capsad SIGKILLed during `crictl exec -i cat`: the session, its
    helper's, goes on; the new capsad serves alongside it."""
    p = subprocess.Popen(crictl(capsad, "exec", "-i", sleeper, "cat"), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"before\n")
        p.stdin.flush()
        read_until(p, "before\n")
        [helper] = helpers()
        # it holds nothing of capsad's: not its lock (a new capsad could not
        # start), not its gRPC socket
        held = [os.readlink("/proc/%d/fd/%s" % (helper, fd))
                for fd in os.listdir("/proc/%d/fd" % helper)]
        assert not [h for h in held if "capsad.lock" in h or "capsad.sock" in h], held
        capsad.stop(signal.SIGKILL)
        p.stdin.write(b"while capsad is down\n")
        p.stdin.flush()
        read_until(p, "while capsad is down\n")
        capsad.start()
        p.stdin.write(b"after\n")
        p.stdin.flush()
        read_until(p, "after\n")
        assert helpers() == [helper]
        r = procs.run(crictl(capsad, "exec", sleeper, "echo", "beside"))
        assert r.returncode == 0 and r.stdout == "beside\n", str(r)
        p.stdin.close()
        assert p.wait(timeout=20) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    procs.wait_for(lambda: not helpers(), timeout=10, what="capsad-stream gone")
