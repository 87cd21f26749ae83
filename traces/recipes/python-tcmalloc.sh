#!/bin/bash
# trace: python-tcmalloc
# program: python3 3.11 (Debian) running traces/recipes/churn.py, PYTHONMALLOC=malloc
# allocator: gperftools tcmalloc_minimal 2.10 (libtcmalloc-minimal4), LD_PRELOAD, TCMALLOC_RELEASE_RATE=10
# shows: tcmalloc grows with sbrk and releases page spans lazily with MADV_DONTNEED; it exports its own mmap/sbrk, so the recorder must come first
# Runs in about 10 s.
NAME=python-tcmalloc
source "$(dirname "$0")/lib.sh"

# PYTHONMALLOC=malloc: every Python object comes from the C allocator, not from pymalloc arenas.
LD_PRELOAD=$LIBDIR/libtcmalloc_minimal.so.4 TCMALLOC_RELEASE_RATE=10 PYTHONMALLOC=malloc \
    record 120 "$PYTHON" "$RECIPES_DIR/churn.py" 2
ship
