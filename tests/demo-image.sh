#!/bin/sh
# demo-image.sh BUILD: the image half: an OCI image layout made from
# busybox-static (tests/fixtures/mklayout.sh), pulled into a private store
# by capsactl, listed, checked, mounted, and run by capsa from the mounted
# image (read-only); then containers on networks and in a pod.  No
# network traffic leaves the machine: the script runs in a network
# namespace of its own (unshare), where the default network's bridge and
# firewall rules are made and die with it.
set -eu
if [ -z "${CAPSA_DEMO_NETNS:-}" ]; then
    CAPSA_DEMO_NETNS=1 exec unshare --net "$0" "$@"
fi
build=$(realpath "${1:-build}")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d /tmp/capsa-demo-image.XXXXXX)
ctl() { "$build/capsactl" --root "$work/store" --runroot "$work/run" "$@"; }
cleanup() {
    ctl pod rm -fa >/dev/null 2>&1 || true
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
echo "--- capsactl network create, two containers reaching each other by name ---"
ctl network create demo
ctl run -d --name web --network demo demo:1 sh -c \
    'echo hello from web > /tmp/index.html; exec httpd -f -p 8080 -h /tmp' >/dev/null
ctl run --rm --network demo demo:1 sh -c \
    'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://web:8080/ && exit; sleep 0.2; done; exit 1'
ctl rm -f web >/dev/null
ctl network rm demo >/dev/null
echo "--- capsactl pod create, run --pod: two containers on one localhost ---"
ctl pod create --name demo-pod >/dev/null
ctl run -d --pod demo-pod --name api demo:1 sh -c \
    'echo hello from the pod > /tmp/index.html; exec httpd -f -p 8080 -h /tmp' >/dev/null
ctl run --rm --pod demo-pod demo:1 sh -c \
    'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://127.0.0.1:8080/ && exit; sleep 0.2; done; exit 1'
ctl pod ps
ctl pod rm -f demo-pod >/dev/null
