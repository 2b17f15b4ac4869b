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
