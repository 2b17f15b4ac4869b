"""Helpers for the interop suite (tests/interop): the busybox image as a
rootfs tarball and as an OCI image-layout archive; a private podman, a
private containerd + ctr and a private dockerd; cleanup limited to what the
session itself made. Running commands and finding processes are in
tests/fixtures/procs.py (shared with tests/shim). Fixtures: conftest.py."""
import contextlib
import glob
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))

import bundle as bundle_mod  # noqa: E402  (tests/fixtures/bundle.py)
from procs import (Result, cmdline, kill_and_wait, pid_alive, run,  # noqa: E402,F401
                   run_pty, umount_under, wait_for, write_rootfs_tar)  # (re-exported)

IMAGE = "localhost/capsa-bb:1"
CTR_NAMESPACE = "capsa-interop"
DEFAULT_TIMEOUT = 20
PATH_ENV = bundle_mod.DEFAULT_PATH_ENV


EXITED_RE = r"^\[exited (\d+)\]$"


class Tmux:
    """A private tmux server (socket and configuration under `top`) holding
    one window that runs a command, for interactive sessions driven as a
    person would: keys typed, the screen read. The pane stays after the
    command exits so that its exit status can be read."""

    def __init__(self, top, env=None, size=(30, 100)):
        self.sock = os.path.join(top, "tmux.sock")
        self.conf = os.path.join(top, "tmux.conf")
        self.env = env
        self.size = size
        with open(self.conf, "w") as f:
            f.write("set -g remain-on-exit on\nset -g history-limit 2000\n")
        self.argv = [shutil.which("tmux"), "-S", self.sock, "-f", self.conf]
        self.server_pid = None

    def tmux(self, *args, timeout=10):
        return run(self.argv + list(args), timeout=timeout, env=self.env)

    def start(self, cmd):
        r = self.tmux("new-session", "-d", "-s", "main",
                      "-x", str(self.size[1]), "-y", str(self.size[0]),
                      "--", "/bin/sh", "-c", '"$@"; echo "[exited $?]"',
                      "sh", *[os.fspath(c) for c in cmd])
        assert r.returncode == 0, "tmux new-session failed: %s" % r
        r = self.tmux("display-message", "-p", "-t", "main", "#{pid}")
        if r.returncode == 0 and r.stdout.strip().isdigit():
            self.server_pid = int(r.stdout.strip())

    def send(self, text, enter=True):
        """Type text (literally), then Enter."""
        r = self.tmux("send-keys", "-t", "main", "-l", text)
        assert r.returncode == 0, str(r)
        if enter:
            r = self.tmux("send-keys", "-t", "main", "Enter")
            assert r.returncode == 0, str(r)

    def screen(self):
        """The pane's text, scrollback included, trailing blanks dropped."""
        r = self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "main")
        assert r.returncode == 0, str(r)
        return r.stdout.rstrip()

    def wait_screen(self, pred, timeout=10, what="text on the tmux screen"):
        """Wait until pred(screen text) is true; fail showing the screen."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if pred(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail("timed out after %ss waiting for %s; screen:\n%s"
                            % (timeout, what, text), pytrace=False)
            time.sleep(0.05)

    def exit_status(self, timeout=10):
        """Wait for the command to end; return its exit status (printed by
        the wrapper start() puts around it: tmux 3.3a now and then leaves
        a dead pane's process unreaped, its status unknown)."""
        text = self.wait_screen(lambda s: re.search(EXITED_RE, s, re.M),
                                timeout=timeout, what="the command to exit")
        return int(re.search(EXITED_RE, text, re.M).group(1))

    def stop(self):
        with contextlib.suppress(BaseException):
            run(self.argv + ["kill-server"], timeout=10, env=self.env)
        if self.server_pid and pid_alive(self.server_pid):
            kill_and_wait([self.server_pid])


# --------------------------------------------------------------------------
# the image: a busybox rootfs as a plain tarball and as an OCI archive

def _go_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm",
            "i686": "386", "i386": "386", "ppc64le": "ppc64le",
            "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


def write_oci_archive(layer_tar, dest, cmd=("sh",)):
    """Write an OCI image layout (image-spec image-layout.md) as a tar
    archive: oci-layout, index.json and blobs/sha256/ holding one
    uncompressed layer, the image config and the manifest. The index's
    single manifest carries this host's platform. Returns dest."""
    with open(layer_tar, "rb") as f:
        layer = f.read()
    arch = _go_arch()

    def digest(data):
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def canon(obj):
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

    layer_digest = digest(layer)
    config = canon({
        "created": "2024-01-01T00:00:00Z",
        "architecture": arch,
        "os": "linux",
        "config": {"Env": [PATH_ENV], "Cmd": list(cmd), "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created": "2024-01-01T00:00:00Z",
                     "created_by": "tests/fixtures/mkrootfs.sh"}],
    })
    manifest = canon({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer)}],
    })
    index = canon({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(manifest), "size": len(manifest),
            "platform": {"architecture": arch, "os": "linux"},
        }],
    })
    layout = canon({"imageLayoutVersion": "1.0.0"})

    with tarfile.open(dest, "w") as tf:
        def add(name, data, mode=0o644):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = mode
            ti.mtime = 1704067200
            tf.addfile(ti, io.BytesIO(data))
        for d in ("blobs", "blobs/sha256"):
            ti = tarfile.TarInfo(d)
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
            ti.mtime = 1704067200
            tf.addfile(ti)
        add("oci-layout", layout)
        add("index.json", index)
        for blob in (layer, config, manifest):
            add("blobs/sha256/" + digest(blob)[len("sha256:"):], blob)
    return dest


