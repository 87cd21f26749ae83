/*
 * demo_workload: the bundled default for `make demo` and the README's first command — a short
 * (well under 3 s) allocator-like workload on which the four policies visibly differ.
 * A 256 MiB heap (2 MiB aligned, MADV_NOHUGEPAGE) is filled and given back three ways per round,
 * as real allocators do (see docs/testing.md):
 *   - large spans: whole aligned 2 MiB blocks released by one DONTNEED each (what jemalloc does
 *     for big extents) — every policy but `none` frees these tables;
 *   - small runs: other blocks released in 64 KiB DONTNEED calls (mimalloc's decommit unit) —
 *     the tables end empty, but only `refcount` and `ideal` free them;
 *   - sparse metadata: blocks where a few pages were used, released page by page.
 * Four rounds; each round refills part of what was released (table churn) and the last
 * round's releases stay released. Nothing is unmapped before exit.
 * Last stdout line: {"rounds": n, "dontneed_calls": n, "vmpte_start_kb": n, "vmpte_end_kb": n}
 */
#include "ptr_test.h"

#define HEAP (256 * MIB)
#define NBLOCKS (HEAP / BLOCK)
#define ROUNDS 4

static long dontneed_calls;

static void dontneed(char *p, size_t len) {
    CHECK(madvise(p, len, MADV_DONTNEED) == 0, "madvise DONTNEED");
    dontneed_calls++;
}

int main(void) {
    int n_mmap = 0, n_munmap = 0, n_madvise = 0;
    long start_kb = ptr_vmpte_kb();
    char *heap = ptr_map_aligned(HEAP, &n_mmap, &n_munmap, &n_madvise);

    for (int round = 0; round < ROUNDS; round++) {
        /* Fill: blocks 0..95 fully (large and small objects), 96..127 sparsely (metadata). */
        for (size_t b = 0; b < NBLOCKS; b++) {
            char *blk = heap + b * BLOCK;
            if (b < 96)
                ptr_touch(blk, BLOCK);
            else
                for (int pg = 0; pg < 4; pg++) ptr_touch(blk + (size_t)(pg * 97 + round) % 512 * PAGE, PAGE);
        }
        /* Large spans: blocks 0..47, released 4 blocks (8 MiB) per call. */
        for (size_t b = 0; b < 48; b += 4) dontneed(heap + b * BLOCK, 4 * BLOCK);
        /* Small runs: blocks 48..79 released 64 KiB at a time; blocks 80..95 stay in use. */
        for (size_t off = 48 * BLOCK; off < 80 * BLOCK; off += 64 * KIB) dontneed(heap + off, 64 * KIB);
        /* Sparse metadata: every populated page of blocks 96..127 released one by one. */
        for (size_t b = 96; b < NBLOCKS; b++)
            for (int pg = 0; pg < 4; pg++)
                dontneed(heap + b * BLOCK + (size_t)(pg * 97 + round) % 512 * PAGE, PAGE);
    }
    printf("{\"rounds\": %d, \"dontneed_calls\": %ld, \"vmpte_start_kb\": %ld, \"vmpte_end_kb\": %ld}\n",
           ROUNDS, dontneed_calls, start_kb, ptr_vmpte_kb());
    return 0;
}
