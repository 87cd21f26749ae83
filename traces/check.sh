#!/bin/bash
# traces/check.sh: the checks on the shipped traces (wired into `make test` by the Makefile).
#  - every recipe has its trace and every trace its recipe; each <= 20 MB, all <= 100 MB;
#  - traces/README.md is current (regenerated to a temp file and diffed);
#  - per trace (check_report.py): replays, complete, validation within bound, policy order.
# Prints one line per check and, last, "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
TRACES=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
pass=0 fail=0
ok()     { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }

# Recipes and traces match one to one.
expected=$(grep -h '^# trace: ' "$TRACES"/recipes/*.sh | sed 's/^# trace: //' | sort)
present=$(cd "$TRACES" && ls *.ptr 2>/dev/null | sed 's/\.ptr$//' | sort)
if [ "$expected" = "$present" ]; then ok "every recipe has its trace ($(echo $present | wc -w) traces)"
else not_ok "recipes and traces differ: $(diff <(echo "$expected") <(echo "$present") | grep '^[<>]' | tr '\n' ' ')"; fi

# Size budgets.
total=0
for f in "$TRACES"/*.ptr; do
    [ -e "$f" ] || continue
    s=$(stat -c %s "$f"); total=$((total + s))
    if [ "$s" -le $((20 * 1024 * 1024)) ]; then ok "$(basename "$f"): $s bytes <= 20 MB"
    else not_ok "$(basename "$f"): $s bytes > 20 MB"; fi
done
if [ "$total" -le $((100 * 1024 * 1024)) ]; then ok "all traces: $total bytes <= 100 MB"
else not_ok "all traces: $total bytes > 100 MB"; fi

# README current.
tmp=$(mktemp)
if "$PYTHON" "$TRACES/make_readme.py" > "$tmp"; then
    if diff -u "$TRACES/README.md" "$tmp" > "$tmp.diff"; then ok "traces/README.md is current"
    else not_ok "traces/README.md is stale (regenerate: python3 traces/make_readme.py > traces/README.md)"; head -40 "$tmp.diff"; fi
else
    not_ok "make_readme.py failed"
fi
rm -f "$tmp" "$tmp.diff"

# Per trace.
for f in "$TRACES"/*.ptr; do
    [ -e "$f" ] || continue
    out=$("$PYTHON" "$TRACES/check_report.py" "$f"); rc=$?
    echo "$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' <<<"$out"; then
        not_ok "$(basename "$f"): check_report.py failed with status $rc"
    fi
    pass=$((pass + $(grep -c '^ok - ' <<<"$out")))
    fail=$((fail + $(grep -c '^not ok - ' <<<"$out")))
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
