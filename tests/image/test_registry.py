"""capsactl pull from Debian's docker-registry (tests/fixtures/registry.py)
in its three modes: by tag and digest, image IDs against skopeo, `images`
fields, re-pulls that download nothing (the registry's access log is the
witness), registries.conf mirrors and blocked registries, TLS, Basic and
token authentication (with the token server's request count), multi-arch
selection, errors, and layers shared between images."""
import base64
import gzip
import json
import os
import platform
import re

import pytest

import oci_images as oi

# capsactl's requests in the access log (skopeo's are the fixtures')
_BY_CAPSA = r' HTTP/[0-9.]+" \d+ \d+ "[^"]*" "capsa/'
BLOB_GET = re.compile(r'"GET /v2/[^ "]*/blobs/(sha256:[0-9a-f]{64})' + _BY_CAPSA)
MANIFEST_GET = re.compile(r'"GET /v2/[^ "]*/manifests/([^ "]+)' + _BY_CAPSA)
ANY_REQUEST = re.compile(r'"[A-Z]+ /v2/[^ "]*' + _BY_CAPSA)


class LogMark:
    """What the registry's access log gained since the mark."""

    def __init__(self, reg):
        self.reg, self.start = reg, len(reg.log())

    def text(self):
        return self.reg.log()[self.start:]

    def blob_gets(self):
        return BLOB_GET.findall(self.text())

    def manifest_gets(self):
        return MANIFEST_GET.findall(self.text())

    def capsa_requests(self):
        return ANY_REQUEST.findall(self.text())


def _pull(store, ref, *flags, **kw):
    return store.ok("pull", "--tls-verify=false", *flags, ref, **kw)


def _id(r):
    return r.stdout.strip().splitlines()[-1]


def _images(store):
    return json.loads(store.ok("images", "--format", "json").stdout or "[]")


def _manifest(ref, creds=None):
    return json.loads(json.dumps(oi.skopeo_inspect("docker://" + ref, creds=creds, raw=True)))


def _one_line_error(r, *fragments, code=125):
    assert r.returncode == code, "exit %d, want %d: %s" % (r.returncode, code, r.stderr)
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, "not one line: %r" % err
    assert err.startswith("capsactl: "), err
    for f in fragments:
        assert f in err, "%r not in %r" % (f, err)
    return err


def _split(ref):
    """("127.0.0.1:P/repo", "tag") of a tagged reference."""
    name, _, tag = ref.rpartition(":")
    return name, tag


# --- pull by tag / digest -------------------------------------------------------

def test_pull_by_tag_id_is_the_config_digest(store, registry, busybox_ref, busybox_layout):
    man = _manifest(busybox_ref)
    r = _pull(store, busybox_ref)
    image_id = _id(r)
    assert "sha256:" + image_id == man["config"]["digest"]
    info = oi.skopeo_inspect("docker://" + busybox_ref)
    (img,) = _images(store)
    name, _ = _split(busybox_ref)
    assert img["Id"] == image_id
    assert img["Names"] == [busybox_ref]
    assert img["Digest"] == info["Digest"]
    assert img["RepoDigests"] == ["%s@%s" % (name, info["Digest"])]
    layer = busybox_layout.read_blob(man["layers"][0]["digest"])
    assert man["layers"][0]["size"] < img["Size"] <= len(gzip.decompress(layer))


def test_pull_by_digest(store, registry, busybox_ref):
    info = oi.skopeo_inspect("docker://" + busybox_ref)
    name, _ = _split(busybox_ref)
    ref = "%s@%s" % (name, info["Digest"])
    image_id = _id(_pull(store, ref))
    assert "sha256:" + image_id == _manifest(busybox_ref)["config"]["digest"]
    (img,) = _images(store)
    assert img["Id"] == image_id
    assert img["Digest"] == info["Digest"]
    assert ref in img["RepoDigests"]


def test_pull_by_tag_and_digest(store, registry, busybox_ref):
    info = oi.skopeo_inspect("docker://" + busybox_ref)
    config = _manifest(busybox_ref)["config"]["digest"]
    mark = LogMark(registry)
    image_id = _id(_pull(store, "%s@%s" % (busybox_ref, info["Digest"])))
    assert "sha256:" + image_id == config
    # the digest names the image: it is what was asked for
    assert mark.manifest_gets() == [info["Digest"]]


def test_pull_by_wrong_digest_fails(store, registry, busybox_ref):
    name, _ = _split(busybox_ref)
    r = store.run("pull", "-q", "--tls-verify=false", "%s@sha256:%s" % (name, "0" * 64))
    _one_line_error(r, "manifest unknown")


def test_repull_downloads_nothing(store, registry, busybox_ref):
    first = _id(_pull(store, busybox_ref))
    mark = LogMark(registry)
    r = _pull(store, busybox_ref)
    assert _id(r) == first
    man = _manifest(busybox_ref)
    for lay in man["layers"]:
        assert "Copying blob %s skipped: already exists" % lay["digest"][7:19] in r.stderr, \
            r.stderr
    assert mark.blob_gets() == [], mark.text()        # neither layers nor config
    assert len(mark.manifest_gets()) == 1
    assert len(_images(store)) == 1



