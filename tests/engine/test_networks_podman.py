"""Networks side by side: capsactl and a private podman 4.3 (CNI backend,
conmon, runc) run the same scenarios in one network namespace this module
makes (test_networks.py's `testns`), and what a user sees is compared: an
address from the default network's subnet and its gateway reached, two
containers on a user network reaching each other, a published port
fetched from the namespace's 127.0.0.1, `port`, `network ls/inspect`, and
no veth left after rm. The differences kept on purpose are named in
known_differences.md (the `network-*` sections).

podman is podman.py's Podman with its network: `network_backend = "cni"`
(Debian's netavark is installed too, and podman would pick it), every
command entered into the test's network namespace and into a mount
namespace of this module's (a pinned `unshare -m`), where a tmpfs covers
/var/lib/cni and /run/netns: libcni keeps its results cache and the
host-local plugin its leases under /var/lib/cni (podman 4.3 has no setting
for either), and podman pins each container's network namespace in
/run/netns; so nothing of podman's networks reaches the host's files, and
all of it goes with the namespace. Its default network is podman's own
(`podman`: 10.88.0.0/16 on cni-podman0), its user networks cni-podman1...:
neither collides with capsactl's (capsa0, 10.99.0.0/16; capsaN,
10.100.N.0/24), and the user networks here have subnets of their own per
engine."""
import ipaddress
import json
import os
import re
import subprocess

import pytest

import procs
from podman import Podman, checked, loaded, need_podman
from test_networks import RAW, addr_of, fetch, net, plugin_dir, testns  # noqa: F401  (fixtures)

# the default network's name in `network ls` (`--network bridge` names it in both)
DEFAULT = {"capsactl": "capsa", "podman": "podman"}
# user networks and host ports of each engine (one namespace for both)
SUBNET = {"capsactl": "10.140.%d.0/24", "podman": "10.141.%d.0/24"}
HOSTPORT = {"capsactl": 18091, "podman": 18092}
HTTPD = ("mkdir -p /www && echo hello from $(hostname) > /www/index.html && "
         "exec httpd -f -p 80 -h /www")
# each line of `port NAME`: the host port is each engine's (or a free one)
PORT_LINE = re.compile(r"^80/tcp -> (0\.0\.0\.0|127\.0\.0\.1):(\d+)$")
# podman 4.3's `network inspect` keys (labels only when there are some)
INSPECT_KEYS = {"name", "id", "driver", "network_interface", "created", "subnets",
                "ipv6_enabled", "internal", "dns_enabled", "ipam_options"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
HOLDER = ("mount -t tmpfs -o mode=0755,size=16m capsa-test-cni /var/lib/cni && "
          "mount -t tmpfs -o mode=0755,size=1m capsa-test-netns /run/netns && "
          "echo ready && read -r _")


class NetPodman(Podman):
    """podman with its CNI networks, run inside the test's network
    namespace and the module's mount namespace (held by `holder`)."""
    run_flags = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]

    def __init__(self, top, ns, holder):
        self.network_conf = 'network_backend = "cni"\ncni_plugin_dirs = ["%s"]' % plugin_dir()
        self.holder = holder
        self.mountinfo = "/proc/%d/mountinfo" % holder.pid
        self.wrap = ["nsenter", "--mount=/proc/%d/ns/mnt" % holder.pid,
                     "--net=/run/netns/" + ns]
        self.ns = ns
        super().__init__(top)

    def pins(self):
        """podman's network namespace pins (its /run/netns)."""
        return os.listdir("/proc/%d/root/run/netns" % self.holder.pid)


def mount_namespace():
    """A process holding a private mount namespace with tmpfs over
    /var/lib/cni and /run/netns; it exits when its stdin closes. The
    mount point /var/lib/cni is made when missing: (made?, holder)."""
    made = not os.path.isdir("/var/lib/cni")
    if made:
        os.makedirs("/var/lib/cni")
    holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--",
                               "/bin/sh", "-c", HOLDER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    if holder.stdout.readline() != "ready\n":
        holder.wait()
        if made:
            os.rmdir("/var/lib/cni")
        pytest.fail("no private mount namespace (unshare -m and two tmpfs mounts)")
    return made, holder


@pytest.fixture(scope="module")
def podman_net(tmp_path_factory, busybox_layout, testns):
    need_podman()
    made, holder = mount_namespace()
    try:
        pm = NetPodman(tmp_path_factory.mktemp("podman-net"), testns, holder)
        yield from loaded(pm, busybox_layout.path)
        left = pm.procs()
        assert left == [], left
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        if made:
            os.rmdir("/var/lib/cni")


def link(ns, *args):
    return subprocess.run(["ip", "-n", ns, "-o", *args], capture_output=True,
                          text=True).stdout


def veths(ns, bridge_prefix):
    """host ends of veths on bridges named bridge_prefix*"""
    return [ln for ln in link(ns, "link", "show", "type", "veth").splitlines()
            if re.search(r" master %s\S* " % bridge_prefix, ln)]


