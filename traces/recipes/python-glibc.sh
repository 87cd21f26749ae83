#!/bin/bash
# trace: python-glibc
# program: python3 3.11 (Debian) running traces/recipes/churn.py, PYTHONMALLOC=malloc
# allocator: glibc 2.36 malloc (no allocator preloaded)
# shows: what a preload recorder misses: glibc's malloc calls its internal __mmap/__munmap/__madvise/__brk, which no LD_PRELOAD hook sees; only the snapshots reconcile them
# Runs in about 10 s.
NAME=python-glibc
source "$(dirname "$0")/lib.sh"

# PYTHONMALLOC=malloc: every Python object comes from the C allocator, not from pymalloc arenas.
PYTHONMALLOC=malloc \
    record 120 "$PYTHON" "$RECIPES_DIR/churn.py" 2
ship
