"""capsactl pull from OCI image layouts: what the store holds afterwards,
the merged tree `image mount` shows (entry by entry against `umoci unpack`
of the same image), names, rmi with shared layers, `system df` and
`system check`."""
import json
import os

import pytest

import oci_images
import treecmp


def pull(store, layout, tag="latest", *extra):
    r = store.ok("pull", *extra, "oci:%s:%s" % (layout.path, tag))
    image_id = r.stdout.strip().splitlines()[-1]
    assert len(image_id) == 64, r.stdout
    return image_id


def images_json(store):
    return json.loads(store.ok("images", "--format", "json").stdout)


def config_digest(layout, tag="latest"):
    man = json.loads(layout.read_blob(layout.resolve(tag)["digest"]))
    return man["config"]["digest"].split(":", 1)[1]


def test_pull_busybox_from_layout(store, busybox_layout):
    image_id = pull(store, busybox_layout)
    assert image_id == config_digest(busybox_layout)
    [img] = images_json(store)
    assert img["Id"] == image_id
    assert img["Names"] == ["localhost/layout:latest"]
    assert img["Size"] > 1_000_000
    # the tree is there, busybox among it
    mnt = store.ok("image", "mount", image_id).stdout.strip()
    assert os.path.isfile(os.path.join(mnt, "bin", "busybox"))
    assert os.readlink(os.path.join(mnt, "bin", "sh")) == "busybox"
    store.ok("image", "unmount", image_id)
    assert not os.path.ismount(mnt)


def test_non_tty_output_is_one_line_per_layer(store, rich_layout):
    r = store.ok("pull", "oci:%s:latest" % rich_layout.path)
    assert "\x1b" not in r.stderr and "\r" not in r.stderr
    blobs = [ln for ln in r.stderr.splitlines() if ln.startswith("Copying blob")]
    assert len(blobs) == 4, r.stderr
    assert all(ln.endswith(" done") for ln in blobs), r.stderr
    # again: everything is there already
    r = store.ok("pull", "oci:%s:latest" % rich_layout.path)
    assert r.stderr.count("skipped: already exists") == 4, r.stderr


def test_quiet_prints_only_the_id(store, busybox_layout):
    r = store.ok("pull", "-q", "oci:%s:latest" % busybox_layout.path)
    assert r.stdout == config_digest(busybox_layout) + "\n"
    assert r.stderr == ""


def test_merged_tree_equals_umoci_unpack(store, rich_layout, tmp_path):
    """Every entry of the mounted image (type, mode, owner, size, content
    hash, link target, device numbers, xattrs, hardlink groups) equals
    what umoci unpacks from the same layout."""
    image_id = pull(store, rich_layout)
    mnt = store.ok("image", "mount", image_id).stdout.strip()
    ref = oci_images.umoci_unpack(rich_layout.path, "latest", str(tmp_path / "umoci"))
    try:
        diffs = treecmp.compare(ref, mnt, mtimes=False)
        assert diffs == [], "\n".join(diffs[:40])
    finally:
        store.ok("image", "unmount", image_id)


def test_rich_image_expectations(store, rich_layout):
    e = oci_images.RICH_EXPECT
    image_id = pull(store, rich_layout)
    mnt = store.ok("image", "mount", image_id).stdout.strip()
    try:
        for p in e["absent"]:
            assert not os.path.lexists(os.path.join(mnt, p)), p
        for p in e["present"]:
            assert os.path.lexists(os.path.join(mnt, p)), p
        inodes = {os.lstat(os.path.join(mnt, p)).st_ino for p in e["hardlinks"]}
        assert len(inodes) == 1
        path, mode = e["setuid"]
        assert os.lstat(os.path.join(mnt, path)).st_mode & 0o7777 == mode
        path, name, value = e["capability"]
        assert os.getxattr(os.path.join(mnt, path), name, follow_symlinks=False) == value
        for link, target in e["symlinks"].items():
            assert os.readlink(os.path.join(mnt, link)) == target
        path, major, minor, mode = e["chardev"]
        st = os.lstat(os.path.join(mnt, path))
        assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (major, minor)
        path, uid, gid = e["owned"]
        st = os.lstat(os.path.join(mnt, path))
        assert (st.st_uid, st.st_gid) == (uid, gid)
        path, mtime = e["mtime"]
        assert int(os.lstat(os.path.join(mnt, path)).st_mtime) == mtime
    finally:
        store.ok("image", "unmount", image_id)


