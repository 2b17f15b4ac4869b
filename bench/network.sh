#!/bin/bash
# bench/network.sh: capsactl and podman 4.3 (CNI backend, runc) on their
# default bridge networks, side by side: `run --rm IMAGE true` with
# `--network bridge` and, for scale, with `--network none`; interleaved
# rounds, medians and ratios; then where the network time goes: every CNI
# plugin exec (and the iptables it runs) timed by wrapper scripts, per
# plugin and command. Everything runs in a private network namespace
# (loopback only) and a private mount namespace, so no bridge, veth or
# firewall rule reaches the host, and podman's CNI state (/var/lib/cni,
# /run/netns) is on a tmpfs there. Markdown on stdout, progress on
# stderr. See bench/README.md ("network.sh").
#
#   sudo bench/network.sh                    # defaults, about 3 minutes
#   sudo env N=40 SECTIONS=run bench/network.sh
#
# Environment: N (interleaved rounds, default 20), WARMUP (default 3), SEED
# (order shuffling seed, default random), CAPSACTL (default
# <repo>/build/capsactl), SECTIONS (default "run plugins"), PLUGIN_N (runs
# per engine with the plugin wrappers, default 10), RAW (CSV of every sample).
set -euo pipefail

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
die() { echo "network.sh: $*" >&2; exit 1; }

SELF=$(readlink -f "$0")
BENCH_DIR=$(dirname "$SELF")
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
REPO=$(dirname "$BENCH_DIR")
PY=/usr/bin/python3

if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
    [ "$(id -u)" = 0 ] || die "must run as root (the engines and the CNI plugins need it)"
    [ -x "$PY" ] || die "$PY is required"
    CAPSACTL=${CAPSACTL:-$REPO/build/capsactl}
    [ -x "$CAPSACTL" ] || die "no capsactl at $CAPSACTL: build it (make) or set CAPSACTL"
    CAPSACTL=$(readlink -f "$CAPSACTL")
    CNI_DIR=
    for d in /usr/lib/cni /opt/cni/bin; do
        [ -x "$d/bridge" ] && [ -x "$d/host-local" ] && { CNI_DIR=$d; break; }
    done
    [ -n "$CNI_DIR" ] || die "the CNI plugins are needed: apt-get install containernetworking-plugins"
    command -v iptables >/dev/null || die "iptables is needed (the firewall and portmap plugins run it)"
    # /var/lib/cni is where libcni (podman) keeps its cache and host-local
    # its leases; a tmpfs covers it in the private mount namespace, and a
    # mount point needs a directory: made here when missing, removed after
    MADE_CNI=
    if [ ! -e /var/lib/cni ]; then mkdir /var/lib/cni; MADE_CNI=1; fi
    MADE_NETNS=
    if [ ! -e /run/netns ]; then mkdir /run/netns; MADE_NETNS=1; fi
    export CAPSACTL CNI_DIR CAPSA_BENCH_INNER=1 N=${N:-20}
    rc=0
    # a private network namespace (every bridge, veth and rule dies with
    # it) and a private mount namespace (the tmpfs mounts and every mount
    # the engines make stay in here)
    unshare --net --mount --propagation private -- /bin/bash "$SELF" || rc=$?
    if [ -n "$MADE_CNI" ]; then rmdir /var/lib/cni 2>/dev/null || echo "network.sh: /var/lib/cni not empty, left" >&2; fi
    if [ -n "$MADE_NETNS" ]; then rmdir /run/netns 2>/dev/null || true; fi
    exit "$rc"
fi

ip link set lo up || die "cannot bring up lo in the private network namespace"
mount -t tmpfs -o size=64m,mode=0755 capsa-bench-cni /var/lib/cni \
    || die "cannot mount a tmpfs on /var/lib/cni"
mount -t tmpfs -o size=4m,mode=0755 capsa-bench-netns /run/netns \
    || die "cannot mount a tmpfs on /run/netns"

# the stores on the host's disk (not a tmpfs): fsync costs count; a short
# name (podman refuses a runroot longer than 50 characters)
bench_workdir "/tmp/capsa-bench-net.$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
mkdir "$W/log" "$W/run"
mount -t tmpfs -o size=1g,mode=0700 capsa-bench-run "$W/run" || die "cannot mount a tmpfs on $W/run"
export W REPO NOTES="private network namespace (loopback up) and mount namespace; tmpfs over /var/lib/cni and /run/netns"
bench_run_py "$BENCH_DIR/network.py"
