#!/bin/bash
# `make bench-inspect`: the cost of `ptreclaim inspect` on address-space shapes built by
# build/bench/inspect_target (bench/inspect_target.c). For each shape: the target's VmPTE,
# populated pages and mapped size, then the best of 5 inspections — wall seconds of the walk
# (the JSON "seconds": status, maps, pagemap, the model) and the command's user+sys CPU seconds
# (GNU time; includes process start-up). Prints a markdown table for docs/performance.md.
set -euo pipefail
BUILD=${1:-build}
CLI=$BUILD/ptreclaim
TARGET=$BUILD/bench/inspect_target
OUT=$(mktemp -d /tmp/ptreclaim-bench-inspect-XXXXXX)
trap 'rm -rf "$OUT"' EXIT

echo "| shape | mapped | populated | VmPTE | walk s (best of 5) | CPU s (best of 5) | per unit: walk / CPU |"
echo "|---|---|---|---|---|---|---|"
run_shape() {  # label, unit (GiB populated | TiB mapped), target args...
    local label=$1 unit=$2; shift 2
    "$TARGET" "$@" > "$OUT/ready" &
    local pid=$!
    while ! grep -q '^ready' "$OUT/ready"; do
        kill -0 "$pid" 2>/dev/null || { echo "inspect_target $* failed" >&2; exit 1; }
        sleep 0.05
    done
    local best_walk=999 best_cpu=999 json
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f '%U %S' -o "$OUT/time" "$CLI" inspect --format json --top 0 "$pid" > "$OUT/json"
        local walk cpu
        walk=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["processes"][0]["seconds"])' "$OUT/json")
        cpu=$(awk '{print $1 + $2}' "$OUT/time")
        best_walk=$(python3 -c "print(min($best_walk, $walk))")
        best_cpu=$(python3 -c "print(min($best_cpu, $cpu))")
    done
    json=$OUT/json
    kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$json" "$label" "$unit" "$best_walk" "$best_cpu" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["processes"][0]
label, unit, walk, cpu = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
gib = 1 << 30
mapped, pop, pte = p["mapped_bytes"], p["populated_pages"] * 4096, p["vmpte_bytes"]
units = pop / gib if unit == "GiB populated" else mapped / gib / 1024
per = f"{walk / units:.4f} / {cpu / units:.4f} s per {unit}"
print(f"| {label} | {mapped / gib:,.1f} GiB | {pop / gib:.3f} GiB | {pte / (1 << 20):.1f} MiB "
      f"| {walk:.3f} | {cpu:.2f} | {per} |")
PY
}
run_shape "8 GiB, every page populated" "GiB populated" dense 8
run_shape "8 GiB, every other page populated" "GiB populated" alternate 8
run_shape "32 TiB, one page per GiB" "TiB mapped" sparse 32 1
run_shape "32 TiB, one page per 64 GiB" "TiB mapped" sparse 32 64
