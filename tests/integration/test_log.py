"""--log/--log-format: errors as runc-style JSON lines, including those
raised inside the container's init before exec."""
import json

from bundle import load_config, write_config


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_init_error_reaches_json_log(capsa, make_bundle, tmp_path):
    log = tmp_path / "log.json"
    b = make_bundle(["nosuchprog"])
    r = capsa.fails("create", "--bundle", b, "l1",
                    glob=("--log", str(log), "--log-format", "json"),
                    contains="executable file not found")
    entries = read_log(log)
    assert len(entries) == 1
    e = entries[0]
    assert e["level"] == "error" and "nosuchprog" in e["msg"]
    assert "executable file not found in $PATH" in e["msg"]
    assert set(e) == {"level", "msg", "time"}
    assert "EOF" not in r.stderr


def test_mount_error_names_the_mount(capsa, make_bundle, tmp_path):
    log = tmp_path / "log.json"
    b = make_bundle(["true"])
    cfg = load_config(b)
    cfg["mounts"].append({"destination": "/data", "type": "bind",
                          "source": str(tmp_path / "missing"), "options": ["bind"]})
    write_config(b, cfg)
    capsa.fails("run", "--bundle", b, "l2", glob=("--log", str(log), "--log-format", "json"),
                contains="mounts[7]")
    assert "missing" in read_log(log)[0]["msg"]


def test_text_log_and_appending(capsa, make_bundle, tmp_path):
    log = tmp_path / "log.txt"
    for i in range(2):
        capsa.fails("kill", "nope%d" % i, glob=("--log", str(log)), contains="does not exist")
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    assert 'level=error msg="container does not exist: nope0"' in lines[0]
