"""cp where the container sees a mount: a path below a volume or a -v
host directory is copied to and from that directory, as the container
sees it, not to the root's upper layer that the mount hides; a read-only
bind refuses; a symlink inside a volume resolves inside the volume, never
on the host."""
import io
import json
import os
import tarfile

from test_cp_commit import cat, raw


def volume_path(engine, name):
    return json.loads(engine.ok("volume", "inspect", name).stdout)[0]["Mountpoint"]


def test_cp_into_and_out_of_volumes_and_binds(engine, tmp_path):
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir(), ro.mkdir()
    (ro / "kept").write_text("ro\n")
    src = tmp_path / "f"
    src.write_text("to the volume\n")
    engine.ok("run", "-d", "--name", "m", "-v", "vol:/data", "-v", "%s:/host" % rw,
              "-v", "%s:/hostro:ro" % ro, "busybox", "sleep", "1000")
    engine.ok("cp", src, "m:/data/f")
    assert cat(engine, "m", "/data/f") == "to the volume\n"
    assert open(os.path.join(volume_path(engine, "vol"), "f")).read() == "to the volume\n"
    engine.ok("cp", src, "m:/host/")
    assert (rw / "f").read_text() == "to the volume\n"
    assert cat(engine, "m", "/host/f") == "to the volume\n"
    r = engine.fails("cp", src, "m:/hostro/f", code=125)
    assert "read-only" in r.stderr and not (ro / "f").exists()
    # out of them: what the container sees
    engine.ok("exec", "m", "sh", "-c", "echo made inside > /data/g")
    engine.ok("cp", "m:/data/g", tmp_path / "g")
    assert (tmp_path / "g").read_text() == "made inside\n"
    engine.ok("cp", "m:/hostro/kept", tmp_path / "kept")
    assert (tmp_path / "kept").read_text() == "ro\n"
    # a tar stream into the volume
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("streamed")
        data = b"from a tar\n"
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    assert raw(engine, "cp", "-", "m:/data", input=buf.getvalue()).returncode == 0
    assert cat(engine, "m", "/data/streamed") == "from a tar\n"


def test_cp_into_a_stopped_containers_volume(engine, tmp_path):
    src = tmp_path / "f"
    src.write_text("while stopped\n")
    engine.ok("create", "--name", "s", "-v", "svol:/data", "busybox", "cat", "/data/f")
    engine.ok("cp", src, "s:/data/f")
    engine.ok("start", "s")
    assert engine.ok("wait", "s").stdout == "0\n"
    assert engine.ok("logs", "s").stdout == "while stopped\n"


def test_symlink_in_a_volume_stays_in_the_volume(engine, tmp_path):
    engine.ok("run", "-d", "--name", "v", "-v", "evol:/data", "busybox", "sleep", "1000")
    engine.ok("exec", "v", "sh", "-c", "ln -s /etc /data/etc; ln -s ../../../../etc /data/up")
    for path in ("v:/data/etc/shadow", "v:/data/up/shadow"):
        out = tmp_path / "out"
        engine.run("cp", path, out)
        assert not out.exists() or "root:" not in out.read_text()
    # and into it: nothing written on the host's /etc
    src = tmp_path / "x"
    src.write_text("x\n")
    engine.run("cp", src, "v:/data/etc/capsa-cp-test")
    assert not os.path.exists("/etc/capsa-cp-test")
