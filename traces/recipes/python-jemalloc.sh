#!/bin/bash
# trace: python-jemalloc
# program: python3 3.11 (Debian) running traces/recipes/churn.py, PYTHONMALLOC=malloc
# allocator: jemalloc 5.3.0 (libjemalloc2), LD_PRELOAD, MALLOC_CONF=dirty_decay_ms:100 so it purges during the run
# shows: jemalloc's decay purging: many page-granular MADV_DONTNEED calls on extents, few of them covering whole 2 MiB blocks
# Runs in about 10 s.
NAME=python-jemalloc
source "$(dirname "$0")/lib.sh"

# PYTHONMALLOC=malloc: every Python object comes from the C allocator, not from pymalloc arenas.
LD_PRELOAD=$LIBDIR/libjemalloc.so.2 MALLOC_CONF=dirty_decay_ms:100 PYTHONMALLOC=malloc \
    record 120 "$PYTHON" "$RECIPES_DIR/churn.py" 2
ship