def test_multiarch_index_platforms(store, multiarch_layout):
    host = pull(store, multiarch_layout)
    arm = pull(store, multiarch_layout, "latest", "--platform", "linux/arm64")
    assert host != arm
    inspect = json.loads(store.ok("image", "inspect", arm).stdout)[0]
    assert inspect["Architecture"] == "arm64"
    r = store.fails("pull", "--platform", "linux/s390x", "oci:%s:latest" % multiarch_layout.path,
                    contains="no image for platform linux/s390x")
    assert "linux/amd64" in r.stderr and r.returncode == 125


def test_tag_untag_rmi(store, busybox_layout):
    image_id = pull(store, busybox_layout)
    store.ok("tag", image_id, "mine:1", "quay.io/x/y:2")
    names = images_json(store)[0]["Names"]
    assert set(names) == {"localhost/layout:latest", "localhost/mine:1", "quay.io/x/y:2"}
    # by short name, as podman resolves it
    store.ok("image", "inspect", "mine:1")
    store.ok("untag", image_id, "quay.io/x/y:2")
    # rmi of one of two names only untags
    r = store.ok("rmi", "mine:1")
    assert "Untagged: localhost/mine:1" in r.stdout and "Deleted" not in r.stdout
    r = store.ok("rmi", image_id)
    assert "Deleted: " + image_id in r.stdout
    assert images_json(store) == []
    # and nothing is left on disk
    assert os.listdir(os.path.join(store.root, "layers")) == []
    assert os.listdir(os.path.join(store.root, "blobs", "sha256")) == []
    r = store.fails("rmi", "nothere")
    assert r.returncode == 1 and "nothere: image not known" in r.stderr


def test_rmi_by_id_with_several_names_needs_force(store, busybox_layout):
    image_id = pull(store, busybox_layout)
    store.ok("tag", image_id, "other:1")
    r = store.fails("rmi", image_id[:12], contains="more than one tag")
    assert r.returncode == 2
    store.ok("rmi", "-f", image_id[:12])
    assert images_json(store) == []


def test_shared_layers_stored_once(store, tmp_path):
    """Two images sharing their base layers: the base is unpacked once,
    and removing one image keeps what the other uses."""
    base = oci_images.busybox_layer()
    top1 = oci_images.Layer().file("etc/one", b"1\n")
    top2 = oci_images.Layer().file("etc/two", b"2\n")
    l1 = oci_images.write_image(str(tmp_path / "one"), oci_images.Image([base, top1]), "latest")
    l2 = oci_images.write_image(str(tmp_path / "two"), oci_images.Image([base, top2]), "latest")
    a = pull(store, l1)
    r = store.ok("pull", "oci:%s:latest" % l2.path)
    assert "skipped: already exists" in r.stderr
    b = r.stdout.strip()
    assert len(os.listdir(os.path.join(store.root, "layers"))) == 3
    df = store.ok("system", "df", "-v").stdout
    assert "SHARED SIZE" in df
    store.ok("rmi", a)
    assert len(os.listdir(os.path.join(store.root, "layers"))) == 2
    mnt = store.ok("image", "mount", b).stdout.strip()
    assert os.path.isfile(os.path.join(mnt, "bin", "busybox"))
    assert open(os.path.join(mnt, "etc", "two")).read() == "2\n"
    assert not os.path.exists(os.path.join(mnt, "etc", "one"))
    store.ok("image", "unmount", b)


def test_rmi_refuses_a_mounted_image(store, busybox_layout):
    image_id = pull(store, busybox_layout)
    mnt = store.ok("image", "mount", image_id).stdout.strip()
    store.fails("rmi", image_id, contains="is mounted")
    store.ok("rmi", "-f", image_id)
    assert not os.path.ismount(mnt)


