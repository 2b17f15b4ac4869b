"""capsad's ImageService: PullImage through a capsactl-full child (from
Debian's docker-registry, plain and with Basic auth, and from a registry
that stalls), ListImages/ImageStatus fields, RemoveImage, ImageFsInfo; the
store is capsactl's (`capsactl images` lists what capsad pulled); then the
same through crictl.

The module runs a capsad of its own (its own store, so listings and sizes
are this module's) whose --registries-conf marks the test registries
insecure (plain http).  The registries listen on 127.0.0.1 of the session's
network namespace, where capsad and its pull children live: they are
started with this thread moved into it (setns), which also puts their
listening sockets there."""
import base64
import contextlib
import ctypes
import json
import os
import shutil
import signal
import stat
import threading
import time

import grpc
import pytest

import criclient
import oci_images
import procs
from conftest import Capsad, conflist, find_tool, pod_config
from hostile_registry import HostileRegistry
from registry import DOCKER_REGISTRY, Registry

CODE = grpc.StatusCode
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def in_netns(name):
    """This thread (and what it starts) in network namespace name."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open("/run/netns/" + name, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + name)
        yield
    finally:
        if _libc.setns(own, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
        os.close(own)
        os.close(target)


def code_of(fn):
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code(), e.value.details()


def config_digest(layout, tag="latest"):
    man = json.loads(layout.read_blob(layout.resolve(tag)["digest"]))
    return man["config"]["digest"]


class Env:
    """What the module's tests share: the registries, the layouts pushed
    there, and the module's capsad."""


@pytest.fixture(scope="module")
def env(tmp_path_factory, cri_netns):
    for tool in (DOCKER_REGISTRY, "skopeo", "htpasswd"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)
    e = Env()
    base = tmp_path_factory.mktemp("images")
    e.busybox = oci_images.write_image(base / "busybox", oci_images.busybox_image())
    e.numeric = oci_images.write_image(
        base / "numeric", oci_images.Image([oci_images.busybox_layer()], cmd=["sh"],
                                           user="1000:50"))
    e.named = oci_images.write_image(
        base / "named", oci_images.Image([oci_images.busybox_layer()], cmd=["sh"],
                                         user="daemon"))
    # a layer of its own, so that no pull before has stored it
    e.stalled = oci_images.write_image(
        base / "stalled", oci_images.Image([oci_images.Layer().file(
            "stall", os.urandom(64 << 10))]))
    e.regs = []
    try:
        with in_netns(cri_netns):
            e.plain = Registry(str(base / "reg-plain")).start()
            e.regs.append(e.plain)
            e.basic = Registry(str(base / "reg-basic"), mode="basic").start()
            e.regs.append(e.basic)
            e.stall = HostileRegistry(e.stalled.path).start()
            e.regs.append(e.stall)
            e.stall.faults.slowloris = True
            for lay, repo in ((e.busybox, "test/busybox"), (e.numeric, "test/numeric"),
                              (e.named, "test/named")):
                oci_images.load_into_registry(lay.path, "latest", e.plain.url, repo=repo)
            oci_images.load_into_registry(e.busybox.path, "latest", e.basic.url,
                                          repo="test/private", creds=e.basic.creds)
        conf = base / "registries.conf"
        conf.write_text("".join('[[registry]]\nlocation = "%s"\ninsecure = true\n\n' % r.url
                                for r in e.regs))
        e.capsad = Capsad(str(base / "capsad"), cri_netns)
        e.capsad.write_netconf(conflist(e.capsad.base, name="capsa-cri-images",
                                        subnet="10.89.0.0/16", bridge="cri-img0"))
        e.conf = str(conf)
        e.capsad.start("--registries-conf", e.conf)
        e.cri = criclient.Cri(e.capsad.sock)
        yield e
    finally:
        for r in e.regs:
            r.stop()
        d = getattr(e, "capsad", None)
        if d is not None:
            left = d.teardown()
            assert left == [], left


@pytest.fixture
def cri(env):
    """The module capsad's client; no credentials directory may outlive a
    call."""
    if env.capsad.proc.poll() is not None:
        pytest.fail("capsad died:\n" + env.capsad.log_text(), pytrace=False)
    yield env.cri
    left = [n for n in os.listdir(env.capsad.runroot) if n.startswith("capsad-auth-")]
    assert left == [], left


def pull(cri, ref, **kw):
    return cri.call("PullImage", image={"image": ref}, **kw).image_ref


def status(cri, name, verbose=False):
    return cri.call("ImageStatus", image={"image": name}, verbose=verbose)