# --- registries.conf ---------------------------------------------------------------

def _conf(tmp_path, text):
    p = tmp_path / "registries.conf"
    p.write_text(text)
    return ["--registries-conf", str(p)]


@pytest.fixture(scope="module")
def library_busybox(registry, busybox_layout):
    return oi.load_into_registry(busybox_layout.path, "latest", registry.url,
                                 repo="library/busybox")


def test_short_name_through_a_docker_io_mirror(store, registry, library_busybox, tmp_path):
    conf = _conf(tmp_path, 'unqualified-search-registries = ["docker.io"]\n\n'
                 '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n'
                 '[[registry.mirror]]\nlocation = "%s"\ninsecure = true\n' % registry.url)
    mark = LogMark(registry)
    r = store.ok("pull", "busybox", glob=conf)
    assert "sha256:" + _id(r) == _manifest(library_busybox)["config"]["digest"]
    (img,) = _images(store)
    assert img["Names"] == ["docker.io/library/busybox:latest"]
    assert mark.manifest_gets() == ["latest"], mark.text()


def test_blocked_registry_refused(store, registry, busybox_ref, tmp_path):
    conf = _conf(tmp_path, '[[registry]]\nlocation = "%s"\nblocked = true\n' % registry.url)
    mark = LogMark(registry)
    r = store.run("pull", "-q", "--tls-verify=false", busybox_ref, glob=conf)
    _one_line_error(r, "blocked")
    assert registry.url in r.stderr
    assert mark.capsa_requests() == [], "a blocked registry was contacted"
    assert _images(store) == []


