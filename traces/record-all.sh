#!/bin/bash
# traces/record-all.sh (run by `make traces`): re-record every shipped trace, one recipe at a
# time, write each recipe's wall-clock time to traces/run-times.tsv and regenerate
# traces/README.md. A failing recipe leaves its previously shipped trace in place; the script
# then exits non-zero after trying the others.
set -uo pipefail
TRACES=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}

# What the recipes need from Debian 12 (installed only when missing; needs root).
PACKAGES="redis-server redis-tools memcached libmemcached-tools libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 python3"
missing=$(for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    echo "installing Debian packages:" $missing
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq $missing >/dev/null || exit 1
fi
# Debian's redis-server package starts a system service; the recipes start their own servers on
# free loopback ports and do not touch it.

failed=()
start_all=$EPOCHREALTIME
tmp=$(mktemp)
for recipe in "$TRACES"/recipes/*.sh; do
    [ "$(basename "$recipe")" = lib.sh ] && continue
    name=$(sed -n 's/^# trace: //p' "$recipe")
    echo "=== $name ($recipe)"
    t0=$EPOCHREALTIME
    if bash "$recipe"; then
        t1=$EPOCHREALTIME
        printf '%s\t%.1f\n' "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" >> "$tmp"
    else
        echo "=== $name FAILED" >&2
        failed+=("$name")
        # keep the previous time for a trace that was not re-recorded
        grep -P "^\Q$name\E\t" "$TRACES/run-times.tsv" >> "$tmp" 2>/dev/null || true
    fi
done
end_all=$EPOCHREALTIME
{
    echo "# recipe wall-clock seconds, written by traces/record-all.sh (make traces)"
    sort "$tmp"
    printf '(total)\t%.1f\n' "$(awk -v a="$start_all" -v b="$end_all" 'BEGIN{print b-a}')"
} > "$TRACES/run-times.tsv"
rm -f "$tmp"

"$PYTHON" "$TRACES/make_readme.py" > "$TRACES/README.md.new" && mv "$TRACES/README.md.new" "$TRACES/README.md" \
    || { rm -f "$TRACES/README.md.new"; echo "README.md not regenerated" >&2; exit 1; }
if [ ${#failed[@]} -gt 0 ]; then
    echo "recipes failed: ${failed[*]}" >&2
    exit 1
fi
echo "all traces recorded; traces/README.md regenerated"
