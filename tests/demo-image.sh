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
    ctl rm -fa >/dev/null 2>&1 || true
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
echo "--- capsactl run --rm demo:1 (capsa-shim + capsa) ---"
ctl run --rm demo:1 sh -c 'echo hello from the image; cat /etc/hostname | wc -c; id'
echo "--- capsactl run -d, ps, exec, logs, stop, rm ---"
ctl run -d --name web demo:1 sh -c 'echo started; exec sleep 1000' >/dev/null
ctl ps
ctl exec web sh -c 'echo exec in $(hostname)'
ctl logs web
ctl stop -t 1 web >/dev/null
ctl ps -a --format '{{.Names}} {{.Status}}'
ctl rm web >/dev/null
