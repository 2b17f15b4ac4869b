"""Networks (CNI): `network create/ls/inspect/rm/prune` and containers on
them, every command run inside a network namespace this module makes (its
own loopback, bridges and iptables rules), so the host's network is never
touched: an address from the network's subnet, the gateway and another
container reached, the plugins' DEL at stop and rm (no veth, no lease, no
pin left), and the faults: a subnet taken or shadowing a route, a network
in use, a missing plugin, a plugin that hangs."""
import json
import os
import shutil
import subprocess
import uuid

import pytest

import procs
from conftest import Engine

PLUGIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin")
# busybox's ping opens a raw socket: not in podman's default capabilities
RAW = ("--cap-add", "NET_RAW")


def plugin_dir():
    for d in PLUGIN_DIRS:
        if all(os.access(os.path.join(d, p), os.X_OK)
               for p in ("bridge", "host-local", "portmap", "firewall", "tuning")):
            return d
    return None


@pytest.fixture(scope="module")
def testns():
    if plugin_dir() is None:
        pytest.skip("the CNI plugins are not installed (containernetworking-plugins)")
    if not shutil.which("ip") or not shutil.which("iptables"):
        pytest.skip("ip (iproute2) and iptables are needed")
    name = "capsa-test-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


class NetEngine(Engine):
    """capsactl entered into the test's network namespace only (its mount
    namespace stays the host's: mounts and pins are seen by every call)."""

    def __init__(self, binary, base, ns):
        super().__init__(binary, base)
        self.netns = ns

    @property
    def ns(self):
        return self.netns

    def ip(self, *args):
        return subprocess.run(["ip", "-n", self.netns, *args], capture_output=True, text=True)


@pytest.fixture
def net(capsactl, tmp_path, busybox_layout, testns):
    e = NetEngine(capsactl, str(tmp_path / "store"), testns)
    e.ok("pull", "-q", "oci:%s:latest" % busybox_layout.path)
    yield e
    e.run("rm", "-fa")
    procs.wait_for(lambda: not procs.procs_with(e.base), timeout=20, what="shims gone")
    left = e.leftovers()
    for n in e.run("network", "ls", "-q").stdout.split():
        e.run("network", "rm", n)
    assert left == [], left
    assert "veth" not in e.ip("link").stdout


def addr_of(e, name, ifname="eth0"):
    out = e.ok("exec", name, "ip", "-4", "-o", "addr", "show", ifname).stdout
    return out.split()[3].split("/")[0]


def test_network_commands_and_refusals(net):
    assert net.ok("network", "create", "n1").stdout == "n1\n"
    net.ok("network", "create", "--subnet", "192.168.77.0/24", "--gateway",
           "192.168.77.254", "--internal", "--label", "team=a", "n2")
    info = {n["name"]: n for n in json.loads(net.ok("network", "ls", "--format", "json").stdout)}
    assert info["n1"]["subnets"][0]["subnet"].startswith("10.100.")
    assert info["n2"]["subnets"] == [{"subnet": "192.168.77.0/24", "gateway": "192.168.77.254"}]
    assert info["n2"]["internal"] and info["n2"]["labels"] == {"team": "a"}
    assert info["n1"]["network_interface"] != info["n2"]["network_interface"]
    for args, words in (
            (("n1",), "already exists"),
            (("--subnet", "192.168.77.128/25", "n3"), "overlaps network n2"),
            (("--subnet", "10.1.2.3/24", "n3"), "not a network address"),
            (("--subnet", "10.1.0.0/8", "n3"), "not a network address"),
            (("--subnet", "10.7.0.0/16", "--gateway", "10.8.0.1", "n3"), "not a host address"),
            (("none",), "reserved"), (("bad/name",), "network name")):
        r = net.fails("network", "create", *args, code=125)
        assert words in r.stderr, r.stderr
    # a subnet that a route of the (test's) host already covers
    net.ip("route", "add", "10.55.0.0/16", "dev", "lo")
    r = net.fails("network", "create", "--subnet", "10.55.1.0/24", "n3", code=125)
    assert "overlaps a route" in r.stderr
    net.fails("network", "inspect", "nosuch", code=125)
    assert net.ok("network", "rm", "n2").stdout == "n2\n"
    assert net.ok("network", "prune").stdout == "n1\n"
    assert net.ok("network", "ls", "-q").stdout == ""


