"""Runs last (file order): after the CRI suite nothing its pods and
containers made is left on the host: no cgroup of capsa's in any
hierarchy, no mount, network namespace or process naming the session's
directories (capsad itself aside, which the session stops afterwards),
no veth in the suite's network namespace, and no pod, container or CRI
record in capsad's store."""
import json
import os

import leakcheck
import procs
from conftest import SNAPSHOT_AT_START


def test_nothing_left(cri, capsad, tmp_path_factory):
    base = str(tmp_path_factory.getbasetemp())
    now = leakcheck.snapshot()
    d = leakcheck.diff(SNAPSHOT_AT_START, now)
    cgroups = [c for c in d.pop("cgroups", []) if "capsa" in repr(c)]
    left = leakcheck.related(d, [base])
    left["processes"] = [p for p in left.get("processes", []) if p[0] != capsad.proc.pid]
    left = {k: v for k, v in left.items() if v}
    assert cgroups == [] and left == {}, (cgroups, left)
    links = procs.run(capsad.enter() + ["ip", "-o", "link"]).stdout
    assert "veth" not in links, links
    assert json.loads(capsad.capsactl("ps", "-a", "--format", "json").stdout or "[]") == []
    assert capsad.capsactl("pod", "ps", "-q").stdout.strip() == ""
    assert list(cri.call("ListContainers").containers) == []
    db = os.path.join(capsad.root, "capsa.db")
    for table in ("cri_sandboxes", "cri_containers"):
        r = procs.run(["sqlite3", db, "SELECT count(*) FROM %s" % table])
        assert r.stdout.strip() == "0", (table, r)
