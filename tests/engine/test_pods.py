"""Pods: `pod create` makes an infra container (capsa-pause, from the
image localhost/capsa-pause that capsactl makes in the store) holding the
namespaces its members share; `run --pod` joins them; the pod's
containers reach each other on localhost and share its published ports;
`pod start/stop/restart/kill/pause/unpause/rm/top/stats/inspect/ps`.  And
`--network container:NAME`.  Everything runs in the suite's network
namespace (conftest), on the default network."""
import json
import subprocess

import procs

HTTPD = ("mkdir -p /www && echo hello from $(hostname) > /www/index.html && "
         "exec httpd -f -p 8080 -h /www")
FETCH = ("import sys, urllib.request; "
         "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end='')")


def fetch(e, url):
    """GET url from the suite's network namespace (Python: the host's static
    busybox wget crashes)."""
    return subprocess.run(["nsenter", "--net=/run/netns/" + e.netns, "/usr/bin/python3", "-c",
                           FETCH, url], capture_output=True, text=True)


def pod_ps(e):
    return {p["Name"]: p for p in json.loads(e.ok("pod", "ps", "--format", "json").stdout)}


def states(e):
    return {c["Names"][0] if isinstance(c["Names"], list) else c["Names"]: c["State"]
            for c in e.ps()}


def test_pod_members_share_localhost_ports_and_hostname(engine):
    pid = engine.ok("pod", "create", "--name", "web", "-p", "127.0.0.1::8080",
                    "--label", "tier=front").stdout.strip()
    assert len(pid) == 64
    # the infra image was made in the store, with no network
    assert "localhost/capsa-pause" in engine.ok("images").stdout
    assert pod_ps(engine)["web"]["State"] == "Created"
    engine.ok("run", "-d", "--pod", "web", "--name", "srv", "busybox", "sh", "-c", HTTPD)
    # another member reaches it on localhost, and has the pod's hostname
    out = ""
    for _ in range(50):
        r = engine.run("run", "--rm", "--pod", "web", "busybox", "sh", "-c",
                       "hostname; wget -q -O- http://127.0.0.1:8080/")
        out = r.stdout
        if r.returncode == 0:
            break
    assert out == "web\nhello from web\n", out
    # the pod's published port, from the namespace's 127.0.0.1
    info = json.loads(engine.ok("pod", "inspect", "web").stdout)
    assert info["Name"] == "web" and info["Id"] == pid and info["State"] == "Running"
    assert info["Labels"] == {"tier": "front"} and info["Hostname"] == "web"
    assert info["SharedNamespaces"] == ["net", "ipc", "uts"]
    assert info["NumContainers"] == 2
    infra = info["InfraContainerID"]
    assert [c["Name"] for c in info["Containers"]] == [pid[:12] + "-infra", "srv"]
    port = engine.ok("port", infra).stdout.split(":")[-1].strip()
    assert fetch(engine, "http://127.0.0.1:%s/" % port).stdout == "hello from web\n"
    # top and stats cover every container of the pod
    top = engine.ok("pod", "top", "web").stdout.splitlines()
    assert top[0].split()[0] == "USER" and len(top) == 3, top
    assert any("/capsa-pause" in line for line in top) and any("httpd" in line for line in top)
    stats = json.loads(engine.ok("pod", "stats", "--no-stream", "--format", "json",
                                 "web").stdout)
    assert sorted(s["name"] for s in stats) == sorted([pid[:12] + "-infra", "srv"])


def test_pod_lifecycle(engine):
    engine.ok("pod", "create", "--name", "p")
    engine.ok("create", "--pod", "p", "--name", "a", "busybox", "sleep", "1000")
    engine.ok("create", "--pod", "p", "--name", "b", "busybox", "sleep", "1000")
    assert engine.ok("pod", "start", "p").stdout == "p\n"
    assert pod_ps(engine)["p"]["State"] == "Running"
    assert states(engine)["a"] == "running" and states(engine)["b"] == "running"
    # stop: the members and then the infra container, within one time-out
    engine.ok("pod", "stop", "-t", "1", "p")
    assert pod_ps(engine)["p"]["State"] == "Exited"
    assert set(states(engine).values()) == {"exited"}
    engine.ok("pod", "restart", "p")
    assert set(states(engine).values()) == {"running"}
    engine.ok("pod", "pause", "p")
    assert pod_ps(engine)["p"]["State"] == "Paused"
    engine.ok("pod", "unpause", "p")
    assert pod_ps(engine)["p"]["State"] == "Running"
    engine.ok("pod", "kill", "p")
    procs.wait_for(lambda: set(states(engine).values()) == {"exited"}, timeout=20,
                   what="the pod's containers killed")
    # starting one member starts the infra container first
    engine.ok("start", "a")
    infra = json.loads(engine.ok("pod", "inspect", "p").stdout)["InfraContainerID"]
    assert engine.inspect(infra)["State"]["Status"] == "running"
    # rm: refused while running, then with -f everything goes
    r = engine.fails("pod", "rm", "p")
    assert "running" in r.stderr, r.stderr
    assert engine.ok("pod", "rm", "-f", "p").stdout == "p\n"
    assert engine.ps() == [] and pod_ps(engine) == {}
    assert engine.run("pod", "exists", "p").returncode == 1


