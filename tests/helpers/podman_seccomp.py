"""podman's default seccomp profile as podman writes it into config.json.

/usr/share/containers/seccomp.json (golang-github-containers-common) is in
podman's own format: archMap, and per entry includes/excludes on
capabilities, arches and minKernel, plus comments.  podman resolves those
for the container and writes plain OCI linux.seccomp; this does the same
(checked against the config.json podman 4.3.1 wrote, captured through a
--runtime wrapper: identical JSON for podman's default capabilities).

    python3 tests/helpers/podman_seccomp.py [CAP ...] > profile.json
    from podman_seccomp import podman_profile
"""
import json
import os
import platform
import sys

PODMAN_PROFILE = "/usr/share/containers/seccomp.json"
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "i686": "x86", "s390x": "s390x",
          "ppc64le": "ppc64le"}
NATIVE_SCMP = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64",
               "s390x": "SCMP_ARCH_S390X", "ppc64le": "SCMP_ARCH_PPC64LE"}
# runc spec's default capabilities
DEFAULT_CAPS = ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE")


def kernel_at_least(v):
    have = [int(x) for x in platform.release().split("-")[0].split(".")[:2]]
    want = [int(x) for x in v.split(".")[:2]]
    return have >= want


def keep(entry, caps, arch):
    inc, exc = entry.get("includes") or {}, entry.get("excludes") or {}
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if inc.get("caps") and not set(inc["caps"]) <= caps:
        return False
    if inc.get("minKernel") and not kernel_at_least(inc["minKernel"]):
        return False
    if exc.get("arches") and arch in exc["arches"]:
        return False
    if exc.get("caps") and set(exc["caps"]) & caps:
        return False
    return True


def podman_profile(caps=DEFAULT_CAPS, path=PODMAN_PROFILE):
    """The OCI profile for a container with capabilities caps; None when
    podman's file is not installed."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        src = json.load(f)
    caps = set(caps)
    arch, native = GOARCH.get(platform.machine()), NATIVE_SCMP.get(platform.machine())
    out = {"defaultAction": src["defaultAction"], "architectures": []}
    if "defaultErrnoRet" in src:
        out["defaultErrnoRet"] = src["defaultErrnoRet"]
    for m in src.get("archMap", []):
        if m["architecture"] == native:
            out["architectures"] = [native] + m.get("subArchitectures", [])
    out["syscalls"] = []
    for s in src["syscalls"]:
        if not keep(s, caps, arch):
            continue
        e = {"names": s["names"], "action": s["action"]}
        if s.get("args"):   # podman's Go structs omit a zero valueTwo
            e["args"] = [{k: v for k, v in a.items() if k != "valueTwo" or v}
                         for a in s["args"]]
        if s.get("errnoRet") is not None:
            e["errnoRet"] = s["errnoRet"]
        out["syscalls"].append(e)
    return out


if __name__ == "__main__":
    p = podman_profile(sys.argv[1:] or DEFAULT_CAPS)
    if p is None:
        sys.exit("%s is missing (apt-get install golang-github-containers-common)"
                 % PODMAN_PROFILE)
    json.dump(p, sys.stdout, indent=1)
