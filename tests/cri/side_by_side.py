"""tests/cri/side_by_side.py: the same CRI scenarios against capsad and
Debian's containerd 1.6 (its CRI plugin), and what a kubelet would see
diffed: the fields of status and list answers, error codes, state
transitions, ExecSync's output, and crictl's JSON.

It runs as bench/cri.sh's body (CRI_BODY=this file): that script makes the
network namespace, the private mount namespace, the work directory W and
the environment; bench/cri_lib.py starts the read-only registry with
critest's images and both daemons.  tests/cri/test_side_by_side.py runs it
in the suite.  Prints one line per scenario and a table of the differences;
exits 1 when a difference is not in ALLOWED (each entry says why capsad
answers otherwise on purpose), 2 when a scenario could not run."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ["REPO"], "bench"))
from cri_lib import (BUSYBOX, PAUSE, W, Capsad, Containerd, Registry, crictl,  # noqa: E402
                     purge)
import criclient  # noqa: E402  (cri_lib put tests/cri on the path)
from google.protobuf import json_format  # noqa: E402

# path (scenario/field, "*" matching one part) -> why the answers differ
ALLOWED = {
    "errors/run_without_metadata": "a malformed request is InvalidArgument (the CRI's code for "
                                   "a bad request); containerd 1.6 answers Unknown",
    "errors/create_without_metadata": "(the same)",
    "errors/pull_missing": "the kubelet reports every PullImage failure as ErrImagePull; "
                           "capsad's pull runs in a child whose error comes back as text "
                           "(Unknown), containerd says NotFound",
    "errors/run_same_name_same_config": "an identical RunPodSandbox again (the kubelet's retry "
                                        "after a lost answer) gets the pod the first one made "
                                        "from capsad; containerd refuses the reserved name",
    "errors/run_same_name_same_id": "(the same)",
    "containers/start_twice": "a second start is the caller's error: capsad answers "
                              "FailedPrecondition, containerd Unknown",
    "pods/stop_unknown": "api.proto: StopPodSandbox is idempotent and must not fail when the "
                         "pod's resources are already reclaimed; the kubelet retries it on "
                         "pods it lost track of (containerd 1.6 answers NotFound)",
    "images/images/busybox/repo_digests": "capsad lists the index's digest and the platform "
                                          "manifest's (as CRI-O does): both pull the same image; "
                                          "containerd the one it was pulled by",
    "pods/pod_status/info": "verbose info is each runtime's own JSON (the kubelet does not read it)",
    "containers/ctr_status/*/info": "verbose info is each runtime's own JSON",
    "images/images/busybox/size": "capsad counts the compressed layers, containerd the unpacked "
                           "snapshot (both are 'the size', the kubelet only sums them)",
    "images/images/pause": "containerd pulls its sandbox image into the CRI view; capsad's infra "
                    "image is built in its store and listed under its own name",
}

ANY = "<set>"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def norm(v, drop=(), mask=()):
    """A message (or dict) as a dict, fields in drop removed and those in
    mask replaced by ANY when set; recursively, by field name."""
    if hasattr(v, "DESCRIPTOR"):
        v = json_format.MessageToDict(v, preserving_proto_field_name=True)
    if isinstance(v, dict):
        return {k: (ANY if k in mask and x not in ("", 0, None, [], {}) else
                    norm(x, drop, mask)) for k, x in sorted(v.items()) if k not in drop}
    if isinstance(v, list):
        return [norm(x, drop, mask) for x in v]
    return v


def code(fn):
    """The gRPC status code name a call ends with ("OK" when it succeeds)."""
    try:
        fn()
        return "OK"
    except criclient.grpc.RpcError as e:
        return e.code().name


def wait_state(cri, cid, state, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cri.call("ContainerStatus", container_id=cid).status.state == state:
            return
        time.sleep(0.1)
    raise RuntimeError("container %s never reached state %d" % (cid[:12], state))


IDS = ("id", "pod_sandbox_id", "container_id", "image_id", "sandbox_id")
TIMES = ("created_at", "started_at", "finished_at", "timestamp")


def pod_config(e, name, **extra):
    logdir = os.path.join(W, "logs", e.name, name)
    os.makedirs(logdir, exist_ok=True)
    cfg = {"metadata": {"name": name, "namespace": "sbs", "uid": "uid-" + name, "attempt": 0},
           "hostname": name, "log_directory": logdir, "labels": {"app": name, "tier": "t"},
           "annotations": {"note": "side by side"},
           "dns_config": {"servers": ["10.0.0.10"], "searches": ["sbs.svc"],
                          "options": ["ndots:5"]},
           "port_mappings": [{"protocol": 0, "container_port": 80, "host_port": 0}],
           "linux": {}}
    cfg.update(extra)
    return cfg


def ctr_config(name, command, **extra):
    cfg = {"metadata": {"name": name}, "image": {"image": BUSYBOX}, "command": command,
           "log_path": name + ".log", "labels": {"c": name}, "annotations": {"a": "1"},
           "envs": [{"key": "SBS", "value": b"yes"}], "linux": {}}
    cfg.update(extra)
    return cfg


# ------------------------------------------------------------------ scenarios
def pods(e):
    """A pod's life: status, lists with every filter, stop, remove, and
    what an unknown id gets."""
    c, out = e.cri, {}
    cfg = pod_config(e, "web")
    pid = c.call("RunPodSandbox", config=cfg).pod_sandbox_id
    st = c.call("PodSandboxStatus", pod_sandbox_id=pid, verbose=True)
    out["pod_status"] = norm(st.status, drop=IDS + TIMES, mask=("ip",))
    out["pod_status/info"] = sorted(st.info)
    out["list/all"] = [norm(p, drop=IDS + TIMES) for p in c.call("ListPodSandbox").items]
    for name, f in (("id", {"id": pid}), ("id_prefix", {"id": pid[:12]}),
                    ("ready", {"state": {"state": 0}}), ("notready", {"state": {"state": 1}}),
                    ("label", {"label_selector": {"app": "web"}}),
                    ("label_miss", {"label_selector": {"app": "nope"}})):
        out["list/" + name] = len(c.call("ListPodSandbox", filter=f).items)
    c.call("StopPodSandbox", pod_sandbox_id=pid)
    st = c.call("PodSandboxStatus", pod_sandbox_id=pid).status
    out["stopped"] = norm(st, drop=IDS + TIMES, mask=("ip",))
    out["stop_again"] = code(lambda: c.call("StopPodSandbox", pod_sandbox_id=pid))
    out["remove"] = code(lambda: c.call("RemovePodSandbox", pod_sandbox_id=pid))
    out["status_removed"] = code(lambda: c.call("PodSandboxStatus", pod_sandbox_id=pid))
    out["remove_again"] = code(lambda: c.call("RemovePodSandbox", pod_sandbox_id=pid))
    out["stop_unknown"] = code(lambda: c.call("StopPodSandbox", pod_sandbox_id="f" * 64))
    out["status_unknown"] = code(lambda: c.call("PodSandboxStatus", pod_sandbox_id="f" * 64))
    return out


def containers(e):
    """A container's states as the kubelet reads them, exit codes and
    reasons, lists and their filters, ExecSync, removal."""
    c, out = e.cri, {}
    cfg = pod_config(e, "app")
    pid = c.call("RunPodSandbox", config=cfg).pod_sandbox_id

    def make(name, command):
        return c.call("CreateContainer", pod_sandbox_id=pid, sandbox_config=cfg,
                      config=ctr_config(name, command)).container_id

    def status(cid, verbose=False):
        return c.call("ContainerStatus", container_id=cid, verbose=verbose)

    drop = IDS + TIMES + ("image_ref", "log_path")
    runner = make("runner", ["sh", "-c", "echo hello; echo oops >&2; sleep 300"])
    st = status(runner, True)
    out["ctr_status/created"] = norm(st.status, drop=drop)
    out["ctr_status/created/info"] = sorted(st.info)
    out["image_ref_is_digest"] = st.status.image_ref.startswith("sha256:") or \
        "@sha256:" in st.status.image_ref
    out["log_path"] = os.path.basename(st.status.log_path)
    c.call("StartContainer", container_id=runner)
    out["start_twice"] = code(lambda: c.call("StartContainer", container_id=runner))
    wait_state(c, runner, 1)
    out["ctr_status/running"] = norm(status(runner).status, drop=drop)
    r = c.call("ExecSync", request=criclient.msg(
        "ExecSyncRequest", container_id=runner, timeout=30,
        cmd=["sh", "-c", "echo out; echo err >&2; echo $SBS; exit 3"]))
    out["exec_sync"] = {"stdout": r.stdout.decode(), "stderr": r.stderr.decode(),
                        "exit_code": r.exit_code}
    out["exec_timeout"] = code(lambda: c.call("ExecSync", request=criclient.msg(
        "ExecSyncRequest", container_id=runner, timeout=1, cmd=["sleep", "10"])))
    for name, command in (("ok", ["true"]), ("bad", ["sh", "-c", "exit 3"])):
        cid = make(name, command)
        c.call("StartContainer", container_id=cid)
        wait_state(c, cid, 2)
        out["ctr_status/exited_" + name] = norm(status(cid).status, drop=drop)
    out["list/all"] = sorted((x.metadata.name, x.state) for x in c.call("ListContainers")
                             .containers)
    for name, f in (("running", {"state": {"state": 1}}), ("exited", {"state": {"state": 2}}),
                    ("pod", {"pod_sandbox_id": pid}), ("id", {"id": runner}),
                    ("label", {"label_selector": {"c": "ok"}}),
                    ("pod_unknown", {"pod_sandbox_id": "f" * 64})):
        out["list/" + name] = sorted(x.metadata.name for x in
                                     c.call("ListContainers", filter=f).containers)
    c.call("StopContainer", request=criclient.msg("StopContainerRequest", container_id=runner,
                                                  timeout=2))
    out["ctr_status/stopped"] = norm(status(runner).status, drop=drop)
    out["remove_running_pod_ctr"] = code(lambda: c.call("RemoveContainer",
                                                        container_id=runner))
    out["status_removed"] = code(lambda: status(runner))
    out["remove_again"] = code(lambda: c.call("RemoveContainer", container_id=runner))
    return out


def errors(e):
    """The codes of requests a kubelet gets wrong or races."""
    c = e.cri
    unknown = "f" * 64
    cfg = pod_config(e, "errs")
    out = {
        "status_unknown_ctr": code(lambda: c.call("ContainerStatus", container_id=unknown)),
        "start_unknown_ctr": code(lambda: c.call("StartContainer", container_id=unknown)),
        "stop_unknown_ctr": code(lambda: c.call("StopContainer", container_id=unknown)),
        "exec_unknown_ctr": code(lambda: c.call("ExecSync", container_id=unknown,
                                                cmd=["true"])),
        "create_in_unknown_pod": code(lambda: c.call(
            "CreateContainer", pod_sandbox_id=unknown, sandbox_config=cfg,
            config=ctr_config("x", ["true"]))),
        "run_without_metadata": code(lambda: c.call("RunPodSandbox", config={})),
        "pull_missing": code(lambda: c.call("PullImage", image={
            "image": "registry.k8s.io/no/such-image:1"})),
        "remove_unknown_image": code(lambda: c.call("RemoveImage", image={
            "image": "registry.k8s.io/no/such-image:1"})),
        "image_status_unknown": c.call("ImageStatus", image={
            "image": "registry.k8s.io/no/such-image:1"}).HasField("image"),
    }
    pid = c.call("RunPodSandbox", config=cfg).pod_sandbox_id
    again = {}
    out["run_same_name_same_config"] = code(lambda: again.setdefault(
        "id", c.call("RunPodSandbox", config=cfg).pod_sandbox_id))
    out["run_same_name_same_id"] = again.get("id") == pid
    out["create_without_metadata"] = code(lambda: c.call(
        "CreateContainer", pod_sandbox_id=pid, sandbox_config=cfg,
        config={"image": {"image": BUSYBOX}}))
    out["create_missing_image"] = code(lambda: c.call(
        "CreateContainer", pod_sandbox_id=pid, sandbox_config=cfg,
        config=ctr_config("y", ["true"], image={"image": "registry.k8s.io/no/such:1"})))
    return out


def images(e):
    c, out = e.cri, {}
    for img in c.call("ListImages").images:
        name = "busybox" if any("busybox" in t for t in img.repo_tags) else \
            "pause" if any("pause" in t for t in img.repo_tags) else None
        if name is None:
            continue
        out["images/" + name] = {
            "repo_tags": sorted(img.repo_tags),
            "repo_digests": sorted(d.split("@")[0] + "@sha256:<digest>" for d in img.repo_digests),
            "id_is_digest": img.id.startswith("sha256:"),
            "uid": norm(img.uid) if img.HasField("uid") else None,
            "username": img.username, "pinned": img.pinned}
        out["images/%s/size" % name] = img.size > 0 and img.size
    st = c.call("ImageStatus", image={"image": BUSYBOX}, verbose=True)
    out["image_status"] = {"has_image": st.HasField("image"),
                           "tags": sorted(st.image.repo_tags)}
    return out


def with_crictl(e):
    """crictl's view of one pod and container: what people read."""
    out = {}
    cfg = pod_config(e, "cli")
    pid = e.cri.call("RunPodSandbox", config=cfg).pod_sandbox_id
    cid = e.cri.call("CreateContainer", pod_sandbox_id=pid, sandbox_config=cfg,
                     config=ctr_config("cli", ["sh", "-c", "echo from-cli; sleep 300"])
                     ).container_id
    e.cri.call("StartContainer", container_id=cid)
    wait_state(e.cri, cid, 1)
    time.sleep(0.5)

    def run(*args):
        r = crictl(e, *args)
        return r.returncode, r.stdout

    rc, text = run("inspectp", pid)
    j = json.loads(text) if rc == 0 else {}
    out["crictl/inspectp"] = (rc, norm(j.get("status", {}), drop=IDS + ("createdAt",),
                                       mask=("ip",)))
    rc, text = run("inspect", cid)
    j = json.loads(text) if rc == 0 else {}
    out["crictl/inspect"] = (rc, norm(j.get("status", {}), drop=IDS + (
        "createdAt", "startedAt", "finishedAt", "logPath", "imageRef")))
    rc, text = run("ps", "-a", "-o", "json")
    out["crictl/ps"] = (rc, sorted((x["metadata"]["name"], x["state"])
                                   for x in json.loads(text or "{}").get("containers", [])))
    rc, text = run("pods", "-o", "json")
    out["crictl/pods"] = (rc, sorted((x["metadata"]["name"], x["state"])
                                     for x in json.loads(text or "{}").get("items", [])))
    out["crictl/exec"] = run("exec", "-s", cid, "sh", "-c", "echo $SBS")
    out["crictl/logs"] = run("logs", cid)
    out["crictl/stop_rm"] = [run("stop", cid)[0], run("rm", cid)[0], run("stopp", pid)[0],
                             run("rmp", pid)[0]]
    return out


