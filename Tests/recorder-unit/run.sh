#!/bin/bash
# Builds the recorder unit harness into /tmp and runs it against the live kernel.
# Usage: Tests/recorder-unit/run.sh [--bench]      (exit status: 0 = every check passed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${PTR_UNIT_OUT:-/tmp/ptr-recorder-unit}"
cc -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
   -I"$root/Sources/CPTFormat/include" -I"$root/Sources/recorder" -I"$root/Sources/CPTFormat" -I"$here" \
   -o "$out" "$here/recorder_unit_test.c" "$here/test_encoder.c" \
   "$root/Sources/recorder/pagemap.c" "$root/Sources/recorder/residency.c" \
   "$root/Sources/recorder/snapshot.c" "$root/Sources/recorder/probe.c" \
   "$root/Sources/recorder/proc_file.c" "$root/Sources/recorder/raw_buf.c"
exec "$out" "$@"
