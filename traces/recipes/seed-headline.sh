#!/bin/bash
# trace: seed-headline
# program: build/programs/seed_headline (Tests/programs/seed_headline.c): mmap 50 GiB; 25,600 times touch 2 MiB, then MADV_DONTNEED it
# allocator: none (direct mmap/madvise): the test in every cover letter of the PTE-reclaim series
# shows: the seed's headline: VmPTE about 100 MB without reclaim, under 1 MB with the merged rule or a reference count
# Runs in about 35 s (touching 50 GiB, 25,600 x 2 MiB, dominates; the bare program takes as long).
NAME=seed-headline
source "$(dirname "$0")/lib.sh"

PROG=$ROOT/build/programs/seed_headline
[ -x "$PROG" ] || die "missing $PROG (run 'make programs' first)"
record 300 "$PROG"
ship
