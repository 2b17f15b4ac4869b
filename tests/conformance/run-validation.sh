#!/bin/bash
# Run the OCI runtime-tools validation suite (validation/*/*.t) against one
# runtime, one test file at a time, and print a pass/fail table.
#
# This script only RUNS a suite that was built beforehand, outside this
# repository; it downloads and builds nothing.
#
# Usage:
#   tests/conformance/run-validation.sh [options] [TEST ...]
#
#   TEST      a test name (linux_ns_itype), file name (linux_ns_itype.t) or
#             path (validation/linux_ns_itype/linux_ns_itype.t); default: all
#             validation/*/*.t under RT_DIR, in sorted order.
#
# Options:
#   -r PATH   runtime binary (same as RUNTIME=PATH)
#   -t SECS   per-file timeout (same as TIMEOUT=SECS, default 60)
#   -l DIR    keep the TAP output/stderr of every file in DIR (same as LOG_DIR)
#   -v        after the table, print the first `not ok` line and its YAML
#             diagnostic for every failing file (same as VERBOSE=1)
#   -N        same as ISOLATE=0 (see below)
#   -H        hide the cgroup v2 hierarchy: re-run this script inside
#             `unshare -m --propagation private` with /sys/fs/cgroup/unified
#             unmounted in that private mount namespace only (same as
#             HIDE_CGROUP2=1). Needed for crun 1.8.x on a cgroup v1 "hybrid"
#             host whose v2 hierarchy holds a controller (e.g. hugetlb); use
#             it for every runtime when comparing runtimes.
#   -h        this help
#
# Environment:
#   RT_DIR    built runtime-tools work tree (default /work/rt/runtime-tools)
#   RUNTIME   runtime binary (default: build/capsa of this repository)
#   TIMEOUT   per-file timeout in seconds (default 60)
#   SCRATCH   parent of the per-file scratch directories (default /tmp)
#   CLEANUP_LEAKED=0  do not `RUNTIME delete --force` containers a file
#             left behind (default 1: after each file, every container that
#             appeared in `RUNTIME list -q` meanwhile AND whose bundle, per
#             `RUNTIME state`, lies in that file's scratch directory is
#             deleted and named in the table).
#   ISOLATE=0 run the files in the caller's mount namespace (default 1: each
#             file runs in its own `unshare -m --propagation private` mount
#             namespace, so a runtime that mounts or pivots in the caller's
#             namespace -- which linux_ns_itype invites, since its container
#             asks for no mount namespace -- cannot damage the host or the
#             files that follow).
#
# Each file runs with cwd=RT_DIR (the tests read ./runtimetest and
# ./rootfs-<arch>.tar.gz from there), RUNTIME set, and TMPDIR set to a fresh
# scratch directory; afterwards anything still mounted under that directory
# (e.g. linux_ns_itype leaks its namespace bind mounts) is lazily unmounted
# and the directory removed.
#
# A file PASSES when it exits 0, prints at least one `ok` line and no
# `not ok` line (a suite-level `ok 1 # SKIP` counts as ok). Otherwise it
# FAILS, with the first `not ok` line or another reason (timeout, exit code,
# no TAP output) shown.
#
# Exit status: 0 all passed, 1 some failed, 2 setup problem.

set -u

usage() { sed -n '2,/^$/{/^$/d;s/^# \{0,1\}//;p}' "$0"; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$script_dir/../.." && pwd)

RT_DIR=${RT_DIR:-/work/rt/runtime-tools}
RUNTIME=${RUNTIME:-$repo_dir/build/capsa}
TIMEOUT=${TIMEOUT:-60}
SCRATCH=${SCRATCH:-/tmp}
LOG_DIR=${LOG_DIR:-}
VERBOSE=${VERBOSE:-0}
HIDE_CGROUP2=${HIDE_CGROUP2:-0}
CLEANUP_LEAKED=${CLEANUP_LEAKED:-1}
ISOLATE=${ISOLATE:-1}

orig_args=("$@")
while getopts "r:t:l:vNHh" opt; do
	case $opt in
	r) RUNTIME=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	l) LOG_DIR=$OPTARG ;;
	v) VERBOSE=1 ;;
	N) ISOLATE=0 ;;
	H) HIDE_CGROUP2=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

