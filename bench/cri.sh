#!/bin/bash
# bench/cri.sh: capsad (capsa's CRI server) and Debian's containerd 1.6 (its
# CRI plugin, runc) side by side through the CRI: RunPodSandbox with a
# network, CreateContainer + StartContainer, ExecSync of `true`,
# StopPodSandbox + RemovePodSandbox, `crictl runp`, 50 RunPodSandbox at
# once, ListContainers / ListContainerStats with 20 and 200 containers, and
# the daemons' RSS idle and with 100 pods, with the shims' per pod. Both
# daemons, the registry they pull from and every client run in one network
# namespace made here (and a private mount namespace), so no bridge, veth,
# iptables rule or sysctl reaches the host. Markdown on stdout, progress on
# stderr. See bench/README.md ("cri.sh").
#
#   sudo bench/cri.sh                     # defaults, about 8 minutes on a busy 2-core VM
#   sudo env N=20 SECTIONS="lat list" bench/cri.sh
#
# Environment: N (interleaved rounds per latency, default 10), WARMUP (2),
# SEED, SECTIONS (default "lat conc list mem"), CONC (pods at once, 50),
# CONC_REPS (3), LIST_LEVELS (containers, "20 200"), PER_POD (containers per
# pod there, 10), MEM_PODS (100), CAPSAD (default <repo>/build/capsad),
# CAPSAD_FLAGS (more of its flags: "--log-level debug" logs each call's time),
# CRICTL, CRITEST_TOOLS (default <repo>/../shared/tools/critest), CRI_REGISTRY
# (the registry's data, default /tmp/capsa-cri/registry/data), RAW (CSV).
set -euo pipefail

