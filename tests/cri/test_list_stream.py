"""The Stream* variants of the List methods (CRI list streaming): the same
items as the List method, each exactly once, in messages of at least one
item, the stream ending after the last; several messages when the items
would not fit one.  And UpdatePodSandboxResources."""
import grpc
import pytest

from conftest import pod_config
from test_containers import IMAGE, code_of, create, ctr_config

CODE = grpc.StatusCode


def streamed(cri, method, **fields):
    chunks = list(cri.call(method, **fields))
    assert all(c.ListFields() for c in chunks), "a message without items"
    return chunks, [item for c in chunks for item in c.ListFields()[0][1]]


def ids(items, key=lambda i: i.id):
    out = [key(i) for i in items]
    assert len(out) == len(set(out)), "an item sent twice"
    return sorted(out)


@pytest.fixture
def pods(cri, tmp_path):
    out = []
    for n in range(2):
        cfg = pod_config(log_directory=str(tmp_path / ("logs%d" % n)), labels={"n": str(n)})
        out.append((cri.call("RunPodSandbox", config=cfg).pod_sandbox_id, cfg))
    return out


def test_streams_match_lists(cri, pods):
    for i, p in enumerate(pods):
        for k in range(3):
            cid = create(cri, p, ctr_config("c%d" % k, ["sleep", "300"]))
            if k == 0:
                cri.call("StartContainer", container_id=cid)
    _, sb = streamed(cri, "StreamPodSandboxes")
    assert ids(sb) == ids(cri.call("ListPodSandbox").items)
    _, sb = streamed(cri, "StreamPodSandboxes", filter={"label_selector": {"n": "1"}})
    assert ids(sb) == [pods[1][0]]
    _, cs = streamed(cri, "StreamContainers")
    assert ids(cs) == ids(cri.call("ListContainers").containers) and len(cs) == 6
    _, cs = streamed(cri, "StreamContainers", filter={"pod_sandbox_id": pods[0][0],
                                                      "state": {"state": 1}})
    assert len(cs) == 1 and cs[0].metadata.name == "c0" and cs[0].state == 1
    _, st = streamed(cri, "StreamContainerStats")
    assert ids(st, lambda s: s.attributes.id) == \
        ids(cri.call("ListContainerStats").stats, lambda s: s.attributes.id)
    _, ps = streamed(cri, "StreamPodSandboxStats")
    assert ids(ps, lambda s: s.attributes.id) == \
        ids(cri.call("ListPodSandboxStats").stats, lambda s: s.attributes.id)
    assert set(p[0] for p in pods) <= set(ids(ps, lambda s: s.attributes.id))
    _, im = streamed(cri, "StreamImages")
    assert ids(im) == ids(cri.call("ListImages").images) and IMAGE in \
        [t for i in im for t in i.repo_tags]


def test_empty_stream_and_bad_filter(cri):
    chunks, items = streamed(cri, "StreamContainers", filter={"id": "nosuchcontainer"})
    assert chunks == [] and items == []
    chunks, _ = streamed(cri, "StreamPodSandboxMetrics")
    assert chunks == []


def test_many_items_come_in_several_messages(cri, pods):
    """Containers over the 16 MiB message limit (large annotations): the
    List answer is refused, naming the Stream variant, which sends them all
    in several messages, each under the limit, every container once."""
    big = "x" * (400 << 10)
    made = [create(cri, pods[0], ctr_config("big%d" % k, ["true"], annotations={"big": big}))
            for k in range(44)]
    code, msg = code_of(lambda: cri.call("ListContainers"))
    assert code == CODE.RESOURCE_EXHAUSTED and "Stream" in msg, msg
    chunks, cs = streamed(cri, "StreamContainers")
    assert len(chunks) >= 5, "44 × 400 KiB in %d messages" % len(chunks)
    assert all(c.ByteSize() <= 16 << 20 for c in chunks)
    assert ids(cs) == sorted(made)


def test_update_pod_sandbox_resources(cri, pods):
    pid = pods[0][0]
    cri.call("UpdatePodSandboxResources", pod_sandbox_id=pid,
             resources={"memory_limit_in_bytes": 256 << 20, "cpu_shares": 512},
             overhead={"memory_limit_in_bytes": 16 << 20})
    code, msg = code_of(lambda: cri.call("UpdatePodSandboxResources", pod_sandbox_id="nosuchpod"))
    assert code == CODE.NOT_FOUND and "nosuchpod" in msg
    code, msg = code_of(lambda: cri.call("UpdatePodSandboxResources", pod_sandbox_id=pid,
                                         resources={"memory_limit_in_bytes": -5}))
    assert code == CODE.INVALID_ARGUMENT
    assert cri.call("PodSandboxStatus", pod_sandbox_id=pid).status.state == 0
