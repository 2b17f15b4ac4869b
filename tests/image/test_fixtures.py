"""Self-tests of the image suite's fixtures (no capsactl needed): the
layouts are valid for skopeo and umoci, umoci applies rich_image's
whiteouts the way RICH_EXPECT says, treecmp sees differences, every
registry mode takes a push and gives it back, and the hostile registry
serves cleanly until told to misbehave."""
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zlib

import pytest

import fixtures_images as fi
import oci_images as oi
import procs
import treecmp
from hostile_registry import HostileRegistry
from registry import http_status


def _blob_ok(layout):
    """Every blob's name is the sha256 of its content."""
    for name in os.listdir(layout.blobs):
        with open(os.path.join(layout.blobs, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == name, name


def _manifest(layout, tag="latest"):
    return json.loads(layout.read_blob(layout.resolve(tag)["digest"]))


def test_busybox_layout(busybox_layout):
    _blob_ok(busybox_layout)
    info = oi.skopeo_inspect("oci:%s:latest" % busybox_layout.path)
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    assert len(info["Layers"]) == 1
    man = _manifest(busybox_layout)
    assert man["mediaType"] == oi.MT_OCI_MANIFEST
    layer = man["layers"][0]
    raw = gzip.decompress(busybox_layout.read_blob(layer["digest"]))
    cfg = json.loads(busybox_layout.read_blob(man["config"]["digest"]))
    assert cfg["rootfs"]["diff_ids"] == [oi.sha256_bytes(raw)]
    names = tarfile.open(fileobj=io.BytesIO(raw)).getnames()
    assert "bin/busybox" in names and "bin/sh" in names


def test_rich_layout_config(rich_layout):
    _blob_ok(rich_layout)
    ref = "oci:%s:latest" % rich_layout.path
    cfg = oi.skopeo_inspect(ref, config=True)
    c = cfg["config"]
    assert c["Cmd"] == ["/bin/sh", "-c", "echo rich"]
    assert c["Entrypoint"] == ["/usr/bin/env"]
    assert (c["WorkingDir"], c["User"], c["StopSignal"]) == ("/srv", "1000:1000", "SIGQUIT")
    assert set(c["ExposedPorts"]) == {"8080/tcp", "53/udp"}
    assert set(c["Volumes"]) == {"/data"}
    assert c["Labels"]["org.capsa.test"] == "rich"
    assert len(cfg["rootfs"]["diff_ids"]) == 4
    assert [h.get("empty_layer", False) for h in cfg["history"]] == \
        [False, False, False, True, False]
    man = _manifest(rich_layout)
    assert [lay["mediaType"] for lay in man["layers"]] == [
        oi.MT_OCI_LAYER["gzip"], oi.MT_OCI_LAYER["gzip"], oi.MT_OCI_LAYER["none"],
        oi.MT_OCI_LAYER["gzip"]]
    empty = tarfile.open(fileobj=io.BytesIO(rich_layout.read_blob(man["layers"][2]["digest"])))
    assert empty.getmembers() == []


def test_rich_umoci_unpack(rich_layout, tmp_path):
    root = oi.umoci_unpack(rich_layout.path, "latest", tmp_path / "bundle")
    E = oi.RICH_EXPECT
    for p in E["absent"]:
        assert not os.path.lexists(os.path.join(root, p)), p
    for p in E["present"]:
        assert os.path.lexists(os.path.join(root, p)), p
    entries, inodes = treecmp.scan(root)
    assert not [p for p in entries if ".wh." in p]
    assert os.listdir(os.path.join(root, "opq")) == ["c"]            # opaque
    assert os.listdir(os.path.join(root, "var/olddir")) == ["fresh"]  # whited out, redone
    assert frozenset(E["hardlinks"]) in treecmp.hardlink_groups(inodes)
    path, mode = E["setuid"]
    assert entries[path]["mode"] == "%04o" % mode
    path, mode = E["setgid_dir"]
    assert entries[path]["mode"] == "%04o" % mode
    for key in ("capability", "user_xattr"):
        path, name, value = E[key]
        assert entries[path]["xattrs"].get(name) == value, key
    for link, target in E["symlinks"].items():
        assert entries[link]["target"] == target
    path, major, minor, mode = E["chardev"]
    assert entries[path]["rdev"] == (major, minor) and entries[path]["mode"] == "%04o" % mode
    assert entries[E["fifo"]]["type"] == "fifo"
    path, uid, gid = E["owned"]
    assert (entries[path]["uid"], entries[path]["gid"]) == (uid, gid)
    assert entries[E["replaced_dir"]]["type"] == "dir"
    path, mtime = E["mtime"]
    assert entries[path]["mtime"] == mtime
    # the same image unpacked twice is the same tree, mtimes included
    again = oi.umoci_unpack(rich_layout.path, "latest", tmp_path / "bundle2")
    assert treecmp.compare(root, again, mtimes=True) == []


def test_treecmp_sees_differences(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "f").write_text("one")
    os.link(a / "f", a / "g")
    (a / "x").write_text("x")
    os.symlink("f", a / "s")
    subprocess.run(["cp", "-a", str(a), str(tmp_path / "b")], check=True)
    b = tmp_path / "b"
    assert treecmp.compare(a, b) == []
    (b / "f").write_text("two")
    os.chmod(b / "x", 0o4755)
    os.setxattr(b / "x", "user.k", b"v")
    os.unlink(b / "s")
    os.symlink("g", b / "s")
    os.unlink(b / "g")
    (b / "g").write_text("one")
    os.mkfifo(b / "p")
    diffs = "\n".join(treecmp.compare(a, b))
    for want in ("f: sha256", "x: mode '0644' != '4755'", "x: xattrs",
                 "s: target 'f' != 'g'", "p: only in", "hardlinks ['f', 'g']"):
        assert want in diffs, (want, diffs)
    assert treecmp.compare(a, b, ignore=["f", "g", "x", "s", "p"]) == []


def test_zstd_and_docker_formats(tmp_path):
    lay = oi.write_image(tmp_path / "zstd", oi.rich_image(zstd=True), "z")
    man = _manifest(lay, "z")
    layer = man["layers"][1]
    assert layer["mediaType"] == oi.MT_OCI_LAYER["zstd"]
    raw = subprocess.run(["zstd", "-d", "-c"], input=lay.read_blob(layer["digest"]),
                         stdout=subprocess.PIPE, check=True).stdout
    cfg = json.loads(lay.read_blob(man["config"]["digest"]))
    assert cfg["rootfs"]["diff_ids"][1] == oi.sha256_bytes(raw)
    assert len(oi.skopeo_inspect("oci:%s:z" % lay.path)["Layers"]) == 4

    with pytest.raises(ValueError):
        oi.write_image(tmp_path / "bad", oi.rich_image(zstd=True), "x", docker=True)


def test_docker_formats(tmp_path, busybox_layout, registry):
    # a docker schema 2 manifest in a layout (c/image reads only OCI
    # descriptors from a layout: serve it over HTTP instead)
    d = oi.write_image(tmp_path / "docker", oi.busybox_image(), "d", docker=True)
    man = _manifest(d, "d")
    assert man["mediaType"] == oi.MT_DOCKER_MANIFEST
    assert man["config"]["mediaType"] == oi.MT_DOCKER_CONFIG
    assert man["layers"][0]["mediaType"] == oi.MT_DOCKER_LAYER["gzip"]
    with HostileRegistry(d.path) as reg:
        raw_man = oi.skopeo_inspect("docker://%s/x/y:d" % reg.url, raw=True)
    assert raw_man == man
    # converted by skopeo on the way into a registry
    ref = oi.load_into_registry(busybox_layout.path, "latest", registry.url,
                                repo="test/v2s2", fmt="v2s2")
    assert oi.skopeo_inspect("docker://" + ref, raw=True)["mediaType"] == oi.MT_DOCKER_MANIFEST

    da = oi.docker_archive(busybox_layout.path, "latest", tmp_path / "d.tar",
                           "localhost/bb:1")
    with tarfile.open(da) as tf:
        m = json.load(tf.extractfile("manifest.json"))
    assert m[0]["RepoTags"] == ["localhost/bb:1"]
    oa = oi.oci_archive(busybox_layout.path, "latest", tmp_path / "o.tar")
    with tarfile.open(oa) as tf:
        assert {"oci-layout", "index.json"} <= set(tf.getnames())


def test_multiarch_index(multiarch_layout, registry):
    raw = oi.skopeo_inspect("oci:%s:latest" % multiarch_layout.path, raw=True)
    assert raw["mediaType"] == oi.MT_OCI_INDEX
    assert [(m["platform"]["architecture"], m["platform"].get("variant"))
            for m in raw["manifests"]] == [("amd64", None), ("arm64", "v8"), ("arm", "v7")]
    ref = oi.load_into_registry(multiarch_layout.path, "latest", registry.url,
                                repo="test/multi", all_images=True)
    back = oi.skopeo_inspect("docker://" + ref, raw=True)
    assert len(back["manifests"]) == 3


@pytest.mark.parametrize("mode", ["plain", "basic", "token"])
def test_registry_modes(mode, request, busybox_layout):
    reg = request.getfixturevalue({"plain": "registry", "basic": "registry_basic",
                                   "token": "registry_token"}[mode])
    ref = oi.load_into_registry(busybox_layout.path, "latest", reg.url,
                                repo="test/mode-" + mode, creds=reg.creds)
    digest = oi.skopeo_inspect("oci:%s:latest" % busybox_layout.path)["Digest"]
    assert oi.skopeo_inspect("docker://" + ref, creds=reg.creds)["Digest"] == digest
    status = http_status("http://%s/v2/" % reg.url)
    assert status == (200 if mode == "plain" else 401)
    assert os.path.getsize(reg.log_path) > 0
    if mode == "basic":
        with pytest.raises(RuntimeError, match="unauthorized|authentication required"):
            oi.skopeo_inspect("docker://" + ref)
        with pytest.raises(RuntimeError):
            oi.skopeo_inspect("docker://" + ref, creds=(reg.user, "wrong"))
    if mode == "token":
        t = reg.token
        assert t.count() >= 2
        assert any("repository:test/mode-token:pull,push" in s
                   for r in t.requests for s in r["scopes"])
        assert all(r["user"] == reg.user for r in t.requests)
        oi.skopeo_inspect("docker://" + ref)       # anonymous pull is granted
        t.allow_anonymous = False
        with pytest.raises(RuntimeError):
            oi.skopeo_inspect("docker://" + ref)
        assert t.count(401) >= 1
        with pytest.raises(RuntimeError):
            oi.skopeo_inspect("docker://" + ref, creds=(reg.user, "wrong"))


def test_registry_stops_by_pid(tmp_path):
    from registry import Registry
    reg = Registry(tmp_path / "r").start()
    pid = reg.proc.pid
    assert procs.pid_alive(pid)
    reg.stop()
    assert not procs.pid_alive(pid)
    assert http_status("http://%s/v2/" % reg.url, timeout=1) is None


def _skopeo_pull(reg, dest, creds=None):
    cmd = oi.SKOPEO + ["copy", "--src-tls-verify=false"]
    if creds:
        cmd += ["--src-creds", "%s:%s" % creds]
    return procs.run(cmd + ["docker://%s/any/name:latest" % reg.url, "oci:%s:x" % dest],
                     timeout=60)


def test_hostile_registry_with_skopeo(hostile_registry, tmp_path):
    reg = hostile_registry
    r = _skopeo_pull(reg, tmp_path / "ok")
    assert r.returncode == 0, r
    assert reg.count("manifest") == 1 and reg.count("blob") == 2
    reg.reset()
    reg.faults.bad_blob_digest = True
    r = _skopeo_pull(reg, tmp_path / "bad")
    assert r.returncode != 0 and "did not match" in r.stderr, r
    reg.faults.bad_blob_digest = False
    reg.faults.require_basic = ("u", "p")
    assert _skopeo_pull(reg, tmp_path / "noauth").returncode != 0
    assert _skopeo_pull(reg, tmp_path / "auth", ("u", "p")).returncode == 0


def _get(reg, path, headers=None, port=None, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port or reg.port, timeout=timeout)
    c.request("GET", path, headers=headers or {})
    return c, c.getresponse()


def test_hostile_registry_faults(busybox_layout):
    man = _manifest(busybox_layout)
    layer = man["layers"][0]["digest"]
    size = man["layers"][0]["size"]
    blob = "/v2/a/blobs/" + layer
    with HostileRegistry(busybox_layout.path) as reg:
        f = reg.faults
        c, r = _get(reg, "/v2/a/manifests/latest")
        body = r.read()
        good = r.getheader("Docker-Content-Digest")
        assert oi.sha256_bytes(body) == good
        f.lying_digest_header = True
        c, r = _get(reg, "/v2/a/manifests/latest")
        assert r.getheader("Docker-Content-Digest") != oi.sha256_bytes(r.read())
        f.lying_digest_header, f.by_digest_other_content = False, True
        c, r = _get(reg, "/v2/a/manifests/" + good)
        assert oi.sha256_bytes(r.read()) != good
        f.by_digest_other_content, f.huge_manifest = False, True
        c, r = _get(reg, "/v2/a/manifests/latest")
        assert len(r.read()) > 4 << 20
        f.huge_manifest = False

        f.fail_first = 2
        statuses = [_get(reg, blob)[1].status for _ in range(3)]
        assert statuses == [500, 500, 200]
        f.fail_first = 0

        f.cut_after = 1000
        c, r = _get(reg, blob)
        assert int(r.getheader("Content-Length")) == size
        with pytest.raises(http.client.IncompleteRead):
            r.read()
        c, r = _get(reg, blob, {"Range": "bytes=1000-"})
        assert r.status == 206 and len(r.read()) == size - 1000
        assert r.getheader("Content-Range") == "bytes 1000-%d/%d" % (size - 1, size)
        assert reg.ranges == ["bytes=1000-"]
        f.cut_after = None

        f.redirect_blobs = True
        c, r = _get(reg, blob)
        assert r.status == 307
        loc = r.getheader("Location")
        assert str(reg.redirect_port) in loc
        c, r = _get(reg, loc.split(str(reg.redirect_port), 1)[1], {"Authorization": "Bearer x"},
                    port=reg.redirect_port)
        assert oi.sha256_bytes(r.read()) == layer
        assert reg.redirect_auth == ["Bearer x"]
        f.redirect_blobs = False

        for how in ("no_length", "long_length"):
            f.endless_blob = how
            c, r = _get(reg, blob)
            assert r.read(size + (4 << 20)) and len(r.read(1 << 20)) == 1 << 20
            c.close()
        f.endless_blob = None

        f.slowloris = True
        c, r = _get(reg, blob, timeout=1)
        assert len(r.read(1)) == 1
        with pytest.raises(socket.timeout):
            r.read(1)
        c.close()
        assert reg.count("blob") == 9
    # stop() released the stalled handler and closed both ports
    assert http_status("http://%s/v2/" % reg.url, timeout=1) is None


def test_hostile_layers(tmp_path):
    outside = tmp_path / "outside"
    h = fi.hostile_layers(outside=str(outside), many_entries=5000,
                          bomb_bytes=64 << 20)
    names = lambda k: tarfile.open(fileobj=io.BytesIO(h[k])).getnames()  # noqa: E731
    assert names("abs_path")[0].startswith(str(outside))
    assert names("dotdot")[0].startswith("../../")
    assert names("duplicates")[:2] == ["dup", "dup"]
    assert len(names("long_name")[0]) > 4096
    for k in ("truncated_gzip", "corrupt_gzip", "gzip_bad_crc"):
        with pytest.raises((EOFError, zlib.error, OSError)):
            gzip.decompress(h[k])
    assert fi.media_type_of(h["truncated_zstd"]) == oi.MT_OCI_LAYER["zstd"]
    many = tarfile.open(fileobj=io.BytesIO(h["many_entries"]))
    assert sum(1 for _ in many) == 5001
    bomb = h["gzip_bomb"]
    assert len(bomb) < (64 << 20) // 500
    d = zlib.decompressobj(31)
    total = 0
    for i in range(0, len(bomb), 1 << 16):
        total += len(d.decompress(bomb[i:i + (1 << 16)]))
    assert d.eof and total >= 64 << 20             # valid to the end, CRC included
    lay = fi.write_hostile_image(tmp_path / "hl", h["dotdot"])
    man = _manifest(lay)
    assert man["layers"][0]["mediaType"] == oi.MT_OCI_LAYER["none"]
    assert oi.skopeo_inspect("oci:%s:latest" % lay.path)["Layers"] == [man["layers"][0]["digest"]]


def test_big_image_small(tmp_path):
    """big_image's logic at a small size (the benchmark asks for 300 MB)."""
    kw = dict(target_bytes=2 << 20, min_files=300, layers=5, tops=("/usr/share/doc",))
    lay = oi.big_image(tmp_path / "big", **kw)
    man = _manifest(lay)
    assert len(man["layers"]) == 5
    n = sum(len(tarfile.open(lay.blob_path(x["digest"])).getnames()) for x in man["layers"])
    assert n >= 300
    again = oi.big_image(tmp_path / "big2", **kw)
    assert again.resolve("latest")["digest"] == lay.resolve("latest")["digest"]
    shutil.rmtree(tmp_path / "big2")


def test_token_server_tokens(tmp_path):
    """A token verifies with the certificate's key and carries the claims
    docker-registry checks; POST (OAuth2 password grant) works too."""
    import base64
    from token_server import TokenServer

    def unb64(x):
        return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))

    with TokenServer(tmp_path / "t", users={"u": "p"}) as t:
        q = urllib.parse.urlencode({"service": t.service,
                                    "scope": "repository:a/b:pull,push"})
        req = urllib.request.Request(t.realm + "?" + q, headers={
            "Authorization": "Basic " + base64.b64encode(b"u:p").decode()})
        tok = json.load(urllib.request.urlopen(req, timeout=5))["token"]
        head, claims, sig = tok.split(".")
        h, c = json.loads(unb64(head)), json.loads(unb64(claims))
        assert h["alg"] == "RS256" and len(h["x5c"]) == 1
        assert (c["iss"], c["aud"], c["sub"]) == (t.issuer, t.service, "u")
        assert c["access"] == [{"type": "repository", "name": "a/b",
                                "actions": ["pull", "push"]}]
        assert c["nbf"] <= c["iat"] < c["exp"]
        (tmp_path / "sig").write_bytes(unb64(sig))
        (tmp_path / "in").write_bytes((head + "." + claims).encode())
        pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", t.cert_path],
                             stdout=subprocess.PIPE, check=True).stdout
        (tmp_path / "pub").write_bytes(pub)
        v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub"),
                            "-signature", str(tmp_path / "sig"), str(tmp_path / "in")],
                           capture_output=True)
        assert v.returncode == 0, v
        # anonymous: pull only; refused when told so
        anon = json.load(urllib.request.urlopen(t.realm + "?" + q, timeout=5))["token"]
        assert json.loads(unb64(anon.split(".")[1]))["access"][0]["actions"] == ["pull"]
        t.allow_anonymous = False
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(t.realm + "?" + q, timeout=5)
        assert e.value.code == 401
        form = urllib.parse.urlencode({"grant_type": "password", "username": "u",
                                       "password": "p", "service": t.service,
                                       "scope": "repository:a/b:pull"}).encode()
        got = json.load(urllib.request.urlopen(t.realm, data=form, timeout=5))
        assert got["access_token"] and got["expires_in"] == 300
        assert t.count() == 3 and t.count(401) == 1