# --------------------------------------------------------------------------
# cleanup helpers (only for what this session made: paths under its own
# private directory, processes whose pids come from it)

def _procs_with(top, what):
    """pids whose /proc/PID/<what> (cwd, root) link is top or below it."""
    top = os.path.realpath(top).rstrip("/")
    out = []
    for ent in os.listdir("/proc"):
        if not ent.isdigit() or int(ent) == os.getpid():
            continue
        try:
            link = os.readlink("/proc/%s/%s" % (ent, what))
        except OSError:
            continue
        if link == top or link.startswith(top + "/"):
            out.append(int(ent))
    return out


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------
# podman

# podman passes --log-format=json --log FILE to the runtimes whose name
# (the basename of --runtime) is listed in runtime_supports_json, and reads
# a failure back from FILE; the list replaces podman's own (crun, runc, ...)
CONTAINERS_CONF = """\
[engine]
runtime_supports_json = ["capsa", "runc", "crun"]
"""

PODMAN_RUN_OPTS = ["--network", "none", "--pull", "never",
                   "--ulimit", "nofile=1024:1024",
                   "--ulimit", "nproc=1024:1024"]


class Podman:
    """A private podman: `podman --root T/storage --runroot T/run ...
    --runtime RUNTIME`, all state under T, with T/containers.conf
    (CONTAINERS_CONF) as its configuration."""

    def __init__(self, top, runtime):
        self.top = top
        self.runtime = runtime
        self.binary = shutil.which("podman")
        self.conf = os.path.join(top, "containers.conf")
        with open(self.conf, "w") as f:
            f.write(CONTAINERS_CONF)
        self.env = dict(os.environ, CONTAINERS_CONF=self.conf)
        self.argv = [self.binary,
                     "--root", os.path.join(top, "storage"),
                     "--runroot", os.path.join(top, "run"),
                     "--tmpdir", os.path.join(top, "tmp"),
                     "--volumepath", os.path.join(top, "volumes"),
                     "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file",
                     "--storage-driver", "vfs",
                     "--runtime", runtime]
        self.run_opts = list(PODMAN_RUN_OPTS)

    def cmd(self, *args):
        return self.argv + [os.fspath(a) for a in args]

    def __call__(self, *args, timeout=DEFAULT_TIMEOUT, input=None):
        return run(self.cmd(*args), timeout=timeout, input=input,
                   env=self.env)

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, "podman %s failed: %s" % (args[0], r)
        return r

    def run_cmd(self, *args):
        """`podman run` with the fixed options; args: run options, the
        image and the command."""
        return self.cmd("run", *self.run_opts, *args)

    def run(self, *args, timeout=DEFAULT_TIMEOUT, input=None):
        """Run `podman run` (run_cmd) with args, in podman's environment."""
        return run(self.run_cmd(*args), timeout=timeout, input=input,
                   env=self.env)

    def inspect(self, name):
        r = self.ok("inspect", "--type", "container", name)
        return json.loads(r.stdout)[0]

    def cleanup(self):
        """Remove every container and image, wait for conmon and the exit
        command (`podman container cleanup`, both started for our
        containers with our private paths in argv) to finish, killing only
        those still there after 10 s, then unmount what is left under the
        private directory."""
        for args in (("rm", "-af", "-t", "0"), ("rmi", "-af")):
            with contextlib.suppress(BaseException):
                run(self.cmd(*args), timeout=60, env=self.env)
        deadline = time.monotonic() + 10
        while True:
            left = [p for p in _procs_referring(self.top) if pid_alive(p)]
            if not left:
                break
            if time.monotonic() > deadline:
                kill_and_wait(left)
                break
            time.sleep(0.1)
        umount_under(self.top)


