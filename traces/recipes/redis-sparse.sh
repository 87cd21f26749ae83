#!/bin/bash
# trace: redis-sparse
# program: redis-server 7.0 (Debian), 8192 keys of 64 KiB values, then 3/4 of the keys deleted at random, then MEMORY PURGE
# allocator: jemalloc 5.3.0, linked into Debian's redis-server (jemalloc-bg-thread yes)
# shows: releases that leave 2 MiB blocks sparse but never cover a whole block: where the merged rule and a reference count differ
# Runs in about 5 s (recorded for about 4 s).
NAME=redis-sparse
source "$(dirname "$0")/lib.sh"

PORT=$(free_port)
mkdir -p "$WORK/redis"
record_bg 180 /usr/bin/redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK/redis" --daemonize no --logfile "$WORK/redis/log"
wait_for timeout 5 redis-cli -h 127.0.0.1 -p "$PORT" ping

KEYS=8192
timeout 120 "$PYTHON" "$RECIPES_DIR/resp_client.py" "$PORT" fill "$KEYS" 65536
rcli dbsize
sleep 1
timeout 120 "$PYTHON" "$RECIPES_DIR/resp_client.py" "$PORT" delete-random "$KEYS" 0.75 4
rcli dbsize
rcli memory purge
sleep 2
rcli info memory | grep -E '^(used_memory|used_memory_rss|allocator_resident):' || true
rcli shutdown nosave || true
wait_server
ship
