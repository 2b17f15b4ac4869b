#!/bin/bash
# bench/pull.sh: pull + unpack of a multi-layer image from a local registry
# into an empty store, side by side: capsactl, podman (overlay), containerd
# (ctr, overlayfs snapshotter), skopeo (oci: layout, no unpack) and a floor
# (curl | tee sha256sum | tar -xz per layer, layers in parallel). Medians of
# interleaved rounds, ratios, peak RSS; then the disk used by two images
# sharing 4 layers and where capsactl's time goes. Markdown on stdout,
# progress on stderr. See bench/README.md ("pull.sh").
#
#   sudo bench/pull.sh                       # defaults, about 6-8 minutes
#   sudo env N=3 SECTIONS=pull CAPSACTL=/path/capsactl bench/pull.sh
#
# Environment: N (rounds, default 5), SEED (order shuffling seed, default
# random), CAPSACTL (default <repo>/build/capsactl), CONTENDERS (default
# "capsactl podman ctr skopeo floor"), DROP_CACHES (1: sync and drop the
# page cache before every timed pull, the default; 0: warm), SECTIONS
# (default "pull shared profile"), SIZE_MB / FILES / LAYERS (the image:
# default 300 / 10000 / 5), KEEP_IMAGE (a directory: build the layout there
# once and reuse it in later runs), RAW (optional CSV of every sample).
#
# Internal: `bench/pull.sh floor BASE_URL REPO TAG DEST` is the floor
# contender (fetch the manifest and every layer with curl, hash each blob
# with sha256sum through tee and extract it with tar -xz, one pipeline per
# layer, all layers at once; exit 1 on a digest mismatch).
set -euo pipefail

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; }
die() { echo "pull.sh: $*" >&2; exit 1; }

SELF=$(readlink -f "$0")
BENCH_DIR=$(dirname "$SELF")
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
REPO=$(dirname "$BENCH_DIR")
PY=/usr/bin/python3

# ---------------------------------------------------------------- the floor
floor() {
    local base=$1 repo=$2 tag=$3 dest=$4
    local accept="application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json"
    local man digests d i=0 pids=() fails=0
    man=$(curl -sSf -H "Accept: $accept" "$base/v2/$repo/manifests/$tag")
    # the layers' digests: every digest after the config's (the manifest
    # lists config first, then layers; the fixture's manifests are indented
    # JSON, one digest per line)
    digests=$(printf '%s\n' "$man" | grep -o '"digest": *"sha256:[0-9a-f]\{64\}"' |
              sed 's/.*sha256:\([0-9a-f]*\)"/\1/' | tail -n +2)
    [ -n "$digests" ] || { echo "floor: no layers in the manifest" >&2; return 1; }
    mkdir -p "$dest"
    for d in $digests; do
        i=$((i + 1))
        mkdir "$dest/$i"
        mkfifo "$dest/$i.fifo"
        (
            sha256sum < "$dest/$i.fifo" > "$dest/$i.sum" &
            h=$!
            curl -sSf "$base/v2/$repo/blobs/sha256:$d" | tee "$dest/$i.fifo" | tar -xzf - -C "$dest/$i"
            wait "$h"
            [ "$(cut -c1-64 "$dest/$i.sum")" = "$d" ] || { echo "floor: layer $i: digest mismatch" >&2; exit 1; }
        ) &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
    rm -f "$dest"/*.fifo "$dest"/*.sum
    [ "$fails" = 0 ]
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    floor) shift; [ $# = 4 ] || die "usage: pull.sh floor BASE_URL REPO TAG DEST"; floor "$@"; exit $? ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- the bench
[ "$(id -u)" = 0 ] || die "must run as root (podman, containerd and the page-cache drop need it)"
[ -x "$PY" ] || die "$PY is required"
CAPSACTL=${CAPSACTL:-$REPO/build/capsactl}
[ -x "$CAPSACTL" ] || die "capsactl not found at $CAPSACTL: build it first (make) or set CAPSACTL"
CAPSACTL=$(readlink -f "$CAPSACTL")
for b in skopeo curl tar sha256sum docker-registry; do
    command -v "$b" >/dev/null || die "$b is required (apt-get install skopeo curl docker-registry)"
done

bench_workdir "$(mktemp -u /tmp/capsa-bench-pull.XXXXXX)"
export W REPO CAPSACTL PULL_SH=$SELF
bench_run_py "$BENCH_DIR/pull.py"