die() { echo "run-validation: $*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (the suite creates containers)"

# --- optional private mount namespace without the cgroup v2 hierarchy -------
if [ "$HIDE_CGROUP2" = 1 ] && [ "${_RV_IN_UNSHARE:-}" != 1 ]; then
	command -v unshare >/dev/null || die "-H needs unshare(1) (util-linux)"
	export _RV_IN_UNSHARE=1 RT_DIR RUNTIME TIMEOUT SCRATCH LOG_DIR VERBOSE \
		HIDE_CGROUP2 CLEANUP_LEAKED ISOLATE
	exec unshare -m --propagation private -- "$0" "${orig_args[@]}"
fi
if [ "${_RV_IN_UNSHARE:-}" = 1 ]; then
	if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
		umount /sys/fs/cgroup/unified ||
			umount -l /sys/fs/cgroup/unified ||
			die "cannot unmount /sys/fs/cgroup/unified in the private namespace"
	fi
	cg2_note="private mount ns, /sys/fs/cgroup/unified unmounted"
else
	cg2_note="caller's mount namespace"
fi
if [ "$ISOLATE" = 1 ]; then
	command -v unshare >/dev/null || die "ISOLATE=1 needs unshare(1); or use -N"
	cg2_note="$cg2_note; each file in its own private mount ns"
	isolate=(unshare -m --propagation private --)
else
	isolate=()
fi

# --- check the prebuilt suite -----------------------------------------------
arch=$(go env GOARCH 2>/dev/null || true)
if [ -z "$arch" ]; then
	case $(uname -m) in
	x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; i?86) arch=386 ;;
	*) arch=$(uname -m) ;;
	esac
fi
if [ ! -d "$RT_DIR/validation" ] || [ ! -x "$RT_DIR/runtimetest" ] ||
	! ls "$RT_DIR"/validation/*/*.t >/dev/null 2>&1; then
	cat >&2 <<EOF
run-validation: no built runtime-tools validation suite at RT_DIR=$RT_DIR
(need \$RT_DIR/runtimetest and \$RT_DIR/validation/*/*.t).

Build it outside this repository, for example: get a checkout of
github.com/opencontainers/runtime-tools at a commit whose go.mod matches your
Go toolchain (commit 260e151 works with Debian 12's golang-go 1.19 and builds
offline from its vendor/ directory), then in that checkout run its Makefile
targets "runtimetest" and "validation-executables" with GOFLAGS=-mod=vendor
and GOPROXY=off in the environment. Point RT_DIR at that checkout.
EOF
	exit 2
fi
[ -f "$RT_DIR/rootfs-$arch.tar.gz" ] ||
	die "missing $RT_DIR/rootfs-$arch.tar.gz (the tests unpack it as the container rootfs)"

case $RUNTIME in
*/*) [ -x "$RUNTIME" ] || die "RUNTIME=$RUNTIME is not executable" ;;
*) command -v "$RUNTIME" >/dev/null || die "RUNTIME=$RUNTIME not found in PATH"
   RUNTIME=$(command -v "$RUNTIME") ;;
esac
case $TIMEOUT in ''|*[!0-9]*) die "TIMEOUT must be a number of seconds" ;; esac
[ -d "$SCRATCH" ] || die "SCRATCH=$SCRATCH is not a directory"

# --- list of files ----------------------------------------------------------
files=()
if [ $# -eq 0 ]; then
	while IFS= read -r f; do files+=("$f"); done < <(
		cd "$RT_DIR" && ls validation/*/*.t | LC_ALL=C sort)
else
	for a in "$@"; do
		n=$(basename "$a"); n=${n%.t}
		if [ -f "$RT_DIR/$a" ] && [ "${a%.t}" != "$a" ]; then
			f=${a#./}
		elif [ -f "$a" ] && [ "${a%.t}" != "$a" ] && [ "${a#/}" != "$a" ]; then
			f=$a
		else
			f=validation/$n/$n.t
		fi
		[ -e "$RT_DIR/$f" ] || [ -e "$f" ] || die "no such test: $a ($RT_DIR/$f)"
		files+=("$f")
	done
fi

keep_logs=1
if [ -z "$LOG_DIR" ]; then
	LOG_DIR=$(mktemp -d "${SCRATCH%/}/rtval-logs.XXXXXX") || die "mktemp failed"
	keep_logs=0
fi
mkdir -p "$LOG_DIR" || die "cannot create LOG_DIR=$LOG_DIR"

# Unmount (lazily, deepest first) everything mounted at or under $1.
umount_under() {
	local dir=$1 mp
	# mountinfo field 5 is the mount point, with \040-style octal escapes.
	awk -v d="$dir" '{
		mp = $5
		while (match(mp, /\\[0-7][0-7][0-7]/)) {
			c = substr(mp, RSTART + 1, 3)
			v = (substr(c,1,1) * 64) + (substr(c,2,1) * 8) + substr(c,3,1)
			mp = substr(mp, 1, RSTART - 1) sprintf("%c", v) substr(mp, RSTART + 4)
		}
		if (mp == d || index(mp, d "/") == 1) print length(mp) "\t" mp
	}' /proc/self/mountinfo | sort -rn | cut -f2- |
	while IFS= read -r mp; do
		umount -l "$mp" 2>/dev/null
	done
}

list_ids() { "$RUNTIME" list -q 2>/dev/null | LC_ALL=C sort; }

# --- run --------------------------------------------------------------------
runtime_version=$("$RUNTIME" --version 2>/dev/null | head -n1)
echo "runtime:  $RUNTIME (${runtime_version:-version unknown})"
echo "suite:    $RT_DIR ($(git -C "$RT_DIR" describe --always --tags 2>/dev/null || echo '?'))"
echo "mounts:   $cg2_note"
echo "timeout:  ${TIMEOUT}s per file; ${#files[@]} file(s)"
echo

