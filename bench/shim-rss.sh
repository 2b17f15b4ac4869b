#!/bin/sh
# bench/shim-rss.sh: capsa-shim vs conmon, side by side on the same
# container (see bench/README.md):
#   - VmRSS and PSS (from /proc/PID/smaps_rollup) of the monitor of a
#     running `sleep` container, median over K containers each;
#   - the wall time of `podman run --rm IMAGE true`, medians of N runs
#     interleaved between the two monitors, and their difference.
# As root; a private podman (root, runroot, tmpdir under a mktemp -d dir,
# vfs, --network none) with the busybox image of tests/fixtures/mkrootfs.sh.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
SHIM=${CAPSA_SHIM:-$REPO/build/capsa-shim}
RUNTIME=${RUNTIME:-$REPO/build/capsa}
CONMON=${CONMON:-$(command -v conmon)}
N=${N:-30}
K=${K:-5}
PY=/usr/bin/python3
for b in "$SHIM" "$RUNTIME" "$CONMON"; do
    [ -x "$b" ] || { echo "shim-rss.sh: $b is missing (run make)" >&2; exit 1; }
done
TOP=$(mktemp -d /tmp/capsa-bench-shim-XXXXXX)
IMG=localhost/capsa-bench-bb:1
cleanup() {
    pm "$SHIM" rm -af -t 0 >/dev/null 2>&1 || true
    for m in $(mount | awk -v t="$TOP" 'index($3, t) == 1 {print $3}' | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$TOP"
}
trap cleanup EXIT
printf '[engine]\nruntime_supports_json = ["capsa", "runc", "crun"]\n' > "$TOP/containers.conf"
export CONTAINERS_CONF="$TOP/containers.conf"
pm() {
    mon=$1; shift
    podman --root "$TOP/storage" --runroot "$TOP/run" --tmpdir "$TOP/tmp" \
        --cgroup-manager cgroupfs --events-backend file --storage-driver vfs \
        --runtime "$RUNTIME" --conmon "$mon" "$@"
}
RUNOPTS="--network none --pull never --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
ROOTFS=$($PY -c "import sys; sys.path.insert(0, '$REPO/tests/fixtures'); import bundle; print(bundle.ensure_rootfs_template())")
tar -C "$ROOTFS" -cf "$TOP/rootfs.tar" .
pm "$SHIM" import "$TOP/rootfs.tar" "$IMG" >/dev/null

mem() {  # VmRSS and Pss in kB of pid $1
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup")
    echo "$rss $pss"
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "monitor memory, $K sleeping containers each (kB; median):"
for label in capsa-shim conmon; do
    mon=$SHIM; [ $label = conmon ] && mon=$CONMON
    : > "$TOP/mem.$label"
    i=0
    while [ $i -lt "$K" ]; do
        # shellcheck disable=SC2086
        pm "$mon" run -d $RUNOPTS --name "m-$label-$i" "$IMG" sleep 1000 >/dev/null
        i=$((i + 1))
    done
    sleep 0.5
    i=0
    while [ $i -lt "$K" ]; do
        pid=$(pm "$mon" inspect --format '{{.State.ConmonPid}}' "m-$label-$i")
        mem "$pid" >> "$TOP/mem.$label"
        i=$((i + 1))
    done
    pm "$mon" rm -f -t 0 $(i=0; while [ $i -lt "$K" ]; do echo "m-$label-$i"; i=$((i + 1)); done) >/dev/null
    rss=$(cut -d' ' -f1 "$TOP/mem.$label" | median)
    pss=$(cut -d' ' -f2 "$TOP/mem.$label" | median)
    printf '  %-10s VmRSS %6s  PSS %6s\n' "$label" "$rss" "$pss"
done

echo "podman run --rm true, $N interleaved runs each (ms; median):"
: > "$TOP/t.capsa-shim"; : > "$TOP/t.conmon"
i=0
while [ $i -lt "$N" ]; do
    for label in capsa-shim conmon; do
        mon=$SHIM; [ $label = conmon ] && mon=$CONMON
        t0=$(date +%s%N)
        # shellcheck disable=SC2086
        pm "$mon" run --rm $RUNOPTS "$IMG" true >/dev/null
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) >> "$TOP/t.$label"
    done
    i=$((i + 1))
done
a=$(median < "$TOP/t.capsa-shim"); b=$(median < "$TOP/t.conmon")
awk -v a="$a" -v b="$b" 'BEGIN {
    printf "  capsa-shim %8.2f\n  conmon     %8.2f\n  difference %+8.2f (shim - conmon)\n", a/1000, b/1000, (a-b)/1000 }'
