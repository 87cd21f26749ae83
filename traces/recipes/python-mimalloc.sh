#!/bin/bash
# trace: python-mimalloc
# program: python3 3.11 (Debian) running traces/recipes/churn.py, PYTHONMALLOC=malloc
# allocator: mimalloc 2.0.9 (libmimalloc2.0), LD_PRELOAD, MIMALLOC_DECOMMIT_DELAY=0 MIMALLOC_SEGMENT_DECOMMIT_DELAY=0 (2.0.x names; 2.1 renamed them PURGE_DELAY)
# shows: mimalloc decommits 64 KiB slices inside 32 MiB segments: many small DONTNEED calls that empty blocks piecewise
# Runs in about 10 s.
NAME=python-mimalloc
source "$(dirname "$0")/lib.sh"

# PYTHONMALLOC=malloc: every Python object comes from the C allocator, not from pymalloc arenas.
LD_PRELOAD=$LIBDIR/libmimalloc.so.2.0 MIMALLOC_DECOMMIT_DELAY=0 MIMALLOC_SEGMENT_DECOMMIT_DELAY=0 PYTHONMALLOC=malloc \
    record 120 "$PYTHON" "$RECIPES_DIR/churn.py" 2
ship