def test_system_check_finds_and_repairs(store, rich_layout):
    image_id = pull(store, rich_layout)
    assert "no problems found" in store.ok("system", "check").stdout
    blobs = os.path.join(store.root, "blobs", "sha256")
    layer_blob = json.loads(rich_layout.read_blob(rich_layout.resolve("latest")["digest"]))[
        "layers"][0]["digest"].split(":")[1]
    with open(os.path.join(blobs, layer_blob), "ab") as f:
        f.write(b"x")
    r = store.run("system", "check")
    assert r.returncode == 1
    assert "blob sha256:%s: corrupted" % layer_blob in r.stdout
    r = store.ok("system", "check", "--repair")
    assert "image %s" % image_id[:12] in r.stdout and "removed" in r.stdout
    assert images_json(store) == []
    assert "no problems found" in store.ok("system", "check").stdout
    # the next pull brings it back whole
    pull(store, rich_layout)
    assert "no problems found" in store.ok("system", "check").stdout


def test_bad_references_and_sources(store, tmp_path):
    r = store.fails("pull", "Busybox")
    assert r.returncode == 125 and "invalid reference" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    store.fails("pull", "oci:%s" % tmp_path, contains="not an OCI image layout")
    store.fails("image", "inspect", "nothere", contains="nothere: image not known")


def test_layout_digest_mismatch_is_refused(store, tmp_path):
    lay = oci_images.write_image(str(tmp_path / "bad"), oci_images.busybox_image(), "latest")
    man = json.loads(lay.read_blob(lay.resolve("latest")["digest"]))
    path = lay.blob_path(man["layers"][0]["digest"])
    data = bytearray(open(path, "rb").read())
    data[-20] ^= 0xff
    os.chmod(path, 0o644)
    open(path, "wb").write(bytes(data))
    r = store.fails("pull", "oci:%s:latest" % lay.path)
    assert r.returncode == 125 and "digest mismatch" in r.stderr
    # undone by the failed pull itself, not left for the next command
    import sqlite3
    db = sqlite3.connect(os.path.join(store.root, "capsa.db"))
    assert db.execute("SELECT count(*) FROM images").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM layers").fetchone() == (0,)
    db.close()
    assert images_json(store) == []
    assert "no problems found" in store.ok("system", "check").stdout
    assert os.listdir(os.path.join(store.root, "layers")) == []


def test_umoci_layers_without_end_blocks(store, tmp_path):
    """umoci 0.4 writes layers whose tar stream stops right after the last
    file's data (no padding, no end blocks); podman takes them, so do we.
    A stream cut inside a file's data stays an error (test_unpack.c)."""
    import subprocess
    root = tmp_path / "l2"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "f2").write_text("hello\n")
    lay = str(tmp_path / "img")
    for cmd in (["umoci", "init", "--layout", lay], ["umoci", "new", "--image", lay + ":t"],
                ["umoci", "insert", "--image", lay + ":t", str(root), "/"]):
        subprocess.run(cmd, check=True, capture_output=True)
    image_id = store.ok("pull", "-q", "oci:%s:t" % lay).stdout.strip()
    mnt = store.ok("image", "mount", image_id).stdout.strip()
    assert open(os.path.join(mnt, "etc", "f2")).read() == "hello\n"
    store.ok("image", "unmount", image_id)


def test_terminal_shows_progress_bars(store, rich_layout):
    """On a terminal: a bar per layer redrawn in place, one summary line."""
    import pty
    import subprocess
    import select
    master, slave = pty.openpty()
    env = dict(store.env, TERM="xterm")
    p = subprocess.Popen([store.binary, "--root", store.root, "--runroot", store.runroot,
                          "pull", "oci:%s:latest" % rich_layout.path],
                         stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert p.wait(timeout=60) == 0
    text = out.decode(errors="replace")
    assert "\x1b[" in text                      # redrawn in place
    assert text.count("Stored image") == 1      # one summary line
    assert "Copying blob" in text and " done" in text
    assert len(p.stdout.read().strip()) == 64   # the ID alone on stdout


def test_every_command_has_help(store):
    out = store.ok("--help").stdout
    names = [ln.split()[0] for ln in out.split("commands:\n")[1].splitlines() if ln.strip()]
    assert {"pull", "push", "images", "rmi", "tag", "load", "save", "import", "login",
            "logout", "system", "image"} <= set(names)
    for name in names:
        r = store.ok(name, "--help")
        assert r.stdout.startswith("capsactl %s: " % name) and "usage: capsactl" in r.stdout
    r = store.fails("nosuchcommand")
    assert r.returncode == 125 and "unrecognized command" in r.stderr