def listed(env):
    """`capsactl images` of capsad's store: id -> its JSON."""
    out = env.capsad.capsactl("images", "--format", "json").stdout
    return {i["Id"]: i for i in json.loads(out)}


# --- pull, list, status ----------------------------------------------------------

def test_pull_by_tag_is_capsactls_image(env, cri):
    ref = env.plain.ref("test/busybox")
    image_ref = pull(cri, ref)
    assert image_ref == config_digest(env.busybox)
    assert image_ref[7:] in listed(env), "capsactl images does not list %s" % image_ref
    # the kubelet's next question: the same string, from the name it pulled
    st = status(cri, ref)
    assert st.image.id == image_ref
    assert pull(cri, ref) == image_ref           # a second pull finds it


def test_list_and_status_fields(env, cri):
    ref = env.plain.ref("test/busybox")
    image_ref = pull(cri, ref)
    images = {i.id: i for i in cri.call("ListImages").images}
    img = images[image_ref]
    # other tests pull the same image under other names
    assert ref in img.repo_tags
    repo = ref.rsplit(":", 1)[0]
    manifest = env.busybox.resolve("latest")["digest"]
    assert "%s@%s" % (repo, manifest) in img.repo_digests
    assert img.size > 0
    assert img.spec.image == image_ref
    assert not img.pinned
    assert not img.HasField("uid") and img.username == ""   # no User in its config
    # ImageStatus says the same, by every name of the image
    for name in (ref, image_ref, image_ref[7:], image_ref[7:19], "%s@%s" % (repo, manifest)):
        st = status(cri, name)
        assert st.HasField("image"), name
        assert st.image == img, name
        assert len(st.info) == 0


def test_image_user(env, cri):
    num = pull(cri, env.plain.ref("test/numeric"))
    img = status(cri, num).image
    assert img.HasField("uid") and img.uid.value == 1000
    assert img.username == ""
    named = pull(cri, env.plain.ref("test/named"))
    img = status(cri, named).image
    assert not img.HasField("uid")
    assert img.username == "daemon"


def test_status_verbose(env, cri):
    image_ref = pull(cri, env.plain.ref("test/numeric"))
    st = status(cri, image_ref, verbose=True)
    info = json.loads(st.info["info"])
    assert info["id"] == image_ref
    assert info["imageSpec"]["config"]["User"] == "1000:50"
    assert info["imageSpec"]["rootfs"]["diff_ids"]
    assert len(info["chainIDs"]) == 1
    assert info["manifestDigest"] == env.numeric.resolve("latest")["digest"]


def test_status_of_missing_image(env, cri):
    for name in ("127.0.0.1:1/nothing/here:latest", "sha256:" + "0" * 64, "nosuchimage"):
        st = status(cri, name, verbose=True)
        assert not st.HasField("image"), name
        assert len(st.info) == 0
    assert code_of(lambda: status(cri, ""))[0] == CODE.INVALID_ARGUMENT


def test_list_filter(env, cri):
    a = pull(cri, env.plain.ref("test/busybox"))
    b = pull(cri, env.plain.ref("test/named"))
    assert a != b
    for name, want in ((env.plain.ref("test/named"), [b]), (a, [a]),
                       ("127.0.0.1:1/nothing:latest", [])):
        got = [i.id for i in cri.call("ListImages", filter={"image": {"image": name}}).images]
        assert got == want, name
    every = [i.id for i in cri.call("ListImages").images]
    assert a in every and b in every


def test_pull_by_digest(env, cri):
    repo = env.plain.ref("test/busybox").rsplit(":", 1)[0]
    manifest = env.busybox.resolve("latest")["digest"]
    image_ref = pull(cri, "%s@%s" % (repo, manifest))
    assert image_ref == config_digest(env.busybox)
    assert "%s@%s" % (repo, manifest) in status(cri, image_ref).image.repo_digests


def test_pull_refusals(env, cri):
    assert code_of(lambda: pull(cri, ""))[0] == CODE.INVALID_ARGUMENT
    # the registry has no such repository: NOT_FOUND, as containerd answers
    code, msg = code_of(lambda: pull(cri, env.plain.ref("test/absent")))
    assert code == CODE.NOT_FOUND, msg
    assert "test/absent" in msg
    code, msg = code_of(lambda: pull(cri, env.plain.ref("test/busybox", "no-such-tag")))
    assert code == CODE.NOT_FOUND, msg


# --- credentials ---------------------------------------------------------------

