#!/usr/bin/env python3
"""The size profile of each shipped trace's MADV_DONTNEED calls (docs/findings.md uses it):
how many are under 64 KiB, between 64 KiB and 2 MiB, 2 MiB or more, and how many cover at least
one whole aligned 2 MiB block (the merged kernel rule's condition, VMA boundaries ignored).
Reads `ptreclaim dump`.

    python3 traces/release_sizes.py [TRACE...]      (default: every traces/*.ptr)
"""
import glob
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in traces/ (the tree is committed)
import tracelib as tl  # noqa: E402

BLOCK = 2 << 20
CALL = re.compile(r"\bmadvise\((0x[0-9a-f]+), (\d+), MADV_DONTNEED\) = 0")


def profile(path):
    out = subprocess.run([tl.PTRECLAIM, "dump", path], capture_output=True, text=True,
                         check=True).stdout
    n = small = mid = large = whole = 0
    for m in CALL.finditer(out):
        start, length = int(m.group(1), 16), int(m.group(2))
        n += 1
        if length < 64 << 10:
            small += 1
        elif length < BLOCK:
            mid += 1
        else:
            large += 1
        first = -(-start // BLOCK) * BLOCK  # first block boundary at or above start
        if first + BLOCK <= start + length:
            whole += 1
    return n, small, mid, large, whole


def main(paths):
    paths = paths or sorted(glob.glob(os.path.join(tl.TRACES, "*.ptr")))
    print("| trace | DONTNEED calls | < 64 KiB | 64 KiB - 2 MiB | >= 2 MiB | covering a whole block |")
    print("|---|---:|---:|---:|---:|---:|")
    for p in paths:
        n, small, mid, large, whole = profile(p)
        print("| {} | {:,} | {:,} | {:,} | {:,} | {:,} |".format(
            os.path.basename(p)[:-4], n, small, mid, large, whole))


if __name__ == "__main__":
    main(sys.argv[1:])
