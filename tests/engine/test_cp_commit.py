"""capsactl cp, export and commit (podman 4.3's semantics): files and
directories both ways, "dir/." and tar streams, running and stopped
containers; symlinks in a container (planted, or swapped in while cp
runs) that must resolve inside it and never on the host; export against
the image's files; commit of changes and deletions into an image."""
import io
import json
import os
import subprocess
import tarfile
import uuid

import oci_images
import procs

READY = "touch /ready; exec sleep 1000"


def raw(engine, *args, input=None):
    """capsactl with binary stdin/stdout (no shim is started by cp/export)."""
    return subprocess.run(engine.cmd(*args), input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120, env=engine.env)


def start(engine, name, script):
    cid = engine.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
                    script + "; " + READY).stdout.strip()
    procs.wait_for(lambda: engine.run("exec", name, "test", "-e", "/ready").returncode == 0,
                   timeout=20, what="%s ready" % name)
    return cid


def cat(engine, name, path):
    return engine.ok("exec", name, "cat", path).stdout


def owner(engine, name, path):
    return engine.ok("exec", name, "stat", "-c", "%u:%g", path).stdout.strip()


def names_of(tar_bytes):
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as t:
        return {m.name.rstrip("/").removeprefix("./") for m in t.getmembers()} - {"", "."}