def _procs_referring(top):
    """pids (not ours) whose command line names our private directory."""
    out = []
    for ent in os.listdir("/proc"):
        if not ent.isdigit() or int(ent) == os.getpid():
            continue
        if top in cmdline(int(ent)):
            out.append(int(ent))
    return out


# --------------------------------------------------------------------------
# containerd

CONTAINERD_CONFIG = """\
version = 2
root = "{top}/root"
state = "{top}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{top}/containerd.sock"

[ttrpc]
  address = "{top}/containerd.sock.ttrpc"

[debug]
  address = ""
  level = "info"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "{top}/opt"
"""


class Containerd:
    """A private containerd plus `ctr -a SOCK -n capsa-interop`; ctr run and
    task exec get --runc-binary RUNTIME, --runc-root and --fifo-dir under
    the private directory."""

    def __init__(self, top, runtime):
        self.top = top
        self.runtime = runtime
        self.address = os.path.join(top, "containerd.sock")
        self.config = os.path.join(top, "config.toml")
        self.log = os.path.join(top, "containerd.log")
        self.runc_root = os.path.join(top, "runc")
        self.fifo_dir = os.path.join(top, "fifo")
        self.ctr_argv = [shutil.which("ctr"), "-a", self.address,
                         "-n", CTR_NAMESPACE]
        self.proc = None

    # -- daemon
    def start(self):
        with open(self.config, "w") as f:
            f.write(CONTAINERD_CONFIG.format(top=self.top))
        logf = open(self.log, "wb")
        try:
            self.proc = subprocess.Popen(
                [shutil.which("containerd"), "--config", self.config],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                start_new_session=True)
        finally:
            logf.close()
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("containerd exited with %s:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.address):
                r = subprocess.run(self.ctr_argv + ["version"],
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=10)
                if r.returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("containerd did not answer on %s in 20s:"
                                   "\n%s" % (self.address, self.log_tail()))
            time.sleep(0.05)

    def log_tail(self, n=30):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -- ctr
    def cmd(self, *args):
        return self.ctr_argv + [os.fspath(a) for a in args]

    def __call__(self, *args, timeout=DEFAULT_TIMEOUT, input=None):
        return run(self.cmd(*args), timeout=timeout, input=input)

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, "ctr %s failed: %s" % (" ".join(args[:2]), r)
        return r

    def runtime_opts(self):
        return ["--runc-binary", self.runtime, "--runc-root", self.runc_root,
                "--fifo-dir", self.fifo_dir]

    def run_cmd(self, *args):
        """`ctr run` with the runtime options; args: flags, image, id, cmd."""
        return self.cmd("run", *self.runtime_opts(), *args)

    def exec_cmd(self, *args):
        return self.cmd("task", "exec", "--fifo-dir", self.fifo_dir, *args)

    def tasks(self):
        """{id: (pid, status)} from `ctr task ls`."""
        r = self.ok("task", "ls")
        out = {}
        for line in r.stdout.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3:
                out[f[0]] = (int(f[1]), f[2])
        return out

    def containers(self):
        return self.ok("container", "ls", "-q").stdout.split()

    def remove(self, cid):
        """Best-effort: kill, delete the task, delete the container."""
        for args in (("task", "kill", "-s", "KILL", cid),
                     ("task", "delete", "-f", cid),
                     ("container", "delete", cid)):
            with contextlib.suppress(BaseException):
                run(self.cmd(*args), timeout=15)

    # -- teardown
    def stop(self):
        with contextlib.suppress(BaseException):
            if self.proc and self.proc.poll() is None:
                for cid in self.containers():
                    self.remove(cid)
        state = os.path.join(self.top, "state")
        # shims run with their bundle (state/io.containerd.runtime.v2.task/
        # NS/ID) as cwd; a container's init pid is in that bundle's init.pid
        shims = [p for p in _procs_with(state, "cwd")
                 if "containerd-shim" in cmdline(p)]
        inits = []
        for f in glob.glob(os.path.join(
                state, "io.containerd.runtime.v2.task", "*", "*", "init.pid")):
            with contextlib.suppress(OSError, ValueError):
                with open(f) as fh:
                    inits.append(int(fh.read().strip()))
        # (checked: still a child of one of those shims, its subreaper)
        inits = [p for p in inits if _ppid(p) in shims]
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        kill_and_wait([p for p in inits + shims if pid_alive(p)])
        umount_under(self.top)
        # runc-style cgroups named after our namespace (empty by now), and
        # the shim's default runtime root for it, used when ctr drops
        # --runc-root/--runc-binary (it does with --uidmap)
        for d in glob.glob("/sys/fs/cgroup/*/" + CTR_NAMESPACE) + \
                glob.glob("/sys/fs/cgroup/" + CTR_NAMESPACE) + \
                ["/run/containerd/runc/" + CTR_NAMESPACE]:
            with contextlib.suppress(OSError):
                os.rmdir(d)




# --------------------------------------------------------------------------
# dockerd

DOCKER_RUN_OPTS = ["--network", "none",
                   "--ulimit", "nofile=1024:1024",
                   "--ulimit", "nproc=1024:1024"]
# containers' cgroups go under this parent at the top of each hierarchy (not
# docker's default /docker, which a system docker would share; absolute: a
# relative parent would be placed under the cgroup of the shim)
DOCKER_CGROUP_PARENT = "/capsa-interop-docker"


class Dockerd:
    """A private dockerd: `dockerd --data-root T/data --exec-root T/exec
    --pidfile T/docker.pid -H unix://T/docker.sock`, its configuration file
    and trust key under T too, with the runtime under test registered as
    `capsa` (--add-runtime) and no host networking (--bridge none, no
    iptables rules, no IP masquerading, net.ipv4.ip_forward left alone).
    dockerd starts its own managed
    containerd (socket, state and root under T/exec and T/data); the docker
    client (`docker -H unix://T/docker.sock`, DOCKER_CONFIG=T/client) runs
    containers with `--runtime capsa`."""

    RUNTIME_NAME = "capsa"

    def __init__(self, top, runtime):
        self.top = top
        self.runtime = runtime
        self.sock = os.path.join(top, "docker.sock")
        self.pidfile = os.path.join(top, "docker.pid")
        self.exec_root = os.path.join(top, "exec")
        self.data_root = os.path.join(top, "data")
        self.log = os.path.join(top, "dockerd.log")
        self.config = os.path.join(top, "daemon.json")
        self.client = [shutil.which("docker", path="/usr/bin:/bin")
                       or shutil.which("docker"), "-H", "unix://" + self.sock]
        self.env = dict(os.environ,
                        DOCKER_CONFIG=os.path.join(top, "client"))
        self.env.pop("DOCKER_HOST", None)
        self.proc = None

    # -- daemon
    def start(self):
        # dockerd makes its plugin directory (/run/docker/plugins) whatever
        # its exec-root: removed at the end if it is made here
        self.made_run_docker = [d for d in ("/run/docker",
                                            "/run/docker/plugins")
                                if not os.path.exists(d)]
        # (the trust key dockerd 20.10 makes is set only in the file:
        # /etc/docker/key.json otherwise)
        with open(self.config, "w") as f:
            json.dump({"deprecated-key-path":
                       os.path.join(self.top, "key.json")}, f)
        argv = [shutil.which("dockerd"),
                "--config-file", self.config,
                "--data-root", self.data_root,
                "--exec-root", self.exec_root,
                "--pidfile", self.pidfile,
                "-H", "unix://" + self.sock,
                "--bridge", "none", "--iptables=false", "--ip6tables=false",
                "--ip-masq=false", "--ip-forward=false",
                "--userland-proxy=false",
                "--storage-driver", "vfs",
                "--exec-opt", "native.cgroupdriver=cgroupfs",
                "--cgroup-parent", DOCKER_CGROUP_PARENT,
                "--add-runtime", "%s=%s" % (self.RUNTIME_NAME, self.runtime),
                "--shutdown-timeout", "2",
                "--log-level", "warn"]
        logf = open(self.log, "wb")
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                start_new_session=True)
        finally:
            logf.close()
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("dockerd exited with %s:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.sock):
                r = subprocess.run(self.client + ["version"], env=self.env,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=10)
                if r.returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("dockerd did not answer on %s in 60s:\n%s"
                                   % (self.sock, self.log_tail()))
            time.sleep(0.1)

    def log_tail(self, n=30):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -- docker
    def cmd(self, *args):
        return self.client + [os.fspath(a) for a in args]

    def __call__(self, *args, timeout=DEFAULT_TIMEOUT, input=None):
        return run(self.cmd(*args), timeout=timeout, input=input,
                   env=self.env)

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, "docker %s failed: %s" % (args[0], r)
        return r

    def run_cmd(self, *args):
        """`docker run --runtime capsa` with the fixed options; args: run
        options, the image and the command."""
        return self.cmd("run", "--runtime", self.RUNTIME_NAME,
                        *DOCKER_RUN_OPTS, *args)

    def run(self, *args, timeout=DEFAULT_TIMEOUT, input=None):
        return run(self.run_cmd(*args), timeout=timeout, input=input,
                   env=self.env)

    def inspect(self, name):
        r = self.ok("inspect", "--type", "container", name)
        return json.loads(r.stdout)[0]

    # -- teardown
    def stop(self):
        """Remove every container, stop dockerd by its pid (it stops its
        containerd), then kill what is left of ours: shims (their cwd is a
        bundle under T) and their containers' processes."""
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(BaseException):
                r = run(self.cmd("ps", "-aq"), timeout=30, env=self.env)
                ids = r.stdout.split()
                if ids:
                    run(self.cmd("rm", "-f", *ids), timeout=60, env=self.env)
        shims = [p for p in _procs_with(self.top, "cwd")
                 if "containerd-shim" in cmdline(p)]
        inits = [p for p in _children_of(shims)]
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        left = [p for p in _procs_referring(self.top) + inits + shims
                if pid_alive(p)]
        kill_and_wait(left)
        umount_under(self.top)
        for d in reversed(getattr(self, "made_run_docker", [])):
            with contextlib.suppress(OSError):
                os.rmdir(d)
        for d in glob.glob("/sys/fs/cgroup/*" + DOCKER_CGROUP_PARENT) + \
                glob.glob("/sys/fs/cgroup" + DOCKER_CGROUP_PARENT):
            with contextlib.suppress(OSError):
                os.rmdir(d)


def _children_of(pids):
    pids = set(pids)
    out = []
    if not pids:
        return out
    for ent in os.listdir("/proc"):
        if ent.isdigit() and _ppid(int(ent)) in pids:
            out.append(int(ent))
    return out
