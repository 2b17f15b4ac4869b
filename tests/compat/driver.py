"""Call an OCI runtime binary the way engines call runc.

go-runc (containerd's shim, docker via containerd) and conmon (podman) run
`<runtime> --root ROOT [--log FILE --log-format json] <command> ...` and read
the exit code, stdout (JSON for state/list/ps) and stderr / the log file.
`Runtime` wraps exactly that. Every call has a timeout; stdout and stderr go
to temporary files rather than pipes, so a container that inherits them (as
after `create` or `run -d`) can never make a call hang waiting for EOF.
"""

import fcntl
import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
from typing import NamedTuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUNC = os.environ.get("RUNC", "/usr/sbin/runc")
CAPSA = os.environ.get("CAPSA", os.path.join(REPO, "build", "capsa"))

DEFAULT_TIMEOUT = 8.0
TIMEOUT = "timeout"     # Result.rc when the call was killed for taking too long


class BudgetExceeded(Exception):
    """The scenario's time budget (Runtime.deadline) is used up."""

RFC3339_NANO = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


class Result(NamedTuple):
    rc: object          # int, or TIMEOUT
    stdout: str
    stderr: str

    def json(self):
        """stdout parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None


def _read(f):
    f.seek(0)
    return f.read().decode(errors="replace")


class Background:
    """A runtime call left running (e.g. foreground `run`)."""

    def __init__(self, proc, out, err, timeout):
        self.proc = proc
        self._out = out
        self._err = err
        self.timeout = timeout

    def wait(self, timeout=None):
        t = self.timeout if timeout is None else min(timeout, self.timeout)
        try:
            rc = self.proc.wait(timeout=t)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            rc = TIMEOUT
        return Result(rc, _read(self._out), _read(self._err))

    def kill(self):
        _kill_group(self.proc)


def _kill_group(proc):
    # The call runs in its own session; its process group is ours to end.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _fd_mover(fds):
    """preexec_fn placing fds {target: source} (inheritable) and closing
    every other fd above 2."""
    fds = dict(fds)
    top = max(fds)

    def move():
        # (runs between fork and exec: nothing imported here)
        # Through high copies first, so that no source is overwritten by
        # an earlier target.
        tmp = {t: fcntl.fcntl(src, fcntl.F_DUPFD, top + 1 + 64)
               for t, src in fds.items()}
        for t, src in tmp.items():
            os.dup2(src, t, inheritable=True)
        for fd in range(3, top):
            if fd not in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.closerange(top + 1, 1 << 16)
    return move


class Runtime:
    """One runtime binary with its own private --root."""

    def __init__(self, name, binary, root, global_args=(), budget=None):
        self.name = name
        self.binary = binary
        self.root = os.fspath(root)
        self.global_args = list(global_args)
        self.ids = []           # every id handed out, for cleanup
        # Calls past the deadline raise BudgetExceeded; each call's timeout
        # is clamped to what is left, so one scenario cannot hang for long.
        self.deadline = (time.monotonic() + budget) if budget else None

    def clamp(self, timeout):
        """timeout, limited to what is left of the budget."""
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            raise BudgetExceeded("%s: scenario time budget used up" %
                                 self.name)
        return min(timeout, left)

    # -- raw calls ---------------------------------------------------------

    def argv(self, *args, log=None):
        a = [self.binary, "--root", self.root] + self.global_args
        if log:
            a += ["--log", os.fspath(log), "--log-format", "json"]
        return a + [os.fspath(x) for x in args]

    def popen(self, *args, log=None, stdin=None, timeout=DEFAULT_TIMEOUT,
              cwd=None, stdout=None, stderr=None, fds=None, wrap=()):
        """Start `<binary> --root ROOT ...` in its own session.

        stdout / stderr: binary file objects opened for reading and writing
        ("w+b") to use instead of fresh temporary files (e.g. a file the
        container keeps writing to after `create` returned).
        fds: {fd in the runtime: fd here}; each is handed over at that
        number without close-on-exec (as an engine's ExtraFiles), every
        other fd above 2 is closed.
        wrap: argv put in front of the runtime's (e.g. unshare ... --)."""
        timeout = self.clamp(timeout)
        out = stdout if stdout is not None else tempfile.TemporaryFile()
        err = stderr if stderr is not None else tempfile.TemporaryFile()
        extra = {}
        if fds:
            extra = {"preexec_fn": _fd_mover(fds), "close_fds": False}
        proc = subprocess.Popen(
            list(wrap) + self.argv(*args, log=log),
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=out, stderr=err, cwd=cwd, start_new_session=True, **extra)
        return Background(proc, out, err, timeout)

    def call(self, *args, log=None, timeout=DEFAULT_TIMEOUT, cwd=None,
             **kw):
        """Run `<binary> --root ROOT [log args] args...`; return Result
        (keyword arguments as for popen)."""
        return self.popen(*args, log=log, timeout=timeout, cwd=cwd,
                          **kw).wait()

    __call__ = call

    # -- engine-style helpers (the argument order go-runc uses) ------------

    def new_id(self, hint="c"):
        cid = "cc-%s-%s" % (hint, secrets.token_hex(3))
        self.ids.append(cid)
        return cid

    def create(self, cid, bundle, pid_file=None, extra=(), log=None):
        a = ["create", "--bundle", bundle]
        if pid_file:
            a += ["--pid-file", pid_file]
        return self.call(*(a + list(extra) + [cid]), log=log)

    def run_detached(self, cid, bundle, pid_file=None, log=None):
        a = ["run", "--detach", "--bundle", bundle]
        if pid_file:
            a += ["--pid-file", pid_file]
        return self.call(*(a + [cid]), log=log)

    def run(self, cid, bundle, timeout=DEFAULT_TIMEOUT):
        return self.call("run", "--bundle", bundle, cid, timeout=timeout)

    def start(self, cid):
        return self.call("start", cid)

    def state(self, cid):
        """(Result, parsed dict or None)."""
        r = self.call("state", cid)
        return r, (r.json() if r.rc == 0 else None)

    def status(self, cid):
        _, st = self.state(cid)
        return st.get("status") if isinstance(st, dict) else None

    def wait_status(self, cid, want, timeout=5.0, interval=0.02):
        """Poll state until status == want; return the last status seen."""
        deadline = time.monotonic() + self.clamp(timeout)
        while True:
            s = self.status(cid)
            if s == want or time.monotonic() >= deadline:
                return s
            time.sleep(interval)

    def kill(self, cid, sig=None, all=False):
        a = ["kill"] + (["--all"] if all else []) + [cid]
        if sig is not None:
            a.append(str(sig))
        return self.call(*a)

    def delete(self, cid, force=False):
        return self.call(*(["delete"] + (["--force"] if force else []) +
                           [cid]))

    def exec(self, cid, args=None, process=None, detach=False, pid_file=None,
             extra=(), timeout=DEFAULT_TIMEOUT):
        a = ["exec"]
        if detach:
            a.append("--detach")
        if pid_file:
            a += ["--pid-file", pid_file]
        if process:
            a += ["--process", process]
        a += list(extra)
        a.append(cid)
        if args:
            a += list(args)
        return self.call(*a, timeout=timeout)

    def ps_json(self, cid):
        return self.call("ps", "--format", "json", cid)

    def list_json(self):
        return self.call("list", "--format", "json")

    def version(self):
        return self.call("--version")

    # -- cleanup -------------------------------------------------------------

    def subreaper(self, args, then=(), timeout=5.0, eof_timeout=5.0,
                  reap_timeout=2.0, **kw):
        """run_as_subreaper (tests/fixtures/bundle.py) of `<runtime> args`,
        `then` being lists of runtime arguments too; timeouts clamped."""
        from bundle import run_as_subreaper
        timeout = self.clamp(timeout)
        steps = 1 + len(then)
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            timeout = min(timeout, left / steps)
            eof_timeout = min(eof_timeout, max(left / 2, 0.2))
            reap_timeout = min(reap_timeout, max(left / 4, 0.1))
        return run_as_subreaper(self.argv(*args),
                                then=[self.argv(*t) for t in then],
                                timeout=timeout, eof_timeout=eof_timeout,
                                reap_timeout=reap_timeout, **kw)

    def cleanup(self, per_call=2.0, total=6.0):
        """delete --force every id handed out and everything `list -q`
        still shows in this runtime's root (bounded in time)."""
        self.deadline = time.monotonic() + total
        try:
            self._cleanup(per_call)
        except BudgetExceeded:
            pass
        finally:
            self.deadline = None

    def _cleanup(self, per_call):
        ids = list(self.ids)
        if os.path.isdir(self.root):
            r = self.call("list", "-q", timeout=per_call)
            if r.rc == 0:
                ids += [l.strip() for l in r.stdout.splitlines() if l.strip()]
        for cid in dict.fromkeys(ids):
            self.call("delete", "--force", cid, timeout=per_call)


def capsa_available():
    return os.path.isfile(CAPSA) and os.access(CAPSA, os.X_OK)


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def classify_pid_file(raw):
    """Describe pid-file bytes: 'decimal' (digits only), 'decimal+newline',
    'missing', or 'other:<repr>'."""
    if raw is None:
        return "missing"
    if re.fullmatch(rb"[1-9][0-9]*", raw):
        return "decimal"
    if re.fullmatch(rb"[1-9][0-9]*\n", raw):
        return "decimal+newline"
    return "other:%r" % raw[:40]


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def json_type(v):
    """JSON type name of a decoded value."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def has(text, sub):
    return sub.lower() in (text or "").lower()


class ConsoleSocket:
    """The engine's side of --console-socket: a listening AF_UNIX socket at
    `path` that accepts one connection and receives one message carrying
    the pty master by SCM_RIGHTS (what go-runc's NewTempConsoleSocket and
    conmon do).

        cs = ConsoleSocket(path)          # listening now, thread started
        rt.create(cid, b, extra=["--console-socket", path])
        cs.wait(5)                        # master / payload / error
        out = cs.read_master(until=lambda: ..., timeout=5)
        cs.close()
    """

    def __init__(self, path, timeout=DEFAULT_TIMEOUT):
        import socket
        import threading
        self.path = os.fspath(path)
        self.master = None          # the received fd, or None
        self.payload = None         # bytes sent along with it
        self.fd_count = 0           # how many fds came (extra ones closed)
        self.error = None
        self._srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._srv.bind(self.path)
        self._srv.listen(1)
        self._srv.settimeout(timeout)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        import array
        import socket
        try:
            conn, _ = self._srv.accept()
            with conn:
                conn.settimeout(DEFAULT_TIMEOUT)
                fds = array.array("i")
                msg, anc, _flags, _ = conn.recvmsg(
                    4096, socket.CMSG_SPACE(8 * fds.itemsize))
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and \
                            kind == socket.SCM_RIGHTS:
                        n = len(data) - len(data) % fds.itemsize
                        fds.frombytes(data[:n])
                self.payload = msg
                self.fd_count = len(fds)
                if fds:
                    self.master = fds[0]
                for extra in fds[1:]:
                    os.close(extra)
        except Exception as e:  # reported through .error
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            self._done.set()

    def wait(self, timeout):
        """True once the connection was served (or failed)."""
        return self._done.wait(timeout)

    def read_master(self, timeout=5.0, until=None, interval=0.1):
        """Everything read from the master until EIO / EOF (the last slave
        closed), or until `until()` is true after a quiet interval, or the
        timeout; returns bytes."""
        import select
        if self.master is None:
            return b""
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], interval)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif until is not None and until():
                break
        return out

    def close(self):
        import socket
        try:
            # wakes an accept() still waiting (a runtime that never came)
            self._srv.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._thread.join(1)
        try:
            self._srv.close()
        except OSError:
            pass
        self._thread.join(1)
        if self.master is not None:
            try:
                os.close(self.master)
            except OSError:
                pass
            self.master = None
        try:
            os.unlink(self.path)
        except OSError:
            pass