SCENARIOS = [("pods", pods), ("containers", containers), ("errors", errors),
             ("images", images), ("crictl", with_crictl)]


# ------------------------------------------------------------------ diffing
def allowed(key):
    for pat, why in ALLOWED.items():
        p, k = pat.split("/"), key.split("/")
        if len(k) >= len(p) and all(a == "*" or a == b for a, b in zip(p, k)):
            return why
    return None


def leaves(v, path):
    """(path, value) of a nested answer, so a difference names its field."""
    if isinstance(v, dict) and v:
        for k, x in v.items():
            yield from leaves(x, path + "/" + k)
    else:
        yield path, v


def diff(scenario, a, b):
    rows = []
    for key in sorted(set(a) | set(b)):
        fa = dict(leaves(a.get(key, "<missing>"), scenario + "/" + key))
        fb = dict(leaves(b.get(key, "<missing>"), scenario + "/" + key))
        for path in sorted(set(fa) | set(fb)):
            va, vb = fa.get(path, "<missing>"), fb.get(path, "<missing>")
            if va != vb:
                rows.append((path, va, vb, allowed(path)))
    return rows


def main():
    reg = Registry()
    es = [Capsad(), Containerd()]
    started, rows, broken = [], [], []
    try:
        reg.start()
        for e in es:
            e.start()
            started.append(e)
            for img in (BUSYBOX, PAUSE) if e.name == "containerd" else (BUSYBOX,):
                e.cri.call("PullImage", image={"image": img})
        for name, fn in SCENARIOS:
            got = {}
            for e in es:
                try:
                    got[e.name] = fn(e)
                except Exception as ex:   # noqa: BLE001  (reported, the run goes on)
                    what = ex.details() if hasattr(ex, "details") else str(ex).splitlines()[0]
                    broken.append("%s on %s: %s" % (name, e.name, what))
                    got[e.name] = {}
                purge(e)
            d = diff(name, got["capsad"], got["containerd"])
            rows += d
            log("%-10s %d fields compared, %d differ (%d allowed)" % (
                name, len(list(leaves(got["containerd"], ""))), len(d),
                sum(1 for r in d if r[3])))
    finally:
        for e in reversed(started):
            try:
                purge(e)
                e.stop()
            except Exception as ex:   # noqa: BLE001
                log("stopping %s: %s" % (e.name, ex))
        reg.stop()
    if os.environ.get("SBS_FULL"):
        for path, va, vb, why in rows:
            log("%s\n  capsad:     %s\n  containerd: %s" % (path, json.dumps(va),
                                                           json.dumps(vb)))
    print("| field | capsad | containerd | why allowed |")
    print("|---|---|---|---|")
    for path, va, vb, why in rows:
        print("| %s | %s | %s | %s |" % (path, json.dumps(va)[:120], json.dumps(vb)[:120],
                                         why or "**not allowed**"))
    for b in broken:
        print("scenario failed:", b)
    bad = [r for r in rows if not r[3]]
    print("side by side: %d differences, %d not allowed, %d scenarios failed"
          % (len(rows), len(bad), len(broken)))
    sys.exit(2 if broken else 1 if bad else 0)


if __name__ == "__main__":
    main()