def test_pull_basic_auth(env, cri):
    ref = env.basic.ref("test/private")
    user, password = env.basic.creds
    code, msg = code_of(lambda: pull(cri, ref))
    assert code == CODE.UNKNOWN, msg
    code, msg = code_of(lambda: pull(cri, ref, auth={"username": user, "password": "wrong"}))
    assert code == CODE.UNKNOWN, msg
    assert not [i for i in cri.call("ListImages").images if ref in i.repo_tags]
    image_ref = pull(cri, ref, auth={"username": user, "password": password})
    assert image_ref == config_digest(env.busybox)
    assert ref in status(cri, ref).image.repo_tags
    # again, with the credentials as `auth` (base64 of user:password)
    cri.call("RemoveImage", image={"image": ref})
    b64 = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    assert pull(cri, ref, auth={"auth": b64, "server_address": env.basic.url}) == image_ref


def test_pull_auth_refusals(env, cri):
    ref = env.basic.ref("test/private")
    for auth, field in (({"registry_token": "t"}, "registry_token"),
                        ({"identity_token": "t"}, "identity_token"),
                        ({"auth": "not base64!"}, "auth.auth"),
                        ({"auth": base64.b64encode(b"no-colon").decode()}, "auth.auth"),
                        ({"username": "a:b", "password": "p"}, "user name")):
        code, msg = code_of(lambda: pull(cri, ref, auth=auth))
        assert code == CODE.INVALID_ARGUMENT, (auth, msg)
        assert field in msg, (auth, msg)


def test_credentials_stay_off_the_command_line(env, cri):
    """While the child pulls (from a registry that stalls once it has let
    the credentials in), they are in a 0600 file of a 0700 directory, not
    in its arguments; the directory is gone when the call ends."""
    ref = "%s/test/stalled-auth:latest" % env.stall.url
    env.stall.reset()
    env.stall.faults.require_basic = ("kube", "s3cret-pw")
    seen = {}

    def watch():
        for _ in range(200):
            for p in procs.procs_with(env.capsad.base):
                cmd = procs.cmdline(p)
                if "capsactl-full" in cmd and "--authfile" in cmd:
                    path = cmd.split("--authfile")[1].split()[0]
                    seen["cmd"], seen["path"] = cmd, path
                    seen["file"] = stat.S_IMODE(os.stat(path).st_mode)
                    seen["dir"] = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
                    with open(path) as f:
                        seen["auths"] = list(json.load(f)["auths"])
                    return
            time.sleep(0.02)
    t = threading.Thread(target=watch)
    t.start()
    try:
        code, _ = code_of(lambda: pull(cri, ref, timeout=3,
                                       auth={"username": "kube", "password": "s3cret-pw"}))
    finally:
        t.join()
        env.stall.faults.require_basic = None
    assert code == CODE.DEADLINE_EXCEEDED
    assert seen, "no pull child with --authfile seen"
    assert "s3cret-pw" not in seen["cmd"]
    assert (seen["file"], seen["dir"]) == (0o600, 0o700)
    assert seen["auths"] == [env.stall.url]
    assert os.path.dirname(os.path.dirname(seen["path"])) == env.capsad.runroot
    assert env.stall.count("blob") >= 1, "the credentials did not let the pull in"
    procs.wait_for(lambda: not os.path.exists(os.path.dirname(seen["path"])), timeout=10,
                   what="the credentials directory removed")


def test_concurrent_calls(env, cri):
    """Pulls of one image side by side with listings and ImageFsInfo: one
    id for all, every call answered."""
    ref = env.plain.ref("test/named")
    cri.call("RemoveImage", image={"image": ref})
    results, errors = [], []

    def work(i):
        try:
            if i % 3 == 0:
                results.append(pull(cri, ref))
            elif i % 3 == 1:
                cri.call("ListImages")
            else:
                cri.call("ImageFsInfo")
        except Exception as e:   # noqa: BLE001  (reported below)
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4 and len(set(results)) == 1, results
    assert results[0] == config_digest(env.named)
    check_store(env)


# --- deadlines -----------------------------------------------------------------

def check_store(env):
    r = env.capsad.capsactl("system", "check")
    assert "no problems found" in r.stdout, r


def no_pull_child(env):
    return not [p for p in procs.procs_with(env.capsad.base)
                if "capsactl-full" in procs.cmdline(p)]


def test_pull_deadline(env, cri):
    ref = env.plain.ref("test/busybox")
    code, _ = code_of(lambda: pull(cri, ref, timeout=0.001))
    assert code == CODE.DEADLINE_EXCEEDED
    procs.wait_for(lambda: no_pull_child(env), timeout=20, what="no capsactl-full left")
    check_store(env)