def test_containers_on_a_network_reach_each_other(net):
    net.ok("network", "create", "--subnet", "10.123.0.0/24", "lan")
    net.ok("run", "-d", "--name", "a", "--network", "lan", *RAW, "busybox", "sleep", "1000")
    net.ok("run", "-d", "--name", "b", "--network", "lan", *RAW, "busybox", "sleep", "1000")
    ipa, ipb = addr_of(net, "a"), addr_of(net, "b")
    assert ipa.startswith("10.123.0.") and ipb.startswith("10.123.0.") and ipa != ipb
    ns = net.inspect("a")["NetworkSettings"]
    assert ns["IPAddress"] == ipa and ns["Networks"]["lan"]["IPPrefixLen"] == 24
    net.ok("exec", "a", "ping", "-c1", "-W2", ipb)
    net.ok("exec", "b", "ping", "-c1", "-W2", "10.123.0.1")     # the gateway: the bridge
    # the host (here: the test's namespace) reaches the container
    assert subprocess.run(["ip", "netns", "exec", net.ns, "busybox", "ping", "-c1", "-W2",
                           ipa], capture_output=True).returncode == 0
    lan = json.loads(net.ok("network", "inspect", "lan").stdout)[0]
    assert len(lan["containers"]) == 2
    r = net.fails("network", "rm", "lan", code=125)
    assert "in use" in r.stderr
    # stop: DEL (the veth and the lease go), start: ADD again
    net.ok("stop", "-t", "0", "a")
    assert net.ip("link").stdout.count("veth") == 1
    net.ok("start", "a")
    net.ok("exec", "a", "ping", "-c1", "-W2", addr_of(net, "b"))
    net.ok("rm", "-f", "a", "b")
    assert "veth" not in net.ip("link").stdout
    leases = os.path.join(net.runroot, "cni", "ipam", "lan")
    assert [f for f in os.listdir(leases) if f[0].isdigit()] == []
    assert os.listdir(os.path.join(net.runroot, "cni", "results")) == []
    net.ok("network", "rm", "lan")
    assert net.ip("link", "show", "capsa1").returncode != 0   # the bridge went with it


def test_run_rm_on_the_default_network(net):
    r = net.ok("run", "--rm", "--network", "bridge", "busybox", "sh", "-c",
               "ip -4 -o addr show eth0; ip route")
    assert " 10.99." in r.stdout and "default via 10.99.0.1" in r.stdout
    assert json.loads(net.ok("network", "inspect", "capsa").stdout)[0]["containers"] == []


def test_missing_or_hanging_plugin_starts_nothing(net, tmp_path):
    net.ok("network", "create", "n1")
    net.env["CNI_PATH"] = "/nonexistent"
    r = net.fails("run", "--rm", "--network", "n1", "busybox", "true", code=125)
    assert "CNI plugin \"bridge\" not found" in r.stderr, r.stderr
    assert net.ps() == []
    hang = tmp_path / "plugins"
    hang.mkdir()
    (hang / "bridge").write_text("#!/bin/sh\nsleep 100\n")
    (hang / "bridge").chmod(0o755)
    net.env["CNI_PATH"] = str(hang)
    net.env["CAPSACTL_CNI_TIMEOUT"] = "2"
    r = net.fails("run", "--rm", "--network", "n1", "busybox", "true", code=125)
    assert "no answer after 2 s" in r.stderr, r.stderr
    assert net.ps() == [] and not procs.procs_with(str(hang))
    del net.env["CNI_PATH"], net.env["CAPSACTL_CNI_TIMEOUT"]
    assert net.ok("run", "--rm", "--network", "n1", "busybox", "true").returncode == 0


HTTPD = ("mkdir -p /www && echo hello from $(hostname) > /www/index.html && "
         "exec httpd -f -p 8080 -h /www")


FETCH = ("import sys, urllib.request; "
         "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end='')")


def fetch(net, url):
    """GET url from the test's namespace (Python: the host's static busybox wget crashes)."""
    return subprocess.run(["nsenter", "--net=/run/netns/" + net.ns, "/usr/bin/python3", "-c",
                           FETCH, url], capture_output=True, text=True)