def host_tree(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a").write_text("file a\n")
    (src / "sub" / "b").write_text("file b\n")
    os.symlink("a", src / "link")
    return src


def test_cp_file_both_ways_and_ownership(engine, tmp_path):
    start(engine, "c1", "echo inside > /tmp/in.txt")
    f = tmp_path / "f.txt"
    f.write_text("from host\n")
    os.chown(f, 1234, 4321)
    engine.ok("cp", f, "c1:/tmp/")                 # into a directory: keeps its name
    engine.ok("cp", f, "c1:/tmp/renamed")          # a new name
    engine.ok("cp", "--archive=false", f, "c1:/kept")
    assert cat(engine, "c1", "/tmp/f.txt") == "from host\n"
    assert cat(engine, "c1", "/tmp/renamed") == "from host\n"
    # -a (the default): owned by the container's user; without: the source's ids
    assert owner(engine, "c1", "/tmp/f.txt") == "0:0"
    assert owner(engine, "c1", "/kept") == "1234:4321"
    # a file onto a file overwrites it
    f.write_text("second\n")
    engine.ok("cp", f, "c1:/tmp/renamed")
    assert cat(engine, "c1", "/tmp/renamed") == "second\n"
    out = tmp_path / "out"
    out.mkdir()
    engine.ok("cp", "c1:/tmp/in.txt", out)
    engine.ok("cp", "c1:tmp/in.txt", out / "other.txt")   # the leading "/" is optional
    assert (out / "in.txt").read_text() == "inside\n"
    assert (out / "other.txt").read_text() == "inside\n"
    # a missing parent, a file given as a directory, a missing source
    engine.fails("cp", f, "c1:/no/such/dir/x", code=125)
    engine.fails("cp", f, "c1:/tmp/f.txt/", code=125)
    engine.fails("cp", "c1:/nonexistent", out, code=125)
    engine.fails("cp", f, tmp_path / "x", code=125)          # no container side
    # a name the unpacker would take for a whiteout (deleting /etc/passwd)
    r = engine.fails("cp", f, "c1:/etc/.wh.passwd", code=125)
    assert "stands for a deletion" in r.stderr
    assert cat(engine, "c1", "/etc/passwd") == oci_images.PASSWD


def test_cp_directories_and_contents(engine, tmp_path):
    start(engine, "c1", "mkdir /into; echo old > /file")
    src = host_tree(tmp_path)
    engine.ok("cp", src, "c1:/tmp")            # an existing dir: put inside
    engine.ok("cp", src, "c1:/new")            # missing: made with src's contents
    engine.ok("cp", str(src) + "/.", "c1:/into")   # "/.": the contents only
    for p in ("/tmp/src", "/new", "/into"):
        assert cat(engine, "c1", p + "/a") == "file a\n"
        assert cat(engine, "c1", p + "/sub/b") == "file b\n"
        assert engine.ok("exec", "c1", "readlink", p + "/link").stdout == "a\n"
    assert engine.run("exec", "c1", "test", "-e", "/into/src").returncode != 0
    # a directory onto a file, a file onto a directory: errors (podman's)
    r = engine.fails("cp", src, "c1:/file", code=125)
    assert "cannot copy a directory onto a file" in r.stderr
    assert cat(engine, "c1", "/file") == "old\n"
    engine.ok("exec", "c1", "mkdir", "/tmp/a")
    r = engine.fails("cp", src / "a", "c1:/tmp", code=125)
    assert "cannot overwrite directory \"a\" with a non-directory" in r.stderr
    engine.ok("cp", "--overwrite", src / "a", "c1:/tmp")
    assert cat(engine, "c1", "/tmp/a") == "file a\n"
    # and back out
    engine.ok("cp", "c1:/tmp/src", tmp_path / "back")
    dest = tmp_path / "dest"
    dest.mkdir()
    engine.ok("cp", "c1:/tmp/src", dest)
    engine.ok("cp", "c1:/into/.", tmp_path / "contents")
    for d in (tmp_path / "back", dest / "src", tmp_path / "contents"):
        assert (d / "a").read_text() == "file a\n"
        assert (d / "sub" / "b").read_text() == "file b\n"
        assert os.readlink(d / "link") == "a"


def test_cp_tar_streams(engine, tmp_path):
    start(engine, "c1", "mkdir -p /d/sub; echo one > /d/one; echo two > /d/sub/two")
    r = raw(engine, "cp", "c1:/d", "-")
    assert r.returncode == 0, r.stderr
    assert names_of(r.stdout) == {"d", "d/one", "d/sub", "d/sub/two"}
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
        assert t.extractfile("d/sub/two").read() == b"two\n"
    r = raw(engine, "cp", "c1:/d/.", "-")
    assert names_of(r.stdout) == {"one", "sub", "sub/two"}
    r = raw(engine, "cp", "c1:/d/one", "-")
    assert names_of(r.stdout) == {"one"}
    # a tar on stdin, into a directory; owned by root unless --archive=false
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in (("x/hello", b"hello\n"), ("top", b"top\n")):
            ti = tarfile.TarInfo(name)
            ti.size, ti.uid, ti.gid = len(data), 1000, 1000
            t.addfile(ti, io.BytesIO(data))
    assert raw(engine, "cp", "-", "c1:/tmp", input=buf.getvalue()).returncode == 0
    assert cat(engine, "c1", "/tmp/x/hello") == "hello\n"
    assert owner(engine, "c1", "/tmp/top") == "0:0"
    assert raw(engine, "cp", "-a=false", "-", "c1:/d", input=buf.getvalue()).returncode == 0
    assert owner(engine, "c1", "/d/top") == "1000:1000"
    r = raw(engine, "cp", "-", "c1:/d/one", input=buf.getvalue())
    assert r.returncode == 125 and b"must be a directory" in r.stderr
    r = raw(engine, "cp", "-", "c1:/tmp", input=b"this is not a tar archive" * 40)
    assert r.returncode == 125


def test_cp_stopped_and_created_containers_leave_no_mount(engine, tmp_path):
    engine.ok("run", "--name", "done", "busybox", "sh", "-c", "echo was here > /mark")
    f = tmp_path / "f"
    f.write_text("in a stopped one\n")
    engine.ok("cp", f, "done:/f")
    engine.ok("cp", "done:/mark", tmp_path / "mark")
    assert (tmp_path / "mark").read_text() == "was here\n"
    assert engine.leftovers() == []    # mounted for the copy, unmounted after
    engine.ok("commit", "done", "done-img")
    assert engine.ok("run", "--rm", "done-img", "cat", "/f").stdout == "in a stopped one\n"
    engine.ok("create", "--name", "fresh", "busybox", "cat", "/f")
    engine.ok("cp", f, "fresh:/f")
    assert engine.ok("start", "-a", "fresh").stdout == "in a stopped one\n"


SYMLINKS = ("echo CONTAINER-SHADOW > /etc/shadow; ln -s /etc/shadow /leak; "
            "ln -s ../../../../../ /up; ln -s ../../../../../../../../etc /etcup; "
            "mkdir /links; ln -s /etc/shadow /links/abs; ln -s ../../../../../etc/passwd "
            "/links/rel")


def ancestors(path):
    """The directories above path (the container's root), up to "/"."""
    path = os.path.dirname(os.path.abspath(path))
    out = []
    while True:
        out.append(path)
        if path == "/":
            return out
        path = os.path.dirname(path)


def check_symlinks_stay_inside(engine, name, cid, tmp_path):
    rootfs = os.path.join(engine.runroot, "containers", cid, "rootfs")
    out = tmp_path / ("out-" + name)
    out.mkdir()
    # reads: the container's own files, never the host's
    engine.ok("cp", name + ":/leak", out / "leak")
    assert not os.path.islink(out / "leak")
    assert (out / "leak").read_text() == "CONTAINER-SHADOW\n"
    engine.ok("cp", name + ":/up/etc/shadow", out / "up-shadow")
    assert (out / "up-shadow").read_text() == "CONTAINER-SHADOW\n"
    engine.ok("cp", name + ":/etcup/passwd", out / "passwd")
    assert (out / "passwd").read_text() == oci_images.PASSWD
    assert (out / "passwd").read_bytes() != open("/etc/passwd", "rb").read()
    # a directory of symlinks: copied as symlinks, not followed
    engine.ok("cp", name + ":/links", out / "links")
    assert os.readlink(out / "links" / "abs") == "/etc/shadow"
    assert os.readlink(out / "links" / "rel") == "../../../../../etc/passwd"
    # writes: inside the container, never on the host
    marker = "capsa-cp-escape-" + uuid.uuid4().hex
    (tmp_path / "srcs").mkdir(exist_ok=True)   # not above the container's root
    src = tmp_path / "srcs" / marker
    src.write_text("must stay inside\n")
    engine.ok("cp", src, name + ":/up/")
    engine.ok("cp", src, name + ":/etcup/")
    engine.ok("cp", src, "%s:/up/%s-b" % (name, marker))
    for d in ancestors(rootfs) + ["/etc"]:
        for n in (marker, marker + "-b"):
            assert not os.path.exists(os.path.join(d, n)), os.path.join(d, n)
    return marker


def test_symlinks_resolve_inside_the_container(engine, tmp_path):
    cid = start(engine, "live", SYMLINKS)
    marker = check_symlinks_stay_inside(engine, "live", cid, tmp_path)
    assert cat(engine, "live", "/" + marker) == "must stay inside\n"
    assert cat(engine, "live", "/etc/" + marker) == "must stay inside\n"
    assert cat(engine, "live", "/%s-b" % marker) == "must stay inside\n"
    # the same from a stopped container (its root mounted by cp itself)
    engine.ok("run", "--name", "dead", "busybox", "sh", "-c", SYMLINKS)
    cid = engine.inspect("dead")["Id"]
    check_symlinks_stay_inside(engine, "dead", cid, tmp_path)
    rootfs = os.path.join(engine.runroot, "containers", cid, "rootfs")
    assert procs.mounts_under(os.path.dirname(rootfs)) == []


# /w/d flips between a directory (with a decoy passwd) and symlinks that
# would reach the host's /etc if followed there (CVE-2018-15664)
FLIPPER = ("mkdir -p /w/d; echo DECOY > /w/d/passwd; touch /ready; "
           "while :; do mv /w/d /w/real; ln -s /etc /w/d; rm /w/d; "
           "ln -s ../../../../../../../../../etc /w/d; rm /w/d; mv /w/real /w/d; done")


def test_symlink_swap_race_never_reaches_the_host(engine, tmp_path):
    cid = engine.ok("run", "-d", "--name", "flip", "busybox", "sh", "-c",
                    FLIPPER).stdout.strip()
    procs.wait_for(lambda: engine.run("exec", "flip", "test", "-e", "/ready").returncode == 0,
                   timeout=20, what="flipper ready")
    host_passwd = open("/etc/passwd", "rb").read()
    ctr_passwd = cat(engine, "flip", "/etc/passwd").encode()
    marker = "capsa-cp-race-" + uuid.uuid4().hex
    (tmp_path / "srcs").mkdir()                # not above the container's root
    src = tmp_path / "srcs" / marker
    src.write_text("race\n")
    reads = writes = 0
    for i in range(40):
        out = tmp_path / ("r%d" % i)
        if engine.run("cp", "flip:/w/d/passwd", out).returncode == 0:
            reads += 1
            assert out.read_bytes() in (b"DECOY\n", ctr_passwd)
        tree = tmp_path / ("t%d" % i)
        if engine.run("cp", "flip:/w", tree).returncode == 0:
            for dirpath, _, files in os.walk(tree):
                for f in files:
                    p = os.path.join(dirpath, f)
                    if not os.path.islink(p):
                        assert open(p, "rb").read() != host_passwd, p
        if engine.run("cp", src, "flip:/w/d/").returncode == 0:
            writes += 1
        assert not os.path.exists("/etc/" + marker)
    assert reads > 0 and writes > 0, (reads, writes)
    rootfs = os.path.join(engine.runroot, "containers", cid, "rootfs")
    for d in ancestors(rootfs) + ["/etc"]:
        assert not os.path.exists(os.path.join(d, marker)), d
    # what was written is in the container
    # (the flipper still swaps /w/d while find walks: a vanished entry is
    # find's complaint, not a failure; what it prints is checked)
    found = engine.ok("exec", "flip", "sh", "-c", "find / -xdev -name %s 2>/dev/null; true"
                      % marker).stdout.split()
    assert found and all(p in ("/etc/" + marker, "/w/d/" + marker, "/w/real/" + marker)
                         for p in found), found


def image_files(engine):
    path = engine.ok("image", "mount", "busybox").stdout.strip()
    try:
        names = set()
        for dirpath, dirs, files in os.walk(path):
            for n in dirs + files:
                names.add(os.path.relpath(os.path.join(dirpath, n), path))
        return names
    finally:
        engine.ok("image", "unmount", "busybox")


def test_export_is_the_image_plus_changes(engine, tmp_path):
    engine.ok("run", "--name", "ex", "busybox", "sh", "-c",
              "echo written > /newfile; rm /bin/wc; mkdir /newdir")
    out = tmp_path / "ex.tar"
    engine.ok("export", "-o", out, "ex")
    data = out.read_bytes()
    r = raw(engine, "export", "ex")
    assert r.returncode == 0 and names_of(r.stdout) == names_of(data)
    got, want = names_of(data), image_files(engine)
    # etc/hosts and etc/resolv.conf: the mount points of the engine's files
    assert got - want == {"newfile", "newdir", "etc/hosts", "etc/resolv.conf"}
    assert want - got == {"bin/wc"}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert t.extractfile("newfile").read() == b"written\n"
        sh = t.getmember("bin/sh")
        assert sh.issym() and sh.linkname == "busybox"
        assert t.getmember("home/user").uid == 1000
    engine.fails("export", "-o", tmp_path / "x.tar", "nosuch", code=125)
    assert not (tmp_path / "x.tar").exists()
    assert engine.leftovers() == []
    # a reader that goes away: an error, and the root mounted for it undone
    for cmd in (("export", "ex"), ("cp", "ex:/", "-")):
        p = subprocess.Popen(engine.cmd(*cmd), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=engine.env)
        assert len(p.stdout.read(1000)) == 1000
        p.stdout.close()
        assert p.wait(timeout=60) == 125
        assert b"Broken pipe" in p.stderr.read()
        p.stderr.close()
        assert engine.leftovers() == []


def image_names(engine):
    r = engine.ok("images", "--format", "json")
    return {n for img in json.loads(r.stdout) for n in img.get("Names") or []}


def test_commit_changes_and_deletions(engine):
    engine.ok("run", "--name", "base", "-e", "FOO=bar", "-w", "/tmp", "busybox", "sh", "-c",
              "echo committed > /data.txt; rm /bin/wc; rm -rf /home; mkdir -p /home/new; "
              "echo x > /home/new/f")
    out = engine.ok("commit", "-a", "Some One", "-m", "a message", "base", "myimg")
    iid = out.stdout.strip()
    assert len(iid) == 64 and out.stdout == iid + "\n"
    assert "localhost/myimg:latest" in image_names(engine)
    r = engine.ok("run", "--rm", "myimg", "sh", "-c",
                  "cat /data.txt; ls /home; test -e /bin/wc && echo wc || echo no-wc; "
                  "echo $FOO; pwd; cat /etc/passwd | head -1")
    assert r.stdout == "committed\nnew\nno-wc\nbar\n/tmp\nroot:x:0:0:root:/root:/bin/sh\n"
    img = json.loads(engine.ok("image", "inspect", "myimg").stdout)[0]
    assert img["Id"] == iid
    assert img["Author"] == "Some One"
    assert img["History"][-1]["comment"] == "a message"
    assert img["Config"]["Cmd"][0:2] == ["sh", "-c"]
    assert "HOSTNAME" not in " ".join(img["Config"]["Env"])
    assert len(img["RootFS"]["Layers"]) == 2
    # no IMAGE: a dangling image, printed by ID
    iid2 = engine.ok("commit", "base").stdout.strip()
    assert len(iid2) == 64


def test_commit_running_container_and_docker_format(engine):
    start(engine, "live", "echo alive > /live.txt")
    iid = engine.ok("commit", "live", "live-img:v1").stdout.strip()
    iid2 = engine.ok("commit", "--pause", "-f", "docker", "live", "live-img:v2").stdout.strip()
    assert iid != iid2
    assert engine.inspect("live")["State"]["Status"] == "running"
    names = image_names(engine)
    assert {"localhost/live-img:v1", "localhost/live-img:v2"} <= names
    for tag in ("v1", "v2"):
        r = engine.ok("run", "--rm", "live-img:" + tag, "cat", "/live.txt")
        assert r.stdout == "alive\n"
    engine.fails("commit", "live", "Bad Name!", code=125)
    engine.fails("commit", "nosuch", "x", code=125)


def test_commit_change_instructions(engine):
    engine.ok("run", "--name", "chg", "busybox", "sh", "-c", "echo made > /made")
    engine.ok("commit", "-c", 'CMD ["cat", "/made"]', "--change", "ENV=GREETING=hi",
              "-c", "LABEL stage=two", "-c", "WORKDIR /etc", "-c", "EXPOSE 8080",
              "-c", "STOPSIGNAL SIGINT", "chg", "changed")
    cfg = json.loads(engine.ok("image", "inspect", "changed").stdout)[0]["Config"]
    assert cfg["Cmd"] == ["cat", "/made"] and "GREETING=hi" in cfg["Env"]
    assert cfg["Labels"]["stage"] == "two" and cfg["WorkingDir"] == "/etc"
    assert "8080/tcp" in cfg["ExposedPorts"] and cfg["StopSignal"] == "SIGINT"
    assert engine.ok("run", "--rm", "changed").stdout == "made\n"
    r = engine.ok("run", "--rm", "changed", "sh", "-c", "echo $GREETING; pwd")
    assert r.stdout == "hi\n/etc\n"
    # a shell-form CMD runs through /bin/sh -c
    engine.ok("commit", "-c", "CMD echo shell form", "chg", "shellform")
    assert engine.ok("run", "--rm", "shellform").stdout == "shell form\n"
    # a bad instruction: an error, and no image made
    before = image_names(engine)
    r = engine.fails("commit", "-c", "RUN rm -rf /", "chg", "refused", code=125)
    assert "RUN" in r.stderr and image_names(engine) == before
