"""Helpers for tests/shim: a private podman that uses capsa-shim as its
conmon, and a direct driver speaking podman's side of the monitor protocol
(start pipe, sync pipe, attach socket).  Running commands (output in files,
never pipes: a detached shim could hold a pipe open) and finding processes
are in tests/fixtures/procs.py, shared with tests/interop."""
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))

import bundle as bundle_mod  # noqa: E402,F401  (tests/fixtures/bundle.py)
from procs import (TIMEOUT, kill_and_wait, pid_alive, procs_with, run,  # noqa: E402,F401
                   run_pty, umount_under, wait_for, write_rootfs_tar)  # (re-exported)

IMAGE = "localhost/capsa-shim-bb:1"
RUN_OPTS = ["--network", "none", "--pull", "never",
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


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
