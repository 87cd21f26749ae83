#!/bin/bash
# run.sh: `make test-kernels`. For each kernel of kernels.tsv: fetch Debian's package (fetch.sh,
# cached under build/kernels/cache), build its initramfs (initramfs.sh), boot it under qemu
# with TCG running the workloads of workloads.tsv (boot.sh, init, guest.sh), then check the
# traces on the host (check.py). Prints every check, a table of the max validation error per
# kernel and workload, and `N passed, M failed`. Exit status 0 only when nothing failed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
B=$ROOT/build/kernels
mkdir -p "$B/cache" "$B/out"
chmod 755 "$B/cache" # apt-get download writes as _apt when it can
for t in qemu-system-x86_64 busybox cpio; do
    command -v $t >/dev/null || { echo "run.sh: $t missing (make test-kernels installs it)" >&2; exit 2; }
done
results=$B/out/checks.txt
: > "$results"
while IFS=$'\t' read -r meta thp policy residency why; do
    case $meta in ''|'#'*) continue ;; esac
    echo "== $meta, THP $thp: $why"
    release=$(bash "$HERE/fetch.sh" "$meta" "$B/cache")
    rc=$?
    if [ $rc = 3 ]; then
        echo "skipped: $meta is not in this machine's Debian registry"
        continue
    elif [ $rc != 0 ]; then
        echo "not ok - $meta: download failed" | tee -a "$results"
        continue
    fi
    kdir=$B/cache/$release out=$B/out/$release-thp-$thp
    bash "$HERE/initramfs.sh" "$kdir" || { echo "not ok - $release: initramfs" | tee -a "$results"; continue; }
    rm -rf "$out" && mkdir -p "$out"
    start=$(date +%s)
    bash "$HERE/boot.sh" "$kdir" "$thp" "$out" "$out.console"
    echo "$release (THP $thp): booted and ran the workloads in $(( $(date +%s) - start )) s (console: $out.console)"
    python3 "$HERE/check.py" "$out" "$release" "$thp" "$policy" "$residency" | tee -a "$results" | grep -v '^row'
done < "$HERE/kernels.tsv"

echo
printf '%-24s %-8s %-16s %6s %9s %12s %7s\n' kernel THP workload traces snapshots max_error_B guest_s
grep '^row' "$results" | while IFS=$'\t' read -r _ k thp w n s e secs; do
    printf '%-24s %-8s %-16s %6s %9s %12s %7s\n' "$k" "$thp" "$w" "$n" "$s" "$e" "$secs"
done
passed=$(grep -c '^ok - ' "$results")
failed=$(grep -c '^not ok - ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
