"""Crash safety and concurrency of the store.

A pull is SIGKILLed at every checkpoint (CX_FAULT in blobs.c, layers.c,
pull.c; the fault-injection build $CAPSACTL_FI, default build-fi/capsactl,
made by `make check`): the killed store never lists a half-written image,
the next pull completes it, and `system check` finds nothing wrong.  Two
pulls of one image at once download each blob once; a pull while `rmi`
removes an image sharing its layers leaves both consistent."""
import json
import os
import re
import subprocess
import threading

import pytest

import oci_images
import procs
import treecmp
from conftest import REPO, Store

CAPSACTL_FI = os.environ.get("CAPSACTL_FI", os.path.join(REPO, "build-fi", "capsactl"))


@pytest.fixture
def fi_store(tmp_path):
    if not os.access(CAPSACTL_FI, os.X_OK):
        pytest.fail("the fault-injection build %s is missing (make check builds it; "
                    "or set CAPSACTL_FI)" % CAPSACTL_FI, pytrace=False)
    yield lambda name: Store(CAPSACTL_FI, str(tmp_path / name))
    # what a failed assertion left mounted
    procs.umount_under(str(tmp_path))


def steps(store, src):
    trace = os.path.join(store.base, "trace")
    store.env["CAPSA_FAULT_TRACE"] = trace
    store.ok("pull", "-q", src)
    del store.env["CAPSA_FAULT_TRACE"]
    return [ln.split(" ", 1)[1] for ln in open(trace).read().splitlines()]


def listed(store):
    return [i["Id"] for i in json.loads(store.ok("images", "--format", "json").stdout)]


def test_pull_killed_at_every_step(fi_store, rich_layout):
    src = "oci:%s:latest" % rich_layout.path
    clean = fi_store("clean")
    names = steps(clean, src)
    assert "image recorded incomplete" in names and "layer extracted" in names
    assert names.count("blob linked") == 6  # 4 layers, manifest, config
    want_id = listed(clean)[0]
    want_tree = clean.ok("image", "mount", want_id).stdout.strip()
    for n, name in enumerate(names, 1):
        st = fi_store("kill%d" % n)
        st.env["CAPSA_FAULT_STEP"] = str(n)
        r = st.run("pull", "-q", src)
        del st.env["CAPSA_FAULT_STEP"]
        assert r.returncode == -9, "step %d (%s): %r" % (n, name, r)
        # never a half image; complete only after the last step
        got = listed(st)
        assert got == ([want_id] if name == "image complete" else []), (n, name)
        r = st.ok("system", "check")
        assert "no problems found" in r.stdout, (n, name, r.stdout)
        # the next pull completes it, exactly
        st.ok("pull", "-q", src)
        assert listed(st) == [want_id]
        assert "no problems found" in st.ok("system", "check").stdout
        assert len(os.listdir(os.path.join(st.root, "layers"))) == 4, (n, name)
        assert len(os.listdir(os.path.join(st.root, "blobs", "sha256"))) == 6, (n, name)
        mnt = st.ok("image", "mount", want_id).stdout.strip()
        assert treecmp.compare(want_tree, mnt) == [], (n, name)
        st.ok("image", "unmount", want_id)
    clean.ok("image", "unmount", want_id)


def blob_gets(registry):
    log = open(registry.log_path, errors="replace").read()
    return len(re.findall(r'"GET /v2/[^"]*/blobs/sha256:[0-9a-f]+ HTTP', log))


def test_two_pulls_of_one_image_fetch_each_blob_once(store, registry, rich_layout):
    ref = oci_images.load_into_registry(rich_layout.path, "latest", registry.url,
                                        repo="crash/twice")
    before = blob_gets(registry)
    out = [None, None]

    def pull(i):
        out[i] = store.run("pull", "-q", "--tls-verify=false", ref)

    threads = [threading.Thread(target=pull, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.returncode == 0 for r in out), out
    assert out[0].stdout == out[1].stdout
    # 4 layers + the config: each fetched by one of the two
    assert blob_gets(registry) - before == 5
    assert "no problems found" in store.ok("system", "check").stdout


def test_pull_while_rmi_of_an_image_sharing_layers(store, tmp_path):
    base = oci_images.busybox_layer()
    mk = lambda name, n: oci_images.write_image(  # noqa: E731
        str(tmp_path / name), oci_images.Image(
            [base, oci_images.Layer().file("etc/%s" % name, b"%d\n" % n)]), "latest")
    a, b = mk("a", 1), mk("b", 2)
    for _ in range(5):
        store.ok("pull", "-q", "oci:%s:latest" % a.path)
        p = subprocess.Popen([store.binary, "--root", store.root, "--runroot", store.runroot,
                              "pull", "-q", "oci:%s:latest" % b.path],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=store.env)
        store.ok("rmi", "localhost/a:latest")
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        mnt = store.ok("image", "mount", out.decode().strip()).stdout.strip()
        assert os.path.isfile(os.path.join(mnt, "bin", "busybox"))
        assert open(os.path.join(mnt, "etc", "b")).read() == "2\n"
        store.ok("image", "unmount", "localhost/b:latest")
        assert "no problems found" in store.ok("system", "check").stdout
        store.ok("rmi", "localhost/b:latest")
        assert os.listdir(os.path.join(store.root, "layers")) == []


def test_many_first_opens_of_a_fresh_store(tmp_path):
    """Sixteen processes opening a store that does not exist yet: one of them
    creates the database and switches it to WAL, none sees "database is
    locked" (SQLite answers that at once, without waiting, to a second
    connection switching the journal mode)."""
    binary = os.environ.get("CAPSACTL", os.path.join(REPO, "build", "capsactl"))
    for round_ in range(4):
        st = Store(binary, str(tmp_path / ("r%d" % round_)))
        cmd = [binary, "--root", st.root, "--runroot", st.runroot, "images", "-q"]
        procs_ = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=st.env, text=True) for _ in range(16)]
        for p in procs_:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0 and out == "", (round_, err)
