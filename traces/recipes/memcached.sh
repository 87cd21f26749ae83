#!/bin/bash
# trace: memcached
# program: memcached 1.6.18 (Debian), 4 worker threads, loaded by traces/recipes/mc_load.py (set, delete 3/4, refill, flush_all)
# allocator: memcached's slab allocator on glibc 2.36 malloc (1 MiB slab pages, never returned)
# shows: a negative control: slab pages are reused, never released, so no policy has anything to reclaim
# Runs in about 5 s (recorded for about 4 s).
NAME=memcached
source "$(dirname "$0")/lib.sh"

PORT=$(free_port)
# -u root: memcached refuses to run as root without it (the project's machines run as root).
USER_OPT=()
[ "$(id -u)" -eq 0 ] && USER_OPT=(-u root)
record_bg 180 /usr/bin/memcached -l 127.0.0.1 -p "$PORT" -U 0 -m 1024 -t 4 "${USER_OPT[@]}"
wait_for bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"

timeout 120 "$PYTHON" "$RECIPES_DIR/mc_load.py" "$PORT"
sleep 1
# memcached has no clean-shutdown command by default; SIGTERM makes it exit normally (status 0),
# so the recorder's atexit snapshot and trailer are written. Signal the memcached process itself
# (the child of `ptreclaim record`), found by its parent pid.
MC=$(pgrep -P "$(pgrep -P "$SERVER_PID")" -x memcached || pgrep -P "$SERVER_PID" -x memcached || true)
[ -n "$MC" ] || die "cannot find the memcached process under $SERVER_PID"
kill -TERM $MC
wait_server
ship
