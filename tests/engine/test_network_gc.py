"""What a container on a network leaves when the DEL of its attachments
never ran, and what a removed network leaves (src/engine/net_gc.c), in the
network namespace of test_networks.py's fixtures: capsactl SIGKILLed at
every checkpoint (CX_FAULT) of start, stop and rm with the fault-injection
build ($CAPSACTL_FI), a shim SIGKILLed with its container, the plugins
missing at a DEL; then the next start, or `system prune`, leaves no pin, no
kept attachment, no lease, no veth and no iptables rule of the container,
and the container starts again with an address.  `network rm` leaves
iptables as they were before the network existed."""
import os
import signal
import subprocess

import procs
from test_faults import CAPSACTL_FI, killed_at, steps
from test_networks import NetEngine, addr_of, net, testns  # noqa: F401 (fixtures)

import pytest

SUBNET = "10.131.0."


@pytest.fixture
def fi(net):  # noqa: F811
    if not os.access(CAPSACTL_FI, os.X_OK):
        pytest.fail("the fault-injection build %s is missing (make check builds it; or set "
                    "CAPSACTL_FI)" % CAPSACTL_FI, pytrace=False)
    return NetEngine(CAPSACTL_FI, net.base, net.ns)


def rules(e):
    """iptables inside the test's namespace: every rule and user chain of
    every table (counters and the built-in chains' policies left out)."""
    out = subprocess.run(["ip", "netns", "exec", e.ns, "iptables-save"], capture_output=True,
                         text=True, check=True).stdout
    keep = set()
    table = None
    for ln in out.splitlines():
        if ln.startswith("*"):
            table = ln[1:]
        elif ln.startswith("-A ") or (ln.startswith(":") and " - " in ln):
            keep.add("%s %s" % (table, ln.split(" [")[0]))
    return keep


