#!/bin/bash
# trace: redis-sparse
# program: redis-server 7.0 (Debian), 8192 keys of 64 KiB values, then 3/4 of the keys deleted at random, then MEMORY PURGE
# allocator: jemalloc 5.3.0, linked into Debian's redis-server (jemalloc-bg-thread yes)
# shows: releases that leave 2 MiB blocks sparse but neither cover nor empty a whole block: every policy keeps every page table (the companion of redis-drain)
# Runs in about 5 s (recorded for about 4 s).
NAME=redis-sparse
source "$(dirname "$0")/lib.sh"

start_redis

KEYS=8192
resp fill "$KEYS" 65536
rcli dbsize
sleep 1
resp delete-random "$KEYS" 0.75 4
rcli dbsize
rcli memory purge
sleep 2
finish_redis