w=8
for f in "${files[@]}"; do n=$(basename "$f" .t); [ ${#n} -gt $w ] && w=${#n}; done
fmt="%-${w}s  %-4s  %6s  %s\n"
printf "$fmt" FILE RES SECS DETAIL
printf "$fmt" "$(printf '%*s' "$w" '' | tr ' ' -)" ---- ------ ------

npass=0 nfail=0
failed=()
for f in "${files[@]}"; do
	name=$(basename "$f" .t)
	out=$LOG_DIR/$name.tap err=$LOG_DIR/$name.stderr
	scratch=$(mktemp -d "${SCRATCH%/}/rtval-$name.XXXXXX") || die "mktemp failed"
	# like /tmp: a container whose root is a mapped (non-host-root) user
	# must still be able to reach its bundle (linux_uid_mappings)
	chmod 1777 "$scratch"
	[ "$CLEANUP_LEAKED" = 1 ] && before=$(list_ids)

	case $f in /*) exe=$f ;; *) exe=./$f ;; esac
	start=$(date +%s.%N)
	(cd "$RT_DIR" && exec "${isolate[@]}" env RUNTIME="$RUNTIME" TMPDIR="$scratch" \
		timeout --kill-after=5 "$TIMEOUT" "$exe" \
		</dev/null >"$out" 2>"$err")
	rc=$?
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')

	umount_under "$scratch"
	rm -rf --one-file-system "$scratch" 2>/dev/null

	leaked=""
	if [ "$CLEANUP_LEAKED" = 1 ]; then
		for id in $(comm -13 <(echo "$before") <(list_ids)); do
			bundle=$("$RUNTIME" state "$id" 2>/dev/null |
				sed -n 's/^[[:space:]]*"bundle": *"\(.*\)",\{0,1\}$/\1/p')
			case $bundle in "$scratch"/*) ;; *) continue ;; esac
			"$RUNTIME" delete --force "$id" >/dev/null 2>&1
			leaked="$leaked ${id:0:8}"
		done
	fi

	nok=$(grep -c '^ok' "$out")
	first_notok=$(grep -m1 '^not ok' "$out")
	if [ "$rc" -eq 0 ] && [ "$nok" -gt 0 ] && [ -z "$first_notok" ]; then
		res=pass; npass=$((npass + 1))
		nskip=$(grep -ci '^ok.*# *skip' "$out")
		detail="$nok ok"
		[ "$nskip" -gt 0 ] && detail="$detail, $nskip skipped (first: $(grep -m1 -i '^ok.*# *skip' "$out" | sed 's/^[^#]*# *[Ss][Kk][Ii][Pp] *//'))"
	else
		res=FAIL; nfail=$((nfail + 1)); failed+=("$name")
		if [ -n "$first_notok" ]; then
			detail=$first_notok
		elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			detail="timeout after ${TIMEOUT}s"
		elif [ "$rc" -ne 0 ]; then
			detail="exit $rc: $(grep -v '^[[:space:]]*$' "$err" | head -n1)"
		else
			detail="no TAP 'ok' line"
		fi
		# with no `not ok`, add the suite's own error (TAP YAML) or stderr
		if [ -z "$first_notok" ]; then
			why=$(sed -n 's/^[[:space:]]*"error": "\(.*\)",\{0,1\}$/\1/p' "$out" |
				head -n1 | sed 's/\\n.*//')
			[ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$err" | head -n1)
			[ -n "$why" ] && [ "${detail#*: }" = "$detail" ] && detail="$detail: $why"
		fi
	fi
	[ -n "$leaked" ] && detail="$detail [deleted leaked:$leaked]"
	printf "$fmt" "$name" "$res" "$secs" "${detail:0:160}"
done

echo
echo "TOTAL: ${#files[@]} files, $npass pass, $nfail fail  (runtime: $RUNTIME)"

if [ "$VERBOSE" = 1 ] && [ ${#failed[@]} -gt 0 ]; then
	echo
	echo "=== first failure of each failing file ==="
	for name in "${failed[@]}"; do
		echo "--- $name"
		if grep -q '^not ok' "$LOG_DIR/$name.tap"; then
			# first `not ok` line plus its YAML block and `# ` diagnostics
			awk '/^not ok/ && !seen { seen = 1; print; next }
			     seen && /^([[:space:]]+|# )/ {
				if (++n > 40) { print "  [... see " FILENAME "]"; exit }
				print (length($0) > 400 ? substr($0, 1, 400) " [...]" : $0); next }
			     seen { exit }' "$LOG_DIR/$name.tap"
		else
			grep -v '^TAP version' "$LOG_DIR/$name.tap" | head -n 20 | cut -c1-400
			tail -n 5 "$LOG_DIR/$name.stderr" | sed 's/^/  stderr: /'
		fi
	done
fi

if [ "$keep_logs" = 1 ]; then
	echo "logs: $LOG_DIR"
else
	rm -rf "$LOG_DIR"
fi
[ "$nfail" -eq 0 ]
