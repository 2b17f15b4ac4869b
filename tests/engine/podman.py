"""A private podman 4.3 (Debian's, with conmon and runc) beside capsactl,
for the side-by-side suites (test_podman_compat.py, test_interactive.py).

Everything it keeps is under one directory of pytest's temporary tree: the
storage (--root, overlay driver), the runtime state (--runroot), the engine's
temporary directory, volumes, network definitions and events (file logger),
and the three configuration files podman reads, named by CONTAINERS_CONF,
CONTAINERS_STORAGE_CONF and CONTAINERS_REGISTRIES_CONF so no system file
under /etc/containers or /usr/share/containers is read for them:

- containers.conf carries Debian's defaults that matter to a container
  (default_capabilities and default_sysctls as
  /usr/share/containers/containers.conf ships them: a CONTAINERS_CONF
  replaces that file, and podman's built-in list is older and longer), the
  runtime (runc: crun 1.8 refuses this hybrid cgroup v1/v2 host), conmon
  as Debian installs it, cgroupfs and the file events logger;
- registries.conf has no search registries, so a short name never goes to
  the network by way of a search list (the unknown-image cases also say
  --pull never).

The host lacks CAP_SYS_RESOURCE, so podman's own rlimit defaults (nofile
1048576) cannot be set: every `run`/`create` gets PODMAN_RUN_FLAGS,
--ulimit nofile/nproc 1024:1024 and --network none (podman's default
network would add a bridge and firewall rules to the host; capsactl's
default is a private network namespace with loopback only, which is what
none gives).

test_networks_podman.py subclasses Podman for podman WITH its networks:
the class attributes run_flags (what run/create get), network_conf (lines
for containers.conf's [network]), wrap (a prefix to every command: nsenter)
and mountinfo (where its mounts are looked for) say how; need_podman(),
loaded() and checked() are the bodies of the fixtures below, for its own.

The image is the busybox layout of tests/fixtures/oci_images.py that the
capsactl side pulls (conftest.busybox_layout): `podman pull oci:DIR:latest`
names it after the directory's path, so it is renamed
localhost/busybox:latest, the name capsactl gives it.

Fixtures (import them into a test module: `from podman import ...`):
  podman_session  one private podman for the session, image loaded
  podman_engine   that podman for one test: at teardown every container and
                  volume is removed and the test fails if a conmon, a
                  mount or a cgroup of its containers is left
  either          parametrized "capsactl" / "podman": conftest's `engine`
                  or podman_engine; `.kind` says which
"""
import glob
import json
import os
import shutil
import time

import pytest

import procs
from conftest import Checked

PODMAN = shutil.which("podman") or "/usr/bin/podman"
CONMON = shutil.which("conmon") or "/usr/bin/conmon"
RUNC = shutil.which("runc") or "/usr/sbin/runc"
IMAGE = "localhost/busybox:latest"
TIMEOUT = 60

PODMAN_RUN_FLAGS = ["--network", "none",
                    "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]

# Debian's /usr/share/containers/containers.conf (containers-common 0.50)
CAPS = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]

CONTAINERS_CONF = """\
[containers]
default_capabilities = [{caps}]
default_sysctls = ["net.ipv4.ping_group_range=0 0"]

[network]
network_config_dir = "{top}/networks"
{network}

[engine]
cgroup_manager = "cgroupfs"
conmon_path = ["{conmon}"]
events_logger = "file"
events_logfile_path = "{top}/events.log"
runtime = "runc"
tmp_dir = "{top}/tmp"
volume_path = "{top}/volumes"

[engine.runtimes]
runc = ["{runc}"]
"""

STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{top}/storage"
runroot = "{top}/run"
"""

REGISTRIES_CONF = """\
unqualified-search-registries = []
short-name-mode = "permissive"
"""


class Podman(Checked):
    """podman with all its state under top; the interface of conftest's
    Engine (run, ok, fails, ps, inspect, wait_state), so one test body
    drives either."""
    label = "podman"


    kind = "podman"
    run_flags = PODMAN_RUN_FLAGS   # added to every run/create
    network_conf = ""              # more lines for containers.conf's [network]
    wrap = []                      # a prefix to every command (nsenter ...)
    mountinfo = "/proc/self/mountinfo"   # the mount namespace podman's mounts are in

    def __init__(self, top):
        self.top = os.fspath(top)
        for d in ("storage", "run", "tmp", "volumes", "networks"):
            os.makedirs(os.path.join(self.top, d), exist_ok=True)
        files = {"containers.conf": CONTAINERS_CONF.format(
                     top=self.top, conmon=CONMON, runc=RUNC, network=self.network_conf,
                     caps=", ".join('"%s"' % c for c in CAPS)),
                 "storage.conf": STORAGE_CONF.format(top=self.top),
                 "registries.conf": REGISTRIES_CONF}
        for name, text in files.items():
            with open(os.path.join(self.top, name), "w") as f:
                f.write(text)
        self.env = dict(os.environ,
                        CONTAINERS_CONF=os.path.join(self.top, "containers.conf"),
                        CONTAINERS_STORAGE_CONF=os.path.join(self.top, "storage.conf"),
                        CONTAINERS_REGISTRIES_CONF=os.path.join(self.top, "registries.conf"))
        self.argv = [PODMAN, "--root", os.path.join(self.top, "storage"),
                     "--runroot", os.path.join(self.top, "run"),
                     "--storage-driver", "overlay", "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file", "--runtime", RUNC]

    def cmd(self, *args):
        args = [os.fspath(a) for a in args]
        if args and args[0] in ("run", "create"):
            args[1:1] = self.run_flags
        return self.wrap + self.argv + args

    def run(self, *args, timeout=TIMEOUT, input=None):
        return procs.run(self.cmd(*args), timeout=timeout, input=input, env=self.env)

    def inspect(self, name):
        return json.loads(self.ok("inspect", "--type", "container", name).stdout)[0]

    def wait_state(self, name, state, timeout=20):
        procs.wait_for(lambda: self.inspect(name)["State"]["Status"] == state,
                       timeout=timeout, what="%s %s" % (name, state))

    def load(self, layout_dir):
        """Pull the OCI layout and name the image IMAGE only."""
        iid = self.ok("pull", "-q", "oci:%s:latest" % layout_dir, timeout=120).stdout.strip()
        self.ok("untag", iid)
        self.ok("tag", iid, IMAGE)
        return iid

    def procs(self):
        """conmon and exit commands of this podman (its paths in argv)."""
        return procs.procs_with(self.top)

    def leftovers(self, ids=()):
        left = ["process %d %s" % (p, procs.cmdline(p)) for p in self.procs()]
        left += ["mount " + m for m in procs.mounts_under(self.top, self.mountinfo)
                 if m != os.path.join(self.top, "storage", "overlay")]
        for cid in ids:
            left += ["cgroup " + g for g in glob.glob(
                "/sys/fs/cgroup/*/libpod_parent/libpod-%s*" % cid)]
        return left

    def reset(self):
        """Remove every container (at once: -t 0) and volume; what is left
        once conmon and the exit commands are done."""
        ids = self.run("ps", "-aq", "--no-trunc").stdout.split()
        self.run("rm", "-af", "-t", "0")
        self.run("volume", "rm", "-af")
        deadline = time.monotonic() + 20
        while self.procs() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.leftovers(ids)

    def cleanup(self):
        self.reset()
        self.run("rmi", "-af")
        left = self.procs()
        if left:
            procs.kill_and_wait(left)
        procs.umount_under(self.top)


def need_podman():
    if not (os.access(PODMAN, os.X_OK) and os.access(CONMON, os.X_OK)
            and os.access(RUNC, os.X_OK)):
        pytest.skip("podman, conmon and runc are needed (apt-get install podman)")


def loaded(pm, layout_dir):
    """pm with the busybox image, cleaned up at the end (a generator for
    a fixture: the session's here, test_networks_podman.py's module one)."""
    try:
        pm.load(layout_dir)
        yield pm
    finally:
        pm.cleanup()


def checked(pm):
    """pm for one test; at teardown every container and volume goes and
    the test fails if anything of theirs is left."""
    saved = pm.env
    pm.env = dict(saved)            # a test may set variables for itself
    yield pm
    pm.env = saved
    left = pm.reset()
    if left:
        procs.kill_and_wait(pm.procs())
    assert left == [], left
    assert pm.ps() == []


@pytest.fixture(scope="session")
def podman_session(tmp_path_factory, busybox_layout):
    need_podman()
    yield from loaded(Podman(tmp_path_factory.mktemp("podman")), busybox_layout.path)


@pytest.fixture
def podman_engine(podman_session):
    yield from checked(podman_session)


@pytest.fixture(params=["capsactl", "podman"])
def either(request):
    """The engine under test, or the reference: the same test body runs
    on both."""
    if request.param == "podman":
        return request.getfixturevalue("podman_engine")
    e = request.getfixturevalue("engine")
    e.kind = "capsactl"
    return e
