#!/bin/bash
# build-image.sh [KERNEL]: print the directory holding the systemd VM's
# cached boot files, building what is missing first (as root):
#   rootfs.img         Debian bookworm (debootstrap, minbase + systemd, dbus),
#                      booting systemd as PID 1 on pure cgroup v2 straight
#                      into capsa-sdvm.service, which runs the payload's
#                      cases.sh (see run.sh) and powers off; ext4 made with
#                      `mkfs.ext4 -d`, no loop mount
#   initrd-<kver>.gz   busybox-static and the kernel's virtio-blk, ext4 and
#                      overlay modules: mounts /dev/vda and switch_roots to
#                      systemd
# The directory is /var/cache/capsa/systemdvm/<hash of this script>
# ($SYSTEMDVM_CACHE instead of /var/cache/capsa/systemdvm), so editing this
# script builds a new image and an unchanged one is reused.  The image is
# never written to: run.sh boots it with snapshot=on.  Packages come from
# the Debian mirror this machine's apt uses ($SYSTEMDVM_MIRROR overrides).
# Progress goes to stderr, the directory alone to stdout.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "build-image.sh: run as root" >&2; exit 2; }
self=$(realpath "$0")
kernel=${1:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)}
[ -n "$kernel" ] || { echo "build-image.sh: no kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 2; }
kver=${kernel##*/vmlinuz-}
top=${SYSTEMDVM_CACHE:-/var/cache/capsa/systemdvm}
cache=$top/$(sha256sum "$self" | cut -c1-16)
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

# ---------------------------------------------------------------- initramfs
make_initrd() {
    local d=$1 m f
    "$(dirname "$self")/../fixtures/mkrootfs.sh" "$d" >/dev/null
    mkdir -p "$d/newroot" "$d/mod"
    : > "$d/mod/order"
    # each module after its dependencies; insmod failures (crc32c-intel on
    # a CPU without SSE4.2) are harmless as long as the root mounts
    for m in virtio_pci virtio_blk crc32c_generic ext4 overlay; do
        modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
    done | awk '!seen[$0]++' | while read -r f; do
        case "$f" in
            *.xz) xz -dc "$f" > "$d/mod/$(basename "${f%.xz}")" ;;
            *.zst) zstd -qdc "$f" > "$d/mod/$(basename "${f%.zst}")" ;;
            *) cp "$f" "$d/mod/" ;;
        esac
        f=$(basename "$f"); echo "${f%.*}" >> "$d/mod/order"
    done
    cat > "$d/init" <<'INIT'
#!/bin/sh
# /init of the systemd VM's initramfs: load virtio-blk, ext4 and overlay
# (capsad's containers), mount
# /dev/vda read-write and hand over to its systemd.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/mod/$m.ko" 2>/dev/null; done < /mod/order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 -o rw /dev/vda /newroot; then
    echo "SD boot FAIL initramfs cannot mount /dev/vda"; echo "SD done"
    poweroff -f
fi
umount /proc /sys /dev
exec switch_root /newroot /sbin/init
echo "SD boot FAIL switch_root"; echo "SD done"; poweroff -f
INIT
    chmod 755 "$d/init"
}