def test_published_ports(net):
    net.ok("network", "create", "--subnet", "10.124.0.0/24", "web")
    net.ok("run", "-d", "--name", "w", "--network", "web", "-p", "18081:8080",
           "-p", "127.0.0.1::8080", "busybox", "sh", "-c", HTTPD)
    lines = net.ok("port", "w").stdout.splitlines()
    assert net.inspect("w")["NetworkSettings"]["Ports"]["8080/tcp"][0] == {
        "HostIp": "", "HostPort": "18081"}
    assert lines[0] == "8080/tcp -> 0.0.0.0:18081"
    local = int(lines[1].rsplit(":", 1)[1])
    assert lines[1] == "8080/tcp -> 127.0.0.1:%d" % local and local != 18081
    assert net.ok("port", "w", "8080/tcp").stdout.splitlines()[0] == "0.0.0.0:18081"
    procs.wait_for(lambda: fetch(net, "http://10.124.0.1:18081/").returncode == 0,
                   timeout=20, what="httpd through the published port")
    assert fetch(net, "http://10.124.0.1:18081/").stdout.startswith("hello from ")
    assert fetch(net, "http://127.0.0.1:%d/" % local).stdout.startswith("hello from ")
    # the same port for another container, or a program: refused before it starts
    r = net.fails("run", "--rm", "--network", "web", "-p", "18081:80", "busybox", "true",
                  code=125)
    assert "18081" in r.stderr, r.stderr
    # a restart keeps its ports
    net.ok("restart", "-t", "0", "w")
    assert net.ok("port", "w").stdout.splitlines() == lines
    net.ok("rm", "-f", "w")
    nat = subprocess.run(["ip", "netns", "exec", net.ns, "iptables-save", "-t", "nat"],
                         capture_output=True, text=True).stdout
    # the container's DNAT gone; the network's masquerade rule stays with it
    assert "18081" not in nat, nat
    assert [ln for ln in nat.splitlines() if "10.124.0." in ln] == [
        '-A POSTROUTING -s 10.124.0.0/24 ! -d 10.124.0.0/24 -m comment --comment '
        '"capsa network web" -j MASQUERADE'], nat
    net.ok("network", "rm", "web")
    rules = subprocess.run(["ip", "netns", "exec", net.ns, "iptables-save"],
                           capture_output=True, text=True).stdout
    assert "10.124.0." not in rules and "capsa network web" not in rules, rules


def test_port_refusals(net):
    for args, words in ((("--network", "host", "-p", "80"), "need a network"),
                        (("--network", "none", "-p", "80"), "need a network"),
                        (("--network", "x", "-p", "99999"), "-p 99999"),
                        (("--network", "nosuch"), "network nosuch not found")):
        r = net.fails("run", "--rm", *args, "busybox", "true", code=125)
        assert words in r.stderr, r.stderr
    assert net.ps() == []


def test_names_resolve_on_a_user_network(net):
    net.ok("network", "create", "--subnet", "10.125.0.0/24", "names")
    net.ok("network", "create", "--subnet", "10.126.0.0/24", "other")
    net.ok("run", "-d", "--name", "alpha", "--network", "names", *RAW, "busybox", "sleep", "1000")
    net.ok("run", "-d", "--name", "beta", "--network", "names,other", *RAW,
           "busybox",
           "sleep", "1000")
    net.ok("run", "-d", "--name", "gamma", "--network", "other", *RAW, "busybox", "sleep", "1000")
    net.ok("exec", "alpha", "ping", "-c1", "-W2", "beta")
    net.ok("exec", "beta", "ping", "-c1", "-W2", "gamma")     # through the second network
    hosts = net.ok("exec", "alpha", "cat", "/etc/hosts").stdout
    assert "\tbeta " in hosts and "gamma" not in hosts         # alpha is not on "other"
    assert "127.0.0.1\tlocalhost" in hosts
    net.ok("rm", "-f", "beta")
    hosts = net.ok("exec", "alpha", "cat", "/etc/hosts").stdout
    # its own line, podman's "IP hostname name" (the hostname: the short ID)
    own = "%s\t%s alpha\n" % (addr_of(net, "alpha"), net.inspect("alpha")["Id"][:12])
    assert "beta" not in hosts and own in hosts
    net.fails("exec", "alpha", "ping", "-c1", "-W1", "beta")
    # the default network resolves no names (as podman's and docker's): its
    # own line only
    net.ok("run", "-d", "--name", "d1", "--network", "bridge", "--hostname", "h1", "busybox",
           "sleep", "1000")
    net.ok("run", "-d", "--name", "d2", "--network", "bridge", "busybox", "sleep", "1000")
    hosts = net.ok("exec", "d1", "cat", "/etc/hosts").stdout
    own = "%s\th1 d1 %s\n" % (addr_of(net, "d1"), net.inspect("d1")["Id"][:12])
    assert own in hosts and "\td2 " not in hosts
    assert net.ok("exec", "d1", "hostname", "-i").stdout.strip() == addr_of(net, "d1")


