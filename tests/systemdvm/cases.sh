#!/bin/sh
# cases.sh PAYLOAD: the cases of the systemd VM (run.sh builds the payload
# disk, the image's capsa-sdvm.service mounts it and runs this on a Debian
# host whose PID 1 is systemd, on pure cgroup v2).  Each case prints
# "SD <case> ok" or "SD <case> FAIL <why>"; "SD done" ends the run.  After a
# failure the journal's tail follows as "SDLOG ..." lines.
#
# The systemd driver is asked for with the global flag --systemd-cgroup;
# linux.cgroupsPath "system.slice:capsa:<id>" means the transient unit
# capsa-<id>.scope in system.slice, cgroup /sys/fs/cgroup/system.slice/
# capsa-<id>.scope (runc's convention).
P=${1:-/payload}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
[ -d "$P/lib" ] && export LD_LIBRARY_PATH="$P/lib"
C="timeout 60 $P/capsa --root /run/capsa"
S="$C --systemd-cgroup"
B=$P/bundles
cg=/sys/fs/cgroup
failed=0
pass() { echo "SD $1 ok"; }
fail() { echo; echo "SD $1 FAIL $(printf '%s' "$2" | tr '\n' ' ' | cut -c1-400)"; failed=1; }
pid_of() { $C state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }
status_of() { $C state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
stopped() { [ "$(status_of "$1")" = stopped ]; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds, polling every 0.2 s
wait_for() {
    n=$(($1 * 5)); shift
    while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done
    "$@"
}
unit_gone() {   # not active, not failed (a failed unit stays loaded), no cgroup
    s=$(systemctl is-active "$1" 2>/dev/null)
    [ "$s" != active ] && [ "$s" != failed ] && [ "$s" != deactivating ] &&
        [ ! -d "$cg/system.slice/$1" ]
}

# --- the host
[ "$(cat /proc/1/comm)" = systemd ] && pass pid1 || fail pid1 "PID 1 is $(cat /proc/1/comm)"
t=$(stat -f -c %T $cg)
[ "$t" = cgroup2fs ] && [ ! -e $cg/unified ] && pass cgroup2 || fail cgroup2 "$cg is $t"
v=$(timeout 20 busctl --system get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
    org.freedesktop.systemd1.Manager Version 2>&1)
case "$v" in
    's "'*) [ "$(systemctl is-active dbus.service)" = active ] && pass dbus ||
                fail dbus "dbus.service is $(systemctl is-active dbus.service)" ;;
    *) fail dbus "busctl: $v" ;;
esac

# --- the default cgroupfs driver still works on a systemd host
out=$($C run --bundle "$B/id" cfs 2>&1)
case "$out" in
    *"uid=0(root) gid=0(root)"*) [ ! -e $cg/cfs ] && pass cgroupfs || fail cgroupfs "$cg/cfs left" ;;
    *) fail cgroupfs "$out" ;;
esac

# --- the systemd driver
unit=capsa-sdc.scope
dir=$cg/system.slice/$unit
bad=
# (create's output to a file: the container inherits it, and a pipe would
# stay open as long as the container runs)
$S create --bundle "$B/sd" sdc >/run/sdc.out 2>&1 || bad="create: $(cat /run/sdc.out);"
[ -z "$bad" ] && { out=$($S start sdc 2>&1) || bad="start: $out;"; }
if [ -z "$bad" ]; then
    s=$(systemctl is-active $unit)
    [ "$s" = active ] || bad="$bad $unit is $s;"
    props=$(systemctl show -p MemoryMax,TasksMax,CPUWeight $unit | sort | tr '\n' ' ')
    [ "$props" = "CPUWeight=20 MemoryMax=67108864 TasksMax=100 " ] || bad="$bad unit: $props;"
    files="$(cat $dir/memory.max $dir/pids.max $dir/cpu.weight 2>&1 | tr '\n' ' ')"
    [ "$files" = "67108864 100 20 " ] || bad="$bad memory.max pids.max cpu.weight: $files;"
    pid=$(pid_of sdc)
    c=$(cat /proc/"${pid:-0}"/cgroup 2>&1)
    [ "$c" = "0::/system.slice/$unit" ] || bad="$bad pid ${pid:-?} in: $c;"
fi
[ -z "$bad" ] && pass sd-create || fail sd-create "$bad"

out=$($S pause sdc 2>&1)
[ "$(status_of sdc)" = paused ] && [ "$(cat $dir/cgroup.freeze 2>&1)" = 1 ] &&
    wait_for 3 grep -q "frozen 1" $dir/cgroup.events && pass sd-pause ||
    fail sd-pause "$out status $(status_of sdc) cgroup.freeze $(cat $dir/cgroup.freeze 2>&1)"
out=$($S resume sdc 2>&1)
[ "$(status_of sdc)" = running ] && [ "$(cat $dir/cgroup.freeze 2>&1)" = 0 ] &&
    wait_for 3 grep -q "frozen 0" $dir/cgroup.events && pass sd-resume ||
    fail sd-resume "$out status $(status_of sdc) cgroup.freeze $(cat $dir/cgroup.freeze 2>&1)"

out=$($S update --memory 96M sdc 2>&1)
p=$(systemctl show -p MemoryMax $unit)
m=$(cat $dir/memory.max 2>&1)
[ "$p" = MemoryMax=100663296 ] && [ "$m" = 100663296 ] && pass sd-update ||
    fail sd-update "$out unit $p memory.max $m"

bad=
out=$($S kill sdc KILL 2>&1) || bad="kill: $out;"
wait_for 5 stopped sdc ||
    bad="$bad status $(status_of sdc);"
out=$($S delete sdc 2>&1) || bad="$bad delete: $out;"
wait_for 5 unit_gone $unit ||
    bad="$bad $unit: $(systemctl show -p LoadState,ActiveState $unit | tr '\n' ' ') dir: $(ls -d $dir 2>&1)"
[ -z "$bad" ] && pass sd-delete || fail sd-delete "$bad"

out=$($S run --bundle "$B/sdrun" sdr 2>&1)
case "$out" in
    *"0::/system.slice/capsa-sdr.scope"*)
        wait_for 5 unit_gone capsa-sdr.scope && pass sd-run ||
            fail sd-run "capsa-sdr.scope left: $(systemctl is-active capsa-sdr.scope)" ;;
    *) fail sd-run "$out" ;;
esac

# --- nothing left
units=$(systemctl list-units --all --plain --no-legend 'capsa-*.scope' 2>&1)
dirs=$(ls -d $cg/system.slice/capsa-*.scope 2>/dev/null)
[ -z "$units$dirs" ] && pass sd-clean || fail sd-clean "units: $units dirs: $dirs"

if [ $failed = 1 ]; then
    journalctl -b --no-pager -q -o short-monotonic 2>&1 |
        grep -iE 'capsa|scope|fail|error' | tail -40 | sed 's/^/SDLOG /'
fi
echo "SD done"