t=
trap 'rm -rf "$t"' EXIT
initrd=$cache/initrd-$kver.gz
if [ ! -s "$initrd" ]; then
    t=$(mktemp -d "$cache/.initrd.XXXXXX")
    make_initrd "$t/root"
    ( cd "$t/root" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$t/initrd.gz"
    mv "$t/initrd.gz" "$initrd"
    rm -rf "$t"
fi

# ------------------------------------------------------------- root image
if [ -s "$cache/rootfs.img" ]; then
    echo "$cache"
    exit 0
fi
command -v debootstrap >/dev/null ||
    { echo "build-image.sh: apt-get install debootstrap (scripts/install-deps.sh --test)" >&2; exit 2; }

# the mirror apt uses for bookworm: one-line .list files, then deb822 .sources
apt_mirror() {
    # (either kind of file may be missing: cat's failure must not end the
    # script, which runs with pipefail)
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | awk '
        $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                      if ($(i + 1) == "bookworm") { print $i; exit } }'
    { cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } | awk 'BEGIN { RS = ""; FS = "\n" } {
        uri = ""; deb = 0; suite = 0
        for (i = 1; i <= NF; i++) {
            if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
            if ($i ~ /^Types:/ && ($i " ") ~ /[ \t]deb[ \t]/) deb = 1
            if ($i ~ /^Suites:/ && ($i " ") ~ /[ \t]bookworm[ \t]/) suite = 1
        }
        if (uri != "" && deb && suite) { print uri; exit } }'
}
mirror=${SYSTEMDVM_MIRROR:-$(apt_mirror | head -1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}

start=$(date +%s)
t=$(mktemp -d "$cache/.build.XXXXXX")
r=$t/root
echo "build-image.sh: debootstrap bookworm from $mirror into $cache" >&2
if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,kmod \
        bookworm "$r" "$mirror" > "$t/debootstrap.log" 2>&1; then
    tail -30 "$t/debootstrap.log" >&2
    [ -f "$r/debootstrap/debootstrap.log" ] && tail -30 "$r/debootstrap/debootstrap.log" >&2
    echo "build-image.sh: debootstrap failed" >&2
    exit 1
fi

echo sdvm > "$r/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 sdvm\n' > "$r/etc/hosts"
echo "# the root is mounted by the initramfs" > "$r/etc/fstab"
# no first-boot prompts, no logins, no network, no timers: the only job
# besides systemd's own is capsa-sdvm.service
for u in systemd-firstboot.service getty.target getty@.service serial-getty@.service \
         console-getty.service systemd-logind.service systemd-networkd.service \
         systemd-networkd.socket systemd-networkd-wait-online.service \
         systemd-update-utmp.service systemd-update-utmp-runlevel.service \
         apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
         e2scrub_reap.service fstrim.timer systemd-tmpfiles-clean.timer \
         systemd-journal-flush.service systemd-pstore.service; do
    ln -sf /dev/null "$r/etc/systemd/system/$u"
done
mkdir -p "$r/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$r/etc/systemd/journald.conf.d/sdvm.conf"

cat > "$r/etc/systemd/system/capsa-sdvm.service" <<'UNIT'
[Unit]
Description=capsa systemd VM cases (tests/systemdvm)
After=basic.target dbus.socket
Wants=dbus.socket

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/capsa-sdvm-run
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/capsa-sdvm.service "$r/etc/systemd/system/multi-user.target.wants/"

cat > "$r/usr/local/sbin/capsa-sdvm-run" <<'RUN'
#!/bin/sh
# mount the payload disk (run.sh makes it) and run its cases.sh, whose
# "SD ..." lines go to the serial console; then power off
exec >/dev/ttyS0 2>&1
# the kernel's messages (boot diagnostics until now) would split SD lines
echo 1 > /proc/sys/kernel/printk
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
mkdir -p /payload
if mount -t ext4 /dev/vdb /payload && [ -x /payload/cases.sh ]; then
    /payload/cases.sh /payload
else
    echo "SD payload FAIL cannot mount /dev/vdb or no cases.sh"
    echo "SD done"
fi
sync
systemctl --no-block poweroff
RUN
chmod 755 "$r/usr/local/sbin/capsa-sdvm-run"

rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r/debootstrap"
size=$(( $(du -sm "$r" | cut -f1) + 512 ))
mkfs.ext4 -q -F -L sdvm-root -d "$r" "$t/rootfs.img" "${size}M" >&2
mv "$t/rootfs.img" "$cache/rootfs.img"
# images of older versions of this script, unused for a day, go
find "$top" -mindepth 1 -maxdepth 1 -type d ! -path "$cache" -mtime +1 -exec rm -rf {} +
echo "build-image.sh: image built in $(( $(date +%s) - start ))s" >&2
echo "$cache"
