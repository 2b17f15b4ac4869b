"""capsactl load / save / import and push to an OCI layout, against the
real peers: a private podman (--root/--runroot/--tmpdir under the test's
directory, vfs), a private dockerd and a private containerd (the helpers
of tests/interop), skopeo and umoci.  Hostile archives must be refused
with exit 125, a message naming the problem, and the store unchanged."""
import gzip
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

import oci_images  # noqa: E402
from interop_lib import Containerd, Dockerd, Podman  # noqa: E402

RUNC = shutil.which("runc") or "/usr/sbin/runc"
BB = "localhost/test/busybox:latest"
RICH = "localhost/test/rich:v1"


def _need(*progs):
    for p in progs:
        if not shutil.which(p):
            pytest.skip("%s is not installed" % p)


def images(store):
    """{name or '<none>:ID': ID} of capsactl images."""
    out = {}
    for im in json.loads(store.ok("images", "--format", "json").stdout):
        for n in im.get("Names") or ["<none>:" + im["Id"]]:
            out[n] = im["Id"]
    return out


def podman_id(pod, name):
    return json.loads(pod.ok("image", "inspect", name).stdout)[0]["Id"]


def mounted_has(store, name, *paths):
    mnt = store.ok("image", "mount", name).stdout.strip()
    try:
        for p in paths:
            assert os.path.lexists(os.path.join(mnt, p)), "%s missing in %s" % (p, name)
    finally:
        store.ok("image", "unmount", name)


def private_podman():
    """A Podman under a short private directory (podman wants a runroot
    of at most 50 characters)."""
    _need("podman")
    return Podman(tempfile.mkdtemp(prefix="cx-arch-"), RUNC)


def podman_done(pod):
    pod.cleanup()
    shutil.rmtree(pod.top, ignore_errors=True)


@pytest.fixture
def podman(busybox_layout, rich_layout):
    """A private podman holding busybox (BB) and rich (RICH)."""
    pod = private_podman()
    try:
        for lay, name in ((busybox_layout, BB), (rich_layout, RICH)):
            pod.ok("pull", "oci:%s:latest" % lay.path, timeout=120)
            pod.ok("tag", _podman_name(pod, lay.path), name)
        yield pod
    finally:
        podman_done(pod)


def _podman_name(pod, path):
    for im in json.loads(pod.ok("images", "--format", "json").stdout):
        for n in im.get("Names") or []:
            if path.strip("/") in n:
                return n
    raise AssertionError("podman did not name the image pulled from %s" % path)


@pytest.fixture
def loaded(store, busybox_layout, rich_layout):
    """The store with busybox as BB and rich as RICH (pulled from layouts)."""
    for lay, name in ((busybox_layout, BB), (rich_layout, RICH)):
        ident = store.ok("pull", "-q", "oci:%s:latest" % lay.path).stdout.split()[-1]
        store.ok("tag", ident, name)
    return store


# --- load from the peers -------------------------------------------------------

@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_load_podman_save(podman, store, tmp_path, fmt):
    f = tmp_path / "bb.tar"
    podman.ok("save", "--format", fmt, "-o", f, BB, timeout=120)
    r = store.ok("load", "-i", f)
    assert r.stdout == "Loaded image: %s\n" % BB
    assert images(store)[BB] == podman_id(podman, BB)
    mounted_has(store, BB, "bin/busybox", "bin/sh", "etc/passwd")
    assert "no problems found" in store.ok("system", "check").stdout


def test_load_multi_image_and_stdin(podman, store, tmp_path):
    f = tmp_path / "multi.tar"
    podman.ok("save", "-m", "-o", f, BB, RICH, timeout=120)
    with open(f, "rb") as fh:
        r = store.run("load", input=fh.read())
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == sorted(["Loaded image: " + BB,
                                                    "Loaded image: " + RICH])
    got = images(store)
    assert got[BB] == podman_id(podman, BB) and got[RICH] == podman_id(podman, RICH)


