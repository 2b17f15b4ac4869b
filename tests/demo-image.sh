#!/bin/sh
# demo-image.sh BUILD: the image half: an OCI image layout made from
# busybox-static (tests/fixtures/mklayout.sh), pulled into a private store
# by capsactl, listed, checked, mounted, and run by capsa from the mounted
# image (read-only).  No network.
set -eu
build=$(realpath "${1:-build}")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d /tmp/capsa-demo-image.XXXXXX)
ctl() { "$build/capsactl" --root "$work/store" --runroot "$work/run" "$@"; }
cleanup() {
    ctl image unmount demo:1 >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
"$here/fixtures/mklayout.sh" "$work/layout" 1
echo "--- capsactl pull oci:layout:1 ---"
ctl pull "oci:$work/layout:1"
ctl tag localhost/layout:1 demo:1
echo "--- capsactl images ---"
ctl images
echo "--- capsactl system check ---"
ctl system check
rootfs=$(ctl image mount demo:1)
echo "--- capsa run, from the image's mount $rootfs ---"
mkdir -p "$work/bundle"
"$build/capsa" spec --bundle "$work/bundle"
sed -i -e "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|" \
       -e 's|^\( *\)"sh"$|\1"/bin/sh", "-c", "echo hello from the image; ls /bin/busybox; cat /etc/hostname"|' \
       -e 's|"terminal": true|"terminal": false|' "$work/bundle/config.json"
"$build/capsa" --root "$work/state" run --bundle "$work/bundle" "demo-image-$$"
