#!/bin/bash
# fetch.sh META DIR: download the unsigned image package behind Debian meta-package META (e.g.
# linux-image-amd64 -> linux-image-6.1.0-56-amd64-unsigned) into DIR once, and extract its
# vmlinuz and modules. Prints the kernel release (e.g. 6.1.0-56-amd64). Exit 3: the registry
# has no such package.
set -euo pipefail
META=$1 DIR=$2
image=$(apt-cache depends "$META" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
if [ -z "$image" ]; then
    echo "fetch.sh: no package $META in this machine's Debian registry (apt-cache depends)" >&2
    exit 3
fi
pkg=$image-unsigned
release=${image#linux-image-}
mkdir -p "$DIR"
if [ ! -e "$DIR/$release/ok" ]; then
    (cd "$DIR" && rm -f "$pkg"_*.deb && apt-get download -q "$pkg" >&2)
    rm -rf "$DIR/$release" && mkdir -p "$DIR/$release/x"
    dpkg-deb -x "$DIR/$pkg"_*.deb "$DIR/$release/x"
    cp "$DIR/$release/x/boot/vmlinuz-$release" "$DIR/$release/vmlinuz"
    cp "$DIR/$release/x/boot/config-$release" "$DIR/$release/config"
    touch "$DIR/$release/ok"
fi
echo "$release"
