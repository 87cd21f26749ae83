/*
 * policies_differ: one scenario per rule where the four policies (none, pt-reclaim, refcount,
 * ideal) part ways, each in its own 2 MiB-aligned anonymous mapping (MADV_NOHUGEPAGE), all left
 * mapped until exit so the final state shows every difference:
 *   small_dontneed  8 blocks touched, released by 64 DONTNEED calls of 256 KiB:
 *                   empty tables; pt-reclaim frees none (no call covers a block), refcount 8.
 *   sparse          16 blocks with one touched page each, DONTNEED of just that page:
 *                   pt-reclaim 0, refcount 16.
 *   madv_free       8 blocks touched, one MADV_FREE over all: no policy frees without memory
 *                   pressure; refcount with --lazyfree discard frees 8.
 *   mprotect_split  4 blocks touched, a 4 KiB mprotect in the middle of each (VMA split), then
 *                   one DONTNEED over all 8 MiB: pt-reclaim 0 (split blocks), refcount 4.
 *   whole_block     8 blocks touched, one aligned DONTNEED of 16 MiB: pt-reclaim and refcount 8.
 *   mremap_aligned  4 touched blocks moved to a 2 MiB-aligned destination: PTE pages move
 *                   (move_normal_pmd), none freed or allocated.
 *   mremap_unaligned 8 MiB starting 4 KiB into a block moved to an aligned destination: new
 *                   PTE pages at the destination, source unmapped with the munmap rules.
 *   map_fixed       4 touched blocks replaced by mmap(MAP_FIXED, PROT_NONE): 4 freed by all.
 *   partial_munmap  8 touched blocks, munmap from 4 KiB into block 1 up to block 5: 3 freed.
 * For each it measures the kernel's VmPTE around the releasing step (this kernel runs
 * pt-reclaim), pausing between scenarios so periodic snapshots fall in between.
 * Last stdout line: {"scenarios": {"NAME": {"blocks": n, "vmpte_delta_kb": d}, ...}}
 */
#include "ptr_test.h"

#include <time.h>

static int n_mmap, n_munmap, n_madvise;
static int printed;

static void pause_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void report(const char *name, int blocks, long before, long after) {
    printf("%s\"%s\": {\"blocks\": %d, \"vmpte_delta_kb\": %ld}", printed++ ? ", " : "", name, blocks,
           after - before);
    pause_ms(25);
}

static char *region(size_t len) { return ptr_map_aligned(len, &n_mmap, &n_munmap, &n_madvise); }

int main(void) {
    printf("{\"scenarios\": {");
    long before;

    char *a = region(8 * BLOCK);
    ptr_touch(a, 8 * BLOCK);
    before = ptr_vmpte_kb();
    for (size_t off = 0; off < 8 * BLOCK; off += 256 * KIB)
        CHECK(madvise(a + off, 256 * KIB, MADV_DONTNEED) == 0, "small DONTNEED");
    report("small_dontneed", 8, before, ptr_vmpte_kb());

    char *b = region(16 * BLOCK);
    for (int i = 0; i < 16; i++) ptr_touch(b + i * BLOCK + 7 * PAGE, PAGE);
    before = ptr_vmpte_kb();
    for (int i = 0; i < 16; i++)
        CHECK(madvise(b + i * BLOCK + 7 * PAGE, PAGE, MADV_DONTNEED) == 0, "sparse DONTNEED");
    report("sparse", 16, before, ptr_vmpte_kb());

    char *c = region(8 * BLOCK);
    ptr_touch(c, 8 * BLOCK);
    before = ptr_vmpte_kb();
    CHECK(madvise(c, 8 * BLOCK, MADV_FREE) == 0, "MADV_FREE");
    report("madv_free", 8, before, ptr_vmpte_kb());

    char *d = region(4 * BLOCK);
    ptr_touch(d, 4 * BLOCK);
    for (int i = 0; i < 4; i++)
        CHECK(mprotect(d + i * BLOCK + BLOCK / 2, PAGE, PROT_READ) == 0, "mprotect split");
    before = ptr_vmpte_kb();
    CHECK(madvise(d, 4 * BLOCK, MADV_DONTNEED) == 0, "DONTNEED over split");
    report("mprotect_split", 4, before, ptr_vmpte_kb());

    char *e = region(8 * BLOCK);
    ptr_touch(e, 8 * BLOCK);
    before = ptr_vmpte_kb();
    CHECK(madvise(e, 8 * BLOCK, MADV_DONTNEED) == 0, "whole-block DONTNEED");
    report("whole_block", 8, before, ptr_vmpte_kb());

    char *f_src = region(4 * BLOCK), *f_dst = region(4 * BLOCK);
    ptr_touch(f_src, 4 * BLOCK);
    before = ptr_vmpte_kb();
    CHECK(mremap(f_src, 4 * BLOCK, 4 * BLOCK, MREMAP_MAYMOVE | MREMAP_FIXED, f_dst) == f_dst,
          "aligned mremap");
    report("mremap_aligned", 4, before, ptr_vmpte_kb());

    char *g_src = region(5 * BLOCK), *g_dst = region(4 * BLOCK);
    ptr_touch(g_src + PAGE, 4 * BLOCK);
    before = ptr_vmpte_kb();
    CHECK(mremap(g_src + PAGE, 4 * BLOCK, 4 * BLOCK, MREMAP_MAYMOVE | MREMAP_FIXED, g_dst) == g_dst,
          "unaligned mremap");
    report("mremap_unaligned", 4, before, ptr_vmpte_kb());

    char *h = region(4 * BLOCK);
    ptr_touch(h, 4 * BLOCK);
    before = ptr_vmpte_kb();
    CHECK(mmap(h, 4 * BLOCK, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == h,
          "MAP_FIXED over touched");
    report("map_fixed", 4, before, ptr_vmpte_kb());

    char *i = region(8 * BLOCK);
    ptr_touch(i, 8 * BLOCK);
    before = ptr_vmpte_kb();
    CHECK(munmap(i + BLOCK + PAGE, 4 * BLOCK - PAGE) == 0, "partial munmap");
    report("partial_munmap", 8, before, ptr_vmpte_kb());

    printf("}}\n");
    return 0;
}
