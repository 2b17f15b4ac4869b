"""process.* and linux.personality as the container's process sees them."""
import pytest

from bundle import load_config, write_config


def stat_fields(text):
    # fields after the comm's closing paren; field 3 is index 0
    return text[text.rindex(")") + 2:].split()


def run_with(capsa, make_bundle, args, cid, **changes):
    b = make_bundle(args)
    cfg = load_config(b)
    for path, value in changes.items():
        node = cfg
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    write_config(b, cfg)
    return capsa.ok("run", "--bundle", b, cid).stdout


def test_scheduler(capsa, make_bundle):
    out = run_with(capsa, make_bundle, ["cat", "/proc/self/stat"], "sch",
                   **{"process.scheduler": {"policy": "SCHED_BATCH", "nice": 7}})
    f = stat_fields(out)
    assert f[16] == "7"       # nice (field 19)
    assert f[38] == "3"       # policy (field 41): SCHED_BATCH


def test_io_priority(capsa, make_bundle):
    out = run_with(capsa, make_bundle, ["ionice"], "io",
                   **{"process.ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 4}})
    assert out.strip().startswith("idle")


def test_personality(capsa, make_bundle):
    out = run_with(capsa, make_bundle, ["uname", "-m"], "per",
                   **{"linux.personality": {"domain": "LINUX32"}})
    assert out.strip() in ("i686", "i386")


def test_rlimits_and_oom_score_adj(capsa, make_bundle):
    out = run_with(capsa, make_bundle, ["sh", "-c", "ulimit -n; ulimit -s; cat /proc/self/oom_score_adj"],
                   "lim", **{"process.rlimits": [
                       {"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
                       {"type": "RLIMIT_STACK", "soft": 4194304, "hard": 4194304}],
                       "process.oomScoreAdj": 123})
    assert out.split() == ["321", "4096", "123"]


def test_user_groups_umask(capsa, make_bundle):
    out = run_with(capsa, make_bundle, ["sh", "-c", "id -u; id -g; id -G; umask"], "usr",
                   **{"process.user": {"uid": 1000, "gid": 1001,
                                       "additionalGids": [5, 6], "umask": 0o27}})
    assert out.split() == ["1000", "1001", "1001", "5", "6", "0027"]


@pytest.mark.parametrize("field,value,expect", [
    ("process.scheduler", {"policy": "SCHED_ISO"}, "process.scheduler.policy"),
    ("process.ioPriority", {"class": "IOPRIO_CLASS_XX", "priority": 1}, "unknown class"),
    ("process.ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 9}, "out of range"),
    ("linux.personality", {"domain": "SOLARIS"}, "unknown domain"),
    ("process.apparmorProfile", "docker-default", "AppArmor is not enabled"),
    ("process.selinuxLabel", "system_u:system_r:container_t:s0", "SELinux is not enabled"),
    ("linux.intelRdt", {"closID": "x"}, "linux.intelRdt is not supported"),
    ("process.execCPUAffinity", {"initial": "0"}, "execCPUAffinity is not supported"),
    ("linux.memoryPolicy", {"mode": "MPOL_BIND", "nodes": "0"}, "memoryPolicy is not supported"),
    ("linux.netDevices", {"eth1": {"name": "eth1"}}, "netDevices is not supported"),
])
def test_attributes_the_host_cannot_honour(capsa, make_bundle, field, value, expect):
    b = make_bundle(["true"])
    cfg = load_config(b)
    node = cfg
    keys = field.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    write_config(b, cfg)
    capsa.fails("create", "--bundle", b, "bad", contains=expect)
    assert capsa.ids() == []


def test_console_socket_without_terminal_is_an_error(capsa, make_bundle, tmp_path):
    capsa.fails("create", "--console-socket", str(tmp_path / "sock"), "--bundle",
                make_bundle(["true"]), "cs", contains="process.terminal is false")
    assert capsa.ids() == []
