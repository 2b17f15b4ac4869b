"""capsactl push to registries: the image arrives exactly as stored (same
manifest bytes, config and layer digests, as skopeo and podman read it),
blobs the registry has are skipped, blobs of another repository of the
same registry are mounted, big blobs go in chunks, Basic and token
authentication, and the errors a user meets.  What the registry did is
read from docker-registry's own log."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import oci_images
import procs
from registry import free_port

TLS = "--tls-verify=false"
LOG_LINE = re.compile(r'msg="response completed.*?http\.request\.method=(\w+)'
                      r'.*?http\.request\.uri="?([^"\s]+)"?.*?http\.response\.status=(\d+)')


# --- helpers -------------------------------------------------------------------

def pull_layout(store, layout, tag="latest"):
    r = store.ok("pull", "-q", "oci:%s:%s" % (layout.path, tag))
    return r.stdout.strip().splitlines()[-1]


def layout_manifest(layout, tag="latest"):
    desc = layout.resolve(tag)
    return desc["digest"], layout.read_blob(desc["digest"])


class RegLog:
    """The requests docker-registry logged after this object was made."""

    def __init__(self, reg):
        self.reg = reg
        self.start = len(reg.log())

    def requests(self):
        return [m.groups() for m in LOG_LINE.finditer(self.reg.log()[self.start:])]

    def wait_for(self, method, path_part, timeout=5):
        """The requests so far, once one matches (its log line is written
        when the answer is sent: it may land a moment after we return)."""
        deadline = time.monotonic() + timeout
        while True:
            reqs = self.requests()
            if any(m == method and path_part in u for m, u, _ in reqs):
                return reqs
            if time.monotonic() > deadline:
                pytest.fail("no %s %s in the registry log: %s" % (method, path_part, reqs))
            time.sleep(0.05)


def uploads(reqs):
    return [(m, u, s) for m, u, s in reqs
            if "/blobs/uploads/" in u and "mount=" not in u and m in ("POST", "PUT", "PATCH")]


def copy_lines(stderr):
    return [ln for ln in stderr.splitlines() if ln.startswith("Copying ")]


def repo_digests(store, image_id):
    [img] = [i for i in json.loads(store.ok("images", "--format", "json").stdout)
             if i["Id"] == image_id]
    return img["RepoDigests"]


# --- pushing to the plain registry -----------------------------------------------

def test_push_keeps_every_digest(store, registry, rich_layout, tmp_path):
    image_id = pull_layout(store, rich_layout)
    mdigest, mbody = layout_manifest(rich_layout)
    ref = registry.ref("push/rich", "v1")
    log = RegLog(registry)
    r = store.ok("push", TLS, "--digestfile", tmp_path / "digest", "localhost/layout:latest",
                 "docker://" + ref)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == "Getting image source signatures", r.stderr
    blobs = [ln for ln in lines if ln.startswith("Copying blob ")]
    man = json.loads(mbody)
    assert len(blobs) == len(man["layers"]) == 4, r.stderr
    assert all(ln.endswith(" done") for ln in blobs), r.stderr
    assert {ln.split()[2] for ln in blobs} == {
        lay["digest"].split(":")[1][:12] for lay in man["layers"]}
    assert "Copying config %s done" % image_id[:12] in lines, r.stderr
    assert lines[-1] == "Writing manifest to image destination", r.stderr
    # byte for byte what was pulled
    raw = subprocess.run(["skopeo", "inspect", TLS, "--raw", "docker://" + ref],
                         capture_output=True, timeout=60, check=True).stdout
    assert raw == mbody
    cfg = oci_images.skopeo_inspect("docker://" + ref, config=True)
    assert cfg == json.loads(rich_layout.read_blob(man["config"]["digest"]))
    info = oci_images.skopeo_inspect("docker://" + ref)
    assert info["Digest"] == mdigest
    assert info["Layers"] == [lay["digest"] for lay in man["layers"]]
    assert (tmp_path / "digest").read_text() == mdigest
    # the manifest went by tag, with its media type
    reqs = log.wait_for("PUT", "/v2/push/rich/manifests/v1")
    assert ("PUT", "/v2/push/rich/manifests/v1", "201") in reqs
    # the image now knows where it is
    assert "%s/push/rich@%s" % (registry.url, mdigest) in repo_digests(store, image_id)


def test_second_push_uploads_nothing(store, registry, busybox_layout):
    pull_layout(store, busybox_layout)
    ref = registry.ref("push/again", "latest")
    store.ok("push", TLS, "localhost/layout:latest", ref)
    log = RegLog(registry)
    r = store.ok("push", TLS, "localhost/layout:latest", ref)
    blobs = [ln for ln in copy_lines(r.stderr) if ln.startswith("Copying blob")]
    assert len(blobs) == 1 and blobs[0].endswith(" skipped: already exists"), r.stderr
    reqs = log.wait_for("PUT", "/v2/push/again/manifests/latest")
    assert uploads(reqs) == [], reqs
    heads = [u for m, u, s in reqs if m == "HEAD" and s == "200"]
    assert len(heads) == 2, reqs    # the layer and the config


def test_cross_repository_mount(store, registry, busybox_ref):
    """An image pulled from test/busybox pushed to another repository of
    the same registry: its blobs are mounted, not uploaded."""
    store.ok("pull", "-q", TLS, busybox_ref)
    log = RegLog(registry)
    dest = registry.ref("mounted/copy", "v2")
    r = store.ok("push", TLS, busybox_ref, dest)
    reqs = log.wait_for("PUT", "/v2/mounted/copy/manifests/v2")
    mounts = [(u, s) for m, u, s in reqs if m == "POST" and "mount=" in u]
    assert len(mounts) == 2, reqs       # the layer and the config
    assert all("from=test/busybox" in u and s == "201" for u, s in mounts), mounts
    assert uploads(reqs) == [], reqs
    assert "skipped: already exists" in r.stderr
    src = oci_images.skopeo_inspect("docker://" + busybox_ref)
    got = oci_images.skopeo_inspect("docker://" + dest)
    assert got["Digest"] == src["Digest"] and got["Layers"] == src["Layers"]


def test_chunked_upload(store, registry, busybox_layout, capsactl, tmp_path):
    image_id = pull_layout(store, busybox_layout)
    ref = registry.ref("push/chunked", "latest")
    log = RegLog(registry)
    store.ok("push", TLS, "--chunk-size", "65536", "localhost/layout:latest", ref)
    reqs = log.wait_for("PUT", "/v2/push/chunked/manifests/latest")
    patches = [s for m, u, s in reqs if m == "PATCH"]
    layer_size = json.loads(layout_manifest(busybox_layout)[1])["layers"][0]["size"]
    assert len(patches) >= layer_size // 65536, reqs
    assert set(patches) == {"202"}
    # and it reads back as the same image
    from conftest import Store
    other = Store(capsactl, str(tmp_path / "other"))
    assert other.ok("pull", "-q", TLS, ref).stdout.strip() == image_id


def test_default_destination_is_the_image_name(store, registry, busybox_layout):
    image_id = pull_layout(store, busybox_layout)
    ref = registry.ref("push/named", "v3")
    store.ok("tag", image_id, ref)
    r = store.ok("push", TLS, ref)
    assert "Writing manifest to image destination" in r.stderr
    assert oci_images.skopeo_inspect("docker://" + ref)["Digest"] == \
        layout_manifest(busybox_layout)[0]
    # an ID alone names no destination
    store.fails("push", TLS, image_id[:12], contains="is an image ID: give a DESTINATION")


def test_quiet(store, registry, busybox_layout):
    pull_layout(store, busybox_layout)
    r = store.ok("push", "-q", TLS, "localhost/layout:latest", registry.ref("push/quiet"))
    assert r.stdout == "" and r.stderr == ""


# --- authentication ----------------------------------------------------------------

def test_push_basic_auth(store, registry_basic, busybox_layout, tmp_path):
    pull_layout(store, busybox_layout)
    ref = registry_basic.ref("basic/push", "v1")
    r = store.fails("push", TLS, "localhost/layout:latest", ref, contains="401 unauthorized")
    assert r.returncode == 125
    creds = "%s:%s" % registry_basic.creds
    store.ok("push", TLS, "--creds", creds, "localhost/layout:latest", ref)
    assert oci_images.skopeo_inspect("docker://" + ref, creds=registry_basic.creds)["Digest"] \
        == layout_manifest(busybox_layout)[0]
    # after login, from the auth file
    auth = tmp_path / "auth.json"
    store.ok("login", TLS, "--authfile", auth, "-u", registry_basic.user, "-p",
             registry_basic.password, registry_basic.url)
    ref2 = registry_basic.ref("basic/after-login", "v1")
    store.ok("push", TLS, "--authfile", auth, "localhost/layout:latest", ref2)
    assert oci_images.skopeo_inspect("docker://" + ref2, creds=registry_basic.creds)["Digest"] \
        == layout_manifest(busybox_layout)[0]


def test_push_token_auth(store, registry_token, busybox_layout):
    pull_layout(store, busybox_layout)
    ref = registry_token.ref("token/push", "v1")
    # anonymous tokens only pull
    r = store.fails("push", TLS, "localhost/layout:latest", ref)
    assert r.returncode == 125 and "401" in r.stderr, r.stderr
    registry_token.token.reset()
    store.ok("push", TLS, "--creds", "%s:%s" % registry_token.creds,
             "localhost/layout:latest", ref)
    reqs = registry_token.token.requests
    assert reqs and all(q["user"] == registry_token.user for q in reqs if q["status"] == 200)
    assert any("push" in s for q in reqs for s in q["scopes"]), reqs
    assert oci_images.skopeo_inspect("docker://" + ref, creds=registry_token.creds)["Digest"] \
        == layout_manifest(busybox_layout)[0]


# --- podman reads what we pushed -----------------------------------------------------

class Podman:
    """podman with a private root, runroot, config and HOME (vfs storage)."""

    def __init__(self, tmp_path):
        self.binary = shutil.which("podman")
        if self.binary is None:
            pytest.skip("podman is not installed")
        self.top = tmp_path / "podman"
        self.top.mkdir()
        conf = self.top / "containers.conf"
        conf.write_text("[engine]\n")
        self.run_dir = tempfile.mkdtemp(prefix="cxpush-")  # podman wants a short runroot
        self.argv = [self.binary, "--root", str(self.top / "storage"), "--runroot",
                     self.run_dir, "--tmpdir", str(self.top / "tmp"), "--storage-driver", "vfs",
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        self.env = dict(os.environ, CONTAINERS_CONF=str(conf), HOME=str(self.top))

    def ok(self, *args, timeout=180):
        r = procs.run(self.argv + list(args), timeout=timeout, env=self.env)
        assert r.returncode == 0, str(r)
        return r

    def close(self):
        procs.run(self.argv + ["rmi", "-af"], timeout=60, env=self.env)
        procs.umount_under(str(self.top))
        procs.umount_under(self.run_dir)
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture
def podman(tmp_path):
    p = Podman(tmp_path)
    yield p
    p.close()


def test_podman_pulls_what_capsactl_pushed(store, registry, rich_layout, podman):
    image_id = pull_layout(store, rich_layout)
    ref = registry.ref("push/for-podman", "latest")
    store.ok("push", TLS, "localhost/layout:latest", ref)
    podman.ok("pull", TLS, ref)
    r = podman.ok("image", "inspect", "--format", "{{.Id}} {{.Digest}}", ref, timeout=60)
    assert r.stdout.split() == [image_id, layout_manifest(rich_layout)[0]]


def test_capsactl_pulls_what_podman_pushed(store, registry, rich_layout, podman):
    """podman recompresses the layers it pushes: other blobs, the same
    config, so the same image ID and the same tree."""
    pid = podman.ok("pull", "-q", "oci:%s:latest" % rich_layout.path).stdout.split()[-1]
    ref = registry.ref("push/from-podman", "v1")
    podman.ok("push", TLS, pid, ref)
    image_id = store.ok("pull", "-q", TLS, ref).stdout.strip()
    assert image_id == pid == pull_layout(store, rich_layout)
    mnt = store.ok("image", "mount", image_id).stdout.strip()
    e = oci_images.RICH_EXPECT
    for path in e["present"]:
        assert os.path.lexists(os.path.join(mnt, path)), path
    for path in e["absent"]:
        assert not os.path.lexists(os.path.join(mnt, path)), path
    store.ok("image", "unmount", image_id)


# --- errors ------------------------------------------------------------------------------

def test_unknown_image(store, registry):
    r = store.fails("push", TLS, "nosuch:latest", registry.ref("x/y"))
    assert r.returncode == 125
    assert "nosuch:latest: image not known" in r.stderr


def test_closed_port_is_one_line(store, busybox_layout):
    pull_layout(store, busybox_layout)
    port = free_port()
    r = store.fails("push", TLS, "localhost/layout:latest", "127.0.0.1:%d/x/y:z" % port)
    assert r.returncode == 125
    errs = [ln for ln in r.stderr.splitlines() if ln.startswith("capsactl:")]
    assert len(errs) == 1, r.stderr
    assert "127.0.0.1:%d" % port in errs[0] and "push" in errs[0], errs


def test_unsupported_destination(store, busybox_layout):
    pull_layout(store, busybox_layout)
    store.fails("push", "localhost/layout:latest", "dir:/nowhere",
                contains="unsupported destination")
    store.fails("push", "localhost/layout:latest", "127.0.0.1:1/x@sha256:" + "a" * 64,
                contains="names a tag, not a digest")


def test_image_sharing_a_layer_keeps_its_own_blob(store, registry, busybox_layout, tmp_path):
    """A second image sharing a layer (same diff_id, other compression):
    the layer is unpacked once, but the pull still stores the image's own
    blob, so the push sends the image exactly as it was pulled."""
    pull_layout(store, busybox_layout)
    img = oci_images.busybox_image(compression="none")
    img.add_step("ENV X=1")
    plain = oci_images.write_image(tmp_path / "plain", img, "latest")
    r = pull_layout(store, plain)
    assert len(os.listdir(os.path.join(store.root, "layers"))) == 1
    mdigest, _ = layout_manifest(plain)
    blob = json.loads(layout_manifest(plain)[1])["layers"][0]["digest"]
    assert os.path.exists(os.path.join(store.root, "blobs", "sha256", blob.split(":")[1]))
    ref = registry.ref("push/sharing")
    store.ok("push", TLS, "localhost/plain:latest", ref)
    assert oci_images.skopeo_inspect("docker://" + ref)["Digest"] == mdigest


def test_docker_schema2_stays_docker(store, registry, tmp_path):
    """A Docker schema 2 image goes back as Docker schema 2, same bytes."""
    lay = oci_images.write_image(tmp_path / "dockerimg", oci_images.busybox_image(),
                                 "latest", docker=True)
    pull_layout(store, lay)
    mdigest, mbody = layout_manifest(lay)
    ref = registry.ref("push/docker", "v1")
    store.ok("push", TLS, "localhost/dockerimg:latest", ref)
    raw = subprocess.run(["skopeo", "inspect", TLS, "--raw", "docker://" + ref],
                         capture_output=True, timeout=60, check=True).stdout
    assert raw == mbody
    assert json.loads(raw)["mediaType"] == \
        "application/vnd.docker.distribution.manifest.v2+json"
    assert oci_images.skopeo_inspect("docker://" + ref)["Digest"] == mdigest