def test_pull_killed_at_its_deadline(env, cri):
    """A registry that sends one byte of each layer and stalls: the child
    is killed when the call's deadline passes, and the store stays sound."""
    ref = "%s/test/stalled:latest" % env.stall.url
    env.stall.reset()
    t0 = time.monotonic()
    code, _ = code_of(lambda: pull(cri, ref, timeout=3))
    assert code == CODE.DEADLINE_EXCEEDED
    assert time.monotonic() - t0 < 10
    assert env.stall.count("blob") >= 1, "the pull never reached the layers"
    procs.wait_for(lambda: no_pull_child(env), timeout=10,
                   what="the pull child killed at the deadline")
    assert not status(cri, ref).HasField("image")
    check_store(env)
    # capsad lives on and pulls the next image
    assert pull(cri, env.plain.ref("test/busybox")).startswith("sha256:")


def test_capsad_killed_during_a_pull(env, cri):
    """capsad SIGKILLed while a pull stalls in a layer: its pull child dies
    with it (no orphan pull racing the next capsad), the caller gets
    UNAVAILABLE, and the capsad started again has a sound store without the
    half-pulled image, and pulls it once the registry answers."""
    ref = "%s/test/stalled:latest" % env.stall.url
    env.stall.reset()
    codes = []

    def work():
        try:
            pull(cri, ref, timeout=60)
        except grpc.RpcError as e:
            codes.append(e.code())
    t = threading.Thread(target=work)
    t.start()
    try:
        procs.wait_for(lambda: env.stall.count("blob") >= 1 and not no_pull_child(env),
                       timeout=20, what="the pull child in a layer")
        env.capsad.stop(signal.SIGKILL)
    finally:
        t.join(30)
    assert codes == [CODE.UNAVAILABLE], codes
    procs.wait_for(lambda: no_pull_child(env), timeout=10,
                   what="the pull child gone with capsad")
    env.capsad.start("--registries-conf", env.conf)
    env.cri.close()
    env.cri = criclient.Cri(env.capsad.sock)
    assert not status(env.cri, ref).HasField("image")
    check_store(env)
    env.stall.faults.slowloris = False
    try:
        assert pull(env.cri, ref) == config_digest(env.stalled)
    finally:
        env.stall.faults.slowloris = True
    env.cri.call("RemoveImage", image={"image": ref})


# --- remove --------------------------------------------------------------------

def test_remove_twice(env, cri):
    ref = env.plain.ref("test/named")
    image_ref = pull(cri, ref)
    # a second name (capsactl's tag): RemoveImage takes them all
    env.capsad.capsactl("tag", ref, "localhost/another:name")
    assert len(status(cri, image_ref).image.repo_tags) == 2
    cri.call("RemoveImage", image={"image": ref})
    assert not status(cri, image_ref).HasField("image")
    assert not status(cri, "localhost/another:name").HasField("image")
    assert image_ref[7:] not in listed(env)
    cri.call("RemoveImage", image={"image": ref})          # gone: OK
    cri.call("RemoveImage", image={"image": image_ref})
    check_store(env)
    # by id
    image_ref = pull(cri, ref)
    cri.call("RemoveImage", image={"image": image_ref})
    assert image_ref not in [i.id for i in cri.call("ListImages").images]
    assert code_of(lambda: cri.call("RemoveImage", image={"image": ""}))[0] == \
        CODE.INVALID_ARGUMENT


def test_remove_image_in_use(env, cri):
    """The pause image while a sandbox uses it: FAILED_PRECONDITION naming
    the infra container; it is pinned, and stays."""
    cfg = pod_config(linux={"security_context": {"namespace_options": {"network": 2}}})
    pod = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    try:
        pinned = [i for i in cri.call("ListImages").images if i.pinned]
        assert len(pinned) == 1, pinned
        pause = pinned[0]
        code, msg = code_of(lambda: cri.call("RemoveImage", image={"image": pause.id}))
        assert code == CODE.FAILED_PRECONDITION, msg
        assert "in use by container" in msg
        ctrs = json.loads(env.capsad.capsactl("ps", "-a", "--format", "json").stdout)
        names = [c["Names"] if isinstance(c["Names"], str) else c["Names"][0] for c in ctrs]
        assert [n for n in names if n in msg], (msg, names)
        assert status(cri, pause.id).image.pinned
    finally:
        cri.call("StopPodSandbox", pod_sandbox_id=pod)
        cri.call("RemovePodSandbox", pod_sandbox_id=pod)