def test_connect_and_disconnect_a_running_container(net):
    net.ok("network", "create", "--subnet", "10.127.0.0/24", "front")
    net.ok("network", "create", "--subnet", "10.128.0.0/24", "back")
    net.ok("run", "-d", "--name", "app", "--network", "front", *RAW, "busybox", "sleep", "1000")
    net.ok("run", "-d", "--name", "db", "--network", "back", *RAW, "busybox", "sleep", "1000")
    net.fails("exec", "app", "ping", "-c1", "-W1", "db")
    net.ok("network", "connect", "back", "app")
    assert addr_of(net, "app", "eth1").startswith("10.128.0.")
    net.ok("exec", "app", "ping", "-c1", "-W2", "db")
    r = net.fails("network", "connect", "back", "app", code=125)
    assert "already on network back" in r.stderr
    net.ok("network", "disconnect", "back", "app")
    assert net.run("exec", "app", "ip", "link", "show", "eth1").returncode != 0
    net.fails("exec", "app", "ping", "-c1", "-W1", "db")
    r = net.fails("network", "disconnect", "back", "app", code=125)
    assert "not on network back" in r.stderr
    net.ok("run", "-d", "--name", "plain", "--network", "none", "busybox", "sleep", "1000")
    r = net.fails("network", "connect", "front", "plain", code=125)
    assert "not on networks" in r.stderr


def test_static_address_and_mac(net):
    net.ok("network", "create", "--subnet", "10.129.0.0/24", "fixed")
    mac = "92:d0:c6:0a:29:33"
    net.ok("run", "-d", "--name", "s1", "--network", "fixed", "--ip", "10.129.0.50",
           "--mac-address", mac.upper(), "busybox", "sleep", "1000")
    assert addr_of(net, "s1") == "10.129.0.50"
    assert "link/ether %s " % mac in net.ok("exec", "s1", "ip", "link", "show", "eth0").stdout
    ns = net.inspect("s1")["NetworkSettings"]
    assert ns["MacAddress"] == mac and ns["Networks"]["fixed"]["IPAddress"] == "10.129.0.50"
    # the address another container holds: refused at its start, naming the holder
    r = net.fails("run", "--rm", "--network", "fixed", "--ip", "10.129.0.50", "busybox", "true",
                  code=125)
    assert "10.129.0.50" in r.stderr and "in use" in r.stderr and "s1" in r.stderr, r.stderr
    # outside the subnet, its gateway, its broadcast address: refused before anything is made
    for ip, words in (("10.130.0.5", "not in network fixed's subnet 10.129.0.0/24"),
                      ("10.129.0.1", "the gateway of network fixed (subnet 10.129.0.0/24)"),
                      ("10.129.0.255", "broadcast")):
        r = net.fails("create", "--network", "fixed", "--ip", ip, "busybox", "true", code=125)
        assert words in r.stderr, r.stderr
    r = net.fails("run", "--rm", "--network", "fixed,bridge", "--ip", "10.129.0.9", "busybox",
                  "true", code=125)
    assert "one network" in r.stderr
    assert [c["Names"] for c in net.ps()] == [["s1"]]
    # a restart keeps both
    net.ok("restart", "-t", "0", "s1")
    assert addr_of(net, "s1") == "10.129.0.50"
    assert "link/ether %s " % mac in net.ok("exec", "s1", "ip", "link", "show", "eth0").stdout
    net.ok("rm", "-f", "s1")
    leases = os.path.join(net.runroot, "cni", "ipam", "fixed")
    assert [f for f in os.listdir(leases) if f[0].isdigit()] == []
    assert os.listdir(os.path.join(net.runroot, "cni", "tuning")) == []


