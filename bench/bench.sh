#!/bin/bash
# bench/bench.sh (`make bench`): capsa, runc and crun side by side in one
# interleaved run on the same busybox bundles; prints markdown tables of
# medians and capsa/peer ratios. See bench/README.md for the method.
#
#   sudo make bench                          # defaults, about 3-4 minutes
#   sudo env N=40 CAPSA=/path/capsa bench/bench.sh
#
# Environment: N (rounds of the per-operation section, default 30), WARMUP
# (default 3), SEED (order shuffling seed, default random), RSS_RUNS (untimed
# runs per runtime and operation under /usr/bin/time, default 10), CONC
# (containers started concurrently, default 100), CONC_REPS (default 3),
# LEVELS (running containers per runtime, default "0 50 100 200"),
# SCALE_REPS (timed ops per level, default 15), MEM_RUNS (runs with a 4 MB
# memory limit, default 100), PODMAN_N (podman rounds, default 10; 0 skips),
# SECTIONS (default "ops conc scale mem podman"), CAPSA (default
# <repo>/build/capsa), RUNC (default /usr/sbin/runc), CRUN (default
# `command -v crun`; none skips it), RAW (optional CSV of every sample),
# SECCOMP=podman (every bundle carries podman's default seccomp profile).
set -euo pipefail

usage() { sed -n '2,20s/^# \{0,1\}//p' "$0"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
die() { echo "bench.sh: $*" >&2; exit 1; }

SELF=$(readlink -f "$0")
BENCH_DIR=$(dirname "$SELF")
REPO=$(dirname "$BENCH_DIR")
PY=/usr/bin/python3

if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
    [ "$(id -u)" = 0 ] || die "must run as root (runtimes need it)"
    [ -x "$PY" ] || die "$PY is required"
    CAPSA=${CAPSA:-$REPO/build/capsa}
    [ -x "$CAPSA" ] || die "capsa binary not found at $CAPSA: build it first (make)"
    CAPSA=$(readlink -f "$CAPSA")
    RUNC=${RUNC:-/usr/sbin/runc}
    [ -x "$RUNC" ] || die "runc not found at $RUNC (apt-get install runc)"
    export CAPSA RUNC CAPSA_BENCH_INNER=1
    # a private mount namespace: the cgroup2 unmount and the tmpfs stay here
    exec unshare -m --propagation private -- /bin/bash "$SELF"
fi

CRUN=${CRUN-}
if [ "$CRUN" = none ]; then
    CRUN=; CRUN_NOTE="crun: skipped (CRUN=none)"
elif [ -z "$CRUN" ]; then
    CRUN=$(command -v crun || true)
    CRUN_NOTE="crun: not installed, skipped (apt-get install -y crun)"
else
    [ -x "$CRUN" ] || die "CRUN=$CRUN is not executable"
fi
[ -n "$CRUN" ] && CRUN_NOTE=""
export CRUN CRUN_NOTE

NOTES=""
if mountpoint -q /sys/fs/cgroup/unified; then
    umount /sys/fs/cgroup/unified || die "cannot unmount /sys/fs/cgroup/unified"
    # crun mkdirs unified/<id> (and writes a cgroup.procs file there) in the
    # host's /sys/fs/cgroup tmpfs and never removes it: cover it, with room
    # for the hundreds of containers of the concurrency and scale sections
    mount -t tmpfs -o size=256m,nr_inodes=1m,mode=0755 capsa-bench-unified /sys/fs/cgroup/unified \
        || die "cannot mount a tmpfs over /sys/fs/cgroup/unified"
    NOTES="/sys/fs/cgroup/unified (hybrid cgroup2) unmounted in a private mount namespace for every runtime alike (crun 1.8.1 refuses hybrid mode); an empty private tmpfs covers the directory"
fi
export NOTES

W=$(mktemp -d /tmp/capsa-bench.XXXXXX)
cleanup() {
    # lazily unmount whatever podman left below W, then W itself
    awk -v w="$W" '$2 == w || index($2, w "/") == 1 {print $2}' /proc/self/mounts \
        | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rmdir "$W" 2>/dev/null || true
}
trap cleanup EXIT
mount -t tmpfs -o size=1g,mode=0700 capsa-bench "$W" || die "cannot mount tmpfs on $W"
mkdir -p "$W/bundle"
sh "$REPO/tests/fixtures/mkrootfs.sh" "$W/bundle/rootfs" >/dev/null || die "mkrootfs.sh failed"
(cd "$W/bundle" && "$RUNC" spec) || die "'$RUNC spec' failed"
export W REPO
exec "$PY" "$BENCH_DIR/bench.py"
