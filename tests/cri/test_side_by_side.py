"""capsad beside Debian's containerd 1.6 (its CRI plugin, runc): the same
scenarios through the python client and crictl against both, and what a
kubelet would see of them diffed: the fields of status and list replies,
gRPC status codes, state transitions, exec results, logs.

Both daemons run for the whole module in one network namespace with the
registry that serves critest's images (sbs_daemons.py).  Per engine, what
cannot match (ids, times, IPs, pids, paths under each one's directories)
is normalised away; every other difference must be named in the
allow-list below, with the reason it is accepted, and an allowance that
no longer matches a difference fails too (so the list stays true).

Skipped when containerd, containerd-shim-runc-v2, runc, docker-registry,
crictl, cri-tools' scripts (../shared/tools/critest, or $CRITEST_TOOLS) or
the registry's data (run.sh --prepare) are missing.  SBS_DUMP=DIR writes
each comparison's two sides there as JSON, normalised, for a reader."""
import fnmatch
import json
import os
import re
import time

import grpc
import pytest
from google.protobuf import json_format

import leakcheck
import procs
import sbs_daemons
from sbs_daemons import BUSYBOX, Pair

SANDBOX_READY, SANDBOX_NOTREADY = 0, 1
RUNNING, EXITED = 1, 2
USER_IMAGES = ("gcr.io/k8s-staging-cri-tools/test-image-user-uid:latest",
               "gcr.io/k8s-staging-cri-tools/test-image-user-username:latest",
               "gcr.io/k8s-staging-cri-tools/test-image-user-uid-group:latest")


class Allow:
    """A difference accepted at the paths matching pattern (fnmatch over
    "a.b[0].c"; a tuple: any of them), when check(capsad's value,
    containerd's) holds."""

    def __init__(self, pattern, why, check=None):
        self.pattern, self.why, self.check = pattern, why, check

    def covers(self, path, cap, ctd):
        pats = self.pattern if isinstance(self.pattern, tuple) else (self.pattern,)
        return (any(fnmatch.fnmatchcase(path, p) for p in pats) and
                (self.check is None or self.check(cap, ctd)))


# ---- the allow-list: each difference accepted, and why ----------------------

# capsad answers a retried RunPodSandbox / CreateContainer with the same
# config with the object it made (docs/ARCHITECTURE.md, "Records": a
# kubelet whose call timed out finds its pod instead of leaking one);
# containerd 1.6 refuses the name as reserved, with UNKNOWN
SAME_CONFIG_AGAIN = Allow("run_again_same_config", "capsad's documented idempotent retry",
                          lambda c, d: c == "same id" and d == "UNKNOWN")
# where containerd returns a plain Go error (gRPC UNKNOWN) capsad names
# the case: ALREADY_EXISTS for a name held by another config,
# FAILED_PRECONDITION for a start of a container that started already or
# an exec in one that does not run, INVALID_ARGUMENT for a config without
# metadata.  The kubelet acts on neither code (it retries, or reports the
# message), so the precise code is kept
PRECISE_CODES = Allow(tuple("codes." + k for k in (
    "run_again_other_config", "start_twice", "start_exited", "exec_created", "exec_exited",
    "create_without_metadata", "run_pod_without_metadata")),
    "containerd's UNKNOWN where capsad names the case",
    lambda c, d: d == "UNKNOWN" and c in ("ALREADY_EXISTS", "FAILED_PRECONDITION",
                                          "INVALID_ARGUMENT"))
# CreateContainer in a stopped pod: capsad says the pod is there but not
# ready (FAILED_PRECONDITION); containerd 1.6 fails looking up the pod's
# task (NOT_FOUND), though the pod is still listed. The kubelet makes a
# new sandbox instead of creating containers in a stopped one
CREATE_IN_STOPPED_POD = Allow("codes.create_in_stopped_pod", "the pod exists, not ready",
                              lambda c, d: c == "FAILED_PRECONDITION" and d == "NOT_FOUND")
# ListImages' filter: containerd 1.6 ignores it (a TODO of its CRI
# plugin) and lists every image; capsad lists the one named. The kubelet
# sends no filter
LIST_IMAGES_FILTER = Allow("filter", "containerd 1.6 ignores ListImages' filter",
                           lambda c, d: len(c) == 1 and set(c) < set(d))
# the CRI says StopPodSandbox "must not return an error if all relevant
# resources have already been reclaimed"; containerd 1.6 answers NOT_FOUND
# for an id it never had, which the kubelet stopping a pod does not count
# as a failure either
STOP_UNKNOWN_POD = Allow("codes.stop_unknown_pod", "CRI: StopPodSandbox is idempotent",
                         lambda c, d: c == "OK" and d == "NOT_FOUND")
# image_id of Container/ContainerStatus (CRI v1.29+) and Image.spec
# (v1.27+) are newer than containerd 1.6, which leaves them empty
NEW_IMAGE_ID = Allow("*image_id", "a CRI field newer than containerd 1.6",
                     lambda c, d: d == "" and c.startswith("sha256:"))
