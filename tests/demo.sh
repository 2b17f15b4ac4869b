#!/bin/sh
# demo.sh CAPSA: run one container from a busybox-static bundle and show it
# is isolated: its own hostname, itself as PID 1, its own mount table.
set -eu
capsa=$(realpath "${1:-build/capsa}")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d /tmp/capsa-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$here/fixtures/mkrootfs.sh" "$work/bundle/rootfs"
"$capsa" spec --bundle "$work/bundle"
# the default spec runs "sh" on a terminal: run the demo script instead
sed -i -e 's|^\( *\)"sh"$|\1"/bin/sh", "-c", "echo \\"hostname: $(hostname)\\"; echo \\"my pid: $$\\"; echo processes:; ps; echo mounts:; cat /proc/self/mounts"|' \
       -e 's|"terminal": true|"terminal": false|' \
       -e 's|"hostname": "capsa"|"hostname": "capsa-demo"|' "$work/bundle/config.json"
echo "host: $(hostname), pid $$"
echo "--- capsa run demo ---"
"$capsa" --root "$work/state" run --bundle "$work/bundle" "demo-$$"