@pytest.fixture
def both(net, podman_net):
    """(capsactl, podman), each for one test: capsactl's teardown (last)
    checks that no veth at all is left, podman's first that none of its."""
    net.kind = "capsactl"
    for pm in checked(podman_net):
        yield net, pm
    for n in podman_net.run("network", "ls", "-q").stdout.split():
        if n != "podman":
            podman_net.ok("network", "rm", n)
    assert podman_net.pins() == []
    assert veths(podman_net.ns, "cni-podman") == []


def on_default_network(e):
    """A container on the default network: its address, routes and the
    network's record; it reaches the gateway."""
    out = e.ok("run", "--rm", "--network", "bridge", *RAW, "busybox", "sh", "-c",
               "ip -4 -o addr show eth0; ip route; "
               "ping -c1 -W2 $(ip route | awk '/^default/ {print $3}') >/dev/null "
               "&& echo gateway reached").stdout
    addr = ipaddress.ip_interface(out.split("\n")[0].split()[3])
    gw = re.search(r"^default via (\S+) dev eth0", out, re.M).group(1)
    rec = json.loads(e.ok("network", "inspect", DEFAULT[e.kind]).stdout)[0]
    return out, addr, gw, rec


def test_default_network_address_and_gateway(both):
    for e in both:
        out, addr, gw, rec = on_default_network(e)
        subnet = ipaddress.ip_network(rec["subnets"][0]["subnet"])
        assert addr.ip in subnet and addr.network == subnet, (e.kind, out, rec)
        assert gw == rec["subnets"][0]["gateway"], (e.kind, out, rec)
        assert "gateway reached" in out, (e.kind, out)
        assert rec["driver"] == "bridge" and not rec["internal"]
        assert DEFAULT[e.kind] in e.ok("network", "ls", "-q").stdout.split()
        assert veths(e.ns, rec["network_interface"]) == [], e.kind
    (c, p) = [on_default_network(e)[3] for e in both]
    assert (c["subnets"], c["network_interface"]) == (
        [{"subnet": "10.99.0.0/16", "gateway": "10.99.0.1"}], "capsa0")
    assert (p["subnets"], p["network_interface"]) == (
        [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}], "cni-podman0")


def two_on_a_network(e):
    subnet = SUBNET[e.kind] % 1
    assert e.ok("network", "create", "--subnet", subnet, "lan").stdout == "lan\n"
    for name in ("a", "b"):
        e.ok("run", "-d", "--name", name, "--network", "lan", *RAW, "busybox",
             "sleep", "1000")
    ipa, ipb = addr_of(e, "a"), addr_of(e, "b")
    cidr = ipaddress.ip_network(subnet)
    assert ipaddress.ip_address(ipa) in cidr and ipaddress.ip_address(ipb) in cidr, e.kind
    assert ipa != ipb
    e.ok("exec", "a", "ping", "-c1", "-W2", ipb)
    e.ok("exec", "b", "ping", "-c1", "-W2", ipa)
    e.ok("exec", "b", "ping", "-c1", "-W2", str(next(cidr.hosts())))   # the gateway
    lan = e.inspect("a")["NetworkSettings"]["Networks"]["lan"]
    bridge = json.loads(e.ok("network", "inspect", "lan").stdout)[0]["network_interface"]
    assert len(veths(e.ns, bridge)) == 2, e.kind
    e.ok("rm", "-f", "a", "b")
    assert veths(e.ns, bridge) == [], e.kind
    e.ok("network", "rm", "lan")
    assert bridge not in link(e.ns, "link"), e.kind     # the bridge went with it
    return {k: lan[k] for k in ("IPAddress", "IPPrefixLen", "Gateway")}, ipa


def test_two_containers_on_a_user_network(both):
    got = [two_on_a_network(e) for e in both]
    for (lan, ipa), e in zip(got, both):
        assert lan == {"IPAddress": ipa, "IPPrefixLen": 24,
                       "Gateway": SUBNET[e.kind].replace("%d.0/24", "1.1")}, (e.kind, lan)


def published(e):
    """`port` of a container publishing 80 on a given host port and on
    127.0.0.1 (a free port), each fetched from the namespace's loopback."""
    e.ok("network", "create", "--subnet", SUBNET[e.kind] % 2, "web")
    hp = HOSTPORT[e.kind]
    e.ok("run", "-d", "--name", "w", "--network", "web", "-p", "%d:80" % hp,
         "-p", "127.0.0.1::80", "busybox", "sh", "-c", HTTPD)
    lines = e.ok("port", "w").stdout.splitlines()
    one = e.ok("port", "w", "80/tcp").stdout.splitlines()
    ports = [PORT_LINE.match(ln) for ln in lines]
    assert None not in ports, (e.kind, lines)
    local = next(int(m.group(2)) for m in ports if m.group(1) == "127.0.0.1")
    for port in (hp, local):
        url = "http://127.0.0.1:%d/" % port
        procs.wait_for(lambda: fetch(e, url).returncode == 0, timeout=20,
                       what="%s: httpd through %s" % (e.kind, url))
        assert fetch(e, url).stdout.startswith("hello from "), e.kind
    ports = e.inspect("w")["NetworkSettings"]["Ports"]["80/tcp"]
    bridge = json.loads(e.ok("network", "inspect", "web").stdout)[0]["network_interface"]
    assert len(veths(e.ns, bridge)) == 1, e.kind
    e.ok("rm", "-f", "w")
    assert veths(e.ns, bridge) == [], e.kind
    e.ok("network", "rm", "web")

    def norm(text):
        return text.replace(":%d" % hp, ":HOSTPORT").replace(":%d" % local, ":FREE")
    return [norm(ln) for ln in lines], [norm(ln) for ln in one], ports, hp, local


