"""Hostile layer blobs (tests/image/fixtures_images.py) pulled from an OCI
layout: each is either refused with a one-line error (exit 125) or
accepted with its content cleaned into the image (what docker also does,
e.g. absolute names); either way nothing appears outside the store, the
victim file is untouched, `system check` is clean, and a refused layer
leaves no image, no layer directory and no layer blob behind.

EXPECT below is the contract: a change of behaviour fails the test."""
import json
import os
import shutil

import pytest

import fixtures_images as fi

VICTIM_DATA = b"the victim's original content\n"

REFUSED, ACCEPTED = "refused", "accepted"
BOMB_BYTES = 1 << 30

# name -> (outcome, what): for REFUSED, a fragment of the error; for
# ACCEPTED, {path inside the image: expected content (bytes), "dir",
# ("symlink", target) or None for "absent"}.  "{o}" is the outside
# directory without its leading "/", "{victim}" the victim's path.
EXPECT = {
    # --- escapes
    "abs_path": (ACCEPTED, {"{o}/capsa-escape-abs": b"x"}),
    "dotdot": (REFUSED, 'a ".." component'),
    "symlink_abs_write": (REFUSED, 'parent "esc" is a symlink'),
    "symlink_rel_write": (REFUSED, 'parent "esc" is a symlink'),
    "symlink_chain_write": (REFUSED, 'parent "a" is a symlink'),
    "symlink_dir_then_dir": (REFUSED, 'parent "esc" is a symlink'),
    "symlink_then_overwrite": (ACCEPTED, {"v": b"overwritten"}),
    "hardlink_abs": (REFUSED, "is neither in this layer nor below it"),
    "hardlink_dotdot": (REFUSED, 'hardlink target: a ".." component'),
    "hardlink_via_symlink": (REFUSED, "is reached through a symlink"),
    "hardlink_then_write": (REFUSED, "is neither in this layer nor below it"),
    "hardlink_to_symlink_escape": (ACCEPTED, {"hl": b"overwritten",
                                             "s": ("symlink", "{victim}")}),
    "whiteout_dotdot": (REFUSED, 'a whiteout of "."'),
    "whiteout_escape": (REFUSED, 'a ".." component'),
    # --- tar oddities
    "duplicates": (ACCEPTED, {"dup": b"second", "d": b"file", "f": "dir", "f/child": b"c",
                              "s": "dir", "s/x": b"x"}),
    "long_name": (REFUSED, "name longer than 4096 bytes"),
    "long_component": (REFUSED, "a component longer than 255 bytes"),
    "long_symlink_target": (REFUSED, "a symlink target longer than 4096 bytes"),
    "huge_size": (REFUSED, "larger than 68719476736 bytes"),
    "bad_checksum": (REFUSED, "Unrecognized archive format"),
    "not_a_tar": (REFUSED, "Unrecognized archive format"),
    # --- broken compressed streams
    "truncated_gzip": (REFUSED, "truncated gzip stream"),
    "corrupt_gzip": (REFUSED, "gzip checksum mismatch"),
    "gzip_bad_crc": (REFUSED, "gzip checksum mismatch"),
    "gzip_trailing_garbage": (REFUSED, "not a gzip member"),
    "truncated_zstd": (REFUSED, "truncated zstd stream"),
    "truncated_tar": (REFUSED, "Truncated tar archive"),
    # --- bounds (see test_bounds)
    "many_entries": (REFUSED, "more than 20000 entries"),
    "gzip_bomb": (REFUSED, "larger than 268435456 bytes in all; refused"),
}

SMALL = [n for n in EXPECT if n not in ("many_entries", "gzip_bomb")]


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    return tmp_path_factory.mktemp("outside")


@pytest.fixture(scope="module")
def layers(outside):
    return fi.hostile_layers(outside=outside, bomb_bytes=BOMB_BYTES)


def test_table_covers_every_layer(layers):
    assert sorted(layers.keys()) == sorted(EXPECT)


def _prepare_outside(outside):
    for name in os.listdir(outside):
        p = os.path.join(outside, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    victim = os.path.join(outside, "victim")
    with open(victim, "wb") as f:
        f.write(VICTIM_DATA)
    os.chmod(victim, 0o644)
    return victim


def _escapes(top, skip):
    """capsa-escape-* paths under top, not under any of skip."""
    found = []
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if os.path.join(d, x) not in skip]
        found += [os.path.join(d, n) for n in dirs + files if n.startswith(fi.ESCAPE)]
    return found