NEW_IMAGE_SPEC = Allow("*spec", "a CRI field newer than containerd 1.6",
                       lambda c, d: d in (None, MISSING) and isinstance(c, dict))
# Image.size: capsad reports the unpacked size (what the image takes on
# the node's disk, which the kubelet's image GC weighs), containerd the
# sum of the compressed blobs; the CRI only asks for a positive number
IMAGE_SIZE = Allow("*size", "unpacked vs compressed, both > 0",
                   lambda c, d: int(c) > 0 and int(d) > 0)
IMAGE_SIZE_TABLE = Allow("*SIZE", "unpacked vs compressed, as crictl prints them",
                         lambda c, d: re.fullmatch(r"[0-9.]+[kMG]?B", c) is not None
                         and re.fullmatch(r"[0-9.]+[kMG]?B", d) is not None)
# repo_digests: capsad also records the platform manifest's digest (the
# image can be pulled by it again, docs/IMAGES.md), containerd only the
# digest the reference resolved to, which capsad lists too
REPO_DIGESTS = Allow(("*repo_digests", "*repoDigests"), "capsad's list holds containerd's",
                     lambda c, d: isinstance(c, list) and isinstance(d, list)
                     and set(d) <= set(c))
# a named image user's groups: containerd 1.6 gives www-data root's wheel
# group too (fixed in later containerd, which capsad matches)
WWW_GROUPS = Allow("id_image_user", "containerd 1.6 adds root's groups to a named user",
                   lambda c, d: c.endswith("groups=33(www-data)")
                   and d.endswith("groups=10(wheel),33(www-data)"))
# the CRI log's time: capsa's shim writes RFC 3339 with "+00:00", containerd
# with "Z"; the kubelet (time.RFC3339Nano) and crictl read both, as do
# conmon's logs (CRI-O), which carry an offset too
LOG_TIME_ZONE = Allow("log*.zone", "RFC 3339 offset form",
                      lambda c, d: c == "+00:00" and d == "Z")

MISSING = "<missing>"


# ---- diffing ----------------------------------------------------------------