@pytest.mark.parametrize("comp", ["gzip", "zstd"])
def test_load_compressed(podman, store, tmp_path, comp):
    if comp == "zstd":
        _need("zstd")
    f = tmp_path / "bb.tar"
    podman.ok("save", "-o", f, BB, timeout=120)
    if comp == "gzip":
        with open(f, "rb") as src, gzip.open(str(f) + ".gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        z = str(f) + ".gz"
    else:
        oci_images._ok(["zstd", "-q", str(f), "-o", str(f) + ".zst"])
        z = str(f) + ".zst"
    assert store.ok("load", "-q", "-i", z).stdout == "Loaded image: %s\n" % BB
    assert images(store)[BB] == podman_id(podman, BB)


def test_load_names_like_podman(store, busybox_layout, tmp_path):
    """ref.name "latest" -> localhost/latest:latest, "foo/bar:v2" ->
    localhost/foo/bar:v2, none -> sha256:ID (as podman 4.3 does)."""
    ident = None
    for tag, want in (("latest", "localhost/latest:latest"),
                      ("foo/bar:v2", "localhost/foo/bar:v2"),
                      ("quay.io/x/y:z", "quay.io/x/y:z")):
        f = tmp_path / ("a%d.tar" % len(want))
        oci_images.oci_archive(busybox_layout.path, "latest", f, dest_tag=tag)
        assert store.ok("load", "-i", f).stdout == "Loaded image: %s\n" % want
        ident = images(store)[want]
    f = tmp_path / "noname.tar"
    oci_images._ok(oci_images.SKOPEO + ["copy", "oci:%s:latest" % busybox_layout.path,
                                        "oci-archive:%s" % f])
    assert store.ok("load", "-i", f).stdout == "Loaded image: sha256:%s\n" % ident


@pytest.fixture
def dockerd(tmp_path_factory):
    _need("dockerd", "docker")
    top = tmp_path_factory.mktemp("dockerd")
    d = Dockerd(str(top), RUNC)
    try:
        d.start()
    except RuntimeError as e:
        d.stop()
        pytest.skip("dockerd cannot run on this host: %s" % str(e).splitlines()[0])
    yield d
    d.stop()


def test_docker_both_ways(dockerd, loaded, tmp_path):
    """capsactl save -> docker load; docker save -> capsactl load: same ID
    (docker writes "bbcopy:1": podman's load, and ours, name it
    localhost/bbcopy:1)."""
    store = loaded
    want = images(store)[BB]
    f = tmp_path / "to-docker.tar"
    store.ok("save", "-o", f, BB)
    dockerd.ok("load", "-i", f, timeout=120)
    dockerd.ok("tag", BB, "bbcopy:1")
    back = tmp_path / "from-docker.tar"
    dockerd.ok("save", "-o", back, "bbcopy:1", timeout=120)
    r = store.ok("load", "-i", back)
    assert "Loaded image: localhost/bbcopy:1" in r.stdout
    assert images(store)["localhost/bbcopy:1"] == want
    mounted_has(store, "localhost/bbcopy:1", "bin/busybox")


# --- save to the peers ---------------------------------------------------------

@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_save_podman_skopeo(loaded, tmp_path, fmt):
    _need("podman", "skopeo")
    store = loaded
    f = tmp_path / "bb.tar"
    store.ok("save", "--format", fmt, "-o", f, "test/busybox")
    info = oci_images.skopeo_inspect("%s:%s" % (fmt, f))
    assert info["Layers"] and info["Architecture"] == "amd64"
    pod = private_podman()
    try:
        r = pod.ok("load", "-i", f, timeout=120)
        assert "Loaded image: " + BB in r.stdout
        assert podman_id(pod, BB) == images(store)[BB]
    finally:
        podman_done(pod)


def test_save_multi_to_podman(loaded, tmp_path):
    _need("podman")
    store = loaded
    f = tmp_path / "m.tar"
    store.ok("save", "-m", "-o", f, BB, RICH)
    with tarfile.open(f) as t:
        man = json.load(t.extractfile("manifest.json"))
    assert sorted(m["RepoTags"][0] for m in man) == sorted([BB, RICH])
    store.fails("save", "-o", tmp_path / "x.tar", BB, RICH, contains="-m")
    pod = private_podman()
    try:
        pod.ok("load", "-i", f, timeout=120)
        got = images(store)
        assert podman_id(pod, BB) == got[BB] and podman_id(pod, RICH) == got[RICH]
    finally:
        podman_done(pod)


def test_save_stdout(loaded, tmp_path):
    r = loaded.run("save", BB)   # stdout is a file here, not a terminal
    assert r.returncode == 0 and len(r.stdout) > 1 << 20
    assert not [n for n in os.listdir(tmp_path) if "capsa-tmp" in n]


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_save_ctr_import(loaded, tmp_path, fmt):
    _need("containerd", "ctr")
    f = tmp_path / "bb.tar"
    loaded.ok("save", "--format", fmt, "-o", f, BB)
    top = tmp_path / "ctrd"
    top.mkdir()
    c = Containerd(str(top), RUNC)
    try:
        c.start()
        c.ok("images", "import", "--no-unpack", f, timeout=60)
        assert BB in c.ok("images", "ls", "-q").stdout.split()
    finally:
        c.stop()


# --- import and layouts --------------------------------------------------------

def _rootfs_tar(path, compress=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in (("etc/hello", b"hello\n"), ("usr/share/doc/x", b"x" * 5000)):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            t.addfile(ti, io.BytesIO(data))
    data = gzip.compress(buf.getvalue()) if compress else buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_import(store, tmp_path, compress):
    f = _rootfs_tar(tmp_path / "root.tar", compress)
    r = store.ok("import", "-c", "CMD [\"/bin/sh\"]", "-m", "made here", f, "imp:1")
    ident = r.stdout.strip()
    assert ident.startswith("sha256:") and len(ident) == 71
    assert images(store)["localhost/imp:1"] == ident[7:]
    mounted_has(store, "localhost/imp:1", "etc/hello", "usr/share/doc/x")
    info = json.loads(store.ok("image", "inspect", "imp:1").stdout)[0]
    assert info["Config"]["Cmd"] == ["/bin/sh"]
    store.fails("import", tmp_path / "missing.tar", contains="missing.tar")
    bad = tmp_path / "notar"
    bad.write_bytes(b"just text\n" * 100)
    store.fails("import", bad, contains="not a tar archive")


def test_push_layout(loaded, tmp_path):
    _need("skopeo", "umoci")
    store = loaded
    d = tmp_path / "lay"
    store.ok("push", BB, "oci:%s:t1" % d)
    store.ok("push", RICH, "oci:%s:t2" % d)
    info = oci_images.skopeo_inspect("oci:%s:t1" % d)
    assert info["Digest"] == json.loads(store.ok("image", "inspect", BB).stdout)[0]["Digest"]
    rootfs = oci_images.umoci_unpack(d, "t1", tmp_path / "bundle")
    assert os.path.exists(os.path.join(rootfs, "bin", "busybox"))
    # the tag moves: one entry named t1, now the rich image
    store.ok("push", RICH, "oci:%s:t1" % d)
    with open(d / "index.json") as f:
        idx = json.load(f)
    names = [m["annotations"]["org.opencontainers.image.ref.name"] for m in idx["manifests"]]
    assert sorted(names) == ["t1", "t2"]
    # and the layout pulls back
    other = tmp_path / "other"
    other.mkdir()
    from conftest import Store
    s2 = Store(store.binary, str(other))
    s2.ok("pull", "-q", "oci:%s:t1" % d)
    assert RICH not in images(s2) and images(store)[RICH] in images(s2).values()


# --- hostile archives ------------------------------------------------------------

def _tar_bytes(members):
    """members: (name, data) or (name, None, symlink_target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for m in members:
            ti = tarfile.TarInfo(m[0])
            if len(m) == 3:
                ti.type, ti.linkname = tarfile.SYMTYPE, m[2]
                t.addfile(ti)
            else:
                ti.size = len(m[1])
                t.addfile(ti, io.BytesIO(m[1]))
    return buf.getvalue()


def _docker_members(layer_tar, diff_id=None, layer_name="l.tar", manifest_layer=None):
    h = oci_images.sha256_bytes(layer_tar)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [diff_id or h]}}).encode()
    cname = oci_images.sha256_bytes(cfg).split(":")[1] + ".json"
    man = json.dumps([{"Config": cname, "RepoTags": ["evil:1"],
                       "Layers": [manifest_layer or layer_name]}]).encode()
    return [("manifest.json", man), (cname, cfg), (layer_name, layer_tar)]


def _layer():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo("evil")
        ti.size = 3
        t.addfile(ti, io.BytesIO(b"bad"))
    return buf.getvalue()


HOSTILE = {
    "dotdot member": (lambda: _tar_bytes(_docker_members(_layer()) + [("../x", b"x")]),
                      "\"../x\""),
    "absolute member": (lambda: _tar_bytes(_docker_members(_layer()) + [("/etc/x", b"x")]),
                        "absolute"),
    "symlink out": (lambda: _tar_bytes(_docker_members(_layer(), layer_name="real.tar",
                                                       manifest_layer="l.tar")
                                       + [("l.tar", None, "../../etc/shadow")]),
                    "outside the archive"),
    "missing layer": (lambda: _tar_bytes(_docker_members(_layer())[:2]), "not in the archive"),
    "diff_id mismatch": (lambda: _tar_bytes(_docker_members(_layer(), diff_id="sha256:" + "a" * 64)),
                         "does not match the config's rootfs.diff_ids"),
    "oci blob digest": (lambda: _tar_bytes([("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                                            ("index.json", b'{"schemaVersion":2,"manifests":[]}'),
                                            ("blobs/sha256/" + "b" * 64, b"not that")]),
                        "does not match its digest"),
    "huge manifest.json": (lambda: _tar_bytes([("manifest.json", b" " * (9 << 20))]),
                           "over the limit"),
    "not an archive": (lambda: b"hello world\n" * 1000, "load"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive(loaded, tmp_path, case):
    store = loaded
    before, files = images(store), sorted(os.listdir(store.root))
    data, needle = HOSTILE[case]
    f = tmp_path / "evil.tar"
    f.write_bytes(data())
    r = store.run("load", "-i", f)
    assert r.returncode == 125, (r.returncode, r.stderr)
    assert needle in r.stderr, r.stderr
    assert images(store) == before
    assert "no problems found" in store.ok("system", "check").stdout
    assert not os.path.exists(tmp_path / "x") and not os.path.exists("/x")
    assert sorted(os.listdir(store.root)) == files


def test_hostile_oci_diff_id(loaded, busybox_layout, tmp_path):
    """A gzip layer whose content is not its config's diff_id: found while
    unpacking (the pull path), and nothing is left in the store."""
    store = loaded
    before = images(store)
    lay = oci_images.Layout(tmp_path / "bad")
    man = json.loads(busybox_layout.read_blob(busybox_layout.resolve("latest")["digest"]))
    cfg = json.loads(busybox_layout.read_blob(man["config"]["digest"]))
    cfg["rootfs"]["diff_ids"] = ["sha256:" + "c" * 64]
    man["config"]["digest"], man["config"]["size"] = lay.put_blob(json.dumps(cfg).encode())
    for layer in man["layers"]:
        lay.put_blob(busybox_layout.read_blob(layer["digest"]))
    d, size = lay.put_blob(json.dumps(man).encode())
    lay.tag({"mediaType": oci_images.MT_OCI_MANIFEST, "digest": d, "size": size}, "evil:1")
    f = tmp_path / "bad.tar"
    with tarfile.open(f, "w") as t:
        t.add(lay.path, arcname=".")
    store.fails("load", "-i", f, contains="diff_id mismatch")
    assert images(store) == before
    assert "no problems found" in store.ok("system", "check").stdout
