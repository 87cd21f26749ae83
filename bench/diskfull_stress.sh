#!/bin/bash
# diskfull_stress.sh BUILD_DIR [RUNS]: record test programs into a 256 KiB tmpfs RUNS times
# (default 30), with snapshots every 1, 5 or 20 ms, and check that every trace file left there
# reads cleanly with `ptreclaim dump` (exit 0, nothing on stderr). A full disk must only drop
# whole records and whole snapshot/module groups, never leave a cut snapshot. Needs root (mount).
set -u
build=$(cd "${1:?usage: diskfull_stress.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-30}
mnt=$(mktemp -d /tmp/ptr-diskfull.XXXXXX)
err=$(mktemp /tmp/ptr-diskfull-err.XXXXXX)
mount -t tmpfs -o size=256k tmpfs "$mnt" || exit 1
trap 'umount "$mnt"; rmdir "$mnt"; rm -f "$err"' EXIT
progs=(diskfull allocator_churn calls_counts ordering forks demo_workload)
intervals=(1 5 20)
files=0 bad=0
for i in $(seq 1 "$runs"); do
    p=${progs[$((i % ${#progs[@]}))]}
    iv=${intervals[$((i % 3))]}
    rm -rf "${mnt:?}"/*
    LD_PRELOAD="$build/libptreclaim.so" PTRECLAIM_OUTPUT="$mnt/t$i.ptr" PTRECLAIM_INTERVAL_MS=$iv \
        timeout 120 "$build/programs/$p" >/dev/null 2>&1
    for f in "$mnt"/*; do
        [ -f "$f" ] || continue
        files=$((files + 1))
        if ! "$build/ptreclaim" dump "$f" >/dev/null 2>"$err" || [ -s "$err" ]; then
            bad=$((bad + 1))
            echo "run $i $p $(basename "$f"): $(head -c 300 "$err")"
        fi
    done
done
echo "runs=$runs files=$files bad=$bad"
[ "$bad" = 0 ]