def flat_diff(a, b, path=""):
    """[(path, a's value, b's value)] where a and b differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            p = "%s.%s" % (path, k) if path else str(k)
            if k not in a or k not in b:
                out.append((p, a.get(k, MISSING), b.get(k, MISSING)))
            else:
                out += flat_diff(a[k], b[k], p)
        return out
    if (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
            and all(isinstance(x, dict) for x in a + b)):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += flat_diff(x, y, "%s[%d]" % (path, i))
        return out
    return [] if a == b else [(path, a, b)]


def compare(what, res, *allowed):
    """Assert capsad's and containerd's results equal but for allowed
    differences, each of which must be met."""
    cap, ctd = res["capsad"], res["containerd"]
    if os.environ.get("SBS_DUMP"):   # both results, for a reader
        with open(os.path.join(os.environ["SBS_DUMP"], what.replace(" ", "_") + ".json"),
                  "w") as f:
            json.dump(res, f, indent=1, sort_keys=True, default=str)
    left, used = [], set()
    for path, c, d in flat_diff(cap, ctd):
        hit = [a for a in allowed if a.covers(path, c, d)]
        if hit:
            used.add(id(hit[0]))
        else:
            left.append("  %s:\n    capsad:     %r\n    containerd: %r" % (path, c, d))
    assert not left, "%s: capsad and containerd differ:\n%s" % (what, "\n".join(left))
    stale = [a.pattern for a in allowed if id(a) not in used]
    assert not stale, "%s: allowed differences no longer seen (remove them): %s" % (what,
                                                                                   stale)


# ---- one engine's side of a scenario ---------------------------------------

TIME_KEYS = {"created_at", "started_at", "finished_at", "createdAt", "startedAt",
             "finishedAt", "timestamp"}
UNSET_TIMES = {"0", 0, "0001-01-01T00:00:00Z", None}
HEX64 = re.compile(r"(?<![0-9a-f:])[0-9a-f]{64}(?![0-9a-f])")   # not an image's sha256:


class Side:
    """An engine as a scenario drives it: its client, its directories, and
    the names of the objects it made (for normalising)."""

    def __init__(self, pair, engine, tmp):
        self.pair, self.e, self.name = pair, engine, engine.name
        self.cri = engine.cri
        self.logs = os.path.join(tmp, "logs-" + engine.name)
        os.makedirs(self.logs, exist_ok=True)
        self.names = {}     # id -> "pod:NAME" / "ctr:NAME"
        self.times = {}     # what a scenario checks of one engine alone

    def pod_config(self, name, **extra):
        logdir = os.path.join(self.logs, name)
        os.makedirs(logdir, exist_ok=True)
        cfg = {"metadata": {"name": name, "namespace": "sbs", "uid": "uid-" + name,
                            "attempt": 0},
               "hostname": name, "log_directory": logdir, "labels": {"app": name},
               "annotations": {"note": "side-by-side"},
               "linux": {"security_context": {"namespace_options": {}}}}
        cfg.update(extra)
        return cfg

    def run_pod(self, cfg):
        pid = self.cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
        self.names[pid] = "pod:" + cfg["metadata"]["name"]
        return pid

    def create(self, pod, pod_cfg, cfg):
        cid = self.cri.call("CreateContainer", pod_sandbox_id=pod, config=cfg,
                            sandbox_config=pod_cfg).container_id
        self.names[cid] = "ctr:" + cfg["metadata"]["name"]
        return cid

    def status(self, cid):
        return self.cri.call("ContainerStatus", container_id=cid).status

    def wait_exit(self, cid, timeout=20):
        procs.wait_for(lambda: self.status(cid).state == EXITED, timeout=timeout,
                       what="%s: container %s exited" % (self.name, self.names.get(cid)))

    def exec_sync(self, cid, cmd, timeout=10):
        return self.cri.call("ExecSync", request=self.cri.msg(
            "ExecSyncRequest", container_id=cid, cmd=cmd, timeout=timeout))

    def crictl(self, *args):
        return self.pair.crictl(self.e, *args)

    def code(self, fn):
        """The gRPC status code name of fn()'s call ("OK" when it passed)."""
        try:
            fn()
            return "OK"
        except grpc.RpcError as e:
            return e.code().name

    # -- normalising --
    def text(self, s):
        for real, sym in self.names.items():
            s = s.replace(real, "<%s>" % sym).replace(real[:13], "<%s>" % sym)
        s = s.replace(self.logs, "<logs>")
        return HEX64.sub("<id>", s)

    def norm(self, obj, key=None):
        if isinstance(obj, dict):
            return {k: self.norm(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.norm(v, key) for v in obj]
        if key in TIME_KEYS:
            return "unset" if obj in UNSET_TIMES else "set"
        if key in ("ip", "additional_ips", "additionalIps") and obj:
            return "<ip>"
        if key == "pid" and isinstance(obj, int):     # a process (not a namespace mode)
            return "<pid>"
        if isinstance(obj, str):
            return self.text(obj)
        return obj

    def msg(self, m):
        return self.norm(json_format.MessageToDict(m, preserving_proto_field_name=True,
                                                   including_default_value_fields=True))

    def purge(self):
        for p in self.cri.call("ListPodSandbox").items:
            self.cri.call("StopPodSandbox", pod_sandbox_id=p.id)
            self.cri.call("RemovePodSandbox", pod_sandbox_id=p.id)
        for c in self.cri.call("ListContainers").containers:
            self.cri.call("RemoveContainer", container_id=c.id)


# ---- fixtures ---------------------------------------------------------------

@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    why = sbs_daemons.check_tools()
    if why:
        pytest.skip(why)
    before = leakcheck.snapshot()
    base = str(tmp_path_factory.mktemp("sbs"))
    p = Pair(base)
    p.made = set()          # every pod and container id, and the tests'
    #                         directories, for the leak check
    try:
        p.start()
    except BaseException:
        p.stop()
        raise
    yield p
    left = p.stop()
    assert left == {}, left
    # nothing of theirs on the host: cgroups naming a pod or container of
    # either engine (capsa's and containerd's k8s.io ones), mounts,
    # network namespaces or processes under the module's directory
    d = leakcheck.diff(before, leakcheck.snapshot())
    cgroups = [c for c in d.pop("cgroups", []) if any(i in c for i in p.made)]
    rest = leakcheck.related(d, [base, p.netns] + sorted(p.made))
    assert cgroups == [] and rest == {}, (cgroups, rest)


@pytest.fixture
def sides(pair, tmp_path):
    """Both engines' sides; afterwards every pod and container of either is
    removed through the CRI."""
    s = [Side(pair, e, str(tmp_path)) for e in pair.engines]
    pair.made.add(str(tmp_path))
    yield s
    for side in s:
        pair.made.update(side.names)
        side.purge()
        assert list(side.cri.call("ListPodSandbox").items) == []
        assert list(side.cri.call("ListContainers").containers) == []


def both(sides, fn):
    return {s.name: fn(s) for s in sides}


# ---- scenarios --------------------------------------------------------------

def test_version_and_status(sides):
    def one(s):
        v = s.cri.call("Version")
        st = s.cri.call("Status")
        return {"version": v.version, "api": v.runtime_api_version,
                "conditions": sorted((c.type, c.status) for c in st.status.conditions)}
    compare("Version and Status", both(sides, one))


def full_pod_config(s, name):
    return s.pod_config(
        name, dns_config={"servers": ["10.0.0.10"], "searches": ["sbs.svc.cluster.local"],
                          "options": ["ndots:5"]},
        port_mappings=[{"protocol": 0, "container_port": 80, "host_port": 18080}],
        labels={"app": name, "tier": "front"}, annotations={"note": "x", "other": "y"})


def test_pod_lifecycle(sides):
    def one(s):
        r = {}
        cfg = full_pod_config(s, "life")
        pod = s.run_pod(cfg)
        other = s.run_pod(s.pod_config("other", labels={"app": "other", "tier": "back"}))
        r["ready"] = s.msg(s.cri.call("PodSandboxStatus", pod_sandbox_id=pod).status)

        def listed(**f):
            items = s.cri.call("ListPodSandbox", filter=f).items if f else \
                s.cri.call("ListPodSandbox").items
            return sorted((s.msg(i) for i in items), key=lambda i: i["metadata"]["name"])
        r["list"] = listed()
        r["by_id"] = listed(id=pod)
        r["by_id_prefix"] = listed(id=pod[:12])
        r["ready_ones"] = [i["metadata"]["name"] for i in listed(state={"state": SANDBOX_READY})]
        r["by_label"] = [i["metadata"]["name"] for i in listed(label_selector={"tier": "front"})]
        r["by_labels_none"] = listed(label_selector={"tier": "front", "app": "other"})
        s.cri.call("StopPodSandbox", pod_sandbox_id=pod)
        r["stopped"] = s.msg(s.cri.call("PodSandboxStatus", pod_sandbox_id=pod).status)
        r["notready_ones"] = [i["metadata"]["name"]
                              for i in listed(state={"state": SANDBOX_NOTREADY})]
        r["stop_again"] = s.code(lambda: s.cri.call("StopPodSandbox", pod_sandbox_id=pod))
        r["remove"] = s.code(lambda: s.cri.call("RemovePodSandbox", pod_sandbox_id=pod))
        r["status_removed"] = s.code(lambda: s.cri.call("PodSandboxStatus", pod_sandbox_id=pod))
        r["remove_again"] = s.code(lambda: s.cri.call("RemovePodSandbox", pod_sandbox_id=pod))
        r["left"] = [i["metadata"]["name"] for i in listed()]
        # the same name once the first is gone: a new pod
        again = s.run_pod(cfg)
        r["new_id_after_remove"] = again != pod
        # a ready pod removed without a stop first
        r["remove_ready"] = s.code(lambda: s.cri.call("RemovePodSandbox", pod_sandbox_id=again))
        r["remove_ready_gone"] = s.code(
            lambda: s.cri.call("PodSandboxStatus", pod_sandbox_id=again))
        # a pod on the node's network: no IP of its own
        host = s.run_pod(s.pod_config("hostnet", hostname="", linux={"security_context": {
            "namespace_options": {"network": 2, "pid": 1, "ipc": 2}}}))
        r["hostnet"] = s.msg(s.cri.call("PodSandboxStatus", pod_sandbox_id=host).status)
        s.cri.call("StopPodSandbox", pod_sandbox_id=other)
        s.cri.call("RemovePodSandbox", pod_sandbox_id=other)
        return r
    res = both(sides, one)
    for name, r in res.items():
        assert r["ready"]["state"] == "SANDBOX_READY" and r["ready"]["network"]["ip"] == "<ip>"
        assert r["stopped"]["state"] == "SANDBOX_NOTREADY", name
        assert r["status_removed"] == "NOT_FOUND", name
    compare("pod lifecycle", res)


def test_container_lifecycle(sides):
    def one(s):
        r = {}
        pcfg = full_pod_config(s, "ctrs")
        pod = s.run_pod(pcfg)
        data = os.path.join(s.logs, "data")
        os.makedirs(data, exist_ok=True)
        cfg = {"metadata": {"name": "main", "attempt": 1}, "image": {"image": BUSYBOX},
               "command": ["sh", "-c"], "args": ["echo hello $GREETING; echo oops >&2; "
                                                 "sleep 300"],
               "envs": [{"key": "GREETING", "value": b"world"}],
               "labels": {"c": "main", "tier": "x"}, "annotations": {"ca": "1"},
               "log_path": "main.log", "working_dir": "/tmp",
               "mounts": [{"container_path": "/data", "host_path": data, "readonly": True}]}
        cid = s.create(pod, pcfg, cfg)
        r["created"] = s.msg(s.status(cid))
        s.cri.call("StartContainer", container_id=cid)
        r["running"] = s.msg(s.status(cid))
        st = s.status(cid)
        r["started_after_created"] = st.started_at >= st.created_at > 0
        # what the pod's settings made of the container's files
        out = s.exec_sync(cid, ["sh", "-c", "cat /etc/resolv.conf; echo; hostname; pwd"])
        r["files"] = out.stdout.decode().splitlines()
        out = s.exec_sync(cid, ["env"])
        r["env"] = sorted(out.stdout.decode().splitlines())
        r["id"] = s.exec_sync(cid, ["id"]).stdout.decode().strip()
        # a user named by the image
        s.cri.call("PullImage", image={"image": USER_IMAGES[1]})
        named = s.create(pod, pcfg, {"metadata": {"name": "named"},
                                     "image": {"image": USER_IMAGES[1]},
                                     "command": ["sleep", "300"], "log_path": "named.log"})
        s.cri.call("StartContainer", container_id=named)
        r["id_image_user"] = s.exec_sync(named, ["id"]).stdout.decode().strip()
        zero = s.create(pod, pcfg, {"metadata": {"name": "zero"}, "image": {"image": BUSYBOX},
                                    "command": ["true"], "log_path": "zero.log",
                                    "labels": {"tier": "y"}})
        three = s.create(pod, pcfg, {"metadata": {"name": "three"},
                                     "image": {"image": BUSYBOX},
                                     "command": ["sh", "-c", "exit 3"],
                                     "log_path": "three.log", "labels": {"tier": "y"}})
        for c in (zero, three):
            s.cri.call("StartContainer", container_id=c)
        for c in (zero, three):
            s.wait_exit(c)
            st = s.status(c)
            r["exited " + s.names[c]] = s.msg(st)
            # (not compared: containerd 1.6 stamps the start once its start
            # returned, which a quick exit can precede: finished_at before
            # started_at; capsad's reply keeps them in order)
            s.times[s.names[c]] = (st.created_at, st.started_at, st.finished_at)
        s.cri.call("StopContainer", request=s.cri.msg("StopContainerRequest", container_id=cid,
                                                      timeout=2))
        r["stopped"] = s.msg(s.status(cid))
        r["stop_again"] = s.code(lambda: s.cri.call(
            "StopContainer", request=s.cri.msg("StopContainerRequest", container_id=cid,
                                               timeout=2)))

        def listed(**f):
            got = s.cri.call("ListContainers", filter=f).containers if f else \
                s.cri.call("ListContainers").containers
            return sorted((s.msg(c) for c in got), key=lambda c: c["metadata"]["name"])
        r["list"] = listed()
        names = lambda **f: [c["metadata"]["name"] for c in listed(**f)]  # noqa: E731
        r["by_id"] = names(id=cid)
        r["by_id_prefix"] = names(id=cid[:12])
        r["by_pod"] = names(pod_sandbox_id=pod)
        r["by_pod_prefix"] = names(pod_sandbox_id=pod[:12])
        r["by_state_exited"] = names(state={"state": EXITED})
        r["by_state_running"] = names(state={"state": RUNNING})
        r["by_label"] = names(label_selector={"tier": "y"})
        r["by_labels_none"] = names(label_selector={"tier": "y", "c": "main"})
        r["remove"] = s.code(lambda: s.cri.call("RemoveContainer", container_id=cid))
        r["status_removed"] = s.code(lambda: s.status(cid))
        r["remove_again"] = s.code(lambda: s.cri.call("RemoveContainer", container_id=cid))
        # resources as given, then as updated (the kubelet's in-place resize)
        sized = s.create(pod, pcfg, {"metadata": {"name": "sized"},
                                     "image": {"image": BUSYBOX}, "command": ["sleep", "300"],
                                     "log_path": "sized.log", "linux": {"resources": {
                                         "memory_limit_in_bytes": 64 << 20, "cpu_shares": 512,
                                         "cpu_period": 100000, "cpu_quota": 20000,
                                         "oom_score_adj": 500}}})
        r["sized"] = s.msg(s.status(sized).resources)
        s.cri.call("StartContainer", container_id=sized)
        s.cri.call("UpdateContainerResources", container_id=sized,
                   linux={"memory_limit_in_bytes": 96 << 20, "cpu_period": 100000,
                          "cpu_quota": 50000, "cpu_shares": 1024})
        r["resized"] = s.msg(s.status(sized).resources)
        # a running container removed without a stop first
        run = s.create(pod, pcfg, {"metadata": {"name": "running"},
                                   "image": {"image": BUSYBOX},
                                   "command": ["sleep", "300"], "log_path": "running.log"})
        s.cri.call("StartContainer", container_id=run)
        r["remove_running"] = s.code(lambda: s.cri.call("RemoveContainer", container_id=run))
        r["remove_running_gone"] = s.code(lambda: s.status(run))
        # containers once their pod stopped
        s.cri.call("StopPodSandbox", pod_sandbox_id=pod)
        r["after_pod_stop"] = [(c["metadata"]["name"], c["state"]) for c in listed()]
        # their log lines: stream, tag, text, the time's zone
        r["log"] = log_lines(os.path.join(pcfg["log_directory"], "main.log"))
        return r
    res = both(sides, one)
    for s in sides:
        for ctr, (created, started, finished) in s.times.items():
            assert created > 0 and started > 0 and finished > 0, (s.name, ctr)
    cap = sides[0]
    assert cap.name == "capsad"
    for ctr, (created, started, finished) in cap.times.items():
        assert created <= started <= finished, (ctr, cap.times)
    for name, r in res.items():
        assert r["exited ctr:zero"]["reason"] == "Completed", name
        assert (r["exited ctr:three"]["reason"], r["exited ctr:three"]["exit_code"]) == \
            ("Error", 3), name
        assert r["stopped"]["state"] == "CONTAINER_EXITED", name
        assert r["status_removed"] == "NOT_FOUND", name
        assert r["created"]["image_ref"].startswith("registry.k8s.io/e2e-test-images/busybox@"), \
            name
    compare("container lifecycle", res, NEW_IMAGE_ID, WWW_GROUPS,
            LOG_TIME_ZONE)


def test_container_exits(sides):
    """How containers end as the kubelet reads it: a command that is not
    there (StartError), a memory kill (OOMKilled), a stop that SIGTERM does
    not end (137 after the timeout)."""
    def one(s):
        r = {}
        pcfg = s.pod_config("exits")
        pod = s.run_pod(pcfg)
        base = {"image": {"image": BUSYBOX}}
        bad = s.create(pod, pcfg, dict(base, metadata={"name": "bad"}, log_path="bad.log",
                                       command=["/no/such/binary"]))
        r["start_missing_binary"] = s.code(lambda: s.cri.call("StartContainer",
                                                              container_id=bad))
        st = s.status(bad)
        r["start_error"] = {"state": st.state, "reason": st.reason, "exit_code": st.exit_code,
                            "message_given": bool(st.message),
                            "names_binary": "/no/such/binary" in st.message}
        hog = s.create(pod, pcfg, dict(base, metadata={"name": "hog"}, log_path="hog.log",
                                       command=["sh", "-c", "x=a; while true; do x=$x$x; done"],
                                       linux={"resources": {"memory_limit_in_bytes": 20 << 20}}))
        s.cri.call("StartContainer", container_id=hog)
        s.wait_exit(hog, timeout=60)
        st = s.status(hog)
        r["oom"] = {"reason": st.reason, "exit_code": st.exit_code}
        stubborn = s.create(pod, pcfg, dict(base, metadata={"name": "stubborn"},
                                            log_path="stubborn.log",
                                            command=["sh", "-c", "trap '' TERM; sleep 300 & "
                                                     "wait; sleep 300"]))
        s.cri.call("StartContainer", container_id=stubborn)
        time.sleep(0.3)
        t0 = time.monotonic()
        s.cri.call("StopContainer", request=s.cri.msg("StopContainerRequest",
                                                      container_id=stubborn, timeout=1))
        r["stop_took_timeout"] = 0.8 < time.monotonic() - t0 < 10
        st = s.status(stubborn)
        r["killed"] = {"state": st.state, "reason": st.reason, "exit_code": st.exit_code}
        return r
    res = both(sides, one)
    assert res["capsad"]["oom"] == {"reason": "OOMKilled", "exit_code": 137}
    compare("container exits", res)


LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:\d\d) "
                      r"(stdout|stderr) ([FP]) (.*)$")


