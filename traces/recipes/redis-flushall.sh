#!/bin/bash
# trace: redis-flushall
# program: redis-server 7.0 (Debian), filled by redis-benchmark with 640k SETs of 256 B values, then FLUSHALL and MEMORY PURGE
# allocator: jemalloc 5.3.0, linked into Debian's redis-server (jemalloc-bg-thread yes)
# shows: a service emptying its whole data set: jemalloc's purge of large coalesced extents
# Runs in about 5 s (recorded for about 4 s).
NAME=redis-flushall
source "$(dirname "$0")/lib.sh"

start_redis

# ~640k distinct keys (random key space of 10^9), 256 B values, pipelined.
timeout 120 redis-benchmark -h 127.0.0.1 -p "$PORT" -t set -n 640000 -r 1000000000 -d 256 -P 16 -q 2>&1 | tr "\r" "\n" | tail -n 2
rcli dbsize
sleep 1
rcli flushall
rcli memory purge
sleep 2   # let jemalloc's background thread finish and snapshots see the result
finish_redis
