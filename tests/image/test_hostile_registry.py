"""capsactl pull against a registry that misbehaves on purpose
(tests/fixtures/hostile_registry.py): every fault is either refused with
a one-line error that names it, leaving the store as it was (no image, no
layer, no layer blob, `system check` clean), or survived (retries, Range
resume, redirects) without leaking credentials.

Time: the registry client's retry waits (0.5 + 1 + 2 s) stay as they are;
the slow-loris test lowers the 30 s stall time-out to 2 s through
CAPSACTL_STALL_TIMEOUT (docs/IMAGES.md)."""
import json
import os
import time

import pytest

USER, PASSWORD = "hostile", "pa55-w0rd"


def _ref(reg, tag="latest", repo="any/name"):
    return "%s/%s:%s" % (reg.url, repo, tag)


def _pull(store, ref, *flags, timeout=120):
    t0 = time.monotonic()
    r = store.run("pull", "-q", "--tls-verify=false", *flags, ref, timeout=timeout)
    r.elapsed = time.monotonic() - t0
    return r


def _layer_digests(layout):
    man = json.loads(layout.read_blob(layout.resolve("latest")["digest"]))
    return [lay["digest"] for lay in man["layers"]]


def _one_line_error(r, *fragments):
    assert r.returncode == 125, "expected exit 125, got %d: %s" % (r.returncode, r.stderr)
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, "not one line: %r" % err
    assert err.startswith("capsactl: "), err
    for f in fragments:
        assert f in err, "%r not in %r" % (f, err)
    return err


def _store_clean(store, layout):
    """Nothing of a failed pull is visible: no image, no layer, no layer
    blob, and the store checks clean."""
    assert store.ok("images", "-q").stdout.split() == []
    assert json.loads(store.ok("images", "--format", "json").stdout or "[]") == []
    layers = os.path.join(store.root, "layers")
    assert not os.path.isdir(layers) or os.listdir(layers) == []
    blobs = os.path.join(store.root, "blobs", "sha256")
    for d in _layer_digests(layout):
        assert not os.path.exists(os.path.join(blobs, d.split(":")[1])), \
            "the layer blob %s was kept" % d
    r = store.ok("system", "check")
    assert "no problems found" in r.stdout + r.stderr, r.stdout + r.stderr


def _pulled(store, r):
    assert r.returncode == 0, r.stderr
    image_id = r.stdout.strip().splitlines()[-1]
    (img,) = json.loads(store.ok("images", "--format", "json").stdout)
    assert img["Id"] == image_id
    r = store.ok("system", "check")
    assert "no problems found" in r.stdout + r.stderr
    return image_id


def test_clean_pull_works(store, hostile_registry, busybox_layout):
    """The baseline: with no fault the hostile registry serves busybox."""
    _pulled(store, _pull(store, _ref(hostile_registry)))
    assert hostile_registry.count("blob", 200) == 2     # config + layer


def test_wrong_blob_digest(store, hostile_registry, busybox_layout):
    hostile_registry.faults.bad_blob_digest = True
    layer = _layer_digests(busybox_layout)[0]
    r = _pull(store, _ref(hostile_registry))
    err = _one_line_error(r, layer)
    assert "digest" in err and ("mismatch" in err or "does not match" in err), err
    _store_clean(store, busybox_layout)


def test_layer_error_names_the_source_once(store, hostile_registry):
    hostile_registry.faults.bad_blob_digest = True
    r = _pull(store, _ref(hostile_registry))
    assert r.returncode == 125
    assert r.stderr.count(hostile_registry.url + "/any/name: ") <= 1, r.stderr


def test_lying_docker_content_digest(store, hostile_registry, busybox_layout):
    hostile_registry.faults.lying_digest_header = True
    _one_line_error(_pull(store, _ref(hostile_registry)),
                    "does not match its Docker-Content-Digest")
    _store_clean(store, busybox_layout)


def test_by_digest_returns_other_content(store, hostile_registry, busybox_layout):
    hostile_registry.faults.by_digest_other_content = True
    digest = busybox_layout.resolve("latest")["digest"]
    ref = "%s/any/name@%s" % (hostile_registry.url, digest)
    _one_line_error(_pull(store, ref), "the registry sent a manifest of digest")
    _store_clean(store, busybox_layout)


def test_huge_manifest_refused(store, hostile_registry, busybox_layout):
    hostile_registry.faults.huge_manifest = True
    r = _pull(store, _ref(hostile_registry))
    _one_line_error(r, "%s/any/name:latest: manifest larger than 4194304 bytes, refused"
                    % hostile_registry.url)
    assert r.elapsed < 10
    _store_clean(store, busybox_layout)


