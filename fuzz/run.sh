#!/bin/sh
# run.sh BUILD_DIR: run every libFuzzer target in BUILD_DIR/fuzz for
# FUZZ_SECONDS (default 60) each, FUZZ_JOBS (default 2) at a time, under
# the ASan+UBSan the build has; print the executions per target and fail
# if any target crashed, leaked, hung or broke a contract.  Each target
# starts from its seeds (fuzz/corpus/<target>) plus what earlier runs
# found (BUILD_DIR/fuzz-corpus/<target>); a crashing input is kept in
# BUILD_DIR/fuzz-artifacts/<target>/ (replay: BUILD_DIR/fuzz/fuzz_<target> FILE).
set -eu
build=${1:?usage: fuzz/run.sh BUILD_DIR}
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
targets=${FUZZ_TARGETS:-$(cd "$here/corpus" && ls)}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# leaks inside libraries only (libseccomp 2.5.4): see lsan.supp.  The
# suppressions name functions, so the reports need llvm-symbolizer (Debian's
# llvm-14, which clang only recommends): without it every frame is an
# address and the suppressed leak fails the run
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
    for s in llvm-symbolizer llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
        if command -v "$s" >/dev/null; then
            ASAN_SYMBOLIZER_PATH=$(command -v "$s")
            break
        fi
    done
    [ -n "${ASAN_SYMBOLIZER_PATH:-}" ] ||
        { echo "fuzz: no llvm-symbolizer (apt-get install llvm-14): lsan.supp needs it" >&2; exit 1; }
    export ASAN_SYMBOLIZER_PATH
fi

run_one() {
    t=$1
    corpus="$build/fuzz-corpus/$t" art="$build/fuzz-artifacts/$t"
    mkdir -p "$corpus" "$art"
    rc=0
    # libseccomp has no frame pointers: the slow unwinder sees through it,
    # so its suppressed leak (lsan.supp) is told from one of ours
    opts=$ASAN_OPTIONS
    [ "$t" = seccomp ] && opts="$opts:fast_unwind_on_malloc=0"
    (cd "$art" && ASAN_OPTIONS=$opts "$build/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=16384 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" \
        "$corpus" "$here/corpus/$t") >"$build/fuzz-$t.log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-$t.log")
    echo "$t ${execs:-?} $rc" >"$build/fuzz-$t.result"
}

for t in $targets; do
    [ -x "$build/fuzz/fuzz_$t" ] || { echo "fuzz: $build/fuzz/fuzz_$t missing" >&2; exit 1; }
    rm -f "$build/fuzz-$t.result"
done
# FUZZ_JOBS at a time
set -- $targets
while [ $# -gt 0 ]; do
    n=0
    while [ $# -gt 0 ] && [ $n -lt "$jobs" ]; do
        run_one "$1" &
        shift
        n=$((n + 1))
    done
    wait
done

fail=0 total=0
printf '%-14s %12s  %s\n' target executions result
for t in $targets; do
    read -r name execs rc <"$build/fuzz-$t.result"
    if [ "$rc" = 0 ]; then res=ok; else res="FAILED (exit $rc, see $build/fuzz-$t.log)"; fail=1; fi
    printf '%-14s %12s  %s\n' "$name" "$execs" "$res"
    case $execs in ''|*[!0-9]*) ;; *) total=$((total + execs)) ;; esac
    [ "$rc" = 0 ] || grep -E 'ERROR|contract broken|SUMMARY' "$build/fuzz-$t.log" | head -5 >&2
done
printf '%-14s %12s  (%s s per target)\n' total "$total" "$secs"
exit $fail
