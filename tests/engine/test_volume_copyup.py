"""A new volume starts with what the image holds where it is mounted (as
with docker and podman): anonymous volumes of the image's VOLUMEs, named
ones by -v and --mount; the directory's owner and mode too; once, and never
over what a volume already holds.  The image's directory is resolved
inside its root: a symlink out of it copies nothing of the host's."""
import json
import os
import stat

from oci_images import Layer
from test_images_run import busybox_plus, pull_image


def data_layer():
    return Layer().dir("data", mode=0o750, uid=1000, gid=1000) \
        .file("data/f", b"from the image\n", uid=1000, gid=1000) \
        .dir("data/sub").file("data/sub/g", b"deep\n") \
        .symlink("data/shadow", "/etc/shadow")


def volume_path(engine, name):
    return json.loads(engine.ok("volume", "inspect", name).stdout)[0]["Mountpoint"]


def test_anonymous_volume_of_the_image_starts_with_its_content(engine, tmp_path):
    ref = pull_image(engine, tmp_path, "vc", busybox_plus(data_layer(), volumes=["/data"]))
    r = engine.ok("run", "--name", "a", ref, "sh", "-c", "cat /data/f /data/sub/g")
    assert r.stdout == "from the image\ndeep\n"
    [vol] = json.loads(engine.ok("volume", "ls", "--format", "json").stdout)
    st = os.stat(vol["Mountpoint"])
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 1000, 0o750)
    # a symlink is copied as a symlink, never as what it points at
    link = os.path.join(vol["Mountpoint"], "shadow")
    assert os.path.islink(link) and os.readlink(link) == "/etc/shadow"
    engine.ok("rm", "-v", "a")


def test_named_volume_filled_once_never_over_its_content(engine, tmp_path):
    ref = pull_image(engine, tmp_path, "vn", busybox_plus(data_layer()))
    engine.ok("run", "--rm", "-v", "fresh:/data", ref, "sh", "-c",
              "cat /data/f; echo mine > /data/f; rm /data/sub/g")
    path = volume_path(engine, "fresh")
    assert open(os.path.join(path, "f")).read() == "mine\n"
    # the next container finds the volume as the last one left it
    r = engine.ok("run", "--rm", "--mount", "type=volume,src=fresh,dst=/data", ref,
                  "sh", "-c", "cat /data/f; ls /data/sub")
    assert r.stdout == "mine\n"
    # emptied by its user: still not filled again
    engine.ok("run", "--rm", "-v", "fresh:/data", ref, "sh", "-c", "rm -rf /data/*")
    assert engine.ok("run", "--rm", "-v", "fresh:/data", ref, "ls", "/data").stdout == ""


def test_volume_created_first_is_filled_at_first_use(engine, tmp_path):
    ref = pull_image(engine, tmp_path, "vf", busybox_plus(data_layer()))
    engine.ok("volume", "create", "early")
    assert os.listdir(volume_path(engine, "early")) == []
    assert engine.ok("run", "--rm", "-v", "early:/data", ref, "cat", "/data/f").stdout \
        == "from the image\n"
    # a path the image does not have: the volume stays empty
    engine.ok("run", "--rm", "-v", "other:/nothing/here", ref, "true")
    assert os.listdir(volume_path(engine, "other")) == []


def test_symlinked_mount_point_resolves_inside_the_root(engine, tmp_path):
    secret = tmp_path / "host-dir"
    secret.mkdir()
    (secret / "secret").write_text("host only\n")
    escape = "../" * 12 + str(secret).lstrip("/")
    evil = Layer().symlink("data", escape).dir("etc2").file("etc2/inside", b"image\n") \
        .symlink("abs", "/etc2")
    ref = pull_image(engine, tmp_path, "vevil", busybox_plus(evil))
    engine.run("run", "--rm", "-v", "ev1:/data", ref, "true")
    assert "secret" not in os.listdir(volume_path(engine, "ev1"))
    # an absolute symlink is the image's own path, as inside the container
    engine.ok("run", "--rm", "-v", "ev2:/abs", ref, "true")
    assert os.listdir(volume_path(engine, "ev2")) == ["inside"]