def listing(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def state(e, base_rules):
    """What the store and the namespace hold beyond base_rules."""
    ipam = os.path.join(e.runroot, "cni", "ipam")
    return {
        "pins": listing(os.path.join(e.runroot, "netns")),
        "kept": listing(os.path.join(e.runroot, "cni", "results")),
        "leases": sorted(f for d in listing(ipam) for f in listing(os.path.join(ipam, d))
                         if f[0].isdigit()),
        "veths": [ln for ln in e.ip("-o", "link").stdout.splitlines() if "veth" in ln],
        "rules": sorted(rules(e) - base_rules),
    }


NOTHING = {"pins": [], "kept": [], "leases": [], "veths": [], "rules": []}


def setup_ctr(e, name="x"):
    """A network and a container on it publishing a port; the iptables
    rules of the network with no container attached (after a clean run)."""
    e.ok("network", "create", "--subnet", SUBNET + "0/24", "gcnet")
    e.ok("create", "--name", name, "--network", "gcnet", "-p", "18111:80", "busybox",
         "sleep", "1000")
    e.ok("start", name)
    e.ok("stop", "-t", "0", name)
    base = rules(e)
    assert state(e, base) == NOTHING
    return base


def starts_with_an_address(e, name="x"):
    e.ok("start", name)
    assert addr_of(e, name).startswith(SUBNET)
    s = state(e, set())
    assert len(s["pins"]) == 1 and len(s["kept"]) == 1 and len(s["leases"]) == 1, s
    assert len(s["veths"]) == 1, s


def kill_ctr_and_shim(e, name):
    cid = e.inspect(name)["Id"]
    shim = int(open(os.path.join(e.runroot, "containers", cid, "shim.pid")).read())
    pid = e.inspect(name)["State"]["Pid"]
    os.kill(shim, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    procs.wait_for(lambda: not procs.pid_alive(pid) and not procs.pid_alive(shim),
                   what="container and shim gone")


def test_start_killed_at_every_step_then_start(net, fi):
    base = setup_ctr(net)
    names = steps(fi, "start", "x")
    assert names.count("cni plugin added") == 2 and "network added" in names  # bridge, portmap
    net.ok("stop", "-t", "0", "x")
    for n, name in enumerate(names, 1):
        killed_at(fi, n, "start", "x")
        left = state(net, base)
        if name == "network added":
            # what the next start must clean is there
            assert left["pins"] and left["kept"] and left["leases"] and left["rules"], left
        if net.inspect("x")["State"]["Status"] == "running":
            net.ok("stop", "-t", "0", "x")
        starts_with_an_address(net)
        net.ok("stop", "-t", "0", "x")
        assert state(net, base) == NOTHING, (n, name)


@pytest.mark.parametrize("cmd", [("stop", "-t", "0", "x"), ("rm", "-f", "x")])
def test_stop_or_rm_killed_at_every_step_then_prune(net, fi, cmd):
    base = setup_ctr(net)
    net.ok("start", "x")
    names = steps(fi, *cmd)
    assert "network deleted" in names
    for n, name in enumerate(names, 1):
        if net.run("inspect", "x").returncode != 0:
            net.ok("create", "--name", "x", "--network", "gcnet", "-p", "18111:80",
                   "busybox", "sleep", "1000")
        if net.inspect("x")["State"]["Status"] != "running":
            net.ok("start", "x")
        killed_at(fi, n, *cmd)
        if net.run("inspect", "x").returncode == 0 and \
                net.inspect("x")["State"]["Status"] == "running":
            continue    # killed before it signalled: still running, still attached
        net.ok("system", "prune", "-f")
        assert net.ps() == [], (n, name)
        assert state(net, base) == NOTHING, (n, name)


def test_shim_killed_then_start_or_prune(net):
    base = setup_ctr(net)
    net.ok("start", "x")
    kill_ctr_and_shim(net, "x")
    assert state(net, base)["leases"]      # no exit command ran: nothing released
    starts_with_an_address(net)            # the next start cleans, then ADDs
    kill_ctr_and_shim(net, "x")
    net.ok("system", "prune", "-f")
    assert net.ps() == [] and state(net, base) == NOTHING


def test_del_without_plugins_is_redone(net):
    base = setup_ctr(net)
    net.ok("start", "x")
    ip = addr_of(net, "x")
    # stop with no plugin: its DEL fails (a warning), the attachment is kept
    net.env["CNI_PATH"] = "/nonexistent"
    r = net.ok("stop", "-t", "0", "x")
    assert "not found" in r.stderr, r.stderr
    del net.env["CNI_PATH"]
    assert state(net, base)["kept"] and state(net, base)["leases"] == [ip]
    # the next start DELs it first: one lease, the old address's rules gone
    starts_with_an_address(net)
    net.ok("stop", "-t", "0", "x")
    assert state(net, base) == NOTHING
    # rm with no plugin, then prune with the plugins back: a real DEL
    net.ok("start", "x")
    net.env["CNI_PATH"] = "/nonexistent"
    net.ok("rm", "-f", "x")
    del net.env["CNI_PATH"]
    left = state(net, base)
    assert left["kept"] and left["leases"] and left["rules"], left
    net.ok("system", "prune", "-f")
    assert state(net, base) == NOTHING
    # rm and prune both with no plugin: removed by hand (leases, rules)
    net.ok("run", "-d", "--name", "y", "--network", "gcnet", "-p", "18112:80", "busybox",
           "sleep", "1000")
    net.env["CNI_PATH"] = "/nonexistent"
    net.ok("rm", "-f", "y")
    r = net.ok("system", "prune", "-f")
    assert "not found" in r.stderr, r.stderr
    del net.env["CNI_PATH"]
    assert state(net, base) == NOTHING


def test_network_rm_restores_iptables(net):
    before = rules(net)
    ipam = os.path.join(net.runroot, "cni", "ipam")
    net.ok("network", "create", "--subnet", "10.132.0.0/24", "n1")
    net.ok("network", "create", "--subnet", "10.133.0.0/24", "n2")
    for name, nw, port in (("a", "n1", "18113"), ("b", "n2", "18114")):
        net.ok("run", "-d", "--name", name, "--network", nw, "-p", port + ":80", "busybox",
               "sleep", "1000")
    with_ctrs = rules(net)
    assert any("10.132.0." in r for r in with_ctrs) and any("18114" in r for r in with_ctrs)
    # a's pin gone before its DEL: the bridge plugin cannot remove its
    # masquerading then (it learns the addresses inside the namespace):
    # removed by the container's ID
    pin = os.path.join(net.runroot, "netns", net.inspect("a")["Id"])
    subprocess.run(["umount", pin], check=True)
    os.unlink(pin)
    net.ok("rm", "-f", "a")
    # (the network's own masquerade rule stays until network rm)
    assert not [r for r in rules(net) - before if "10.132.0." in r and
                "capsa network n1" not in r]
    # everything that names a container lost (its pin, kept attachment and
    # lease, as an older capsactl could leave): its rules are the network's
    net.ok("run", "-d", "--name", "a", "--network", "n1", "-p", "18113:80", "busybox",
           "sleep", "1000")
    cid = net.inspect("a")["Id"]
    pin = os.path.join(net.runroot, "netns", cid)
    subprocess.run(["umount", pin], check=True)
    os.unlink(pin)
    os.unlink(os.path.join(net.runroot, "cni", "results", "n1-%s-eth0.json" % cid))
    for f in listing(os.path.join(ipam, "n1")):
        if f[0].isdigit():
            os.unlink(os.path.join(ipam, "n1", f))
    net.ok("rm", "-f", "a")
    left = rules(net) - before
    for what in ("10.132.0.", "18113", '\\"n1\\"'):
        assert [r for r in left if what in r], (what, left)
    net.ok("network", "rm", "n1")
    left = rules(net) - before
    assert not [r for r in left if "10.132.0." in r or "18113" in r or '\\"n1\\"' in r or
                "capsa network n1" in r], left
    assert "n1" not in listing(ipam)
    # n2 remains: the shared chains stay while b and its network are there
    assert any("CNI-HOSTPORT-DNAT" in r for r in left), left
    net.ok("rm", "-f", "b")
    net.ok("network", "rm", "n2")
    assert rules(net) == before and listing(ipam) == []


def test_network_rm_keeps_admin_rules(net):
    before = rules(net)
    net.ok("network", "create", "--subnet", "10.134.0.0/24", "n1")
    net.ok("run", "--rm", "--network", "n1", "-p", "18115:80", "busybox", "true")
    ipt = ["ip", "netns", "exec", net.ns, "iptables"]
    # the admin's own rules naming the network's subnet
    subprocess.run(ipt + ["-A", "FORWARD", "-s", "10.134.0.0/24", "-j", "ACCEPT"], check=True)
    subprocess.run(ipt + ["-t", "nat", "-A", "POSTROUTING", "-s", "10.134.0.9", "-j",
                          "ACCEPT"], check=True)
    net.ok("network", "rm", "n1")
    left = rules(net) - before
    assert left == {"filter -A FORWARD -s 10.134.0.0/24 -j ACCEPT",
                    "nat -A POSTROUTING -s 10.134.0.9/32 -j ACCEPT"}, left
    subprocess.run(ipt + ["-D", "FORWARD", "-s", "10.134.0.0/24", "-j", "ACCEPT"], check=True)
    subprocess.run(ipt + ["-t", "nat", "-D", "POSTROUTING", "-s", "10.134.0.9", "-j",
                          "ACCEPT"], check=True)
    assert rules(net) == before