def test_store_helper(tmp_path):
    """The store fixture's runner, with /bin/echo standing in for capsactl."""
    import conftest
    s = conftest.Store("/bin/echo", str(tmp_path / "s"))
    r = s.run("images", "--format", "json")
    assert r.returncode == 0
    assert r.stdout == "--root %s --runroot %s images --format json\n" % (s.root, s.runroot)
    assert s.env["HOME"] == s.home and os.path.isdir(s.runroot)
    with pytest.raises(AssertionError, match="unexpectedly succeeded"):
        s.fails("x")


@pytest.mark.parametrize("attack", ["abs_path", "dotdot", "symlink_abs_write",
                                    "symlink_rel_write", "symlink_chain_write",
                                    "hardlink_then_write"])
def test_hostile_layers_beat_a_naive_unpacker(attack, tmp_path):
    """Each attack really escapes when unpacked without care (Python's
    tarfile trusting everything), so a test where capsa refuses it means
    something."""
    outside, dest = tmp_path / "outside", tmp_path / "dest"
    outside.mkdir()
    (dest / "a" / "b").mkdir(parents=True)
    victim = outside / "victim"
    victim.write_text("original")
    data = fi.hostile_layers(outside=str(outside), victim=str(victim))[attack]
    kw = {"filter": "fully_trusted"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for member in tf:
            try:
                tf.extract(member, str(dest / "a" / "b"), **kw)
            except OSError:             # tarfile's own quirks with ".." paths
                pass
    escaped = [n for n in os.listdir(outside) if n.startswith(fi.ESCAPE)]
    assert escaped or victim.read_text() != "original", os.listdir(outside)
