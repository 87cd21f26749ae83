#!/bin/bash
# trace: python-tcmalloc-aggressive
# program: python3 3.11 (Debian) running traces/recipes/churn.py, PYTHONMALLOC=malloc
# allocator: gperftools tcmalloc_minimal 2.10 (libtcmalloc-minimal4), LD_PRELOAD, TCMALLOC_AGGRESSIVE_DECOMMIT=true
# shows: the same program with tcmalloc releasing every freed span at once: tens of thousands of small MADV_DONTNEED calls
# Runs in about 10 s.
NAME=python-tcmalloc-aggressive
source "$(dirname "$0")/lib.sh"

# PYTHONMALLOC=malloc: every Python object comes from the C allocator, not from pymalloc arenas.
LD_PRELOAD=$LIBDIR/libtcmalloc_minimal.so.4 TCMALLOC_AGGRESSIVE_DECOMMIT=true PYTHONMALLOC=malloc \
    record 120 "$PYTHON" "$RECIPES_DIR/churn.py" 2
ship