def test_pod_refusals(engine):
    engine.ok("pod", "create", "--name", "p")
    for args, words in ((("--pod", "nosuch"), "no pod named nosuch"),
                        (("--pod", "p", "--network", "none"), "pod create"),
                        (("--pod", "p", "-p", "80"), "pod create"),
                        (("--pod", "p", "--hostname", "x"), "pod create")):
        r = engine.fails("run", "--rm", *args, "busybox", "true", code=125)
        assert words in r.stderr, (args, r.stderr)
    r = engine.fails("pod", "create", "--name", "p")
    assert "exists already" in r.stderr, r.stderr
    r = engine.fails("pod", "create", "--share", "cgroup,net")
    assert "--share" in r.stderr, r.stderr
    # the infra container goes only with its pod
    infra = json.loads(engine.ok("pod", "inspect", "p").stdout)["InfraContainerID"]
    r = engine.fails("rm", "-f", infra)
    assert "infra container of pod p" in r.stderr, r.stderr
    engine.ok("rm", "-fa")
    assert [c["Id"] for c in engine.ps()] == [infra]
    assert engine.ok("pod", "prune").stdout.split() != []
    assert engine.ps() == [] and pod_ps(engine) == {}


def test_pod_sharing_pid(engine):
    engine.ok("pod", "create", "--name", "pp", "--share", "pid,ipc,uts")
    out = engine.ok("run", "--rm", "--pod", "pp", "busybox", "cat", "/proc/1/cmdline").stdout
    assert out.split("\0")[0] == "/capsa-pause", out
    assert "pid" in json.loads(engine.ok("pod", "inspect", "pp").stdout)["SharedNamespaces"]


def test_network_of_another_container(engine):
    engine.ok("run", "-d", "--name", "srv", "busybox", "sh", "-c", HTTPD)
    ip = engine.inspect("srv")["NetworkSettings"]["IPAddress"]
    assert ip.startswith("10.99."), ip
    out = ""
    for _ in range(50):
        r = engine.run("run", "--rm", "--network", "container:srv", "busybox", "sh", "-c",
                       "ip -4 -o addr show eth0; wget -q -O- http://127.0.0.1:8080/")
        out = r.stdout
        if r.returncode == 0:
            break
    assert (" %s/" % ip) in out and out.endswith("hello from %s\n"
                                                 % engine.inspect("srv")["Id"][:12]), out
    # the container it joins must run
    engine.ok("create", "--name", "j", "--network", "container:srv", "busybox", "true")
    engine.ok("stop", "-t", "0", "srv")
    r = engine.fails("start", "j")
    assert "srv" in r.stderr and "not running" in r.stderr, r.stderr
    r = engine.fails("run", "--rm", "--network", "container:nosuch", "busybox", "true",
                     code=125)
    assert "no such container" in r.stderr, r.stderr


def test_default_network_is_the_default(engine):
    out = engine.ok("run", "--rm", "busybox", "ip", "-4", "-o", "addr", "show", "eth0").stdout
    assert " 10.99." in out, out
    nets = json.loads(engine.ok("network", "ls", "--format", "json").stdout)
    assert [n["name"] for n in nets] == ["capsa"]
    # none: loopback only
    out = engine.ok("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link").stdout
    assert [line.split(":")[1].strip() for line in out.splitlines()] == ["lo"], out


def test_prune_keeps_infra_until_the_pod_goes(engine):
    engine.ok("pod", "create", "--name", "keep")
    engine.ok("pod", "create", "--name", "gone")
    engine.ok("run", "-d", "--pod", "keep", "--name", "k", "busybox", "sleep", "1000")
    g = engine.ok("create", "--pod", "gone", "--name", "g", "busybox", "true").stdout.strip()
    # container prune: not an infra container, even a stopped pod's
    assert engine.ok("container", "prune").stdout.split() == [g]
    assert sorted(pod_ps(engine)) == ["gone", "keep"]
    # system prune: the pod nothing runs in goes, with its infra container
    gone = pod_ps(engine)["gone"]["Id"]
    assert gone in engine.ok("system", "prune", "-f").stdout.split()
    assert sorted(pod_ps(engine)) == ["keep"]
    assert len(engine.ps()) == 2
