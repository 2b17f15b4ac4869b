#!/bin/sh
# /init of the cgroup v2 test VM (tests/v2vm/run.sh builds the initramfs):
# a pure cgroup v2 host, on which capsa runs the cases below; each prints
# "V2 <case> ok" or "V2 <case> FAIL <why>", then the VM powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
C="/capsa --root /run/capsa"
B=/bundle
pass() { echo "V2 $1 ok"; }
fail() { echo; echo "V2 $1 FAIL $2"; }
cg=/sys/fs/cgroup

# 1. limits land in the v2 files, v1 values converted
$C run -d --no-pivot --bundle $B/limits lim >/dev/null 2>/tmp/err || fail limits "$(cat /tmp/err)"
mem=$(cat $cg/lim/memory.max 2>&1); pids=$(cat $cg/lim/pids.max 2>&1); w=$(cat $cg/lim/cpu.weight 2>&1)
quota=$(cat $cg/lim/cpu.max 2>&1)
[ "$mem" = 33554432 ] && [ "$pids" = 20 ] && [ "$w" = 20 ] && [ "$quota" = "50000 100000" ] \
    && pass limits || fail limits "memory.max=$mem pids.max=$pids cpu.weight=$w cpu.max=$quota"
grep -q "^0::/lim$" /proc/$($C state lim | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')/cgroup \
    && pass placed || fail placed "$(cat /proc/self/cgroup)"

# 2. pause / resume with cgroup.freeze
$C pause lim && $C state lim | grep -q '"status": "paused"' && grep -q "frozen 1" $cg/lim/cgroup.events \
    && pass pause || fail pause "$($C state lim)"
$C resume lim && $C state lim | grep -q '"status": "running"' && pass resume || fail resume "$($C state lim)"

# 3. update
$C update --memory 64m --pids-limit 30 lim && [ "$(cat $cg/lim/memory.max)" = 67108864 ] \
    && [ "$(cat $cg/lim/pids.max)" = 30 ] && pass update || fail update "$(cat $cg/lim/memory.max)"

# 4. events --stats reads the v2 files
st=$($C events --stats lim)
echo "$st" | grep -q '"current":' && echo "$st" | grep -q '"ioServicedRecursive":' &&
    echo "$st" | grep -q '"2MB":' && pass stats || fail stats "$($C events --stats lim 2>&1)"

# 5. delete leaves no cgroup
$C delete --force lim && [ ! -e $cg/lim ] && pass delete || fail delete "$(ls $cg)"

# 6. the device rules as eBPF: /dev/ttyS0 bound in is denied, /dev/null is not
out=$($C run --no-pivot --bundle $B/devices dev 2>&1)
case "$out" in
    *null-ok*"Operation not permitted"*) pass devices ;;
    *) fail devices "$out" ;;
esac

# 6b. update replaces the eBPF program: /dev/ttyS0 allowed, then denied again
probe() { $C exec dw sh -c '( : </dev/ttyS0 ) 2>/dev/null && echo tty-ok; ( : </dev/null ) && echo null-ok'; }
$C run -d --no-pivot --bundle $B/devwait dw >/dev/null 2>&1
before=$(probe)
echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":4,"minor":64,"access":"r"}]}' |
    $C update -r - dw
opened=$(probe)
echo '{"devices":[{"allow":false,"access":"rwm"}]}' | $C update -r - dw
after=$(probe)
[ "$before" = null-ok ] && [ "$opened" = "tty-ok
null-ok" ] && [ "$after" = null-ok ] && pass devupdate ||
    fail devupdate "before=[$before] opened=[$opened] after=[$after]"
$C delete --force dw

# 7. a memory hog is OOM-killed (exit 137)
$C run --no-pivot --bundle $B/hog hog >/dev/null 2>&1; rc=$?
[ $rc = 137 ] && pass oom || fail oom "exit $rc"

# 8. a node of linux.devices is denied by the default rules (eBPF)
out=$($C run --no-pivot --bundle $B/devnode dn 2>&1)
case "$out" in
    *"Operation not permitted"*done*) pass devnode ;;
    *) fail devnode "$out" ;;
esac

# 9. a frozen cgroup that exists already is refused, not hung in
mkdir $cg/frz && echo 1 > $cg/frz/cgroup.freeze
out=$(timeout 20 $C run -d --no-pivot --bundle $B/frozen frz 2>&1); rc=$?
echo 0 > $cg/frz/cgroup.freeze
case "$rc:$out" in
    1:*"unexpectedly frozen"*) $C state frz >/dev/null 2>&1 && fail frozen "left: $($C state frz)" ||
                               pass frozen ;;
    *) fail frozen "exit $rc: $out" ;;
esac
rmdir $cg/frz 2>/dev/null

# 10. exec --cgroup: a sub-cgroup of the container's, never above it
$C run -d --no-pivot --bundle $B/sleeper ec >/dev/null 2>&1
mkdir $cg/ec/s
$C exec -d --pid-file /tmp/ec.pid --cgroup s ec sleep 300 2>/tmp/err
in=$(cat /proc/$(cat /tmp/ec.pid)/cgroup 2>&1)
$C exec --cgroup .. ec true 2>/dev/null && up=accepted || up=refused
$C exec --cgroup nosuch ec true 2>/dev/null && missing=accepted || missing=refused
[ "$in" = "0::/ec/s" ] && [ $up = refused ] && [ $missing = refused ] && pass execcg ||
    fail execcg "in=[$in] ..=$up nosuch=$missing $(cat /tmp/err)"

# 11. delete --force with a process in a sub-cgroup the container made
mkdir $cg/ec/foo && cat /tmp/ec.pid > $cg/ec/foo/cgroup.procs
$C delete --force ec 2>/tmp/err
[ ! -e $cg/ec ] && ! $C state ec >/dev/null 2>&1 && pass subdel ||
    fail subdel "$(cat /tmp/err) $(ls $cg/ec 2>&1)"

# 12. exec --ignore-paused: the process runs once the container is resumed
$C run -d --no-pivot --bundle $B/sleeper ip >/dev/null 2>&1 && $C pause ip
$C exec ip true 2>/dev/null && refused=no || refused=yes
$C exec -d --ignore-paused ip sh -c 'echo ran > /tmp/ip-ran' 2>/tmp/err; rc=$?
sleep 0.3
[ -e $B/sleeper/rootfs/tmp/ip-ran ] && early=yes || early=no
$C resume ip
i=0; while [ ! -e $B/sleeper/rootfs/tmp/ip-ran ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ $refused = yes ] && [ $rc = 0 ] && [ $early = no ] && [ -e $B/sleeper/rootfs/tmp/ip-ran ] &&
    pass ignorepaused || fail ignorepaused "refused=$refused rc=$rc early=$early $(cat /tmp/err)"
$C delete --force ip

# 13. update in a parent with a CPU limit of its own (a pod): cpu.max
$C run -d --no-pivot --bundle $B/pod pc >/dev/null 2>/tmp/err
echo "100000 100000" > $cg/pod/cpu.max
$C update --cpu-period 10000 --cpu-quota 3000 pc 2>>/tmp/err
got=$(cat $cg/pod/pc/cpu.max 2>&1)
[ "$got" = "3000 10000" ] && pass podcpu || fail podcpu "cpu.max=[$got] $(cat /tmp/err)"
$C delete --force pc; rmdir $cg/pod 2>/dev/null

# 14. nothing left
left=$(find $cg -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$left" = 0 ] && pass clean || fail clean "$(find $cg -mindepth 1 -maxdepth 1 -type d)"
echo "V2 done"
poweroff -f