def log_lines(path):
    """The CRI log's lines as (zone, stream, tag, text), sorted: the two
    streams reach the file in no fixed order."""
    procs.wait_for(lambda: os.path.exists(path) and open(path).read().count("\n") >= 2,
                   timeout=10, what="two lines in " + path)
    out = []
    for line in open(path).read().splitlines():
        m = LOG_LINE.match(line)
        assert m, "not a CRI log line: %r" % line
        out.append({"zone": m.group(2), "stream": m.group(3), "tag": m.group(4),
                    "text": m.group(5)})
    return sorted(out, key=lambda d: (d["stream"], d["text"]))


def test_error_codes(sides):
    unknown = "f" * 64

    def one(s):
        c = {}
        cri = s.cri
        pcfg = s.pod_config("errs")
        pod = s.run_pod(pcfg)
        ccfg = {"metadata": {"name": "c"}, "image": {"image": BUSYBOX},
                "command": ["sleep", "300"], "log_path": "c.log"}
        cid = s.create(pod, pcfg, ccfg)
        c["container_status_unknown"] = s.code(lambda: cri.call("ContainerStatus",
                                                                container_id=unknown))
        c["pod_status_unknown"] = s.code(lambda: cri.call("PodSandboxStatus",
                                                          pod_sandbox_id=unknown))
        c["start_unknown"] = s.code(lambda: cri.call("StartContainer", container_id=unknown))
        c["stop_unknown_ctr"] = s.code(lambda: cri.call("StopContainer", request=cri.msg(
            "StopContainerRequest", container_id=unknown, timeout=1)))
        c["remove_unknown_ctr"] = s.code(lambda: cri.call("RemoveContainer",
                                                          container_id=unknown))
        c["exec_unknown"] = s.code(lambda: s.exec_sync(unknown, ["true"]))
        c["stop_unknown_pod"] = s.code(lambda: cri.call("StopPodSandbox",
                                                        pod_sandbox_id=unknown))
        c["remove_unknown_pod"] = s.code(lambda: cri.call("RemovePodSandbox",
                                                          pod_sandbox_id=unknown))
        c["create_in_unknown_pod"] = s.code(lambda: cri.call(
            "CreateContainer", pod_sandbox_id=unknown, config=dict(ccfg, metadata={"name": "d"}),
            sandbox_config=pcfg))
        c["create_missing_image"] = s.code(lambda: s.create(
            pod, pcfg, dict(ccfg, metadata={"name": "e"},
                            image={"image": "registry.k8s.io/no/such:1"})))
        c["create_without_metadata"] = s.code(lambda: cri.call(
            "CreateContainer", pod_sandbox_id=pod, config={"image": {"image": BUSYBOX}},
            sandbox_config=pcfg))
        c["run_pod_without_metadata"] = s.code(lambda: cri.call("RunPodSandbox",
                                                                config={"hostname": "x"}))
        c["exec_created"] = s.code(lambda: s.exec_sync(cid, ["true"]))
        s.cri.call("StartContainer", container_id=cid)
        c["start_twice"] = s.code(lambda: cri.call("StartContainer", container_id=cid))
        c["exec_timeout"] = s.code(lambda: s.exec_sync(cid, ["sleep", "10"], timeout=1))
        c["exec_missing_binary"] = s.code(lambda: s.exec_sync(cid, ["/no/such/binary"]))
        c["pull_missing"] = s.code(lambda: cri.call(
            "PullImage", image={"image": "registry.k8s.io/no/such:1"}))
        c["pull_missing_tag"] = s.code(lambda: cri.call(
            "PullImage", image={"image": "registry.k8s.io/e2e-test-images/busybox:no-such"}))
        c["remove_missing_image"] = s.code(lambda: cri.call(
            "RemoveImage", image={"image": "registry.k8s.io/no/such:1"}))
        st = cri.call("ImageStatus", image={"image": "registry.k8s.io/no/such:1"})
        r = {"codes": c, "image_status_missing": st.HasField("image")}
        # RunPodSandbox under a name it holds: the same config, then another
        try:
            r["run_again_same_config"] = ("same id" if s.run_pod(pcfg) == pod else "other id")
        except grpc.RpcError as e:
            r["run_again_same_config"] = e.code().name
        c["run_again_other_config"] = s.code(lambda: s.run_pod(dict(pcfg, hostname="other")))
        s.cri.call("StopContainer", request=cri.msg("StopContainerRequest", container_id=cid,
                                                    timeout=0))
        c["exec_exited"] = s.code(lambda: s.exec_sync(cid, ["true"]))
        c["start_exited"] = s.code(lambda: cri.call("StartContainer", container_id=cid))
        s.cri.call("StopPodSandbox", pod_sandbox_id=pod)
        c["create_in_stopped_pod"] = s.code(lambda: s.create(
            pod, pcfg, dict(ccfg, metadata={"name": "late"})))
        return r
    res = both(sides, one)
    compare("error codes", res, SAME_CONFIG_AGAIN, PRECISE_CODES, STOP_UNKNOWN_POD,
            CREATE_IN_STOPPED_POD)


