"""bundles.py DIR: the test bundles of the systemd VM (see run.sh, cases.sh).

    id    runs `id` (the default cgroupfs driver)
    sd    `sleep 300` under linux.cgroupsPath "system.slice:capsa:sdc" (the
          systemd driver: unit capsa-sdc.scope in system.slice) with memory
          64 MiB, pids 100 and cpu shares 512 (CPUWeight 20)
    sdrun prints its /proc/self/cgroup, cgroupsPath "system.slice:capsa:sdr"
    busybox  an OCI layout of busybox-static (the image of capsad's cases:
          pulled as oci:DIR, it is localhost/busybox:latest)
    cri   crictl's pod.json and ctr.json for capsad's cases: a pod on the
          node's network under the kubelet-style slice
          kubepods-besteffort-podsdvm.slice, a container with 64 MiB and
          512 CPU shares
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import bundle  # noqa: E402
import oci_images  # noqa: E402

top = sys.argv[1]
bundle.make_bundle(os.path.join(top, "id"), args=["id"])
bundle.make_bundle(os.path.join(top, "sd"), args=["sleep", "300"], extra={"linux": {
    "cgroupsPath": "system.slice:capsa:sdc",
    "resources": {"memory": {"limit": 64 << 20}, "pids": {"limit": 100},
                  "cpu": {"shares": 512}}}})
bundle.make_bundle(os.path.join(top, "sdrun"), args=["cat", "/proc/self/cgroup"],
                   extra={"linux": {"cgroupsPath": "system.slice:capsa:sdr"}})

oci_images.write_image(os.path.join(top, "busybox"), oci_images.busybox_image(), tag="latest")
cri = os.path.join(top, "cri")
os.makedirs(cri)
with open(os.path.join(cri, "pod.json"), "w") as f:
    json.dump({"metadata": {"name": "sdpod", "namespace": "sdvm", "uid": "sdvm-pod-uid"},
               "log_directory": "/var/log/sdvm-pod",
               "linux": {"cgroup_parent": "kubepods-besteffort-podsdvm.slice",
                         "security_context": {"namespace_options": {"network": 2}}}}, f)
with open(os.path.join(cri, "ctr.json"), "w") as f:
    json.dump({"metadata": {"name": "sleeper"}, "image": {"image": "localhost/busybox:latest"},
               "command": ["sleep", "3000"], "log_path": "sleeper.log",
               "linux": {"resources": {"memory_limit_in_bytes": 64 << 20,
                                       "cpu_shares": 512}}}, f)