def test_container_image_ref(env, cri):
    """ContainerStatus.image_ref is the digested reference the kubelet
    shows as the pod's imageID (containerd and CRI-O answer one too);
    ListContainers keeps the image id, which the kubelet's image
    collection matches against ListImages."""
    ref = env.plain.ref("test/busybox")
    image_id = pull(cri, ref)
    repo = ref.rsplit(":", 1)[0]
    manifest = env.busybox.resolve("latest")["digest"]
    cfg = pod_config(linux={"security_context": {"namespace_options": {"network": 2}}})
    pod = cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    try:
        cid = cri.call("CreateContainer", pod_sandbox_id=pod, sandbox_config=cfg, config={
            "metadata": {"name": "ref"}, "image": {"image": ref},
            "command": ["true"], "log_path": "ref.log"}).container_id
        st = cri.call("ContainerStatus", container_id=cid).status
        assert st.image_ref == "%s@%s" % (repo, manifest)
        assert st.image_id == image_id and st.image.image == ref
        item, = cri.call("ListContainers", filter={"id": cid}).containers
        assert item.image_ref == image_id == item.image_id
    finally:
        cri.call("StopPodSandbox", pod_sandbox_id=pod)
        cri.call("RemovePodSandbox", pod_sandbox_id=pod)


# --- ImageFsInfo ---------------------------------------------------------------

def test_image_fs_info(env, cri):
    pull(cri, env.plain.ref("test/busybox"))
    before = time.time_ns()
    r = cri.call("ImageFsInfo")
    assert len(r.image_filesystems) == 1
    fs = r.image_filesystems[0]
    assert fs.fs_id.mountpoint == env.capsad.root
    assert fs.used_bytes.value > 0 and fs.inodes_used.value > 0
    assert before - 70 * 10**9 < fs.timestamp < time.time_ns()
    if fs.timestamp >= before:
        # measured now (not a measure of the last minute, from before the
        # pull): busybox's layer is a megabyte or more, ~100 inodes
        assert fs.used_bytes.value > 1000000
        assert fs.inodes_used.value > 50
    assert len(r.container_filesystems) == 1
    assert r.container_filesystems[0].fs_id.mountpoint == os.path.join(env.capsad.root,
                                                                       "containers")
    # measured once a minute: a second call answers the same measure
    assert cri.call("ImageFsInfo").image_filesystems[0].timestamp == fs.timestamp


# --- crictl --------------------------------------------------------------------

@pytest.fixture(scope="module")
def crictl(env):
    tool = find_tool("CRICTL", "crictl")
    if tool is None and os.access("/work/shared/bin/crictl", os.X_OK):
        tool = "/work/shared/bin/crictl"
    if tool is None:
        pytest.skip("crictl not found ($CRICTL, PATH, ../shared/bin)")
    sock = "unix://" + env.capsad.sock

    def run(*args, check=True):
        r = procs.run([tool, "--runtime-endpoint", sock, "--image-endpoint", sock,
                       "--timeout", "60s", *args], timeout=120)
        if check:
            assert r.returncode == 0, str(r)
        return r
    return run


def test_crictl_images(env, crictl):
    ref = env.plain.ref("test/busybox")
    repo = ref.rsplit(":", 1)[0]
    want = config_digest(env.busybox)
    out = crictl("pull", ref).stdout
    assert want in out, out
    table = crictl("images").stdout
    assert any(line.split()[:2] == [repo, "latest"] for line in table.splitlines()), table
    images = json.loads(crictl("images", "-o", "json").stdout)["images"]
    assert want in [i["id"] for i in images]
    info = json.loads(crictl("inspecti", ref).stdout)
    assert info["status"]["id"] == want
    assert ref in info["status"]["repoTags"]
    # crictl puts each key of the verbose info beside "status", parsed
    assert info["info"]["imageSpec"]["rootfs"]["diff_ids"]
    fs = json.loads(crictl("imagefsinfo").stdout)
    # crictl 1.26 shows the first image filesystem as "status", later ones
    # the whole reply
    usage = fs["status"]["imageFilesystems"][0] if "imageFilesystems" in fs["status"] \
        else fs["status"]
    assert usage["fsId"]["mountpoint"] == env.capsad.root
    assert int(usage["usedBytes"]["value"]) > 0
    assert "Deleted" in crictl("rmi", ref).stdout
    assert want not in [i["id"] for i in json.loads(crictl("images", "-o", "json").stdout)
                        ["images"]]
    assert want[7:] not in listed(env)


def test_crictl_pull_with_creds(env, crictl):
    ref = env.basic.ref("test/private")
    assert crictl("pull", ref, check=False).returncode != 0
    out = crictl("pull", "--creds", "%s:%s" % env.basic.creds, ref).stdout
    assert config_digest(env.busybox) in out
    crictl("rmi", ref)
