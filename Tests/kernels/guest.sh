#!/bin/bash
# guest.sh OUT: runs inside the test-kernels guest (see init), in this machine's root shared
# read-only. Records every workload of workloads.tsv with the worktree's own build of the
# recorder into a tmpfs, then copies each trace (and the traces of its children), its output,
# the THP counters of /proc/vmstat before and after it (NAME.thp) and its exit status into OUT,
# the writable 9p share. OUT/guest.tsv: one line per workload
# (name, expected exit status, exit status, seconds).
OUT=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=/tmp/ptreclaim-guest
mkdir -p "$W"
cd "$ROOT" || exit 1
{ uname -r; cat /proc/version; cat /sys/kernel/mm/transparent_hugepage/enabled; } > "$OUT/uname.txt"
while IFS=$'\t' read -r name timeout expect cmd; do
    case $name in ''|'#'*) continue ;; esac
    # The recorder first, then any LD_PRELOAD the workload gives (as `ptreclaim record` does).
    words=() pre=$ROOT/build/libptreclaim.so
    for w in $cmd; do
        case $w in LD_PRELOAD=*) pre=$pre:${w#LD_PRELOAD=} ;; *) words+=("$w") ;; esac
    done
    # THP events during the run: pread of pagemap cannot tell a PMD-mapped block from 512 PTEs.
    thp0=$(grep -E '^thp_(fault_alloc|split_pmd|collapse_alloc) ' /proc/vmstat | tr '\n' ' ')
    start=$(date +%s)
    timeout -s KILL "$timeout" env PTRECLAIM_OUTPUT="$W/$name.ptr" LD_PRELOAD="$pre" "${words[@]}" \
        > "$W/$name.out" 2> "$W/$name.err"
    rc=$?
    printf '%s\t%s\t%d\t%d\n' "$name" "$expect" "$rc" $(( $(date +%s) - start )) >> "$OUT/guest.tsv"
    { echo "before: $thp0"; echo "after: $(grep -E '^thp_(fault_alloc|split_pmd|collapse_alloc) ' /proc/vmstat | tr '\n' ' ')"; } > "$W/$name.thp"
    echo "guest: $name exit $rc ($(( $(date +%s) - start )) s)" > /dev/console
    cp "$W/$name".* "$OUT/" && rm -f "$W/$name".*
done < "$ROOT/Tests/kernels/workloads.tsv"
