#!/bin/bash
# replay_speed.sh: replay speed and peak memory of `ptreclaim report` (issues 3 and 8).
#   bench/replay_speed.sh BUILD_DIR [CALLS...]        (default: 10000000 50000000)
# For each length: bench/gen_trace writes a synthetic trace (build/bench/replay.d, never the
# repo), then `ptreclaim report --format json` replays it under /usr/bin/time -v, REPS times
# (default 1; REPS=3 in the environment for more). Then a RECORDED trace with residency on every
# release: bench/dontneed_churn (RECORDED_ROUNDS rounds, default 1000000: that many 4 KiB..256
# KiB MADV_DONTNEED calls in a 64 MiB arena, plus mmap/mprotect/munmap) run under
# `ptreclaim record`, replayed the same way (row "recorded"; RECORDED_ROUNDS=0 skips it).
# Prints events/s and MB/s by CPU time (user+sys: the figure "on one core" on a shared machine)
# and by wall time, and the maximum resident set size — which must not grow with the trace's
# length.
set -euo pipefail
build=${1:?usage: replay_speed.sh BUILD_DIR [CALLS...]}
shift
lengths=("$@")
[ ${#lengths[@]} -gt 0 ] || lengths=(10000000 50000000)
reps=${REPS:-1}
work=$build/bench/replay.d
mkdir -p "$work"

printf '%-10s %3s %9s %10s %8s %8s %12s %12s %8s %8s %9s\n' calls rep events file_MB cpu_s wall_s \
    events_s_cpu events_s_wall MB_s_cpu MB_s_wall maxrss_MB
# time_report LABEL TRACE: one row per repetition.
time_report() {
    local label=$1 trace=$2 bytes rep t user sys wall rss events cpu
    bytes=$(stat -c %s "$trace")
    for rep in $(seq 1 "$reps"); do
        /usr/bin/time -v -o "$work/time.$label.$rep.txt" \
            "$build/ptreclaim" report --format json "$trace" >"$work/report.$label.json" \
            2>"$work/report.$label.err"
        t=$work/time.$label.$rep.txt
        user=$(awk -F': ' '/User time/ { print $2 }' "$t")
        sys=$(awk -F': ' '/System time/ { print $2 }' "$t")
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
                for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$t")
        rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$t")
        events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace"]["events"])' \
            "$work/report.$label.json")
        cpu=$(echo "$user + $sys" | bc -l)
        printf '%-10s %3s %9s %10.1f %8.2f %8.2f %12.0f %12.0f %8.1f %8.1f %9.1f\n' "$label" "$rep" \
            "$events" "$(echo "$bytes / 1000000" | bc -l)" "$cpu" "$wall" \
            "$(echo "$events / $cpu" | bc -l)" "$(echo "$events / $wall" | bc -l)" \
            "$(echo "$bytes / 1000000 / $cpu" | bc -l)" "$(echo "$bytes / 1000000 / $wall" | bc -l)" \
            "$(echo "$rss / 1024" | bc -l)"
    done
}

for calls in "${lengths[@]}"; do
    trace=$work/synthetic.$calls.ptr
    rm -f "$trace"
    "$build/bench/gen_trace" "$trace" "$calls" 2>/dev/null
    time_report "$calls" "$trace"
    rm -f "$trace" # 1.4 GB at 50M calls: do not leave it behind
done

rounds=${RECORDED_ROUNDS:-1000000}
if [ "$rounds" -gt 0 ]; then
    trace=$work/recorded.ptr
    "$build/ptreclaim" record --force -o "$trace" -- "$build/bench/dontneed_churn" "$rounds" 2>/dev/null
    time_report recorded "$trace"
    rm -f "$trace"
fi
