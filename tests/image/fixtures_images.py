"""Hostile layer blobs for the unpacker's tests (tests/image), built with
the Layer of tests/fixtures/oci_images.py:

    layers = hostile_layers(outside=tmp_path / "outside")
    layout = write_hostile_image(tmp_path / "img", layers["dotdot"])

"""
import gzip
import hashlib
import json
import os
import struct
import tarfile
import zlib

from oci_images import (CREATED, MT_OCI_CONFIG, MT_OCI_LAYER, MT_OCI_MANIFEST, MTIME,
                        Image, Layer, Layout, _desc, gzip_bytes, sha256_bytes,
                        zstd_bytes)

# --- hostile layers ------------------------------------------------------------
#
# Every escape attempt aims at `outside` (a directory the test owns, beside
# the unpack destination) and names what it writes "capsa-escape-<attack>";
# hardlink attacks aim at outside/victim, which the test creates and checks
# unchanged.  A correct unpacker refuses the layer or keeps everything
# inside its destination.

ESCAPE = "capsa-escape-"
GZIP_MAGIC, ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"


def media_type_of(data):
    """The OCI layer media type matching data's magic number."""
    if data[:2] == GZIP_MAGIC:
        return MT_OCI_LAYER["gzip"]
    if data[:4] == ZSTD_MAGIC:
        return MT_OCI_LAYER["zstd"]
    return MT_OCI_LAYER["none"]


def _raw(name, type_=tarfile.REGTYPE, data=b"", linkname="", mode=0o644, size=None):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime, ti.linkname = type_, mode, MTIME, linkname
    ti.size = len(data) if size is None else size
    return ti, data


def _tar(*entries):
    lay = Layer("none")
    for ti, data in entries:
        lay.add(ti, data if ti.type == tarfile.REGTYPE and data else None)
    return lay.tar_bytes()


def _up(n=24):
    return "/".join([".."] * n)


def _escapes(outside, victim):
    o = outside.rstrip("/")
    rel_o = _up() + o                               # ../../..(24)/outside
    sym, hard, dirt, reg = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE, tarfile.REGTYPE
    return {
        "abs_path": _tar(_raw(o + "/" + ESCAPE + "abs", data=b"x")),
        "dotdot": _tar(_raw(_up() + o + "/" + ESCAPE + "dotdot", data=b"x"),
                       _raw("a/../../" + ESCAPE + "dotdot2", data=b"x")),
        "symlink_abs_write": _tar(_raw("esc", sym, linkname=o),
                                  _raw("esc/" + ESCAPE + "symlink-abs", data=b"x")),
        "symlink_rel_write": _tar(_raw("esc", sym, linkname=rel_o),
                                  _raw("esc/" + ESCAPE + "symlink-rel", data=b"x")),
        "symlink_chain_write": _tar(_raw("a", sym, linkname="b"),
                                    _raw("b", sym, linkname=o),
                                    _raw("a/" + ESCAPE + "symlink-chain", data=b"x")),
        "symlink_dir_then_dir": _tar(_raw("esc", sym, linkname=o),
                                     _raw("esc/" + ESCAPE + "dir", dirt, mode=0o755)),
        "symlink_then_overwrite": _tar(_raw("v", sym, linkname=victim),
                                       _raw("v", reg, data=b"overwritten")),
        "hardlink_abs": _tar(_raw("hl", hard, linkname=victim)),
        "hardlink_dotdot": _tar(_raw("hl", hard, linkname=_up() + victim)),
        "hardlink_via_symlink": _tar(_raw("s", sym, linkname=os.path.dirname(victim)),
                                     _raw("hl", hard,
                                          linkname="s/" + os.path.basename(victim))),
        "hardlink_then_write": _tar(_raw("hl", hard, linkname=victim),
                                    _raw("hl", reg, data=b"overwritten")),
        "hardlink_to_symlink_escape": _tar(_raw("s", sym, linkname=victim),
                                           _raw("hl", hard, linkname="s"),
                                           _raw("hl", reg, data=b"overwritten")),
        "whiteout_dotdot": _tar(_raw("sub", dirt, mode=0o755), _raw("sub/.wh.."),
                                _raw("sub/.wh..."), _raw(".wh..."), _raw(".wh..")),
        "whiteout_escape": _tar(_raw(_up() + o + "/.wh." + os.path.basename(victim)),
                                _raw("s", sym, linkname=o),
                                _raw("s/.wh." + os.path.basename(victim)),
                                _raw("s/.wh..wh..opq")),
    }


