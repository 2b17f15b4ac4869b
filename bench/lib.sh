# bench/lib.sh: sourced by engine.sh, network.sh and pull.sh (bash): the
# work directory W and its removal, and the Python body run so that a
# SIGTERM or ^C reaches it and it cleans up first.
#
#   bench_workdir PATH   make W=PATH (mode 0700); on exit: the body is
#                        stopped and waited for, every mount under W
#                        unmounted, W removed
#   bench_run_py FILE    run $PY FILE in the background and wait; exits
#                        with its status

PYPID=
# shellcheck disable=SC2317  # (run from the traps)
bench_cleanup() {
    set +e
    # the body removes its containers and stops its daemons, also on
    # SIGTERM; then whatever is left mounted under W goes, and W
    if [ -n "$PYPID" ]; then
        kill -TERM "$PYPID" 2>/dev/null
        while kill -0 "$PYPID" 2>/dev/null; do wait "$PYPID"; done
    fi
    awk -v w="$W" '$2 == w || index($2, w "/") == 1 {print $2}' /proc/self/mounts \
        | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
    rm -rf "$W"
}

bench_workdir() {
    W=$1
    mkdir -m 0700 "$W" || { echo "cannot make $W" >&2; exit 1; }
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_run_py() {
    "$PY" "$1" &
    PYPID=$!
    local rc=0
    wait "$PYPID" || rc=$?
    PYPID=
    exit "$rc"
}
