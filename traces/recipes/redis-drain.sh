#!/bin/bash
# trace: redis-drain
# program: redis-server 7.0 (Debian), 8192 keys of 64 KiB values, then every key deleted in a random order in 4 waves, MEMORY PURGE after each
# allocator: jemalloc 5.3.0, linked into Debian's redis-server (jemalloc-bg-thread yes)
# shows: blocks emptied piecewise by many releases smaller than 2 MiB, as a data set drains (expiry, eviction): the companion of redis-sparse
# Runs in about 7 s.
NAME=redis-drain
source "$(dirname "$0")/lib.sh"

start_redis

KEYS=8192
resp fill "$KEYS" 65536
sleep 1
for wave in 0 1 2 3; do
    resp delete-wave "$KEYS" "$wave" 4 4
    rcli memory purge >/dev/null
    echo "wave $wave: $(rcli dbsize) keys left"
    sleep 1
done
finish_redis