def _oddities():
    long_dir = "/".join(["d" * 200] * 25)           # 5024 bytes > PATH_MAX
    ti_big, _ = _raw("huge", size=1 << 62)
    bad = bytearray(_tar(_raw("f", data=b"hello")))
    bad[148:156] = b"0000000\0"                     # header checksum wrong
    return {
        "duplicates": _tar(_raw("dup", data=b"first"), _raw("dup", data=b"second"),
                           _raw("d", tarfile.DIRTYPE, mode=0o755), _raw("d", data=b"file"),
                           _raw("f", data=b"file"), _raw("f", tarfile.DIRTYPE, mode=0o755),
                           _raw("f/child", data=b"c"),
                           _raw("s", tarfile.SYMTYPE, linkname="/"),
                           _raw("s", tarfile.DIRTYPE, mode=0o755), _raw("s/x", data=b"x")),
        "long_name": _tar(_raw(long_dir + "/f", data=b"x")),
        "long_component": _tar(_raw("n" * 300, data=b"x")),
        "long_symlink_target": _tar(_raw("s", tarfile.SYMTYPE, linkname="t" * 5000)),
        "huge_size": Layer("none").add(ti_big).tar_bytes()[:4096],
        "bad_checksum": bytes(bad),
        "not_a_tar": bytes(range(256)) * 64,
    }


