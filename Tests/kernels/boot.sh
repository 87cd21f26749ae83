#!/bin/bash
# boot.sh KDIR THP OUT LOG: boots KDIR/vmlinuz with KDIR/initramfs.gz under qemu (TCG: nested KVM
# is not usable on the project's machines), sharing / read-only (tag hostroot) and OUT
# writable (tag out), with transparent_hugepage=THP; the guest runs Tests/kernels/guest.sh and
# powers off. Console to LOG.
set -uo pipefail
KDIR=$1 THP=$2 OUT=$3 LOG=$4
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
timeout -s KILL "${PTRECLAIM_KERNEL_TIMEOUT:-3600}" qemu-system-x86_64 \
    -accel tcg -m 1536 -smp 2 -nographic -no-reboot \
    -kernel "$KDIR/vmlinuz" -initrd "$KDIR/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet transparent_hugepage=$THP ptr_guest=$HERE/guest.sh" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$OUT,mount_tag=out,security_model=none" \
    < /dev/null > "$LOG" 2>&1
