"""bundles.py DIR: the test bundles of the systemd VM (see run.sh, cases.sh).

    id    runs `id` (the default cgroupfs driver)
    sd    `sleep 300` under linux.cgroupsPath "system.slice:capsa:sdc" (the
          systemd driver: unit capsa-sdc.scope in system.slice) with memory
          64 MiB, pids 100 and cpu shares 512 (CPUWeight 20)
    sdrun prints its /proc/self/cgroup, cgroupsPath "system.slice:capsa:sdr"
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import bundle  # noqa: E402

top = sys.argv[1]
bundle.make_bundle(os.path.join(top, "id"), args=["id"])
bundle.make_bundle(os.path.join(top, "sd"), args=["sleep", "300"], extra={"linux": {
    "cgroupsPath": "system.slice:capsa:sdc",
    "resources": {"memory": {"limit": 64 << 20}, "pids": {"limit": 100},
                  "cpu": {"shares": 512}}}})
bundle.make_bundle(os.path.join(top, "sdrun"), args=["cat", "/proc/self/cgroup"],
                   extra={"linux": {"cgroupsPath": "system.slice:capsa:sdr"}})
