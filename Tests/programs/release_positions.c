/*
 * release_positions: a release at each position in a 2 MiB block, with the rest of the block
 * populated or empty, each in its own 3-block aligned anonymous mapping (MADV_NOHUGEPAGE):
 *   covering   the whole middle block
 *   head       the first 512 KiB of the middle block
 *   tail       the last 512 KiB of the middle block
 *   middle     512 KiB in the middle of the middle block
 *   spanning   from the middle of block 0 to the middle of block 1 (two partial blocks)
 * Neighbours "full": all three blocks touched before the release; "empty": only the released
 * range touched. Each combination is done once with MADV_DONTNEED and once with munmap. This
 * is what the recorder's witness residency (docs/residency.md) must describe as well as the
 * full population would: the tests record it both ways and compare the model's answers.
 * No MADV_FREE (which would switch the recorder to full residency).
 * For each it measures the kernel's VmPTE around the release (this kernel runs pt-reclaim).
 * Last stdout line: {"releases": {"NAME": {"vmpte_delta_kb": d}, ...}}
 */
#include "ptr_test.h"

#include <time.h>

static int n_mmap, n_munmap, n_madvise;
static int printed;

struct position {
    const char *name;
    size_t off, len; /* from the start of the 3-block mapping */
};

static const struct position positions[] = {
    {"covering", BLOCK, BLOCK},
    {"head", BLOCK, 512 * KIB},
    {"tail", 2 * BLOCK - 512 * KIB, 512 * KIB},
    {"middle", BLOCK + 768 * KIB, 512 * KIB},
    {"spanning", BLOCK / 2, BLOCK},
};

static void pause_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void) {
    printf("{\"releases\": {");
    for (int use_munmap = 0; use_munmap < 2; use_munmap++)
        for (int full = 0; full < 2; full++)
            for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
                const struct position *p = &positions[i];
                char *a = ptr_map_aligned(3 * BLOCK, &n_mmap, &n_munmap, &n_madvise);
                if (full)
                    ptr_touch(a, 3 * BLOCK);
                else
                    ptr_touch(a + p->off, p->len);
                long before = ptr_vmpte_kb();
                if (use_munmap) {
                    CHECK(munmap(a + p->off, p->len) == 0, "munmap release");
                    n_munmap++;
                } else {
                    CHECK(madvise(a + p->off, p->len, MADV_DONTNEED) == 0, "DONTNEED release");
                    n_madvise++;
                }
                long after = ptr_vmpte_kb();
                printf("%s\"%s_%s_%s\": {\"vmpte_delta_kb\": %ld}", printed++ ? ", " : "",
                       use_munmap ? "munmap" : "dontneed", p->name, full ? "full" : "empty",
                       after - before);
                pause_ms(5);
            }
    printf("}, \"mmap\": %d, \"munmap\": %d, \"madvise\": %d}\n", n_mmap, n_munmap, n_madvise);
    return 0;
}
