#!/bin/bash
# initramfs.sh KDIR: build KDIR/initramfs.gz for the kernel extracted in KDIR (fetch.sh): a
# static busybox, Tests/kernels/init, and the modules that mount this machine's root over 9p
# (9p, 9pnet_virtio, virtio_pci) with their dependencies, read from each module's .modinfo
# "depends=" and loaded in dependency order. Modules the kernel has built in are skipped.
set -euo pipefail
KDIR=$1
HERE=$(cd "$(dirname "$0")" && pwd)
MODROOT=$(echo "$KDIR"/x/lib/modules/*)
WORK=$KDIR/initramfs
rm -rf "$WORK" && mkdir -p "$WORK"/{bin,lib/modules,proc,sys,dev,host,out}
cp /bin/busybox "$WORK/bin/busybox"
cp "$HERE/init" "$WORK/init" && chmod 755 "$WORK/init"

module_file() { find "$MODROOT" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -1; }
module_text() { case $1 in *.xz) xz -dc "$1" ;; *.zst) zstd -qdc "$1" ;; *) cat "$1" ;; esac; }
declare -A seen
order=()
add() { # post-order: dependencies first
    local m=$1 f deps d
    [ -n "${seen[$m]:-}" ] && return
    seen[$m]=1
    f=$(module_file "$m")
    if [ -z "$f" ]; then
        local opt=CONFIG_$(echo "$m" | tr a-z- A-Z_)
        grep -q "^$opt=y" "$KDIR/config" 2>/dev/null || echo "initramfs.sh: $m: neither a module nor ($opt) built in; trying without it" >&2
        return
    fi
    deps=$(module_text "$f" | strings -a | sed -n 's/^depends=//p' | head -1)
    for d in ${deps//,/ }; do add "$d"; done
    module_text "$f" > "$WORK/lib/modules/$m.ko"
    order+=("$m")
}
for m in 9p 9pnet_virtio virtio_pci; do add "$m"; done
printf '%s\n' "${order[@]}" > "$WORK/lib/modules/order"
(cd "$WORK" && find . | cpio -o -H newc --quiet | gzip -1) > "$KDIR/initramfs.gz"
echo "initramfs: modules ${order[*]:-none (all built in)}" >&2
