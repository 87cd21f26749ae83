#!/bin/bash
# check_reports.sh: every report of every shipped trace (and of the synthetic bench traces),
# under every option, written to a directory — and diffed against a baseline directory written
# the same way by an earlier build (issue 8: reports byte-identical before and after a change).
#   bench/check_reports.sh write CLI OUTDIR          write the reports of CLI into OUTDIR
#   bench/check_reports.sh diff  CLI BASELINE_DIR    write into a temp dir, diff against BASELINE_DIR
# Traces: traces/*.ptr, and, when BUILD/bench/gen_trace and BUILD/bench/dontneed_churn exist,
# a small synthetic trace and a recorded residency trace (BUILD: env, default build/).
# Frame names come from the ELF symbols of the modules installed on this machine: write the
# baseline and diff on the same machine, with no package installed in between.
# Prints one line per difference and a last line "N reports identical, M differ".
set -uo pipefail
mode=${1:?usage: check_reports.sh write|diff CLI DIR}
cli=${2:?usage: check_reports.sh write|diff CLI DIR}
dir=${3:?usage: check_reports.sh write|diff CLI DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}

# The option sets: each is one report run per trace.
optsets=(
    "--format text"
    "--format json"
    "--format text --no-infer"
    "--format json --no-infer"
    "--format text --lazyfree discard"
    "--format json --lazyfree discard"
    "--format json --lazyfree discard --no-infer"
    "--format text --top 3 --no-symbols"
    "--format json --top 0"
)

# The synthetic traces are generated into a fixed place so both runs read the same bytes.
extra=()
gen=$build/bench/gen_trace
syn=$build/report-check/synthetic.ptr
if [ -x "$gen" ]; then
    mkdir -p "$build/report-check"
    [ -s "$syn" ] || "$gen" "$syn" 200000 >/dev/null 2>&1
    extra+=("$syn")
fi
# The recorded one is recorded once (a recording differs from run to run), by the writing run.
churn=$build/report-check/dontneed_churn.ptr
if [ "$mode" = write ] && [ ! -s "$churn" ] && [ -x "$build/bench/dontneed_churn" ]; then
    mkdir -p "$build/report-check"
    "$cli" record --force -o "$churn" -- "$build/bench/dontneed_churn" 20000 >/dev/null 2>&1
fi
[ -s "$churn" ] && extra+=("$churn")

out=$dir
[ "$mode" = diff ] && out=$(mktemp -d)
mkdir -p "$out"
for t in "$root"/traces/*.ptr "${extra[@]}"; do
    name=$(basename "$t" .ptr)
    for i in "${!optsets[@]}"; do
        # shellcheck disable=SC2086
        "$cli" report ${optsets[$i]} "$t" >"$out/$name.$i.out" 2>/dev/null
        echo "status $?" >>"$out/$name.$i.out"
    done
done
[ "$mode" = write ] && { echo "wrote $(ls "$out" | wc -l) reports to $out"; exit 0; }

same=0 differ=0
for f in "$dir"/*.out; do
    b=$(basename "$f")
    if cmp -s "$f" "$out/$b"; then same=$((same + 1))
    else differ=$((differ + 1)); echo "differs: $b (options: ${optsets[$(echo "$b" | sed 's/.*\.\([0-9]*\)\.out/\1/')]})"; fi
done
for f in "$out"/*.out; do
    [ -e "$dir/$(basename "$f")" ] || { differ=$((differ + 1)); echo "no baseline: $(basename "$f")"; }
done
rm -rf "$out"
echo "$same reports identical, $differ differ"
[ "$differ" -eq 0 ]
