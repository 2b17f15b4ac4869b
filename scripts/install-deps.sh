#!/bin/sh
# install-deps.sh [--test] [--list]: install what capsa needs from Debian 12
# (as root).
#   (none)   what builds capsa and runs `make demo`: the compiler, Meson,
#            make, the libraries (libsystemd-dev: sd-bus for capsa-systemd,
#            the systemd cgroup driver's helper) and busybox-static (the
#            demo's root filesystem)
#   --test   adds every package `make check` and `make bench` use (listed
#            below with the programs each provides)
#   --list   prints the package names instead of installing them (one per
#            line; scripts/check-deps.py checks the build against it)
set -eu
test=0 list=0
for a in "$@"; do
    case $a in
        --test) test=1 ;;
        --list) list=1 ;;
        *) echo "usage: install-deps.sh [--test] [--list]" >&2; exit 2 ;;
    esac
done
# capsactl's image store and registry client: libsqlite3-dev, libcurl4-openssl-dev,
# libarchive-dev (tar reading and writing), libssl-dev (SHA-256), zlib1g-dev,
# libzstd-dev, libisal-dev (ISA-L's igzip: gzip several times faster than zlib),
# libyaml-dev (kube play's manifests)
# capsactl's networks: the CNI plugins (bridge, host-local, portmap,
# firewall, tuning) and the iptables they drive
# capsad's HTTP/2 and protobuf: libnghttp2-dev, libprotobuf-c-dev and
# protobuf-c-compiler (protoc-c, run at build time on src/cri/proto)
pkgs="make meson ninja-build pkg-config gcc libc6-dev libjansson-dev libcap-dev
      libseccomp-dev libsystemd-dev busybox-static libsqlite3-dev libcurl4-openssl-dev
      libarchive-dev libssl-dev zlib1g-dev libzstd-dev libisal-dev libyaml-dev
      containernetworking-plugins iptables
      libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler"
# the peers the tests drive: runc (the compat reference), podman (with
# catatonit, its --init), containerd and docker.io (dockerd 20.10, with tini
# as its docker-init; tests/interop), crun (make bench); runc and crun are
# also the runtimes of --runtime and of capsad's runtime handlers
# (tests/engine/test_oci_runtimes.py, tests/cri/test_runtime_handlers.py);
# installed as users get them (with recommends; their daemons are not
# started: policy-rc.d below)
peers=""
if [ "$test" = 1 ]; then
    # libcmocka-dev: unit tests; python3-pytest: every other suite;
    # clang, libclang-rt-14-dev: libFuzzer (fuzz/), llvm-14: its llvm-symbolizer,
    # which fuzz/lsan.supp needs (clang only recommends it); valgrind: tests/valgrind;
    # qemu-system-x86, linux-image-amd64, cpio (and gzip): the pure cgroup v2
    # VM (tests/v2vm); debootstrap, e2fsprogs (mkfs.ext4), kmod (modprobe),
    # xz-utils, zstd: the systemd VM's image (tests/systemdvm);
    # procps (ps, sysctl), psmisc (pstree), tmux, strace, file, time
    # (/usr/bin/time), libcap2-bin (setcap), util-linux (unshare, losetup,
    # flock), mount, iproute2 (ip: the networking tests' namespaces): programs the
    # tests run on the host
    pkgs="$pkgs libcmocka-dev python3 python3-pytest clang libclang-rt-14-dev llvm-14 valgrind
          qemu-system-x86 linux-image-amd64 cpio gzip debootstrap e2fsprogs kmod xz-utils
          zstd procps psmisc tmux strace file time libcap2-bin util-linux mount iproute2"
    # tests/image: openssl (the token server's keys and signatures),
    # apache2-utils (htpasswd), sqlite3 (looking into the store)
    pkgs="$pkgs openssl apache2-utils sqlite3"
    # tests/cri: the CRI tests' client (python3-grpcio, and protoc with
    # python3-protobuf for the message classes made from our .proto)
    pkgs="$pkgs python3-grpcio protobuf-compiler python3-protobuf"
    # make critest (tests/cri/critest.sh, through ../shared/tools/critest):
    # curl (is the registry up), jq (the images' indexes, the summary),
    # golang-go (its images' three small Go stand-ins: nginx, nnp, pause;
    # with golang-github-docker-spdystream-dev, the SPDY interop test's client,
    # built from Go's spdystream, the library crictl and the kubelet use);
    # umoci, skopeo and docker-registry are among the peers below
    pkgs="$pkgs curl jq golang-go golang-github-docker-spdystream-dev"
    # docker-registry (Debian's distribution 2.8, the registry the image
    # tests pull from and push to), skopeo and umoci (images copied, inspected
    # and unpacked by the reference tools)
    peers="runc podman catatonit containerd docker.io tini crun docker-registry skopeo umoci"
fi
if [ "$list" = 1 ]; then
    # shellcheck disable=SC2086
    printf '%s\n' $pkgs $peers
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: run as root" >&2; exit 1; }
# packages that ship daemons must not start them on install
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
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
