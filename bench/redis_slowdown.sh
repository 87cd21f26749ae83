#!/bin/bash
# redis_slowdown.sh: whole-program slowdown on a real workload (issue 2).
#   bench/redis_slowdown.sh BUILD_DIR [REPS] [REQUESTS]
# Debian's redis-server (jemalloc 5.3) on 127.0.0.1, a free port, driven by redis-benchmark
# with SET/GET/LPUSH at value sizes 1 KiB, 16 KiB and 64 KiB over a bounded keyspace, so old
# values are freed and jemalloc purges with MADV_DONTNEED while the benchmark runs.
# Three configurations, alternated in one run, REPS times each:
#   bare     redis-server
#   record   build/ptreclaim record (default 100 ms snapshots, 32-frame stacks) -- redis-server
#   strace   strace -f -e trace=memory -o /dev/null redis-server
# Per run: wall time of the whole benchmark sequence, requests/s (total requests / wall), and
# the server's own CPU time (utime+stime of all its threads, from /proc/PID/stat, read just
# before shutdown) — the CPU figure is the steadier one on a shared 2-core machine.
# Under `record`, also the CPU of the recorder's snapshot thread alone (snap_cpu_s): the one
# thread that bare redis does not have — named `ptreclaim-snap` by the recorder (older
# recorders left it unnamed, so it carried the main thread's name; both are matched). That
# component is measured directly, so on a noisy machine it still says what the snapshots cost.
set -euo pipefail
build=${1:?usage: redis_slowdown.sh BUILD_DIR [REPS] [REQUESTS]}
reps=${2:-3}
requests=${3:-20000}
work=$build/bench/redis.d
rm -rf "$work"
mkdir -p "$work"
tck=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start CONFIG REP PORT: starts the server in the background, waits until it answers.
start() {
    local cfg=$1 rep=$2 port=$3
    local args=(redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no
                --dir "$work" --dbfilename "dump.$cfg.$rep.rdb" --loglevel warning)
    case $cfg in
    bare) "${args[@]}" >"$work/server.$cfg.$rep.log" 2>&1 & ;;
    record) "$build/ptreclaim" record --force -o "$work/redis.$rep.ptr" -- "${args[@]}" \
                >"$work/server.$cfg.$rep.log" 2>&1 & ;;
    strace) strace -f -e trace=memory -o /dev/null "${args[@]}" >"$work/server.$cfg.$rep.log" 2>&1 & ;;
    esac
    server_job=$!
    for _ in $(seq 1 200); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "redis-server ($cfg) did not start; log:" >&2
    cat "$work/server.$cfg.$rep.log" >&2
    return 1
}

now() { date +%s.%N; }

run_one() { # CONFIG REP: one timed run, one table line
    local cfg=$1 rep=$2 port pid total t0 t1 ut st madv wall snap=-
    port=$(free_port)
    start "$cfg" "$rep" "$port"
    pid=$(redis-cli -p "$port" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')
    total=0
    t0=$(now)
    for d in 1024 16384 65536; do
        redis-benchmark -h 127.0.0.1 -p "$port" -q -n "$requests" -r 2000 -d "$d" \
            -t set,get,lpush >>"$work/bench.$cfg.$rep.txt"
        total=$((total + 3 * requests))
    done
    redis-cli -p "$port" flushall >/dev/null # frees everything: a burst of purges
    t1=$(now)
    sleep 0.3 # let the purges after FLUSHALL land in the trace (not timed)
    read -r ut st < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
    if [ "$cfg" = record ]; then
        local main_comm t c
        main_comm=$(cat "/proc/$pid/comm")
        snap=$(for t in /proc/"$pid"/task/*; do
                   c=$(cat "$t/comm")
                   if [ "${t##*/}" != "$pid" ] && { [ "$c" = ptreclaim-snap ] || [ "$c" = "$main_comm" ]; }; then
                       awk '{ print $14 + $15 }' "$t/stat"
                   fi
               done | awk -v hz="$tck" '{ s += $1 } END { printf "%.2f", s / hz }')
    fi
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$server_job" || true
    madv=-
    if [ "$cfg" = record ]; then
        madv=$("$build/ptreclaim" report --format json "$work/redis.$rep.ptr" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["trace"]["calls"]["madvise"])')
    fi
    wall=$(echo "$t1 - $t0" | bc -l)
    printf '%-7s %3s %10.3f %12.0f %12.2f %8s %10s\n' "$cfg" "$rep" "$wall" \
        "$(echo "$total / $wall" | bc -l)" "$(echo "($ut + $st) / $tck" | bc -l)" "$madv" "$snap"
}

run_one bare 0 >/dev/null # warm-up, not counted: page cache, CPU frequency
printf '%-7s %3s %10s %12s %12s %8s %10s\n' config rep wall_s requests_s server_cpu_s madvise snap_cpu_s
order=(bare record strace)
for rep in $(seq 1 "$reps"); do
    # Rotate the order each repetition, so no configuration always runs first (or right
    # after strace's run): on a shared machine the position in the sequence shows up as
    # a bias of several percent otherwise.
    for i in 0 1 2; do run_one "${order[(i + rep) % 3]}" "$rep"; done
done | tee "$work/runs.txt"

# Medians per configuration, and slowdown against bare: the median of the per-repetition
# ratios (each configuration against the bare run of the same repetition, run moments apart),
# with their range — on a shared machine the range says how much of the figure is noise.
bench_summary() { awk -f "$(dirname "$0")/slowdown_summary.awk" "$1"; }
bench_summary "$work/runs.txt"
# The snapshot thread's CPU against the bare server's CPU of the same repetition (median).
awk '$1 == "bare" && $2 ~ /^[0-9]+$/ { b[$2] = $5 } $1 == "record" && $7 ~ /^[0-9.]+$/ { s[$2] = $7 }
     END { n = 0; for (r in s) if (r in b) { n++; v[n] = 100 * s[r] / b[r] }
           for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
           if (n) printf "snapshot_thread_cpu_pct_of_bare %.1f range %.1f..%.1f\n", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2, v[1], v[n] }' \
    "$work/runs.txt"
"$build/bench/trace_bytes" "$work/redis.1.ptr" >"$work/redis.1.bytes.txt"
grep -E '^(MADVISE|MMAP|MUNMAP|THREAD|calls|bytes_per_call|residency_bytes)' "$work/redis.1.bytes.txt" |
    sed 's/^/redis_trace /'