def _check_nothing_outside(store, outside, victim, base):
    st = os.lstat(victim)
    with open(victim, "rb") as f:
        assert f.read() == VICTIM_DATA, "the victim file was changed"
    assert st.st_nlink == 1, "something hard-linked the victim"
    assert oct(st.st_mode & 0o7777) == oct(0o644)
    assert os.listdir(outside) == ["victim"], os.listdir(outside)
    skip = {os.path.join(store.root, "layers"), os.path.join(store.runroot, "mounts"),
            os.path.join(store.root, "blobs")}
    assert _escapes(base, skip) == []


def _check_store_clean(store):
    r = store.ok("system", "check")
    assert "no problems found" in r.stdout + r.stderr, r.stdout + r.stderr


def _image_path(mnt, rel):
    return os.path.join(mnt, rel)


def _check_content(store, image_id, want, outside):
    mnt = store.ok("image", "mount", image_id).stdout.strip().splitlines()[-1]
    try:
        for rel, exp in want.items():
            rel = rel.format(o=os.fspath(outside).lstrip("/"))
            p = _image_path(mnt, rel)
            if exp is None:
                assert not os.path.lexists(p), "%s should not be in the image" % rel
            elif exp == "dir":
                assert os.path.isdir(p) and not os.path.islink(p), rel
            elif isinstance(exp, tuple) and exp[0] == "symlink":
                assert os.readlink(p) == exp[1].format(victim=os.path.join(outside, "victim")), rel
            elif isinstance(exp, tuple) and exp[0] == "size":
                assert os.path.isfile(p) and os.path.getsize(p) == exp[1], rel
            else:
                assert not os.path.islink(p), "%s is a symlink" % rel
                with open(p, "rb") as f:
                    assert f.read() == exp, rel
    finally:
        store.ok("image", "unmount", image_id)


def _pull_one(store, tmp_path, outside, name, data, timeout=120):
    victim = _prepare_outside(outside)
    layout = fi.write_hostile_image(tmp_path / ("img-" + name), data)
    r = store.run("pull", "-q", "oci:%s" % layout.path, timeout=timeout)
    outcome, what = EXPECT[name]
    err = r.stderr.strip()
    if outcome == REFUSED:
        assert r.returncode == 125, "%s: expected refusal, got %d: %s / %s" % (
            name, r.returncode, r.stdout, r.stderr)
        assert len(err.splitlines()) == 1, "%s: not one line: %r" % (name, err)
        assert err.startswith("capsactl: ") and what in err, "%s: %r lacks %r" % (name, err, what)
        images = store.ok("images", "-q").stdout.split()
        assert images == [], "%s: refused, yet images lists %s" % (name, images)
        layers_dir = os.path.join(store.root, "layers")
        left = os.listdir(layers_dir) if os.path.isdir(layers_dir) else []
        assert left == [], "%s: leftover layer directories %s" % (name, left)
        digest = layout.resolve("latest")
        man = json.loads(layout.read_blob(digest["digest"]))
        blob = os.path.join(store.root, "blobs", "sha256",
                            man["layers"][0]["digest"].split(":")[1])
        assert not os.path.exists(blob), "%s: the refused layer's blob stayed" % name
    else:
        assert r.returncode == 0, "%s: expected acceptance: %s" % (name, err)
        image_id = r.stdout.strip().splitlines()[-1]
        _check_content(store, image_id, what, outside)
    _check_nothing_outside(store, outside, victim, str(tmp_path))
    _check_store_clean(store)
    return r


@pytest.mark.parametrize("name", SMALL)
def test_hostile_layer(store, tmp_path, outside, layers, name):
    _pull_one(store, tmp_path, outside, name, layers[name])


def test_many_entries_refused_by_the_entry_bound(store, tmp_path, outside, layers):
    """The layer holds 2,000,000 entries; the bound (1,000,000 by default)
    is lowered to 20,000 through CAPSACTL_LAYER_MAX_ENTRIES so the refusal
    comes in seconds: what is unpacked before it is removed."""
    store.env["CAPSACTL_LAYER_MAX_ENTRIES"] = "20000"
    r = _pull_one(store, tmp_path, outside, "many_entries", layers["many_entries"],
                  timeout=300)
    assert "more than 20000 entries" in r.stderr


def test_gzip_bomb(store, tmp_path, outside, layers):
    """A 1 GiB bomb at deflate's best ratio (~1028:1) is under the ratio
    bound (1100: honest gzip reaches it), so the size bound refuses it:
    64 GiB by default, 256 MiB here (CAPSACTL_LAYER_MAX_BYTES)."""
    data = layers["gzip_bomb"]
    assert (BOMB_BYTES / len(data)) < 1100
    store.env["CAPSACTL_LAYER_MAX_BYTES"] = str(256 << 20)
    try:
        _pull_one(store, tmp_path, outside, "gzip_bomb", data, timeout=300)
    finally:
        shutil.rmtree(store.root, ignore_errors=True)
