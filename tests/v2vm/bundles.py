"""bundles.py DIR: the test bundles of the v2 VM (see run.sh, init.sh)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import bundle  # noqa: E402

top = sys.argv[1]
bundle.make_bundle(os.path.join(top, "limits"), args=["sleep", "300"], extra={"linux": {
    "resources": {"memory": {"limit": 32 << 20}, "pids": {"limit": 20},
                  "cpu": {"shares": 512, "quota": 50000, "period": 100000}}}})
b = bundle.make_bundle(os.path.join(top, "devices"), args=[
    "sh", "-c", "head -c1 /dev/null >/dev/null && echo null-ok; ( : </dev/ttyS0 )"])
cfg = bundle.load_config(b)
cfg["mounts"].append({"destination": "/dev/ttyS0", "type": "bind", "source": "/dev/ttyS0",
                      "options": ["bind"]})
bundle.write_config(b, cfg)
bundle.make_bundle(os.path.join(top, "hog"), args=[
    "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], extra={"linux": {
        "resources": {"memory": {"limit": 16 << 20, "swap": 16 << 20}}}})
b = bundle.make_bundle(os.path.join(top, "devwait"), args=["sleep", "300"])
cfg = bundle.load_config(b)
cfg["mounts"].append({"destination": "/dev/ttyS0", "type": "bind", "source": "/dev/ttyS0",
                      "options": ["bind"]})
bundle.write_config(b, cfg)
# a node of linux.devices is made, not allowed: the default rules deny it
# (60: a major kept for local use, no driver behind it)
bundle.make_bundle(os.path.join(top, "devnode"), args=[
    "sh", "-c", "( : </dev/capsa-probe ) 2>&1; echo done"], extra={"linux": {
        "devices": [{"path": "/dev/capsa-probe", "type": "c", "major": 60, "minor": 7,
                     "fileMode": 0o666}]}})
bundle.make_bundle(os.path.join(top, "frozen"), args=["sleep", "300"],
                   extra={"linux": {"cgroupsPath": "/frz"}})
bundle.make_bundle(os.path.join(top, "sleeper"), args=["sleep", "300"], readonly=False)
bundle.make_bundle(os.path.join(top, "pod"), args=["sleep", "300"], extra={"linux": {
    "cgroupsPath": "/pod/pc", "resources": {"cpu": {"period": 100000, "quota": 50000}}}})
