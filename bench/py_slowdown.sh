#!/bin/bash
# py_slowdown.sh: whole-program slowdown on an allocator-heavy program (issue 2).
#   bench/py_slowdown.sh BUILD_DIR [REPS] [ROUNDS]
# python3 running bench/py_churn.py with PYTHONMALLOC=malloc and Debian's jemalloc preloaded,
# MALLOC_CONF=dirty_decay_ms:0: jemalloc purges (MADV_DONTNEED) every extent as soon as it is
# freed — ~60,000 calls in 20 rounds, far more calls per second than redis: the stress case.
# Decay 0 also makes the number of calls independent of timing (with a time-based decay a
# slower run purges more often and does more work), so every configuration does the same
# work and the difference is the recorder's alone; the summary divides it by the calls.
# Four configurations alternated REPS times: bare, `ptreclaim record` (defaults: 100 ms
# snapshots, 32-frame stacks), `record` with PTRECLAIM_PAGEMAP_SCAN=0 ("pre67": the path of
# kernels without the PAGEMAP_SCAN ioctl, reading /proc/self/pagemap), and
# `strace -f -e trace=memory -o /dev/null`. Per run: wall time
# and CPU time (user+sys of the whole process tree, strace's own included) from /usr/bin/time.
set -euo pipefail
build=${1:?usage: py_slowdown.sh BUILD_DIR [REPS] [ROUNDS]}
reps=${2:-3}
rounds=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$build/bench/py.d
rm -rf "$work"
mkdir -p "$work"
jemalloc=$(ls /usr/lib/*/libjemalloc.so.2 | head -1)
# Debian's interpreter, not a version-manager shim (a shell script that forks and execs).
python=/usr/bin/python3

run_one() { # CONFIG REP: one timed run, one table line
    local cfg=$1 rep=$2 pre wall user sys madv scan=1
    local cmd=("$python" "$here/py_churn.py" "$rounds")
    case $cfg in
    bare) pre=() ;;
    record) pre=("$build/ptreclaim" record --force -o "$work/py.$rep.ptr" --) ;;
    pre67) pre=("$build/ptreclaim" record --force -o "$work/py.pre67.$rep.ptr" --) scan=0 ;;
    strace) pre=(strace -f -e trace=memory -o /dev/null) ;;
    esac
    # The preload goes through the environment: `record` puts the recorder in front of it.
    env LD_PRELOAD="$jemalloc" PTRECLAIM_PAGEMAP_SCAN=$scan PYTHONMALLOC=malloc MALLOC_CONF=dirty_decay_ms:0 \
        /usr/bin/time -f '%e %U %S' -o "$work/time.$cfg.$rep" "${pre[@]}" "${cmd[@]}" \
        >/dev/null 2>"$work/stderr.$cfg.$rep"
    read -r wall user sys <"$work/time.$cfg.$rep"
    madv=-
    if [ "$cfg" = record ]; then
        madv=$("$build/ptreclaim" report --format json "$work/py.$rep.ptr" 2>/dev/null |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["trace"]["calls"]["madvise"])')
    fi
    printf '%-7s %3s %10.2f %10.2f %8s\n' "$cfg" "$rep" "$wall" "$(echo "$user + $sys" | bc -l)" "$madv"
}

run_one bare 0 >/dev/null # warm-up, not counted: page cache, CPU frequency
printf '%-7s %3s %10s %10s %8s\n' config rep wall_s cpu_s madvise
order=(bare record pre67 strace)
for rep in $(seq 1 "$reps"); do
    # Rotate the order each repetition, so no configuration always runs first (or right
    # after strace's run): on a shared machine the position in the sequence shows up as
    # a bias of several percent otherwise.
    for i in 0 1 2 3; do run_one "${order[(i + rep) % 4]}" "$rep"; done
done | tee "$work/runs.txt"
awk -v CPUCOL=4 -f "$here/slowdown_summary.awk" "$work/runs.txt" | tee "$work/summary.txt"
# Added CPU per recorded call: (median CPU under record - median bare) / calls recorded.
awk '$1 == "median" && $2 == "bare" { b = $6 } $1 == "median" && $2 == "record" { r = $6 }
     END { printf "%s ", r - b }' "$work/summary.txt" >"$work/added.txt"
awk '$1 == "record" && $5 ~ /^[0-9]+$/ { n++; s += $5 } END { print s / n }' "$work/runs.txt" >>"$work/added.txt"
read -r dcpu calls <"$work/added.txt"
echo "py_added_cpu_us_per_call $(echo "$dcpu * 1000000 / $calls" | bc -l | xargs printf '%.2f') (calls $calls)"
"$build/bench/trace_bytes" "$work/py.1.ptr" >"$work/py.1.bytes.txt"
grep -E '^(calls|bytes_per_call|residency_bytes)' "$work/py.1.bytes.txt" | sed 's/^/py_trace /'