usage() { sed -n '2,22s/^# \{0,1\}//p' "$0"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
die() { echo "cri.sh: $*" >&2; exit 1; }

SELF=$(readlink -f "$0")
BENCH_DIR=$(dirname "$SELF")
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
REPO=$(dirname "$BENCH_DIR")
PY=/usr/bin/python3

if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
    [ "$(id -u)" = 0 ] || die "must run as root (the daemons and the CNI plugins need it)"
    [ -x "$PY" ] || die "$PY is required"
    CAPSAD=${CAPSAD:-$REPO/build/capsad}
    [ -x "$CAPSAD" ] || die "no capsad at $CAPSAD: build it (make) or set CAPSAD"
    CAPSAD=$(readlink -f "$CAPSAD")
    for b in capsactl capsactl-full capsa capsa-shim capsa-pause; do
        [ -x "$(dirname "$CAPSAD")/$b" ] || die "no $b beside $CAPSAD (capsad runs its helpers from there)"
    done
    CRITEST_TOOLS=${CRITEST_TOOLS:-$REPO/../shared/tools/critest}
    [ -x "$CRITEST_TOOLS/containerd.sh" ] ||
        die "no $CRITEST_TOOLS/containerd.sh (cri-tools' scripts): set CRITEST_TOOLS"
    CRITEST_TOOLS=$(readlink -f "$CRITEST_TOOLS")
    CRICTL=${CRICTL:-$CRITEST_TOOLS/../../bin/crictl}
    [ -x "$CRICTL" ] || die "no crictl at $CRICTL: set CRICTL"
    CRICTL=$(readlink -f "$CRICTL")
    for t in containerd containerd-shim-runc-v2 runc docker-registry protoc iptables curl; do
        command -v "$t" >/dev/null || die "$t is needed (containerd, runc, docker-registry, protobuf-compiler, iptables, curl)"
    done
    "$PY" -c 'import grpc, google.protobuf' 2>/dev/null ||
        die "python3-grpcio and python3-protobuf are needed (the CRI client, tests/cri/criclient.py)"
    [ -x /usr/lib/cni/bridge ] || die "the CNI plugins are needed: apt-get install containernetworking-plugins"
    # the images critest uses, read (not written) from run.sh's registry
    CRI_REGISTRY=${CRI_REGISTRY:-${CRI_WORK:-/tmp/capsa-cri}/registry/data}
    tags=$CRI_REGISTRY/docker/registry/v2/repositories
    if [ ! -e "$tags/e2e-test-images/busybox/_manifests/tags/1.29-2/current/link" ] ||
        [ ! -e "$tags/pause/_manifests/tags/3.6/current/link" ]; then
        die "the registry data at $CRI_REGISTRY lacks busybox:1.29-2 or pause:3.6: run
    $CRITEST_TOOLS/run.sh --prepare && $CRITEST_TOOLS/run.sh --stop-registry
once (it builds critest's images from Debian packages), or set CRI_REGISTRY"
    fi
    # CRI-O, the third CRI runtime, is not packaged in Debian 12: say what
    # apt and PATH show rather than assume
    if command -v crio >/dev/null; then
        CRIO_NOTE="crio is installed ($(command -v crio)) but this bench does not drive it yet"
    else
        cand=$(apt-cache policy cri-o 2>/dev/null | awk '/Candidate:/ {print $2}')
        found=$(apt-cache search --names-only '^cri-o' 2>/dev/null | head -3 | tr '\n' ';')
        if [ -z "$found" ] && { [ -z "$cand" ] || [ "$cand" = "(none)" ]; }; then
            CRIO_NOTE="CRI-O: not measured: not installed, and this host's Debian archive has no package for it (Debian 12 does not ship CRI-O: apt-cache policy cri-o has no candidate, apt-cache search --names-only ^cri-o finds nothing)"
        else
            CRIO_NOTE="CRI-O: not measured: not installed (apt-cache policy cri-o: candidate ${cand:-none}; apt-cache search --names-only ^cri-o: $found)"
        fi
    fi
    # /var/lib/cni is where containerd's libcni keeps its result cache: a
    # tmpfs covers it in the private mount namespace (a mount point needs
    # a directory: made here when missing, removed after)
    MADE_CNI=
    if [ ! -e /var/lib/cni ]; then mkdir -p /var/lib/cni; MADE_CNI=1; fi
    NS=capsa-bench-cri-$$
    ip netns add "$NS" || die "ip netns add $NS failed"
    rc=0
    ip -n "$NS" link set lo up || rc=$?
    export CAPSAD CRICTL CRITEST_TOOLS CRI_REGISTRY CRIO_NOTE NS CAPSA_BENCH_INNER=1 N=${N:-10}
    if [ $rc = 0 ]; then
        nsenter --net="/run/netns/$NS" -- unshare --mount --propagation private -- \
            /bin/bash "$SELF" || rc=$?
    fi
    ip netns del "$NS" || echo "cri.sh: could not delete network namespace $NS" >&2
    if [ -n "$MADE_CNI" ]; then rmdir /var/lib/cni 2>/dev/null || echo "cri.sh: /var/lib/cni not empty, left" >&2; fi
    exit "$rc"
fi

# ---- inside: the namespace's own network (loopback) and mounts
mount -t tmpfs -o size=64m,mode=0755 capsa-bench-cni /var/lib/cni \
    || die "cannot mount a tmpfs on /var/lib/cni"
# the stores on the host's disk, as a node keeps them
bench_workdir "/tmp/capsa-bench-cri.$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
# if the body died without stopping them: the daemons and the registry by
# the PIDs it recorded, containerd through containerd.sh, then every
# process left that names W (shims, pause, containers), by PID
# shellcheck disable=SC2317  # (run from the trap)
cri_cleanup() {
    set +e
    if [ -n "$PYPID" ]; then
        kill -TERM "$PYPID" 2>/dev/null
        while kill -0 "$PYPID" 2>/dev/null; do wait "$PYPID"; done
        PYPID=
    fi
    local f p left
    for f in "$W/capsad/capsad.pid" "$W/registry/registry.pid"; do
        [ -f "$f" ] && p=$(cat "$f") && grep -qF "$W" "/proc/$p/cmdline" 2>/dev/null &&
            { echo "cri.sh: stopping pid $p ($f)" >&2; kill -TERM "$p"; sleep 2; kill -KILL "$p" 2>/dev/null; }
    done
    [ -f "$W/ctd/containerd/containerd.pid" ] && CRI_WORK=$W/ctd CRICTL=$CRICTL "$CRITEST_TOOLS/containerd.sh" stop >&2
    if [ -d "$W/capsad/root" ]; then
        for what in "pod rm -fa" "rm -fa"; do
            # shellcheck disable=SC2086  # (two words each)
            "$(dirname "$CAPSAD")/capsactl" --root "$W/capsad/root" --runroot "$W/capsad/run" \
                $what >/dev/null 2>&1
        done
    fi
    left=
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "$W" && left="$left ${p#/proc/}"
    done
    # shellcheck disable=SC2086  # (a list of PIDs)
    [ -z "$left" ] || { echo "cri.sh: killing leftovers: $left" >&2; kill -KILL $left 2>/dev/null; sleep 1; }
    bench_cleanup
}
trap cri_cleanup EXIT
export W REPO BENCH_DIR NOTES="network namespace $NS (loopback, the two bridges, their iptables rules and ip_forward) and a private mount namespace (tmpfs over /var/lib/cni)"
bench_run_py "$BENCH_DIR/cri.py"