def test_insecure_in_registries_conf_needs_no_flag(store, registry, busybox_ref, tmp_path):
    conf = _conf(tmp_path, '[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.url)
    store.ok("pull", "-q", busybox_ref, glob=conf)


def test_plain_http_needs_tls_verify_false(store, registry, busybox_ref):
    r = store.run("pull", "-q", busybox_ref)
    _one_line_error(r, "TLS", "--tls-verify=false")
    assert _images(store) == []
    _pull(store, busybox_ref, "-q")


# --- Basic auth ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def basic_ref(registry_basic, busybox_layout):
    return oi.load_into_registry(busybox_layout.path, "latest", registry_basic.url,
                                 repo="test/busybox", creds=registry_basic.creds)


def test_basic_auth_without_credentials(store, registry_basic, basic_ref):
    r = store.run("pull", "-q", "--tls-verify=false", basic_ref)
    _one_line_error(r, "401", "(check capsactl login)")
    assert _images(store) == []


def test_basic_auth_wrong_password(store, registry_basic, basic_ref):
    r = store.run("pull", "-q", "--tls-verify=false", "--creds",
                  "%s:wrong" % registry_basic.user, basic_ref)
    _one_line_error(r, "401", "(check capsactl login)")


def test_basic_auth_with_creds(store, registry_basic, basic_ref):
    image_id = _id(_pull(store, basic_ref, "--creds", "%s:%s" % registry_basic.creds))
    assert "sha256:" + image_id == \
        _manifest(basic_ref, creds=registry_basic.creds)["config"]["digest"]


def test_basic_auth_with_authfile(store, registry_basic, basic_ref, tmp_path):
    auth = base64.b64encode(("%s:%s" % registry_basic.creds).encode()).decode()
    path = tmp_path / "auth.json"
    path.write_text(json.dumps({"auths": {registry_basic.url: {"auth": auth}}}))
    _pull(store, basic_ref, "--authfile", str(path))
    assert len(_images(store)) == 1


# --- token auth ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def token_ref(_registry_token_session, busybox_layout):
    reg = _registry_token_session
    return oi.load_into_registry(busybox_layout.path, "latest", reg.url,
                                 repo="test/busybox", creds=reg.creds)


def _issued(token):
    with token._lock:
        return [r for r in token.requests if r["status"] == 200]


def test_token_anonymous_pull_one_token(store, registry_token, token_ref):
    t = registry_token.token
    t.reset()
    mark = LogMark(registry_token)
    _pull(store, token_ref)
    issued = _issued(t)
    assert len(issued) == 1, issued
    assert issued[0]["user"] is None
    assert issued[0]["scopes"] == ["repository:test/busybox:pull"]
    # ... used for the manifest and both blobs
    assert len(mark.blob_gets()) == 2 and len(mark.manifest_gets()) >= 1


def test_token_anonymous_refused(store, registry_token, token_ref):
    t = registry_token.token
    t.allow_anonymous = False
    t.reset()
    r = store.run("pull", "-q", "--tls-verify=false", token_ref)
    _one_line_error(r, "token", "(check capsactl login)")
    assert _images(store) == []


def test_token_with_credentials(store, registry_token, token_ref):
    t = registry_token.token
    t.allow_anonymous = False
    t.reset()
    _pull(store, token_ref, "--creds", "%s:%s" % registry_token.creds)
    issued = _issued(t)
    assert len(issued) == 1, issued
    assert issued[0]["user"] == registry_token.user
    assert issued[0]["scopes"] == ["repository:test/busybox:pull"]


def test_token_wrong_credentials(store, registry_token, token_ref):
    r = store.run("pull", "-q", "--tls-verify=false", "--creds",
                  "%s:nope" % registry_token.user, token_ref)
    _one_line_error(r, "the credentials were refused", "(check capsactl login)")


def test_token_scope_denied(store, registry_token, token_ref):
    registry_token.token.deny_scopes.add("test/busybox")
    r = store.run("pull", "-q", "--tls-verify=false", token_ref)
    _one_line_error(r, "401")


# --- multi-arch ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def multi_ref(registry, multiarch_layout):
    return oi.load_into_registry(multiarch_layout.path, "latest", registry.url,
                                 repo="test/multi", all_images=True)


def _config_by_arch(layout):
    idx = json.loads(layout.read_blob(layout.resolve("latest")["digest"]))
    out = {}
    for m in idx["manifests"]:
        man = json.loads(layout.read_blob(m["digest"]))
        out[m["platform"]["architecture"]] = man["config"]["digest"]
    return out


def test_multiarch_platform_arm64(store, registry, multi_ref, multiarch_layout):
    ids = _config_by_arch(multiarch_layout)
    image_id = _id(_pull(store, multi_ref, "--platform", "linux/arm64"))
    assert "sha256:" + image_id == ids["arm64"]


def test_multiarch_host_default(store, registry, multi_ref, multiarch_layout):
    if platform.machine() != "x86_64":
        pytest.skip("the host default is amd64 only on x86_64")
    ids = _config_by_arch(multiarch_layout)
    image_id = _id(_pull(store, multi_ref))
    assert "sha256:" + image_id == ids["amd64"]
    (img,) = _images(store)
    assert img["Names"] == [multi_ref]


def test_multiarch_unknown_platform_lists_platforms(store, registry, multi_ref):
    r = store.run("pull", "-q", "--tls-verify=false", "--platform", "linux/s390x", multi_ref)
    err = _one_line_error(r, "linux/s390x")
    for p in ("linux/amd64", "linux/arm64", "linux/arm"):
        assert p in err, err
    assert _images(store) == []


# --- errors ---------------------------------------------------------------------------

def test_unknown_tag(store, registry, busybox_ref):
    name, _ = _split(busybox_ref)
    r = store.run("pull", "-q", "--tls-verify=false", name + ":no-such-tag")
    _one_line_error(r, "manifest unknown", name + ":no-such-tag")


def test_unknown_repository(store, registry, busybox_ref):
    r = store.run("pull", "-q", "--tls-verify=false", registry.url + "/no/such:latest")
    _one_line_error(r, "unknown")


@pytest.mark.parametrize("ref,why", [
    ("{url}/Test/busybox:latest", "lowercase"),
    ("{url}/test/busybox:bad!tag", "tag"),
    ("{url}/test/busybox@sha256:1234", "digest"),
    ("{url}/test//busybox:latest", "invalid"),
])
def test_invalid_reference(store, registry, ref, why):
    mark = LogMark(registry)
    r = store.run("pull", "-q", "--tls-verify=false", ref.format(url=registry.url))
    err = _one_line_error(r, why)
    assert "invalid" in err.lower(), err
    assert mark.capsa_requests() == [], "an invalid reference reached the registry"


# --- shared layers ----------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_ref(registry, tmp_path_factory, busybox_layout):
    img = oi.Image([oi.busybox_layer(), oi.Layer().dir("etc").file("etc/extra", b"more\n")],
                   cmd=["sh"])
    lay = oi.write_image(tmp_path_factory.mktemp("shared") / "layout", img, "latest")
    return oi.load_into_registry(lay.path, "latest", registry.url, repo="test/shared")


def test_shared_layers_downloaded_once(store, registry, busybox_ref, shared_ref):
    base = _manifest(busybox_ref)
    top = _manifest(shared_ref)
    assert top["layers"][0]["digest"] == base["layers"][0]["digest"], \
        "the fixture's layers are not shared"
    _pull(store, busybox_ref)
    mark = LogMark(registry)
    r = _pull(store, shared_ref)
    assert sorted(mark.blob_gets()) == sorted([top["config"]["digest"],
                                               top["layers"][1]["digest"]]), mark.text()
    assert "Copying blob %s skipped: already exists" % top["layers"][0]["digest"][7:19] \
        in r.stderr
    assert len(_images(store)) == 2
    mnt = store.ok("image", "mount", _id(r)).stdout.strip().splitlines()[-1]
    try:
        assert os.path.isfile(os.path.join(mnt, "bin", "busybox"))
        with open(os.path.join(mnt, "etc", "extra"), "rb") as f:
            assert f.read() == b"more\n"
    finally:
        store.ok("image", "unmount", _id(r))
    r = store.ok("system", "check")
    assert "no problems found" in r.stdout + r.stderr
