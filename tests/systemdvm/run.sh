#!/bin/bash
# run.sh [CAPSA]: test capsa on a host whose PID 1 is systemd, in a VM.
#
# How: build-image.sh gives (cached in /var/cache/capsa/systemdvm/<hash>) a
# Debian bookworm image, debootstrapped, whose systemd boots on pure cgroup
# v2 straight into capsa-sdvm.service, and an initramfs that loads Debian's
# virtio-blk and ext4 modules and switch_roots to it.  This script makes a
# second disk, the payload (ext4 by `mkfs.ext4 -d`): capsa, capsad and the
# programs they run (built beside capsa), crictl when one is found, cases.sh
# and bundles.py's bundles (busybox-static rootfs) and image.  qemu (TCG) boots Debian's
# kernel from /boot with both disks, the image with snapshot=on so the cache
# is never written.  capsa-sdvm.service mounts the payload, runs cases.sh,
# whose "SD <case> ok|FAIL <why>" lines and "SD done" go to the serial
# console, and powers off.  Exits 0 only if every case passed; if the VM
# does not finish within $SYSTEMDVM_TIMEOUT seconds (default 300) it is
# killed and the console's tail printed.  Needs root, qemu-system-x86,
# linux-image-amd64, debootstrap, e2fsprogs (scripts/install-deps.sh --test).
set -euo pipefail
here=$(dirname "$(realpath "$0")")
repo=$(realpath "$here/../..")
. "$repo/tests/fixtures/qemu.sh"
capsa=$(realpath "${1:-$repo/build/capsa}")
[ -x "$capsa" ] || { echo "run.sh: no capsa binary at $capsa" >&2; exit 2; }
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
[ -n "$kernel" ] || { echo "run.sh: no kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run.sh: apt-get install qemu-system-x86" >&2; exit 2; }
t0=$(date +%s)
cache=$("$here/build-image.sh" "$kernel" | tail -1)
t1=$(date +%s)
work=$(mktemp -d /tmp/capsa-systemdvm.XXXXXX)
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# the payload disk
pl=$work/payload
mkdir -p "$pl/lib"
cp "$capsa" "$pl/capsa"
# the systemd driver's D-Bus helper, beside capsa as installed; capsad's
# cases need capsad and what it runs, built beside capsa too
bin=$(dirname "$capsa")
for b in capsa-systemd capsa-shim capsa-init capsa-pause capsactl capsactl-full capsad \
         capsad-stream; do
    [ -x "$bin/$b" ] || { echo "run.sh: no $bin/$b (built with capsa)" >&2; exit 2; }
    cp "$bin/$b" "$pl/$b"
done
# crictl drives capsad's cases; without it they say "skip" (CRICTL, PATH,
# ../shared/bin: tests/fixtures/cri_tools.py)
crictl=${CRICTL:-$(command -v crictl || true)}
[ -n "$crictl" ] || crictl="$repo/../shared/bin/crictl"
[ -x "$crictl" ] && cp "$crictl" "$pl/crictl"
# shared libraries beyond glibc (the guest has bookworm's glibc), if any
for b in "$pl"/capsa*; do ldd "$b" || true; done | awk '/=>/ && $3 ~ /^\// {print $3}' |
    sort -u | while read -r lib; do
    case "${lib##*/}" in libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) continue ;; esac
    cp -L "$lib" "$pl/lib/"
done
rmdir "$pl/lib" 2>/dev/null || true
cp "$here/cases.sh" "$pl/cases.sh"
chmod 755 "$pl/cases.sh"
/usr/bin/python3 "$here/bundles.py" "$pl/bundles"
mkfs.ext4 -q -F -L sdvm-payload -d "$pl" "$work/payload.img" \
    "$(( $(du -sm "$pl" | cut -f1) + 32 ))M" >/dev/null

timeout_s=${SYSTEMDVM_TIMEOUT:-300}
qemu-system-x86_64 -m 1024 -smp 2 -accel tcg -display none -monitor none -no-reboot \
    -serial "file:$work/console.log" \
    -kernel "$kernel" -initrd "$cache/initrd-${kernel##*/vmlinuz-}.gz" \
    -append "console=ttyS0 panic=-1 systemd.show_status=error root=/dev/vda rw systemd.unified_cgroup_hierarchy=1" \
    -drive "file=$cache/rootfs.img,format=raw,if=virtio,snapshot=on" \
    -drive "file=$work/payload.img,format=raw,if=virtio" \
    < /dev/null > "$work/qemu.log" 2>&1 &
qemu_pid=$!
qemu_await "$qemu_pid" "$work/console.log" SD "$timeout_s"
qemu_pid=
t2=$(date +%s)
log=$(tr -d '\r' < "$work/console.log")
printf '%s\n' "$log" | grep -o "SD .*" || true
echo "run.sh: image $((t1 - t0))s, payload+boot+cases $((t2 - t1))s" >&2
if ! printf '%s\n' "$log" | grep -q "^SD done"; then
    echo "run.sh: the VM did not finish; qemu and its console:" >&2
    cat "$work/qemu.log" >&2
    printf '%s\n' "$log" | tail -60 >&2
    exit 1
fi
if printf '%s\n' "$log" | grep -q "SD .* FAIL"; then
    printf '%s\n' "$log" | grep -o "SDLOG .*" >&2 || true
    exit 1
fi
