"""Runs last (file order): after the whole suite nothing a test made is
left: no cgroup in any hierarchy, no mount, no network namespace (named
or held by an nsfs mount), no process running capsa or rooted in a test
bundle, and no container in any --root a test used.  Compared with what
existed when the session started (conftest.SNAPSHOT_AT_START).

Cgroups are compared host-wide, as before; mounts, namespaces and
processes only where they name this session's temporary directory or one
of its roots, so suites running beside this one on the same host (other
sessions) are not counted."""
import os
import subprocess

import leakcheck
from conftest import CAPSA, CGROUPS_AT_START, ROOTS_USED, SNAPSHOT_AT_START, cgroup_dirs


def _left(tmp_path_factory, kind):
    base = str(tmp_path_factory.getbasetemp())
    d = leakcheck.diff({kind: SNAPSHOT_AT_START[kind]},
                       {kind: getattr(leakcheck, kind)()})
    return leakcheck.related(d, [base] + ROOTS_USED).get(kind, [])


def test_no_cgroup_left_behind():
    left = sorted(cgroup_dirs() - CGROUPS_AT_START)
    assert left == [], "cgroups left behind: %s" % left[:20]


def test_no_mount_left_behind(tmp_path_factory):
    left = _left(tmp_path_factory, "mounts")
    assert left == [], "mounts left behind: %s" % left[:20]


def test_no_network_namespace_left_behind(tmp_path_factory):
    named = sorted(leakcheck.netns() - SNAPSHOT_AT_START["netns"])
    named = [n for n in named if n[0] == "netns"]
    assert named == [], "/run/netns entries left behind: %s" % named
    left = _left(tmp_path_factory, "netns")
    assert left == [], "nsfs mounts left behind: %s" % left


def test_no_process_left_behind(tmp_path_factory):
    left = _left(tmp_path_factory, "processes")
    assert left == [], "processes left behind: %s" % left[:20]


def test_no_container_left_in_any_root():
    assert ROOTS_USED, "no test used the capsa fixture?"
    left = {}
    for root in ROOTS_USED:
        if not os.path.isdir(root):
            continue
        ids = [e for e in os.listdir(root) if not e.startswith("@")]
        r = subprocess.run([CAPSA, "--root", root, "list", "-q"], capture_output=True,
                           text=True, timeout=20)
        listed = r.stdout.split()
        if ids or listed or r.returncode:
            left[root] = (ids, listed, r.stderr.strip())
    assert left == {}, "containers or state directories left: %s" % left
