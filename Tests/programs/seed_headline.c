/*
 * seed_headline: the test from every cover letter of the 2021-2022 "free user PTE page table
 * pages" series. Map 50 GiB anonymous (MAP_NORESERVE), MADV_NOHUGEPAGE, then 25,600 times:
 * touch one 2 MiB block (every page) and madvise(MADV_DONTNEED) that same 2 MiB.
 * Without reclaim VmPTE grows to ~102,640 kB (25,600 PTE pages + the PMD pages); the seed's
 * refcount design ended at 96 kB, the merged CONFIG_PT_RECLAIM rule at ~240 kB (PMD pages stay).
 * The mapping is left in place so "final" is the state before exit teardown.
 * Optional argument: the number of 2 MiB blocks (default 25,600; `make test-kernels` runs a few
 * hundred under an emulated CPU, where every page fault is slow).
 * Last stdout line: {"blocks": n, "vmpte_before_kb": n, "vmpte_after_kb": n}
 */
#include "ptr_test.h"

#define SIZE (50 * GIB)
#define BLOCKS 25600

int main(int argc, char **argv) {
    int blocks = argc > 1 ? atoi(argv[1]) : BLOCKS;
    CHECK(blocks > 0 && blocks <= BLOCKS, "blocks in 1..25600");
    long before = ptr_vmpte_kb();
    char *base = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(base != MAP_FAILED, "mmap 50 GiB");
    CHECK(madvise(base, SIZE, MADV_NOHUGEPAGE) == 0, "madvise NOHUGEPAGE");
    /* The mapping need not be 2 MiB aligned: like the original test, step through it in 2 MiB
     * strides from its start. Aligning the stride makes each touch exactly one PTE page. */
    char *start = (char *)(((uintptr_t)base + BLOCK - 1) & ~(BLOCK - 1));
    for (int i = 0; i < blocks; i++) {
        char *b = start + (size_t)i * BLOCK;
        ptr_touch(b, BLOCK);
        CHECK(madvise(b, BLOCK, MADV_DONTNEED) == 0, "madvise DONTNEED");
    }
    long after = ptr_vmpte_kb();
    printf("{\"blocks\": %d, \"vmpte_before_kb\": %ld, \"vmpte_after_kb\": %ld}\n", blocks, before,
           after);
    return 0;
}
