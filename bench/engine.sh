#!/bin/bash
# bench/engine.sh: the container engines side by side on the same busybox
# image: capsactl, podman (runc, crun), docker and ctr (containerd). Medians
# of interleaved rounds and ratios to capsactl for `run --rm IMAGE true`,
# the run -d / stop / rm cycle, exec; 100 containers at once; `ps -a` as
# containers accumulate; peak RSS and the monitors' PSS; where the time of
# `capsactl run --rm` goes (strace). Markdown on stdout, progress on
# stderr. See bench/README.md ("engine.sh").
#
#   sudo bench/engine.sh                     # defaults, 12-20 minutes
#   sudo env N=20 SECTIONS=ops CAPSACTL=/path/capsactl bench/engine.sh
#
# Environment: N (interleaved rounds, default 30), WARMUP (default 3), SEED
# (order shuffling seed, default random), CAPSACTL (default
# <repo>/build/capsactl), CONTENDERS (default "capsactl podman-runc
# podman-crun docker ctr"), SECTIONS (default "ops conc ps mem strace"),
# CONC / CONC_REPS (containers started at once / repetitions, default
# 100 / 1), LEVELS (containers present for `ps -a`, default "0 50 200"),
# PS_REPS (default 10), MON_K (running containers whose monitors are
# measured, default 10), RSS_RUNS (default 5), RAW (CSV of every sample).
set -euo pipefail

usage() { sed -n '2,20s/^# \{0,1\}//p' "$0"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
die() { echo "engine.sh: $*" >&2; exit 1; }

SELF=$(readlink -f "$0")
BENCH_DIR=$(dirname "$SELF")
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
REPO=$(dirname "$BENCH_DIR")
PY=/usr/bin/python3

if [ -z "${CAPSA_BENCH_INNER:-}" ]; then
    [ "$(id -u)" = 0 ] || die "must run as root (the engines and their daemons need it)"
    [ -x "$PY" ] || die "$PY is required"
    CAPSACTL=${CAPSACTL:-$REPO/build/capsactl}
    [ -x "$CAPSACTL" ] || die "no capsactl at $CAPSACTL: build it (make) or set CAPSACTL"
    CAPSACTL=$(readlink -f "$CAPSACTL")
    command -v skopeo >/dev/null || die "skopeo writes the image archives: apt-get install skopeo"
    export CAPSACTL CAPSA_BENCH_INNER=1
    # a private mount namespace: the cgroup2 unmount, the tmpfs over it and
    # every mount the engines make stay in here
    exec unshare -m --propagation private -- /bin/bash "$SELF"
fi

NOTES=""
if mountpoint -q /sys/fs/cgroup/unified; then
    umount /sys/fs/cgroup/unified || die "cannot unmount /sys/fs/cgroup/unified"
    # crun mkdirs unified/<id> in the host's /sys/fs/cgroup tmpfs and never
    # removes it: an empty private tmpfs covers the directory
    mount -t tmpfs -o size=256m,nr_inodes=1m,mode=0755 capsa-bench-unified /sys/fs/cgroup/unified \
        || die "cannot mount a tmpfs over /sys/fs/cgroup/unified"
    NOTES="/sys/fs/cgroup/unified (hybrid cgroup2) unmounted in a private mount namespace for every engine alike (crun 1.8.1 refuses hybrid mode); an empty private tmpfs covers the directory"
fi
export NOTES

# the stores on the host's disk (not a tmpfs): fsync costs count. A short
# lowercase name: podman names an image pulled from oci:DIR after DIR, and
# refuses a runroot longer than 50 characters
bench_workdir "/tmp/capsa-bench-eng.$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
mkdir "$W/log" "$W/run"
# the engines' run-time state (runroot, exec-root, state) on a private
# tmpfs, as under /run on a host
mount -t tmpfs -o size=1g,mode=0700 capsa-bench-run "$W/run" || die "cannot mount a tmpfs on $W/run"
export W REPO
bench_run_py "$BENCH_DIR/engine.py"