def test_exec_sync(sides):
    def one(s):
        pcfg = s.pod_config("exec")
        pod = s.run_pod(pcfg)
        cid = s.create(pod, pcfg, {"metadata": {"name": "x"}, "image": {"image": BUSYBOX},
                                   "command": ["sleep", "300"], "log_path": "x.log"})
        s.cri.call("StartContainer", container_id=cid)
        r = {}
        for name, cmd in (("mixed", ["sh", "-c", "echo out; echo err >&2; exit 3"]),
                          ("true", ["true"]), ("quiet_fail", ["false"]),
                          ("stdin_closed", ["cat"]),
                          ("big", ["sh", "-c", "head -c 100000 /dev/zero | tr '\\0' a"])):
            out = s.exec_sync(cid, cmd)
            r[name] = {"exit_code": out.exit_code, "stdout": out.stdout.decode(),
                       "stderr": out.stderr.decode()}
        return r
    res = both(sides, one)
    assert res["capsad"]["mixed"] == {"exit_code": 3, "stdout": "out\n", "stderr": "err\n"}
    compare("ExecSync", res)


def test_images(sides):
    def one(s):
        r = {}
        for img in USER_IMAGES:
            r["pull " + img] = s.cri.call("PullImage", image={"image": img}).image_ref
        want = set(USER_IMAGES) | {BUSYBOX}
        listed = [s.msg(i) for i in s.cri.call("ListImages").images]
        r["listed"] = sorted((i for i in listed if set(i["repo_tags"]) & want),
                             key=lambda i: i["repo_tags"])
        for img in sorted(want):
            r["status " + img] = s.msg(s.cri.call("ImageStatus", image={"image": img}).image)
        busybox = s.cri.call("ImageStatus", image={"image": BUSYBOX}).image
        # by id, by a repo digest, by the short name nothing is tagged as
        r["status by id"] = s.msg(s.cri.call("ImageStatus", image={"image": busybox.id}).image)
        digest = [d for d in busybox.repo_digests][-1]
        r["status by digest"] = s.msg(s.cri.call("ImageStatus",
                                                 image={"image": digest}).image)["id"]
        r["status of busybox"] = s.cri.call("ImageStatus",
                                            image={"image": "busybox"}).HasField("image")
        r["filter"] = [i.id for i in s.cri.call("ListImages", filter={
            "image": {"image": USER_IMAGES[0]}}).images]
        # removed by name: gone from the list, then again: OK
        r["remove"] = s.code(lambda: s.cri.call("RemoveImage", image={"image": USER_IMAGES[2]}))
        r["remove_again"] = s.code(lambda: s.cri.call("RemoveImage",
                                                      image={"image": USER_IMAGES[2]}))
        r["gone"] = not s.cri.call("ImageStatus", image={"image": USER_IMAGES[2]}).HasField(
            "image")
        return r
    res = both(sides, one)
    for name, r in res.items():
        img = r["status " + USER_IMAGES[0]]
        assert img["uid"] == {"value": "1002"} and img["username"] == "", (name, img)
        assert r["status " + USER_IMAGES[1]]["username"] == "www-data", name
        assert all(int(i["size"]) > 0 for i in r["listed"]), name
    compare("images", res, NEW_IMAGE_SPEC, IMAGE_SIZE, REPO_DIGESTS, LIST_IMAGES_FILTER)


