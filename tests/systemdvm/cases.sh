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
unit_gone_in() {   # SLICEDIR UNIT: not active, not failed (a failed unit
    # stays loaded), no cgroup
    s=$(systemctl is-active "$2" 2>/dev/null)
    [ "$s" != active ] && [ "$s" != failed ] && [ "$s" != deactivating ] &&
        [ ! -d "$cg/$1/$2" ]
}
unit_gone() { unit_gone_in system.slice "$1"; }

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

# --- capsad with the systemd driver, driven by crictl as a kubelet would:
# the pod's cgroup_parent is a slice (kubepods-besteffort-podsdvm.slice, in
# kubepods.slice/kubepods-besteffort.slice), its infra container and its
# containers transient scopes in it; limits as unit properties; capsad
# killed and started again finds them
cri_cases="cri-pod cri-ctr cri-update cri-stats cri-restart cri-clean"
podslice=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podsdvm.slice
capsad_pid=
capsad_up() {
    $P/capsad --listen unix:///run/capsad/capsad.sock --root /var/lib/capsad \
        --runroot /run/capsad-engine --cgroup-manager systemd --cni-conf-dir /run/sdvm-cni \
        >>/run/capsad.log 2>&1 &
    capsad_pid=$!
    wait_for 30 $CR version >/dev/null 2>&1
}
cri_fail() {   # the first failed step fails the rest of the CRI cases
    fail "$1" "$2 (capsad: $(tail -5 /run/capsad.log 2>&1))"
    for c in $cri_cases; do
        case " $done_cases " in *" $c "*) ;; *) [ "$c" = "$1" ] || fail "$c" "after $1";; esac
    done
    cri_dead=1
}
in_cgroup() {   # PID CGROUP: the process is in that cgroup
    [ "$(cat /proc/"${1:-0}"/cgroup 2>&1)" = "0::/$2" ]
}
json_pid() { sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' | head -1; }
json_infra() { sed -n 's/.*"infraContainerId": *"\([0-9a-f]*\)".*/\1/p'; }
done_cases=
cri_dead=
ok() { pass "$1"; done_cases="$done_cases $1"; }
if [ ! -x "$P/crictl" ]; then
    for c in $cri_cases; do echo "SD $c skip no crictl (CRICTL, PATH or ../shared/bin)"; done
else
    CR="timeout 60 $P/crictl -r unix:///run/capsad/capsad.sock -i unix:///run/capsad/capsad.sock -t 50s"
    mkdir -p /run/sdvm-cni /var/log/sdvm-pod
    out=$($P/capsactl --root /var/lib/capsad --runroot /run/capsad-engine \
              pull "oci:$B/busybox:latest" 2>&1) || cri_fail cri-pod "capsactl pull: $out"
    if [ -z "$cri_dead" ]; then
        capsad_up || cri_fail cri-pod "capsad did not answer"
    fi
    if [ -z "$cri_dead" ]; then
        pod=$($CR runp "$B/cri/pod.json" 2>&1) || cri_fail cri-pod "runp: $pod"
    fi
    if [ -z "$cri_dead" ]; then
        ipid=$($CR inspectp "$pod" | json_pid)
        infra=$($CR inspectp "$pod" | json_infra)
        u=capsa-$infra.scope
        [ "$(systemctl is-active "$u")" = active ] && in_cgroup "$ipid" "$podslice/$u" &&
            ok cri-pod || cri_fail cri-pod "$u is $(systemctl is-active "$u"); infra \
${ipid:-?} in $(cat /proc/"${ipid:-0}"/cgroup 2>&1)"
    fi
    if [ -z "$cri_dead" ]; then
        ctr=$($CR create "$pod" "$B/cri/ctr.json" "$B/cri/pod.json" 2>&1) &&
            out=$($CR start "$ctr" 2>&1) || cri_fail cri-ctr "create/start: $ctr $out"
    fi
    if [ -z "$cri_dead" ]; then
        cpid=$($CR inspect "$ctr" | json_pid)
        u=capsa-$ctr.scope
        d=$cg/$podslice/$u
        p=$(systemctl show -p MemoryMax,CPUWeight "$u" | sort | tr '\n' ' ')
        [ "$p" = "CPUWeight=20 MemoryMax=67108864 " ] && [ "$(cat $d/memory.max)" = 67108864 ] &&
            in_cgroup "$cpid" "$podslice/$u" && ok cri-ctr ||
            cri_fail cri-ctr "$u: $p memory.max $(cat $d/memory.max 2>&1); ${cpid:-?} in \
$(cat /proc/"${cpid:-0}"/cgroup 2>&1)"
    fi
    if [ -z "$cri_dead" ]; then
        out=$($CR update --memory 100663296 "$ctr" 2>&1)
        p=$(systemctl show -p MemoryMax "$u")
        [ "$p" = MemoryMax=100663296 ] && [ "$(cat $d/memory.max)" = 100663296 ] &&
            ok cri-update || cri_fail cri-update "$out $u: $p memory.max $(cat $d/memory.max 2>&1)"
    fi
    if [ -z "$cri_dead" ]; then
        # the memory in use, read from the container's scope under the slice
        out=$($CR stats -o json --id "$ctr" 2>&1)
        printf '%s' "$out" | tr -d ' \n' | grep -q '"workingSetBytes":{"value":"[1-9]' &&
            ok cri-stats || cri_fail cri-stats "$out"
    fi
    if [ -z "$cri_dead" ]; then
        kill -9 "$capsad_pid"; wait "$capsad_pid" 2>/dev/null
        bad=
        [ "$(systemctl is-active "$u")" = active ] && kill -0 "$cpid" ||
            bad="without capsad: $u is $(systemctl is-active "$u");"
        capsad_up || bad="$bad capsad did not answer again;"
        st=$($CR ps -q --no-trunc --state running 2>&1)
        [ "$st" = "$ctr" ] || bad="$bad running: $st;"
        out=$($CR exec -s "$ctr" echo through the shim 2>&1)
        [ "$out" = "through the shim" ] || bad="$bad exec: $out;"
        [ -z "$bad" ] && ok cri-restart || cri_fail cri-restart "$bad"
    fi
    if [ -z "$cri_dead" ]; then
        bad=
        out=$($CR stopp "$pod" 2>&1) && out=$($CR rmp "$pod" 2>&1) || bad="$out;"
        wait_for 10 unit_gone_in "$podslice" "capsa-$infra.scope" &&
            wait_for 10 unit_gone_in "$podslice" "capsa-$ctr.scope" ||
            bad="$bad left: $(ls -d $cg/$podslice/capsa-* 2>&1);"
        left=$($CR pods -q 2>&1; $CR ps -a -q 2>&1)
        [ -z "$left" ] || bad="$bad listed: $left;"
        [ -z "$bad" ] && ok cri-clean || cri_fail cri-clean "$bad"
    fi
    [ -n "$capsad_pid" ] && kill "$capsad_pid" 2>/dev/null && wait "$capsad_pid" 2>/dev/null
fi

if [ $failed = 1 ]; then
    journalctl -b --no-pager -q -o short-monotonic 2>&1 |
        grep -iE 'capsa|scope|fail|error' | tail -40 | sed 's/^/SDLOG /'
fi
echo "SD done"