def test_aliases_resolve_from_a_peer(net):
    net.ok("network", "create", "--subnet", "10.131.0.0/24", "al")
    net.ok("run", "-d", "--name", "db", "--network", "al", "--network-alias", "database",
           "--network-alias", "pg.local", "busybox", "sleep", "1000")
    net.ok("run", "-d", "--name", "app", "--network", "al", *RAW, "busybox", "sleep", "1000")
    net.ok("exec", "app", "ping", "-c1", "-W2", "database")
    net.ok("exec", "app", "ping", "-c1", "-W2", "pg.local")
    hosts = net.ok("exec", "app", "cat", "/etc/hosts").stdout
    ipdb, iddb = addr_of(net, "db"), net.inspect("db")["Id"][:12]
    assert "%s\tdb %s database pg.local\n" % (ipdb, iddb) in hosts, hosts
    assert net.inspect("db")["NetworkSettings"]["Networks"]["al"]["Aliases"] == [
        "database", "pg.local"]
    r = net.fails("run", "--rm", "--network", "bridge", "--network-alias", "x", "busybox",
                  "true", code=125)
    assert "user-created networks" in r.stderr, r.stderr


def test_dns_flags(net):
    net.ok("network", "create", "--subnet", "10.132.0.0/24", "dn")
    r = net.ok("run", "--rm", "--network", "dn", "--dns", "10.0.0.53", "--dns", "10.0.0.54",
               "--dns-search", "example.com", "--dns-option", "ndots:2", "busybox", "cat",
               "/etc/resolv.conf")
    lines = r.stdout.splitlines()
    assert [x for x in lines if x.startswith("nameserver")] == [
        "nameserver 10.0.0.53", "nameserver 10.0.0.54"]
    assert [x for x in lines if x.startswith(("search", "domain"))] == ["search example.com"]
    assert [x for x in lines if x.startswith("options")] == ["options ndots:2"]
    # --dns-search .: none; --network none still gets the resolver asked for
    r = net.ok("run", "--rm", "--network", "none", "--dns", "10.0.0.53", "--dns-search", ".",
               "busybox", "cat", "/etc/resolv.conf")
    assert "nameserver 10.0.0.53" in r.stdout and "search" not in r.stdout
    r = net.ok("run", "--rm", "--network", "none", "--dns", "none", "busybox", "sh", "-c",
               "test -e /etc/resolv.conf && echo present || echo absent")
    assert r.stdout == "absent\n"
    net.ok("create", "--name", "c", "--network", "dn", "--dns", "10.0.0.53", "--dns-search",
           "a.example", "--dns-option", "edns0", "--add-host", "h:10.1.1.1", "busybox")
    hc = net.inspect("c")["HostConfig"]
    assert (hc["Dns"], hc["DnsSearch"], hc["DnsOptions"], hc["ExtraHosts"]) == (
        ["10.0.0.53"], ["a.example"], ["edns0"], ["h:10.1.1.1"])
    r = net.fails("run", "--rm", "--network", "dn", "--dns", "10.0.0", "busybox", "true",
                  code=125)
    assert "--dns: \"10.0.0\" is not an IP address" in r.stderr


def test_add_host_and_no_hosts(net):
    net.ok("network", "create", "--subnet", "10.133.0.0/24", "ah")
    net.ok("run", "-d", "--name", "h1", "--network", "ah", "--add-host", "db;db.local:10.9.8.7",
           "--add-host", "six:fd00::7", "busybox", "sleep", "1000")
    hosts = net.ok("exec", "h1", "cat", "/etc/hosts").stdout
    assert "10.9.8.7\tdb db.local\n" in hosts and "fd00::7\tsix\n" in hosts
    # a peer joins: the file is rewritten below the marker, the lines stay above it
    net.ok("run", "-d", "--name", "h2", "--network", "ah", "busybox", "sleep", "1000")
    hosts = net.ok("exec", "h1", "cat", "/etc/hosts").stdout
    assert "\th2 " in hosts and hosts.index("10.9.8.7\tdb") < hosts.index("# capsa")
    assert "fd00::7\tsix\n" in hosts
    net.ok("rm", "-f", "h2")
    assert "10.9.8.7\tdb db.local\n" in net.ok("exec", "h1", "cat", "/etc/hosts").stdout
    # --no-hosts: the image's /etc/hosts (this image has none)
    r = net.ok("run", "--rm", "--network", "ah", "--no-hosts", "busybox", "sh", "-c",
               "test -e /etc/hosts && echo present || echo absent")
    assert r.stdout == "absent\n"
    r = net.fails("run", "--rm", "--network", "ah", "--no-hosts", "--add-host", "a:10.0.0.1",
                  "busybox", "true", code=125)
    assert "conflicts with --no-hosts" in r.stderr
    r = net.fails("run", "--rm", "--network", "ah", "--add-host", "a b:10.0.0.1", "busybox",
                  "true", code=125)
    assert "not a valid host name" in r.stderr