@pytest.mark.parametrize("how", ["no_length", "long_length"])
def test_endless_blob_refused(store, hostile_registry, busybox_layout, how):
    hostile_registry.faults.endless_blob = how
    man = json.loads(busybox_layout.read_blob(busybox_layout.resolve("latest")["digest"]))
    size = man["layers"][0]["size"]
    r = _pull(store, _ref(hostile_registry), timeout=60)
    _one_line_error(r, "larger than the limit of %d bytes" % size)
    assert r.elapsed < 10, "refused only after %.1fs" % r.elapsed
    _store_clean(store, busybox_layout)


def test_transient_500s_are_retried(store, hostile_registry):
    reg = hostile_registry
    reg.faults.fail_first = 2
    _pulled(store, _pull(store, _ref(reg)))
    # each path (manifest, config, layer) failed twice, then answered
    assert reg.count("manifest", 500) == 2
    assert reg.count("blob", 500) == 4
    assert reg.count("manifest", 200) == 1
    assert reg.count("blob", 200) == 2


def test_more_500s_than_tries_fail(store, hostile_registry, busybox_layout):
    reg = hostile_registry
    reg.faults.fail_first = 10
    r = _pull(store, _ref(reg))
    _one_line_error(r, "%s/any/name:latest: unknown (UNKNOWN)" % reg.url, "(HTTP 500)")
    assert reg.count("manifest", 500) == 4          # CX_REGISTRY_TRIES
    assert reg.count("blob") == 0
    assert r.elapsed < 3.5 + 5, r.elapsed           # 0.5 + 1 + 2 s of waits
    _store_clean(store, busybox_layout)


def test_blob_500s_beyond_the_tries_fail(store, hostile_registry, busybox_layout):
    reg = hostile_registry
    reg.faults.fail_first = 10
    reg.faults.fail_kinds = {"blob"}
    r = _pull(store, _ref(reg))
    _one_line_error(r, "unknown (UNKNOWN)", "(HTTP 500)")
    assert reg.count("blob", 500) >= 4
    _store_clean(store, busybox_layout)


def test_redirect_does_not_leak_credentials(store, hostile_registry):
    reg = hostile_registry
    reg.faults.require_basic = (USER, PASSWORD)
    reg.faults.redirect_blobs = True
    _pulled(store, _pull(store, _ref(reg), "--creds", "%s:%s" % (USER, PASSWORD)))
    assert reg.count("blob", 307) >= 1
    assert len(reg.redirect_auth) >= 1, "the redirect target was never asked"
    assert reg.redirect_auth == [None] * len(reg.redirect_auth), reg.redirect_auth
    # ... while the registry itself did get them
    assert any(r["authorization"] and r["authorization"].startswith("Basic ")
               for r in reg.requests if r["kind"] == "manifest")


def test_basic_auth_required(store, hostile_registry, busybox_layout):
    hostile_registry.faults.require_basic = (USER, PASSWORD)
    _one_line_error(_pull(store, _ref(hostile_registry)), "401", "(check capsactl login)")
    _store_clean(store, busybox_layout)


def test_cut_mid_blob_resumes_with_range(store, hostile_registry):
    reg = hostile_registry
    reg.faults.cut_after = 100000
    _pulled(store, _pull(store, _ref(reg)))
    assert "bytes=100000-" in reg.ranges, reg.ranges
    assert reg.count("blob", 206) == 1


def test_cut_every_time_fails(store, hostile_registry, busybox_layout):
    """A blob cut on every try: the tries end, with a one-line error."""
    reg = hostile_registry
    reg.faults.cut_after = 1000
    reg.faults.cut_times = 100
    r = _pull(store, _ref(reg))
    _one_line_error(r, _layer_digests(busybox_layout)[0])
    assert r.elapsed < 15
    _store_clean(store, busybox_layout)


def test_slowloris_fails_within_the_stall_bound(store, hostile_registry, busybox_layout):
    """One byte, then silence: each try is cut after the stall time-out
    (30 s by default; 2 s here through CAPSACTL_STALL_TIMEOUT), 4 tries,
    never forever."""
    reg = hostile_registry
    reg.faults.slowloris = True
    store.env.update(CAPSACTL_STALL_TIMEOUT="2", CAPSACTL_RETRY_DELAY_MS="100")
    r = _pull(store, _ref(reg), timeout=120)
    err = _one_line_error(r, "timed out")
    assert r.elapsed < 4 * 2 + 0.7 + 10, r.elapsed
    assert reg.count("blob") >= 2
    assert err
    _store_clean(store, busybox_layout)
