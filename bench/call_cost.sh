#!/bin/bash
# call_cost.sh: added cost per intercepted call (issue 2).
#   bench/call_cost.sh BUILD_DIR [REPS] [N]
# Runs build/bench/call_cost REPS times in each configuration — bare, recorder with stacks off
# (PTRECLAIM_STACK_DEPTH=0), recorder with 32-frame stacks, the same on the pre-6.7 path
# (pre67: PTRECLAIM_PAGEMAP_SCAN=0, residency read from /proc/self/pagemap) — alternating them so that a
# burst of load from other jobs hits all of them alike. Each run prints per-case medians of
# its own rounds; this script takes the median over runs and subtracts the bare median.
# Output: one line per case and configuration, then "added" lines that bench/run.sh collects.
set -euo pipefail
build=${1:?usage: call_cost.sh BUILD_DIR [REPS] [N]}
reps=${2:-5}
n=${3:-100000}
bin=$build/bench/call_cost
lib=$build/libptreclaim.so
work=$build/bench/call_cost.d
rm -rf "$work"
mkdir -p "$work"

run() { # config rep
    local cfg=$1 rep=$2 out=$work/$1.$2.txt
    case $cfg in
    bare) "$bin" "$n" >"$out" ;;
    stacks0 | stacks32)
        env LD_PRELOAD="$lib" PTRECLAIM_OUTPUT="$work/$cfg.$rep.ptr" \
            PTRECLAIM_STACK_DEPTH="${cfg#stacks}" "$bin" "$n" >"$out" ;;
    pre67)
        env LD_PRELOAD="$lib" PTRECLAIM_OUTPUT="$work/$cfg.$rep.ptr" PTRECLAIM_PAGEMAP_SCAN=0 \
            "$bin" "$n" >"$out" ;;
    esac
}

for rep in $(seq 1 "$reps"); do
    for cfg in bare stacks0 stacks32 pre67; do run "$cfg" "$rep"; done
done

# median CASE CONFIG COLUMN -> median over runs of that column (2 = CPU ns, 3 = wall ns)
median() {
    cat "$work/$2".*.txt | awk -v c="$1" -v k="$3" '$1 == c { print $k }' | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf '%-14s %-9s %12s %12s %12s %12s\n' case config cpu_ns wall_ns added_cpu added_wall
for c in madvise_small madvise_deep mmap_munmap dontneed_2m; do
    bc=$(median "$c" bare 2)
    bw=$(median "$c" bare 3)
    for cfg in bare stacks0 stacks32 pre67; do
        mc=$(median "$c" "$cfg" 2)
        mw=$(median "$c" "$cfg" 3)
        printf '%-14s %-9s %12.1f %12.1f %12.1f %12.1f\n' "$c" "$cfg" "$mc" "$mw" \
            "$(echo "$mc - $bc" | bc -l)" "$(echo "$mw - $bw" | bc -l)"
    done
done
echo "reps $reps, calls per round $n, rounds per run 5; medians; ns per call"
# Bytes per call of the microbenchmark's own trace (stacks on): a floor, not a real workload.
"$build/bench/trace_bytes" "$work/stacks32.1.ptr" | grep -E '^bytes_per_call|^residency_bytes' |
    sed 's/^/call_cost_trace /'
# The traces are ~30 MB each and say nothing more: keep the one measured above.
find "$work" -name '*.ptr*' ! -name stacks32.1.ptr -delete
