# Shared by every recipe in traces/recipes/: paths, a free loopback port, bounded runs, and the
# "record to a temp file, then move into traces/" step so a failed run never clobbers a shipped
# trace. Sourced, not run.  Each recipe sets NAME (the trace is traces/$NAME.ptr).
set -euo pipefail

RECIPES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRACES_DIR=$(dirname "$RECIPES_DIR")
ROOT=$(dirname "$TRACES_DIR")
PTRECLAIM=${PTRECLAIM:-$ROOT/build/ptreclaim}
# Debian's own interpreter, not whatever python3 comes first on PATH (pyenv): the traces name it.
PYTHON=${PYTHON:-/usr/bin/python3}
LIBDIR=/usr/lib/x86_64-linux-gnu
# Snapshot period used for every shipped trace (ms).
INTERVAL=${INTERVAL:-100}

# A per-recipe scratch directory (server working dirs, the trace while it is being written).
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptreclaim-trace.XXXXXX")
SERVER_PID=
cleanup() {
    # Stop only the server this recipe started (its recorder wrapper pid), never by name.
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        sleep 1
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

die() { echo "${NAME:-recipe}: $*" >&2; exit 1; }

[ -x "$PTRECLAIM" ] || die "missing $PTRECLAIM (run 'make recorder cli' first)"
[ -e "$(dirname "$PTRECLAIM")/libptreclaim.so" ] || die "missing libptreclaim.so next to $PTRECLAIM"

# A TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for CMD...: retry CMD for up to 20 s (a server starting under the recorder).
wait_for() {
    local i
    for i in $(seq 1 200); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    die "timed out waiting for: $*"
}

# record TIMEOUT_S COMMAND...: run COMMAND under the recorder into $WORK/$NAME.ptr, bounded.
record() {
    local limit=$1; shift
    timeout --kill-after=5 "$limit" \
        "$PTRECLAIM" record --interval "$INTERVAL" -o "$WORK/$NAME.ptr" -- "$@"
}

# record_bg TIMEOUT_S COMMAND...: the same, in the background (servers); sets SERVER_PID.
record_bg() {
    local limit=$1; shift
    timeout --kill-after=5 "$limit" \
        "$PTRECLAIM" record --interval "$INTERVAL" -o "$WORK/$NAME.ptr" -- "$@" &
    SERVER_PID=$!
}

# wait_server: wait for the recorded server to exit; fail on a non-zero status.
wait_server() {
    local rc=0
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=
    [ "$rc" -eq 0 ] || die "recorded server exited with status $rc"
}

# ship: move the finished trace into traces/ (a program's forked children, FILE.<pid>, are not
# shipped: none of the recipes' programs fork) and check the 20 MB budget.
ship() {
    local out=$TRACES_DIR/$NAME.ptr size
    [ -s "$WORK/$NAME.ptr" ] || die "no trace written"
    size=$(stat -c %s "$WORK/$NAME.ptr")
    [ "$size" -le $((20 * 1024 * 1024)) ] || die "trace is $size bytes, over the 20 MB budget"
    mv -f "$WORK/$NAME.ptr" "$out"
    chmod 0644 "$out"
    echo "$NAME: wrote $out ($size bytes)"
}

# rcli ARGS...: redis-cli against the recipe's server ($PORT), bounded like everything else.
rcli() { timeout 30 redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# start_redis: start Debian's redis-server under the recorder on a free port ($PORT), with no
# persistence and its working dir in $WORK, and wait until it answers PING.
start_redis() {
    PORT=$(free_port)
    mkdir -p "$WORK/redis"
    record_bg 180 /usr/bin/redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$WORK/redis" --daemonize no --logfile "$WORK/redis/log"
    wait_for timeout 5 redis-cli -h 127.0.0.1 -p "$PORT" ping
}

# resp ARGS...: traces/recipes/resp_client.py against the recipe's server ($PORT), bounded.
resp() { timeout 120 "$PYTHON" "$RECIPES_DIR/resp_client.py" "$PORT" "$@"; }

# finish_redis: log the server's memory figures, shut it down without saving, wait for the
# recorder to finish and ship the trace.
finish_redis() {
    rcli info memory | grep -E '^(used_memory|used_memory_rss|allocator_resident):' || true
    rcli shutdown nosave || true
    wait_server
    ship
}
