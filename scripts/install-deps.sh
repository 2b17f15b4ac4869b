#!/bin/sh
# install-deps.sh [--test]: install capsa's build dependencies from Debian 12
# (as root; libsystemd-dev: sd-bus for capsa-systemd, the systemd cgroup
# driver's helper).  --test adds what `make check` needs: pytest, runc (the
# reference the compat suite diffs against) and procps; clang, libclang-rt-14-dev (libFuzzer, fuzz/) and valgrind.
set -eu
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: run as root" >&2; exit 1; }
# packages that ship daemons must not start them on install
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
fi
pkgs="meson ninja-build pkg-config gcc libc6-dev libjansson-dev libcap-dev
      libseccomp-dev libsystemd-dev busybox-static"
# (qemu-system-x86 and linux-image-amd64: the pure cgroup v2 VM, tests/v2vm;
# debootstrap and e2fsprogs: the systemd VM's Debian image, tests/systemdvm)
# the peers the tests drive: runc (the compat reference), podman, containerd
# and docker.io (dockerd 20.10; tests/interop), installed as users get them
# (with recommends; their daemons are not started: policy-rc.d above)
peers=""
if [ "${1:-}" = "--test" ]; then
    pkgs="$pkgs libcmocka-dev python3 python3-pytest procps tmux cpio qemu-system-x86
          linux-image-amd64 debootstrap e2fsprogs clang libclang-rt-14-dev valgrind"
    peers="runc podman containerd docker.io"
fi
missing() {
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            printf ' %s' "$p"
    done
}
# shellcheck disable=SC2086
need=$(missing $pkgs)
# shellcheck disable=SC2086
need_peers=$(missing $peers)
if [ -n "$need$need_peers" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    [ -z "$need" ] || apt-get install -y -q --no-install-recommends $need
    # shellcheck disable=SC2086
    [ -z "$need_peers" ] || apt-get install -y -q $need_peers
fi
