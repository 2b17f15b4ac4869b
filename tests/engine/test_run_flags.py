"""The run flags capsad maps CRI's configs onto, end to end: a --device
node, a --sysctl, --cgroup-parent, --group-add, --oom-score-adj and the
log at --log-opt path=, as the container's process sees them and as
`logs` and `inspect` read them back."""
import glob
import os
import uuid

import procs

SCRIPT = ("stat -c %t:%T /dev/mynull; echo gone > /dev/mynull && echo written; "
          "cat /proc/sys/net/core/somaxconn; id -G; cat /proc/self/oom_score_adj; "
          "grep -m1 :memory: /proc/self/cgroup")


def test_cri_flags_end_to_end(engine, tmp_path):
    parent = "/capsa-test-" + uuid.uuid4().hex[:8]
    log = tmp_path / "logs" / "c.log"
    log.parent.mkdir()
    try:
        engine.ok("run", "-d", "--name", "c", "--device", "/dev/null:/dev/mynull:rw",
                  "--sysctl", "net.core.somaxconn=123", "--cgroup-parent", parent,
                  "--group-add", "nogroup", "--oom-score-adj", "500",
                  "--log-opt", "path=%s" % log, "busybox", "sh", "-c", SCRIPT)
        engine.wait_state("c", "exited")
        info = engine.inspect("c")
        cid = info["Id"]
        assert info["State"]["ExitCode"] == 0
        assert info["LogPath"] == str(log)
        out = engine.ok("logs", "c").stdout.splitlines()
        assert out[:5] == ["1:3", "written", "123", "0 65534", "500"], out
        assert out[5].endswith(":memory:%s/capsa-%s" % (parent, cid)), out
        # the shim wrote the custom file, not the default one
        assert os.path.getsize(log) > 0
        assert not os.path.exists(os.path.join(engine.root, "containers", cid, "ctr.log"))
        engine.ok("rm", "c")
        procs.wait_for(lambda: not glob.glob("/sys/fs/cgroup/*%s/capsa-%s" % (parent, cid)),
                       timeout=10, what="the container's cgroups removed")
    finally:
        # the parent is the caller's (the kubelet's pod cgroup): left by rm
        for d in glob.glob("/sys/fs/cgroup/*" + parent) + glob.glob("/sys/fs/cgroup" + parent):
            for sub in glob.glob(d + "/capsa-*"):
                os.rmdir(sub)
            os.rmdir(d)


def test_cri_flags_refused(engine):
    r = engine.fails("run", "--rm", "--device", "/dev/pts:/dev/x", "busybox", "true", code=125)
    assert "--device /dev/pts: a directory" in r.stderr
    r = engine.fails("run", "--rm", "--network", "host", "--sysctl", "net.core.somaxconn=1",
                     "busybox", "true", code=125)
    assert "not allowed with --network host" in r.stderr
    r = engine.fails("run", "--rm", "--group-add", "nosuchgroup", "busybox", "true", code=125)
    assert "--group-add nosuchgroup: no such group" in r.stderr
    assert engine.ps() == []