def _broken_streams():
    lay = Layer("none").dir("data")
    for i in range(64):
        lay.file("data/%02d" % i, hashlib.sha256(b"%d" % i).digest() * 512)
    tar = lay.tar_bytes()
    gz = gzip_bytes(tar)
    mid = len(gz) // 2
    corrupt = bytearray(gz)
    for i in range(mid, mid + 64):
        corrupt[i] ^= 0x5a
    bad_crc = bytearray(gz)
    bad_crc[-8] ^= 0xff
    zs = zstd_bytes(tar)
    return {
        "truncated_gzip": gz[:mid],
        "corrupt_gzip": bytes(corrupt),
        "gzip_bad_crc": bytes(bad_crc),
        "gzip_trailing_garbage": gz + b"garbage after the gzip member" * 10,
        "truncated_zstd": zs[:len(zs) // 2],
        "truncated_tar": tar[:len(tar) // 3],
    }


def _crc_zero_map(n):
    """(cols, const): the affine GF(2) map c -> zlib.crc32(bytes(n), c), by
    squaring the one-byte map, so CRCs of huge zero runs cost nothing."""
    def apply(m, c):
        cols, const = m
        v = const
        i = 0
        while c:
            if c & 1:
                v ^= cols[i]
            c >>= 1
            i += 1
        return v

    def compose(g, f):                  # g after f
        gc = apply(g, 0)
        return ([apply(g, col) ^ gc for col in f[0]], apply(g, f[1]))

    k = zlib.crc32(b"\0", 0)
    one = ([zlib.crc32(b"\0", 1 << i) ^ k for i in range(32)], k)
    result, base = None, one
    while n:
        if n & 1:
            result = base if result is None else compose(base, result)
        base = compose(base, base)
        n >>= 1
    return result, apply


def gzip_bomb(uncompressed=16 << 30, chunk=16 << 20):
    """A valid gzip of a tar holding one file of zeros, `uncompressed` bytes
    (rounded to chunk) once inflated, about 1/1000 of that compressed.  The
    deflate data of one chunk is repeated (each chunk ends with a full
    flush), the CRC is computed arithmetically."""
    n = max(1, uncompressed // chunk)
    ti = tarfile.TarInfo("bomb")
    ti.size, ti.mtime, ti.mode = n * chunk, MTIME, 0o644
    head, tail = ti.tobuf(tarfile.PAX_FORMAT), bytes(1024)
    zc = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = zc.compress(head) + zc.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(chunk)
    c1 = zc.compress(zeros) + zc.flush(zlib.Z_FULL_FLUSH)
    c2 = zc.compress(zeros) + zc.flush(zlib.Z_FULL_FLUSH)
    assert c1 == c2, "deflate of a chunk after a full flush is not repeatable"
    last = zc.compress(tail) + zc.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    zmap, apply = _crc_zero_map(n * chunk)
    crc = zlib.crc32(tail, apply(zmap, crc))
    isize = (len(head) + n * chunk + len(tail)) & 0xffffffff
    hdr = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
    return b"".join([hdr, first, c1 * n, last, struct.pack("<II", crc, isize)])


def many_entries_gzip(count=2_000_000):
    """A gzip'ed tar of `count` empty files many/00000000... (512 bytes of
    header each: ~1 GB inflated, a few tens of MB compressed)."""
    ti = tarfile.TarInfo("many/00000000")
    ti.mtime, ti.mode = MTIME, 0o644
    tmpl = bytearray(ti.tobuf(tarfile.USTAR_FORMAT))
    tmpl[148:156] = b" " * 8
    base = sum(tmpl) - 8 * ord("0")
    z = zlib.compressobj(1, zlib.DEFLATED, 31)
    d = tarfile.TarInfo("many")
    d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, MTIME
    out = [z.compress(d.tobuf(tarfile.USTAR_FORMAT))]
    batch = []
    for i in range(count):
        digits = b"%08d" % i
        tmpl[5:13] = digits
        tmpl[148:156] = b"%06o\0 " % (base + sum(digits))
        batch.append(bytes(tmpl))
        if len(batch) == 4096:
            out.append(z.compress(b"".join(batch)))
            batch = []
    out.append(z.compress(b"".join(batch) + bytes(1024)))
    out.append(z.flush())
    return b"".join(out)


class _Lazy(dict):
    """A dict whose callable values are computed on first access."""

    def __getitem__(self, key):
        v = dict.__getitem__(self, key)
        if callable(v):
            v = v()
            dict.__setitem__(self, key, v)
        return v

    def get(self, key, default=None):
        return self[key] if key in self else default

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def values(self):
        return [self[k] for k in self.keys()]


def hostile_layers(outside="/tmp", victim=None, bomb_bytes=16 << 30,
                   many_entries=2_000_000):
    """name -> layer blob bytes (an uncompressed tar unless the name or
    the magic number says otherwise: media_type_of(data)).  The two big
    ones ("many_entries", "gzip_bomb") are generated on first access."""
    victim = victim or os.path.join(outside, "victim")
    out = _Lazy()
    out.update(_escapes(os.fspath(outside), os.fspath(victim)))
    out.update(_oddities())
    out.update(_broken_streams())
    out["many_entries"] = lambda: many_entries_gzip(many_entries)
    out["gzip_bomb"] = lambda: gzip_bomb(bomb_bytes)
    return out


def write_hostile_image(path, data, tag="latest", media_type=None):
    """A layout whose image has the single layer blob `data` (diff_id: the
    real one when the blob is small enough to inflate here, else a stand-in).
    Returns the Layout."""
    lay = Layout(path)
    digest, size = lay.put_blob(data)
    mt = media_type or media_type_of(data)
    try:
        raw = gzip.decompress(data) if mt.endswith("gzip") and len(data) < (1 << 20) \
            else (data if mt.endswith(".tar") else None)
        diff_id = sha256_bytes(raw) if raw is not None else digest
    except Exception:
        diff_id = digest
    img = Image()
    img.history.append({"created": CREATED, "created_by": "hostile"})
    cfg = json.loads(img.config([diff_id]))
    cdigest, csize = lay.put_blob(json.dumps(cfg, sort_keys=True).encode())
    man = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
           "config": _desc(MT_OCI_CONFIG, cdigest, csize),
           "layers": [_desc(mt, digest, size)]}
    mdigest, msize = lay.put_blob(json.dumps(man).encode())
    lay.tag(_desc(MT_OCI_MANIFEST, mdigest, msize), tag)
    return lay