def test_published_ports_and_port(both):
    (cl, c1, cports, chp, clocal), (pl, p1, pports, php, plocal) = [published(e) for e in both]
    # capsactl keeps the order of the -p flags; podman 4.3's varies from one
    # call to the next (a Go map's order)
    assert cl == ["80/tcp -> 0.0.0.0:HOSTPORT", "80/tcp -> 127.0.0.1:FREE"]
    assert sorted(pl) == cl
    assert c1 == ["0.0.0.0:HOSTPORT", "127.0.0.1:FREE"] and sorted(p1) == c1
    assert cports == [{"HostIp": "", "HostPort": str(chp)},
                      {"HostIp": "127.0.0.1", "HostPort": str(clocal)}]
    assert sorted(pports, key=lambda p: p["HostIp"]) == [
        {"HostIp": "", "HostPort": str(php)}, {"HostIp": "127.0.0.1", "HostPort": str(plocal)}]


def network_records(e):
    e.ok("network", "create", "--subnet", SUBNET[e.kind] % 3, "--label", "team=a", "n1")
    e.ok("network", "create", "--subnet", SUBNET[e.kind] % 4, "--internal", "n2")
    table = e.ok("network", "ls").stdout.splitlines()
    quiet = e.ok("network", "ls", "-q").stdout.split()
    listed = {n["name"]: n for n in json.loads(e.ok("network", "ls", "--format",
                                                    "json").stdout)}
    inspected = {n: json.loads(e.ok("network", "inspect", n).stdout)[0] for n in ("n1", "n2")}
    missing = e.fails("network", "inspect", "nosuch")
    e.ok("network", "rm", "n1", "n2")
    return table, quiet, listed, inspected, missing.returncode


def test_network_ls_and_inspect_fields(both):
    got = {e.kind: network_records(e) for e in both}
    for kind, (table, quiet, listed, inspected, rc) in got.items():
        assert table[0].split() == ["NETWORK", "ID", "NAME", "DRIVER"], (kind, table)
        assert {ln.split()[1] for ln in table[1:]} == set(quiet), (kind, table)
        assert {"n1", "n2"} <= set(quiet) and rc == 125, kind
        for name, rec in inspected.items():
            assert INSPECT_KEYS <= set(rec), (kind, rec)
            assert {k: listed[name][k] for k in INSPECT_KEYS} == {
                k: rec[k] for k in INSPECT_KEYS}, kind
            assert re.match(r"^[0-9a-f]{64}$", rec["id"]), (kind, rec["id"])
            assert RFC3339.match(rec["created"]), (kind, rec["created"])
            assert table_has(table, rec["id"][:12], name), (kind, table)
    same = ("driver", "subnets", "ipv6_enabled", "internal", "dns_enabled", "ipam_options")
    for name, k in (("n1", 3), ("n2", 4)):
        c, p = got["capsactl"][3][name], got["podman"][3][name]
        assert {f: c[f] for f in same if f != "subnets"} == {f: p[f] for f in same
                                                          if f != "subnets"}, name
        assert c["subnets"] == [{"subnet": "10.140.%d.0/24" % k, "gateway": "10.140.%d.1" % k}]
        # known_differences.md, network-internal-gateway
        assert p["subnets"] == [{"subnet": "10.141.%d.0/24" % k, "gateway": "10.141.%d.1" % k}
                                if name == "n1" else {"subnet": "10.141.%d.0/24" % k}]
    assert got["capsactl"][3]["n1"]["labels"] == got["podman"][3]["n1"]["labels"] == {
        "team": "a"}
    assert got["capsactl"][3]["n2"]["internal"] is True


def table_has(table, short_id, name):
    return any(ln.split()[:2] == [short_id, name] for ln in table[1:])


# the sections of known_differences.md this module relies on
DOCUMENTED = ("network-default", "network-internal-gateway", "network-inspect-extra",
              "network-toplevel-address", "port-order")


def test_differences_are_documented():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "known_differences.md")) as f:
        sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", f.read(), re.M | re.S))
    for sec in DOCUMENTED:
        assert sec in sections, sec
        assert "test_networks_podman.py" in sections[sec] or "Not compared" in sections[sec], sec