def crictl_json(s, *args):
    r = s.crictl(*args)
    assert r.returncode == 0, "%s: %s" % (s.name, r)
    return json.loads(r.stdout)


def table(text):
    """crictl's table: its header, and each row by column (CREATED, an
    age, left out)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]
    if not rows:
        return {"header": [], "rows": []}
    head = rows[0]
    return {"header": head, "rows": [{k: v for k, v in zip(head, row) if k != "CREATED"}
                                     for row in rows[1:]]}


def test_crictl(sides, tmp_path):
    def one(s):
        r = {}
        pcfg = s.pod_config("cli", labels={"app": "cli"})
        path = os.path.join(str(tmp_path), s.name + "-pod.json")
        with open(path, "w") as f:
            json.dump(pcfg, f)
        run = s.crictl("runp", path)
        assert run.returncode == 0, "%s: %s" % (s.name, run)
        pod = run.stdout.strip()
        s.names[pod] = "pod:cli"
        ccfg = {"metadata": {"name": "echo"}, "image": {"image": BUSYBOX},
                "command": ["sh", "-c", "echo to-out; echo to-err >&2; sleep 300"],
                "log_path": "echo.log", "labels": {"c": "echo"}}
        cpath = os.path.join(str(tmp_path), s.name + "-ctr.json")
        with open(cpath, "w") as f:
            json.dump(ccfg, f)
        made = s.crictl("create", pod, cpath, path)
        assert made.returncode == 0, "%s: %s" % (s.name, made)
        cid = made.stdout.strip()
        s.names[cid] = "ctr:echo"
        assert s.crictl("start", cid).returncode == 0
        procs.wait_for(lambda: os.path.exists(os.path.join(pcfg["log_directory"], "echo.log"))
                       and "to-err" in open(os.path.join(pcfg["log_directory"],
                                                         "echo.log")).read(),
                       timeout=10, what="%s: the container's log" % s.name)
        r["pods"] = table(s.text(s.crictl("pods").stdout))
        r["pods json"] = s.norm(crictl_json(s, "pods", "-o", "json"))
        r["ps -a"] = table(s.text(s.crictl("ps", "-a").stdout))
        r["ps json"] = s.norm(crictl_json(s, "ps", "-a", "-o", "json"))
        r["inspectp"] = s.norm(crictl_json(s, "inspectp", pod)["status"])
        r["inspect"] = s.norm(crictl_json(s, "inspect", cid)["status"])
        images = table(s.crictl("images").stdout)
        r["images"] = [row for row in images["rows"]
                       if row["IMAGE"] == BUSYBOX.rsplit(":", 1)[0]]
        r["images header"] = images["header"]
        r["images json"] = [i for i in crictl_json(s, "images", "-o", "json")["images"]
                            if BUSYBOX in i["repoTags"]]
        ex = s.crictl("exec", "-s", cid, "sh", "-c", "echo out; echo err >&2; exit 3")
        r["exec -s"] = {"rc": ex.returncode, "stdout": ex.stdout,
                        "stderr": re.sub(r'time="[^"]*"', "time=<t>", ex.stderr)}
        ok = s.crictl("exec", "-s", cid, "echo", "fine")
        r["exec -s ok"] = {"rc": ok.returncode, "stdout": ok.stdout}
        logs = s.crictl("logs", cid)
        r["logs"] = {"rc": logs.returncode, "stdout": logs.stdout, "stderr": logs.stderr}
        r["logs tail"] = s.crictl("logs", "--tail", "1", cid).returncode
        s.crictl("stop", "-t", "1", cid)
        r["inspect exited"] = s.norm(crictl_json(s, "inspect", cid)["status"])
        s.crictl("stopp", pod)
        r["pods stopped"] = table(s.text(s.crictl("pods").stdout))
        r["rmp"] = s.crictl("rmp", pod).returncode
        r["pods after"] = table(s.crictl("pods").stdout)
        return r
    res = both(sides, one)
    assert res["containerd"]["logs"]["stdout"] == "to-out\n"
    compare("crictl", res, NEW_IMAGE_SPEC, IMAGE_SIZE, IMAGE_SIZE_TABLE, REPO_DIGESTS)
