"""Helpers for tests/shim: commands run with timeouts (output in files, never
pipes: a detached shim could hold a pipe open), on a pty, a private podman
that uses capsa-shim as its conmon, and a direct driver speaking podman's
side of the monitor protocol (start pipe, sync pipe, attach socket)."""
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import termios
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))

import bundle as bundle_mod  # noqa: E402  (tests/fixtures/bundle.py)

IMAGE = "localhost/capsa-shim-bb:1"
TIMEOUT = 30
RUN_OPTS = ["--network", "none", "--pull", "never",
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


class Result:
    def __init__(self, cmd, rc, out, err, elapsed):
        self.cmd, self.returncode = cmd, rc
        self.stdout, self.stderr, self.elapsed = out, err, elapsed

    def __str__(self):
        return ("%s\n-> rc %s in %.2fs\n--- stdout\n%s\n--- stderr\n%s"
                % (" ".join(self.cmd), self.returncode, self.elapsed,
                   self.stdout[-4000:], self.stderr[-4000:]))

    __repr__ = lambda self: "<Result rc=%s>" % self.returncode  # noqa: E731


def run(cmd, timeout=TIMEOUT, input=None, env=None):
    cmd = [os.fspath(c) for c in cmd]
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as inp:
        if input is not None:
            inp.write(input.encode() if isinstance(input, str) else input)
            inp.seek(0)
        p = subprocess.Popen(cmd, stdin=inp if input is not None
                             else subprocess.DEVNULL, stdout=out, stderr=err,
                             env=env)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = None
        out.seek(0)
        err.seek(0)
        res = Result(cmd, rc, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"), time.monotonic() - t0)
    if rc is None:
        pytest.fail("timed out after %ss: %s" % (timeout, res), pytrace=False)
    return res


def run_pty(cmd, steps=(), timeout=TIMEOUT, winsize=(31, 101), env=None):
    """cmd on a fresh pty as its controlling terminal; steps: (wait_for,
    send) byte pairs. Returns (output, exit code)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ,
                struct.pack("HHHH", winsize[0], winsize[1], 0, 0))
    p = subprocess.Popen([os.fspath(c) for c in cmd], stdin=slave,
                         stdout=slave, stderr=slave, start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
                         env=env)
    os.close(slave)
    buf, pos, pending = b"", 0, list(steps)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                buf += chunk
            if pending:
                i = buf.find(pending[0][0], pos)
                if i >= 0:
                    pos = i + len(pending[0][0])
                    os.write(master, pending.pop(0)[1])
            elif p.poll() is not None and not r:
                break
        else:
            p.kill()
            p.wait()
            pytest.fail("pty run timed out: %r" % buf[-2000:], pytrace=False)
        return buf, p.wait(timeout=10)
    finally:
        os.close(master)


def wait_for(pred, timeout=10, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for %s" % what, pytrace=False)
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def procs_with(text, exe=None):
    """Live pids whose command line contains text (and whose argv[0] ends
    with exe, if given)."""
    out = []
    for e in os.listdir("/proc"):
        if e.isdigit() and int(e) != os.getpid():
            c = cmdline(int(e))
            if text in c and (exe is None or c.split(" ")[0].endswith(exe)) \
                    and pid_alive(int(e)):
                out.append(int(e))
    return out


def kill_and_wait(pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_for(lambda: not [p for p in pids if pid_alive(p)], 10,
             what="killed leftovers")


def write_rootfs_tar(rootfs, dest):
    with tarfile.open(dest, "w") as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name)
    return dest


def umount_under(top):
    top = os.path.realpath(top).rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        mps = [ln.split()[4] for ln in f]
    for mp in sorted((m for m in mps if m.startswith(top)), key=len,
                     reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


class Podman:
    """podman with all its state under top, `--runtime RUNTIME --conmon
    SHIM` (SHIM None: the system's conmon, for comparisons)."""

    def __init__(self, top, runtime, shim):
        self.top, self.runtime, self.shim = top, runtime, shim
        conf = os.path.join(top, "containers.conf")
        with open(conf, "w") as f:
            f.write('[engine]\nruntime_supports_json = ["capsa", "runc", "crun"]\n')
        self.env = dict(os.environ, CONTAINERS_CONF=conf)
        self.argv = [shutil.which("podman"),
                     "--root", os.path.join(top, "storage"),
                     "--runroot", os.path.join(top, "run"),
                     "--tmpdir", os.path.join(top, "tmp"),
                     "--volumepath", os.path.join(top, "volumes"),
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--storage-driver", "vfs", "--runtime", runtime]
        if shim:
            self.argv += ["--conmon", shim]

    def cmd(self, *args):
        return self.argv + [os.fspath(a) for a in args]

    def __call__(self, *args, timeout=TIMEOUT, input=None):
        return run(self.cmd(*args), timeout=timeout, input=input, env=self.env)

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, "podman %s failed: %s" % (args[0], r)
        return r

    def run_cmd(self, *args):
        return self.cmd("run", *RUN_OPTS, *args)

    def run(self, *args, timeout=TIMEOUT, input=None):
        return run(self.run_cmd(*args), timeout=timeout, input=input,
                   env=self.env)

    def inspect(self, name):
        return json.loads(self.ok("inspect", "--type", "container",
                                  name).stdout)[0]

    def cleanup(self):
        for args in (("rm", "-af", "-t", "0"), ("rmi", "-af")):
            try:
                run(self.cmd(*args), timeout=60, env=self.env)
            except BaseException:  # noqa: B036 - best effort
                pass
        deadline = time.monotonic() + 10
        while procs_with(self.top) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = procs_with(self.top)
        if left:
            kill_and_wait(left)
        umount_under(self.top)


class Driver:
    """podman's side of the protocol, for driving capsa-shim directly: a
    start pipe and a sync pipe (SOCK_SEQPACKET pairs, as podman makes
    them), _OCI_* in the environment, the shim run in `top`."""

    def __init__(self, shim, top):
        self.shim, self.top = shim, top

    def start(self, args, attach_pipe=False, go=True):
        """go=False: close the start pipe without a byte, as an engine
        that dies before it placed the shim in its cgroup."""
        sync_p, sync_c = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        start_c, start_p = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fds = [sync_c.fileno(), start_c.fileno()]
        env = dict(os.environ)
        att_p = None
        if attach_pipe:
            att_p, att_c = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            fds.append(att_c.fileno())

        def child_fds():
            for i, fd in enumerate(fds):
                os.dup2(fd, 3 + i)
        env["_OCI_SYNCPIPE"], env["_OCI_STARTPIPE"] = "3", "4"
        if attach_pipe:
            env["_OCI_ATTACHPIPE"] = "5"
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([self.shim] + [os.fspath(a) for a in args],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.err, stderr=self.err,
                                     preexec_fn=child_fds, pass_fds=(3, 4, 5)
                                     if attach_pipe else (3, 4), cwd=self.top,
                                     env=env)
        for s in (sync_c, start_c) + ((att_c,) if attach_pipe else ()):
            s.close()
        if go:
            start_p.send(b"\0")
        else:
            start_p.close()
        self.sync, self.start_pipe, self.attach_pipe = sync_p, start_p, att_p
        return self

    def wait_parent(self, timeout=10):
        rc = self.proc.wait(timeout=timeout)
        self.err.seek(0)
        return rc, self.err.read().decode(errors="replace")

    def message(self, timeout=30):
        r, _, _ = select.select([self.sync], [], [], timeout)
        assert r, "no message on the sync pipe in %ss" % timeout
        data = self.sync.recv(65536)
        assert data, "sync pipe closed without a message"
        assert data.endswith(b"\n"), data
        return json.loads(data)


def attach(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    d = os.open(os.path.dirname(path), os.O_PATH)
    try:
        s.connect("/proc/self/fd/%d/%s" % (d, os.path.basename(path)))
    finally:
        os.close(d)
    return s


def read_frames(sock, timeout=10, until_eof=True):
    """[(stream, bytes)] read from an attach socket until EOF."""
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], 0.2)
        if not r:
            if not until_eof:
                break
            continue
        try:
            m = sock.recv(8193)
        except ConnectionResetError:  # as podman reads it: the end
            break
        if not m:
            break
        out.append((m[0], m[1:]))
    return out
