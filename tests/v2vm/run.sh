#!/bin/bash
# run.sh [CAPSA]: test capsa on a pure cgroup v2 host, in a VM.
# Boots Debian's own kernel (linux-image-amd64) under qemu TCG with an
# initramfs of busybox-static, capsa and test bundles; tests/v2vm/init.sh
# runs the cases and prints "V2 <case> ok|FAIL ..." on the serial console.
# Exits 0 only if every case passed.  Everything comes from Debian packages.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
repo=$(realpath "$here/../..")
. "$repo/tests/fixtures/qemu.sh"
capsa=$(realpath "${1:-$repo/build/capsa}")
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
[ -n "$kernel" ] || { echo "run.sh: no kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run.sh: apt-get install qemu-system-x86" >&2; exit 2; }
work=$(mktemp -d /tmp/capsa-v2vm.XXXXXX)
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

root=$work/root
"$repo/tests/fixtures/mkrootfs.sh" "$root" >/dev/null
mkdir -p "$root/run" "$root/sys/fs/cgroup" "$root/bundle"
cp "$capsa" "$root/capsa"
# capsa's shared libraries (glibc), at the paths its loader expects
ldd "$capsa" | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
cp "$here/init.sh" "$root/init"
/usr/bin/python3 "$here/bundles.py" "$root/bundle"

( cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$work/initramfs.gz"
timeout_s=${V2VM_TIMEOUT:-240}
qemu-system-x86_64 -m 768 -smp 1 -nographic -no-reboot -accel tcg \
    -kernel "$kernel" -initrd "$work/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet systemd.unified_cgroup_hierarchy=1" \
    > "$work/console.log" 2>&1 &
qemu_pid=$!
qemu_await "$qemu_pid" "$work/console.log" V2 "$timeout_s"
qemu_pid=
tr -d '\r' < "$work/console.log" | grep -o "V2 .*" || true
if ! grep -q "^V2 done" "$work/console.log"; then
    echo "run.sh: the VM did not finish; its console:" >&2
    tail -40 "$work/console.log" >&2
    exit 1
fi
! tr -d '\r' < "$work/console.log" | grep -q "V2 .* FAIL"
