#!/bin/bash
# trace: redis-drain
# program: redis-server 7.0 (Debian), 8192 keys of 64 KiB values, then every key deleted in a random order in 4 waves, MEMORY PURGE after each
# allocator: jemalloc 5.3.0, linked into Debian's redis-server (jemalloc-bg-thread yes)
# shows: blocks emptied piecewise by many releases smaller than 2 MiB, as a data set drains (expiry, eviction): the companion of redis-sparse
# Runs in about 7 s.
NAME=redis-drain
source "$(dirname "$0")/lib.sh"

PORT=$(free_port)
mkdir -p "$WORK/redis"
record_bg 180 /usr/bin/redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK/redis" --daemonize no --logfile "$WORK/redis/log"
wait_for timeout 5 redis-cli -h 127.0.0.1 -p "$PORT" ping

KEYS=8192
timeout 120 "$PYTHON" "$RECIPES_DIR/resp_client.py" "$PORT" fill "$KEYS" 65536
sleep 1
for wave in 0 1 2 3; do
    timeout 120 "$PYTHON" "$RECIPES_DIR/resp_client.py" "$PORT" delete-wave "$KEYS" "$wave" 4 4
    rcli memory purge >/dev/null
    echo "wave $wave: $(rcli dbsize) keys left"
    sleep 1
done
rcli info memory | grep -E '^(used_memory|used_memory_rss|allocator_resident):' || true
rcli shutdown nosave || true
wait_server
ship
