"""Runs last (file order): after the whole suite no cgroup capsa made is
left in any hierarchy, and no mount of ours is left on the host."""
from conftest import CGROUPS_AT_START, cgroup_dirs


def test_no_cgroup_left_behind():
    left = sorted(cgroup_dirs() - CGROUPS_AT_START)
    assert left == [], "cgroups left behind: %s" % left[:20]
